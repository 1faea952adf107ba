//! Configs as flat sorted keys, so a config change reads as the keys it
//! changes.

use std::collections::BTreeMap;

use mm_core::Config;

use super::text::oneline;

/// The config as sorted `dotted.key -> value` pairs (values as TOML writes
/// them), so two configs compare key by key.
pub fn flatten_config(config: &Config) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    match toml::Value::try_from(config) {
        Ok(toml::Value::Table(t)) => flatten("", &t, &mut out),
        Ok(other) => {
            out.insert("(config)".to_string(), oneline(&other.to_string()));
        }
        Err(e) => {
            out.insert(
                "(config)".to_string(),
                format!("cannot be rendered: {}", oneline(&e.to_string())),
            );
        }
    }
    out
}

fn flatten(prefix: &str, table: &toml::Table, out: &mut BTreeMap<String, String>) {
    if table.is_empty() && !prefix.is_empty() {
        out.insert(prefix.to_string(), "{}".to_string());
    }
    for (k, v) in table {
        let key = if prefix.is_empty() {
            k.clone()
        } else {
            format!("{prefix}.{k}")
        };
        match v {
            toml::Value::Table(t) => flatten(&key, t, out),
            v => {
                out.insert(key, oneline(&v.to_string()));
            }
        }
    }
}

/// `key: old -> new` for every key that differs (`(unset)` when absent).
pub(super) fn diff(old: &BTreeMap<String, String>, new: &BTreeMap<String, String>) -> Vec<String> {
    let mut keys: Vec<&String> = old.keys().chain(new.keys()).collect();
    keys.sort();
    keys.dedup();
    keys.into_iter()
        .filter(|k| old.get(*k) != new.get(*k))
        .map(|k| {
            let show = |v: Option<&String>| v.map_or_else(|| "(unset)".to_string(), Clone::clone);
            format!("{k}: {} -> {}", show(old.get(k)), show(new.get(k)))
        })
        .collect()
}
