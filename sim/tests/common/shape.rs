//! Shape comparison against Bybit's documented examples: the recursive set of keys and each
//! value's JSON type, so a missing, extra or mistyped field is reported by its path.
#![allow(dead_code, unreachable_pub)]

use serde_json::Value;

/// Objects whose keys are data (coin names), not field names: only their type is compared.
const DATA_KEYED: [&str; 1] = ["cumFeeDetail"];

/// Arrays that may be empty here although the example shows an element (`extraFees`: only
/// regional taxes fill it).
const MAY_BE_EMPTY: [&str; 1] = ["extraFees"];

fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "bool",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

/// Every difference between the example `want` and `got`, by JSON path.
pub fn differences(want: &Value, got: &Value) -> Vec<String> {
    let mut errs = Vec::new();
    compare("$", want, got, &mut errs);
    errs
}

fn compare(path: &str, want: &Value, got: &Value, errs: &mut Vec<String>) {
    if kind(want) != kind(got) {
        errs.push(format!(
            "{path}: {} in the example, {} here",
            kind(want),
            kind(got)
        ));
        return;
    }
    match (want, got) {
        (Value::Object(w), Value::Object(g)) => {
            if DATA_KEYED.iter().any(|k| path.ends_with(k)) {
                return;
            }
            for k in w.keys().filter(|k| !g.contains_key(*k)) {
                errs.push(format!("{path}.{k}: missing"));
            }
            for k in g.keys().filter(|k| !w.contains_key(*k)) {
                errs.push(format!("{path}.{k}: not in the example"));
            }
            for (k, wv) in w {
                if let Some(gv) = g.get(k) {
                    compare(&format!("{path}.{k}"), wv, gv, errs);
                }
            }
        }
        (Value::Array(w), Value::Array(g)) => {
            let Some(first) = w.first() else { return };
            if g.is_empty() && !MAY_BE_EMPTY.iter().any(|k| path.ends_with(k)) {
                errs.push(format!("{path}: empty here, nothing to compare"));
            }
            for (i, gv) in g.iter().enumerate() {
                compare(&format!("{path}[{i}]"), first, gv, errs);
            }
        }
        _ => {}
    }
}
