//! The config survives every road it travels: TOML file, journal frame.
#![allow(clippy::unwrap_used)]

use mm_core::config::{Config, OrderQty};
use mm_core::{Input, Timestamp};

fn sample() -> Config {
    Config::from_toml_str(
        r#"
        [quoting]
        symbols = ["BTCUSDT", "ETHUSDT"]
        order_qty = { BTCUSDT = "0.001", ETHUSDT = "0.01" }
        [async_batch]
        enabled = false
        "#,
    )
    .unwrap()
}

#[test]
fn toml_text_round_trips() {
    let config = sample();
    assert!(!config.async_batch.enabled);
    assert_eq!(
        Config::from_toml_str(&config.to_toml_string()).unwrap(),
        config
    );
}

#[test]
fn config_change_survives_postcard() {
    let input = Input::ConfigChanged {
        now_ms: Timestamp(7),
        config: sample(),
    };
    let bytes = postcard::to_stdvec(&input).unwrap();
    assert_eq!(postcard::from_bytes::<Input>(&bytes).unwrap(), input);
}

#[test]
fn one_size_for_all_symbols_parses() {
    let config =
        Config::from_toml_str("[quoting]\nsymbols = [\"BTCUSDT\"]\norder_qty = \"0.5\"\n").unwrap();
    assert!(matches!(config.quoting.order_qty, OrderQty::All(_)));
}

#[test]
fn typos_and_floats_are_named() {
    let err = Config::from_toml_str("[async_batch]\nmax_batchsize = 5\n")
        .unwrap_err()
        .to_string();
    assert!(err.contains("max_batchsize"), "{err}");
    let err = Config::from_toml_str("[quoting]\norder_qty = 0.5\n")
        .unwrap_err()
        .to_string();
    assert!(err.contains("decimal in a string"), "{err}");
}

#[test]
fn every_problem_is_reported_with_key_value_and_rule() {
    let err = Config::from_toml_str(
        "[quoting]\nsymbols = []\nlevels = 0\norder_qty = \"1\"\n[async_batch]\nmax_batch_size = 50\n",
    )
    .unwrap_err();
    let text = err.to_string();
    assert!(text.contains("config: quoting.symbols is empty"), "{text}");
    assert!(
        text.contains("config: quoting.levels = 0 must be between 1 and 50"),
        "{text}"
    );
    assert!(
        text.contains("config: async_batch.max_batch_size = 50 must be between 1 and 20"),
        "{text}"
    );
}

#[test]
fn symbols_must_be_plain_bybit_symbols() {
    let long = "A".repeat(33);
    for bad in [
        "BTC USDT",
        "BTCUSDT\\nINFO fake line",
        "btcusdt",
        "",
        long.as_str(),
    ] {
        let text = format!("[quoting]\nsymbols = [\"{bad}\"]\norder_qty = \"1\"\n");
        let err = Config::from_toml_str(&text).unwrap_err().to_string();
        let shown = format!("{:?}", bad.replace("\\n", "\n"));
        assert!(
            err.contains(&format!(
                "config: quoting.symbols contains {shown}, which does not match [A-Z0-9]{{1,32}} (a Bybit symbol)"
            )),
            "{bad}: {err}"
        );
    }
    let ok = "A".repeat(32);
    let text = format!("[quoting]\nsymbols = [\"{ok}\", \"1000PEPEUSDT\"]\norder_qty = \"1\"\n");
    assert!(Config::from_toml_str(&text).is_ok());
}
