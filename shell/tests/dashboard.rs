//! ops/grafana/mm-batch.json: valid dashboard JSON (uid, schemaVersion,
//! panels with targets and expressions, every `${var}` defined), and every
//! metric name any query uses is one a running `mm run` really exports
//! (histograms as `_bucket` / `_sum` / `_count`, counters with `_total`),
//! with every `by (...)` label present on that metric.
#![allow(clippy::unwrap_used, unreachable_pub)]

mod common;

use std::collections::{BTreeMap, BTreeSet};

use common::metrics;
use serde_json::Value;

const DASHBOARD: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../ops/grafana/mm-batch.json");

fn dashboard() -> Value {
    let text = std::fs::read_to_string(DASHBOARD).unwrap();
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{DASHBOARD} is not JSON: {e}"))
}

/// Every panel, rows' nested panels included.
fn panels(v: &Value, out: &mut Vec<Value>) {
    for p in v.as_array().into_iter().flatten() {
        out.push(p.clone());
        panels(&p["panels"], out);
    }
}

/// (where, PromQL) of every query: panel targets and templating queries.
fn queries(d: &Value) -> Vec<(String, String)> {
    let mut all = Vec::new();
    panels(&d["panels"], &mut all);
    let mut out = Vec::new();
    for p in &all {
        for t in p["targets"].as_array().into_iter().flatten() {
            if let Some(e) = t["expr"].as_str() {
                let title = p["title"].as_str().unwrap_or("?");
                out.push((format!("panel {title:?}"), e.to_string()));
            }
        }
    }
    for v in d["templating"]["list"].as_array().into_iter().flatten() {
        if v["type"] == "query"
            && let Some(q) = v["query"].as_str()
        {
            out.push((format!("variable {}", v["name"]), q.to_string()));
        }
    }
    out
}

/// PromQL reading just deep enough for this check: the metric names a query
/// selects, and the labels of its `by (...)` / `without (...)` clauses.
/// Skipped: strings, `{...}` matchers, `[...]` ranges, function names (an
/// identifier before `(`), keywords, and Grafana's `$variables`.
fn names_and_labels(q: &str) -> (BTreeSet<String>, BTreeSet<String>) {
    const KEYWORDS: [&str; 12] = [
        "by",
        "without",
        "on",
        "ignoring",
        "group_left",
        "group_right",
        "and",
        "or",
        "unless",
        "bool",
        "offset",
        "inf",
    ];
    let b = q.as_bytes();
    let (mut names, mut labels) = (BTreeSet::new(), BTreeSet::new());
    let mut i = 0;
    let mut grouping = false; // inside by ( ... )
    let mut last_word = String::new();
    while i < b.len() {
        let c = b[i];
        match c {
            b'"' | b'\'' | b'`' => {
                i += 1;
                while i < b.len() && b[i] != c {
                    i += if b[i] == b'\\' { 2 } else { 1 };
                }
                i += 1;
            }
            b'{' | b'[' => {
                let close = if c == b'{' { b'}' } else { b']' };
                while i < b.len() && b[i] != close {
                    if b[i] == b'"' {
                        i += 1;
                        while i < b.len() && b[i] != b'"' {
                            i += if b[i] == b'\\' { 2 } else { 1 };
                        }
                    }
                    i += 1;
                }
                i += 1;
            }
            b'$' => {
                i += 1;
                while i < b.len() && (b[i].is_ascii_alphanumeric() || b[i] == b'_') {
                    i += 1;
                }
            }
            b'(' => {
                grouping = last_word == "by" || last_word == "without";
                last_word.clear();
                i += 1;
            }
            b')' => {
                grouping = false;
                last_word.clear();
                i += 1;
            }
            _ if c.is_ascii_alphabetic() || c == b'_' || c == b':' => {
                let start = i;
                while i < b.len() && (b[i].is_ascii_alphanumeric() || b[i] == b'_' || b[i] == b':')
                {
                    i += 1;
                }
                let word = &q[start..i];
                let mut j = i;
                while j < b.len() && b[j] == b' ' {
                    j += 1;
                }
                let call = j < b.len() && b[j] == b'(';
                if grouping {
                    labels.insert(word.to_string());
                } else if !call && !KEYWORDS.contains(&word.to_ascii_lowercase().as_str()) {
                    names.insert(word.to_string());
                }
                last_word = word.to_ascii_lowercase();
            }
            _ if c.is_ascii_digit() => {
                // number (0.95, 1e3, 30s after a range is already skipped)
                while i < b.len() && (b[i].is_ascii_alphanumeric() || b[i] == b'.') {
                    i += 1;
                }
            }
            _ => i += 1,
        }
    }
    // label_values(metric, label): the second argument is a label.
    if let Some(rest) = q.trim().strip_prefix("label_values(") {
        let args: Vec<&str> = rest.trim_end_matches(')').split(',').collect();
        if let [_, label] = args.as_slice() {
            names.remove(label.trim());
            labels.insert(label.trim().to_string());
        }
    }
    (names, labels)
}

