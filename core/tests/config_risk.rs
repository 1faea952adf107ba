//! `[risk]` parses one value or a table per symbol, keeps every key through
//! the journal's TOML, and names the key of every problem.
#![allow(clippy::unwrap_used)]

use mm_core::Decimal;
use mm_core::config::{Config, PerSymbol};

fn problems(text: &str) -> String {
    Config::from_toml_str(text).unwrap_err().to_string()
}

#[test]
fn absent_means_no_limit() {
    let c = Config::from_toml_str("[exchange]\nkind = \"sim\"\n").unwrap();
    assert_eq!(*c.risk, mm_core::config::RiskConfig::default());
    assert!(c.risk.max_position.is_none() && c.risk.price_band_bps.is_none());
}

#[test]
fn one_value_or_one_per_symbol_and_through_the_journal_text() {
    let c = Config::from_toml_str(
        "[risk]\nmax_position = \"0.01\"\nmax_open_orders = { BTCUSDT = 6 }\nprice_band_bps = 40\nmax_mid_jump_bps = 100\n\n[risk.max_notional]\nETHUSDT = \"500.5\"\n",
    )
    .unwrap();
    let d = |s: &str| s.parse::<Decimal>().unwrap();
    assert_eq!(c.risk.max_position, Some(PerSymbol::All(d("0.01"))));
    assert_eq!(
        c.risk.max_position.as_ref().unwrap().for_symbol("XRPUSDT"),
        Some(d("0.01"))
    );
    let n = c.risk.max_notional.as_ref().unwrap();
    assert_eq!(
        (n.for_symbol("ETHUSDT"), n.for_symbol("BTCUSDT")),
        (Some(d("500.5")), None)
    );
    assert_eq!(
        c.risk
            .max_open_orders
            .as_ref()
            .unwrap()
            .for_symbol("BTCUSDT"),
        Some(6)
    );
    assert_eq!(
        (c.risk.price_band_bps, c.risk.max_mid_jump_bps),
        (Some(40), Some(100))
    );
    assert_eq!(Config::from_toml_str(&c.to_toml_string()).unwrap(), c);
}

#[test]
fn a_float_or_a_bad_value_names_the_key() {
    let text = problems("[risk]\nmax_position = 0.01\n");
    assert!(
        text.contains("risk.max_position") && text.contains("decimal in a string"),
        "{text}"
    );
    let text = problems("[risk]\nmax_open_orders = \"many\"\n");
    assert!(text.contains("risk.max_open_orders"), "{text}");
    let text = problems("[risk]\nmax_loss_pct = 3\n");
    assert!(
        text.contains("risk.max_loss_pct") && text.contains("is not a known key"),
        "{text}"
    );
}

#[test]
fn rules_name_every_problem() {
    let e = Config::from_toml_str(
        "[risk]\nmax_position = { BTCUSDT = \"0\", DOGEUSDT = \"1\" }\nmax_order_qty = \"-1\"\nmax_open_orders = 0\nprice_band_bps = 5\nmax_mid_jump_bps = 10001\n",
    )
    .unwrap_err();
    let text = e.to_string();
    for want in [
        "risk.max_position = 0 for BTCUSDT must be positive",
        "risk.max_position names DOGEUSDT, which is not in quoting.symbols",
        "risk.max_order_qty = -1 must be positive",
        "risk.max_open_orders = 0 must be between 1 and 100000",
        "risk.max_mid_jump_bps = 10001 must be between 1 and 10000",
        "risk.price_band_bps = 5 must exceed half of quoting.spread_bps = 10",
    ] {
        assert!(text.contains(want), "{want} in:\n{text}");
    }
    assert_eq!(e.problems.len(), 6, "{text}");
}

#[test]
fn skew_defaults_to_none_and_refuses_a_negative_rate() {
    let c = Config::from_toml_str("[quoting]\nskew_bps_per_unit = \"2.5\"\nmax_skew_bps = 30\n")
        .unwrap();
    assert_eq!(
        (
            c.quoting.skew_bps_per_unit.to_string(),
            c.quoting.max_skew_bps
        ),
        ("2.5".to_string(), 30)
    );
    assert!(Config::default().quoting.skew_bps_per_unit.is_zero());
    let text = problems("[quoting]\nskew_bps_per_unit = \"-1\"\nmax_skew_bps = 1001\n");
    assert!(
        text.contains("quoting.skew_bps_per_unit = -1 must not be negative"),
        "{text}"
    );
    assert!(
        text.contains("quoting.max_skew_bps = 1001 must be between 0 and 1000"),
        "{text}"
    );
}

#[test]
fn kill_switch_keys_parse_and_are_checked() {
    let c =
        Config::from_toml_str("[risk]\nmax_loss = \"50.5\"\nmax_fills_per_minute = 120\n").unwrap();
    assert_eq!(c.risk.max_loss, Some("50.5".parse().unwrap()));
    assert_eq!(c.risk.max_fills_per_minute, Some(120));
    assert_eq!(Config::from_toml_str(&c.to_toml_string()).unwrap(), c);
    let text = problems("[risk]\nmax_loss = \"0\"\nmax_fills_per_minute = 0\n");
    assert!(
        text.contains("risk.max_loss = 0 must be positive"),
        "{text}"
    );
    assert!(
        text.contains("risk.max_fills_per_minute = 0 must be between 1 and 1000000"),
        "{text}"
    );
}
