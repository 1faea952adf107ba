//! Core names the Bybit retCodes its decisions read (`mm_core::retcode`)
//! without depending on `mm-bybit`; this holds the two to the same names
//! and values, reading bybit's source text as `layers` does.
#![allow(clippy::unwrap_used)]

use std::collections::BTreeMap;
use std::path::Path;

/// `pub const NAME: i64 = VALUE;` lines of bybit's retcode module.
fn bybit_codes() -> BTreeMap<String, i64> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../bybit/src/retcode.rs");
    let text = std::fs::read_to_string(&path).unwrap();
    text.lines()
        .filter_map(|l| {
            let rest = l.trim().strip_prefix("pub const ")?;
            let (name, rest) = rest.split_once(": i64 = ")?;
            let value = rest.strip_suffix(';')?.replace('_', "").parse().ok()?;
            Some((name.to_string(), value))
        })
        .collect()
}

#[test]
fn core_retcodes_are_bybits_names_and_values() {
    let bybit = bybit_codes();
    assert!(bybit.len() > 20, "read {bybit:?}");
    for &(name, value) in mm_core::retcode::ALL {
        assert_eq!(
            bybit.get(name),
            Some(&value),
            "{name} = {value}: mm-bybit names it differently or not at all"
        );
    }
}
