//! The README's configuration block is the truth about defaults: parsed,
//! it must be exactly `Config::default()`, so every key it lists as a
//! default really is one (a file that sets only `[exchange]` runs as the
//! README says).
#![allow(clippy::unwrap_used)]

use mm_core::config::Config;

/// The first ```toml block of the README's "## Configuration" section.
fn readme_block() -> String {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../README.md");
    let readme = std::fs::read_to_string(path).unwrap();
    let section = readme
        .split("\n## Configuration")
        .nth(1)
        .expect("README has a '## Configuration' section");
    let section = section.split("\n## ").next().unwrap();
    let block = section
        .split("```toml\n")
        .nth(1)
        .expect("the section has a ```toml block");
    block.split("\n```").next().unwrap().to_string()
}

#[test]
fn the_readme_configuration_block_is_the_default_config() {
    let block = readme_block();
    let parsed = Config::from_toml_str(&block)
        .unwrap_or_else(|e| panic!("the README's config block does not parse:\n{e}\n{block}"));
    assert_eq!(parsed, Config::default(), "README block:\n{block}");
}

#[test]
fn the_readme_block_is_found_and_is_not_empty() {
    let block = readme_block();
    for section in [
        "[exchange]",
        "[quoting]",
        "[async_batch]",
        "[rate_limits]",
        "[metrics]",
    ] {
        assert!(block.contains(section), "{section} in:\n{block}");
    }
}