#[test]
fn promql_reader_finds_names_and_grouping_labels() {
    let (n, l) = names_and_labels(
        r#"histogram_quantile(0.95, sum(rate(mm_x_bucket{job=~"$job", a="b{c}"}[$__rate_interval])) by (le, api)) / on() mm_y"#,
    );
    assert_eq!(n, ["mm_x_bucket", "mm_y"].map(String::from).into());
    assert_eq!(l, ["api", "le"].map(String::from).into());
    let (n, l) = names_and_labels("label_values(mm_tick_duration_ms_count, job)");
    assert_eq!(n, ["mm_tick_duration_ms_count"].map(String::from).into());
    assert_eq!(l, ["job"].map(String::from).into());
}

#[test]
fn dashboard_is_valid_grafana_json() {
    let d = dashboard();
    assert!(
        d["uid"]
            .as_str()
            .is_some_and(|u| !u.is_empty() && u.len() <= 40),
        "uid: a non-empty string of at most 40 characters"
    );
    assert!(d["title"].as_str().is_some_and(|t| !t.is_empty()), "title");
    assert!(
        d["schemaVersion"].as_u64().is_some_and(|v| v >= 16),
        "schemaVersion"
    );
    let mut all = Vec::new();
    panels(&d["panels"], &mut all);
    assert!(!all.is_empty(), "no panels");
    let mut ids = BTreeSet::new();
    for p in &all {
        let title = p["title"].as_str().unwrap_or("?");
        assert!(p["type"].as_str().is_some(), "panel {title:?} has no type");
        assert!(p["gridPos"].is_object(), "panel {title:?} has no gridPos");
        if let Some(id) = p["id"].as_u64() {
            assert!(ids.insert(id), "panel id {id} used twice");
        }
        if p["type"] == "row" {
            continue;
        }
        let targets = p["targets"]
            .as_array()
            .unwrap_or_else(|| panic!("panel {title:?}: no targets"));
        assert!(!targets.is_empty(), "panel {title:?}: no targets");
        let mut refs = BTreeSet::new();
        for t in targets {
            assert!(
                t["expr"].as_str().is_some_and(|e| !e.trim().is_empty()),
                "panel {title:?}: a target without expr"
            );
            if let Some(r) = t["refId"].as_str() {
                assert!(
                    refs.insert(r.to_string()),
                    "panel {title:?}: refId {r} twice"
                );
            }
        }
    }
    // Every ${var} / $var used is a templating variable, an __inputs name or Grafana's own.
    let mut defined: BTreeSet<String> = d["templating"]["list"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|v| v["name"].as_str().map(String::from))
        .collect();
    for i in d["__inputs"].as_array().into_iter().flatten() {
        if let Some(n) = i["name"].as_str() {
            defined.insert(n.to_string());
        }
    }
    let text = serde_json::to_string(&d).unwrap();
    for (i, _) in text.match_indices('$') {
        let rest = &text[i + 1..];
        let rest = rest.strip_prefix('{').unwrap_or(rest);
        let name: String = rest
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
            .collect();
        if name.is_empty() || name.starts_with("__") {
            continue; // $__rate_interval, $__interval, ...: Grafana's own
        }
        assert!(defined.contains(&name), "${name} is used but never defined");
    }
}

/// Exported sample names -> the label names seen on them.
fn exported(text: &str) -> BTreeMap<String, BTreeSet<String>> {
    let mut out: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for line in text
        .lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
    {
        let end = line.find(['{', ' ']).unwrap_or(line.len());
        let labels = out.entry(line[..end].to_string()).or_default();
        if let Some(inner) = line[end..]
            .strip_prefix('{')
            .and_then(|r| r.split_once('}'))
        {
            for pair in inner.0.split(',') {
                if let Some((k, _)) = pair.split_once('=') {
                    labels.insert(k.trim().to_string());
                }
            }
        }
    }
    out
}

#[test]
fn every_dashboard_metric_is_exported_by_mm() {
    let dir = tempfile::tempdir().unwrap();
    let (_mm, addr) = metrics::start_mm(dir.path(), 2);
    // Wait (bounded) for a few ticks, so per-request and per-tick series exist.
    let text = metrics::wait_ticks(addr, 3.0);
    let names = exported(&text);
    // Labels Prometheus adds itself, and the histogram bucket label.
    let implicit = ["job", "instance", "le"];
    let mut checked = BTreeSet::new();
    let mut missing = Vec::new();
    for (place, q) in queries(&dashboard()) {
        let (metrics, labels) = names_and_labels(&q);
        assert!(!metrics.is_empty(), "{place}: no metric in {q}");
        for m in &metrics {
            checked.insert(m.clone());
            match names.get(m) {
                None => missing.push(format!("{place}: {m} is not exported (query {q})")),
                Some(have) => {
                    for l in &labels {
                        if !implicit.contains(&l.as_str()) && !have.contains(l) {
                            missing.push(format!("{place}: {m} has no label {l:?} (query {q})"));
                        }
                    }
                }
            }
        }
    }
    println!("dashboard metrics checked against a live scrape: {checked:?}");
    assert!(
        missing.is_empty(),
        "dashboard queries that do not match the binary:\n{}\nexported: {:?}",
        missing.join("\n"),
        names.keys().collect::<Vec<_>>()
    );
}
