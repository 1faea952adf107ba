//! The checker on planted crates: it must find the circles it exists for.
#![allow(clippy::unwrap_used)]

use super::*;

#[test]
fn a_planted_circle_is_found_with_its_path_and_sites() {
    let m = from_sources([
        ("lib.rs", "pub mod a; pub mod b; pub mod c;"),
        ("a.rs", "use crate::b::Thing;\n"),
        ("b.rs", "// one\n\npub fn f() { crate::c::g() }\n"),
        ("c.rs", "use crate::{x, a::Back};\n"),
    ]);
    let cycles = m.cycles();
    assert_eq!(cycles.len(), 1, "{}", m.report());
    assert_eq!(cycles[0].path, ["a", "b", "c", "a"]);
    let sites: Vec<String> = cycles[0].sites.iter().map(Site::to_string).collect();
    assert_eq!(sites, ["a.rs:1", "b.rs:3", "c.rs:1"]);
    assert_eq!(
        m.report(),
        "import circle: a -> b -> c -> a\n  a -> b at a.rs:1\n  b -> c at b.rs:3\n  c -> a at c.rs:1"
    );
}

#[test]
fn a_one_way_crate_has_no_circle() {
    let m = from_sources([
        ("lib.rs", "pub mod a; pub mod b;"),
        ("a.rs", "use crate::b::Thing;"),
        ("b.rs", "pub struct Thing;"),
    ]);
    assert!(m.arrow("a", "b").is_some());
    assert!(m.cycles().is_empty());
    assert_eq!(m.report(), "");
}

#[test]
fn folder_modules_super_paths_and_root_names_are_followed() {
    let m = from_sources([
        (
            "lib.rs",
            "pub mod run; pub mod paper;\npub use run::{Options, start};\n",
        ),
        ("run.rs", "mod send;\npub struct Options;"),
        // Inside `run`: `super::` stays in run; climbing out reaches paper.
        (
            "run/send.rs",
            "use super::Options;\nuse super::super::paper::Setup;",
        ),
        // `crate::Options` is run's, through the root's `use`.
        ("paper/mod.rs", "pub struct Setup(crate::Options);"),
    ]);
    assert_eq!(m.modules().collect::<Vec<_>>(), ["paper", "run"]);
    assert_eq!(
        m.arrow("run", "paper").unwrap().to_string(),
        "run/send.rs:2"
    );
    assert_eq!(
        m.arrow("paper", "run").unwrap().to_string(),
        "paper/mod.rs:1"
    );
    assert_eq!(m.cycles()[0].path, ["paper", "run", "paper"]);
}

#[test]
fn tests_comments_and_strings_are_not_arrows() {
    let m = from_sources([
        ("lib.rs", "pub mod a; pub mod b;"),
        ("b.rs", "pub fn f() {}"),
        (
            "a.rs",
            "//! see crate::b\nfn f() { let s = \"crate::b\"; }\n\
             #[cfg(test)]\n#[allow(clippy::unwrap_used)]\nmod tests { use crate::b::f; }\n\
             #[cfg(test)]\nuse crate::b::f;\n#[cfg(test)]\nmod more;\n",
        ),
        ("a/more.rs", "use crate::b::f;"),
        ("b/inner.rs", "fn g() { crate::a::h() }"),
    ]);
    assert!(m.arrow("a", "b").is_none(), "{:?}", m.arrow("a", "b"));
    assert!(m.arrow("b", "a").is_some());
    assert!(m.cycles().is_empty());
}

#[test]
fn two_separate_circles_are_both_reported() {
    let m = from_sources([
        ("a.rs", "use crate::b::X;"),
        ("b.rs", "use crate::a::X;"),
        ("c.rs", "use crate::d::X; use crate::a::Y;"),
        ("d.rs", "use crate::c::X;"),
    ]);
    let paths: Vec<Vec<String>> = m.cycles().into_iter().map(|c| c.path).collect();
    assert_eq!(paths, [vec!["a", "b", "a"], vec!["c", "d", "c"]]);
}

#[test]
fn an_empty_folder_is_an_error_not_a_pass() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("bin")).unwrap();
    std::fs::write(dir.path().join("bin/tool.rs"), "fn main() {}").unwrap();
    let err = scan(dir.path()).unwrap_err();
    assert!(matches!(err, LayersError::Empty(_)), "{err}");
}
