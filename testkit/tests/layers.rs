//! No import circles inside a crate: each crate's top-level modules reach
//! each other one way only (`mm_testkit::layers` says what counts). The
//! sources are read from the sibling crate folders, not depended on.
#![allow(clippy::unwrap_used)]

use std::path::Path;

use mm_testkit::layers::{Modules, scan};

/// Scans `<crate>/src`, checks the scan saw the crate (`expect_arrow` is a
/// known import), and fails with every circle and where it is.
fn no_circles(krate: &str, min_modules: usize, expect_arrow: (&str, &str)) -> Modules {
    let src = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .join(krate)
        .join("src");
    let modules = scan(&src).unwrap();
    let names: Vec<&str> = modules.modules().collect();
    assert!(names.len() >= min_modules, "{krate}: read {names:?}");
    let (from, to) = expect_arrow;
    assert!(
        modules.arrow(from, to).is_some(),
        "{krate}: the scan does not see {from} -> {to}"
    );
    assert!(
        modules.cycles().is_empty(),
        "{krate}:\n{}",
        modules.report()
    );
    modules
}

#[test]
fn bybit_has_no_import_circle() {
    no_circles("bybit", 12, ("request", "enums"));
}

#[test]
fn sim_has_no_import_circle() {
    no_circles("sim", 30, ("handler", "dispatch"));
}

#[test]
fn shell_has_no_import_circle() {
    no_circles("shell", 15, ("status", "histogram"));
}

#[test]
fn core_has_no_import_circle() {
    no_circles("core", 10, ("engine", "config"));
}
