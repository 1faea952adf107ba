//! The config survives every road it travels: TOML file, journal frame.
#![allow(clippy::unwrap_used)]

use mm_core::config::{Config, OrderQty, Orphans, ShutdownCancel};
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
        config: Box::new(sample()),
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

#[test]
fn every_problem_at_once_unknown_keys_types_and_rules() {
    // Two typos, a type error and a rule violation: four problems, each
    // named; the rules ran although the keys were wrong.
    let text = "\
[quoting]
levles = 3
levels = 0
order_qty = \"1\"
tick_interval_ms = \"fast\"
[async_batch]
max_batchsize = 5
";
    let err = Config::from_toml_str(text).unwrap_err();
    let got: Vec<String> = err.problems.iter().map(ToString::to_string).collect();
    assert_eq!(
        got,
        vec![
            "config: async_batch.max_batchsize is not a known key (allowed here: coalesce_amend, coalesce_cancel, coalesce_place, coalesce_scope, enabled, max_batch_size, max_parallel_symbols, place_with_cancel, tick_deadline_ms)",
            "config: quoting.levles is not a known key (allowed here: levels, max_book_age_ms, max_deviation_bps, max_quote_age_ms, max_skew_bps, order_qty, reprice, reprice_tolerance_bps, skew_bps_per_unit, source, spread_bps, step_bps, symbols, tick_interval_ms)",
            "config: quoting.tick_interval_ms = \"fast\" is not valid: invalid type: string \"fast\", expected u64",
            "config: quoting.levels = 0 must be between 1 and 50",
        ],
    );
}

#[test]
fn unknown_sections_and_syntax_errors_are_named() {
    let err = Config::from_toml_str(
        "[quotng]\nlevels = 3\n[quoting]\norder_qty = \"1\"\n[metrics]\naddr = 5\n",
    )
    .unwrap_err();
    let got: Vec<String> = err.problems.iter().map(ToString::to_string).collect();
    assert_eq!(
        got,
        vec![
            "config: metrics.addr = 5 is not valid: invalid type: integer `5`, expected a string",
            "config: quotng is not a known key (allowed here: async_batch, exchange, journal, metrics, quoting, rate_limits, recovery, risk, shutdown)",
        ]
    );
    // A syntax error stops the reading: one problem, where it is.
    let err = Config::from_toml_str("[quoting]\nlevels = 3\nspread_bps = = 4\n").unwrap_err();
    assert_eq!(err.problems.len(), 1);
    let text = err.to_string();
    assert!(
        text.starts_with("config: (TOML line 3, column 14) is not valid TOML:"),
        "{text}"
    );
}

#[test]
fn a_file_with_only_an_exchange_section_runs_on_the_defaults() {
    let config = Config::from_toml_str(
        "[exchange]\nkind = \"bybit\"\nbase_url = \"https://api-testnet.bybit.com\"\n",
    )
    .unwrap();
    let want = Config {
        exchange: config.exchange.clone(),
        ..Config::default()
    };
    assert_eq!(config, want);
    for (symbol, qty) in [
        ("BTCUSDT", "0.001"),
        ("ETHUSDT", "0.01"),
        ("SOLUSDT", "0.1"),
        ("XRPUSDT", "1"),
    ] {
        assert_eq!(
            config.quoting.order_qty.for_symbol(symbol),
            Some(qty.parse().unwrap()),
            "{symbol}"
        );
    }
    assert!(Config::default().validate().is_ok());
}

#[test]
fn recovery_shutdown_and_journal_keys_parse_with_their_defaults() {
    let d = Config::default();
    assert_eq!(d.recovery.orphans, Orphans::Cancel);
    assert_eq!(d.shutdown.cancel, ShutdownCancel::Ours);
    assert_eq!(d.journal.rotate_mb, 0);
    let c = Config::from_toml_str(
        "[recovery]\norphans = \"refuse\"\n[shutdown]\ncancel = \"symbol\"\n[journal]\nrotate_mb = 64\n",
    )
    .unwrap();
    assert_eq!(c.recovery.orphans, Orphans::Refuse);
    assert_eq!(c.shutdown.cancel, ShutdownCancel::Symbol);
    assert_eq!(c.journal.rotate_mb, 64);
    assert_eq!(Config::from_toml_str(&c.to_toml_string()).unwrap(), c);
}

#[test]
fn recovery_shutdown_and_journal_problems_are_named() {
    let err = Config::from_toml_str(
        "[recovery]\norphans = \"ignore\"\n[shutdown]\ncancel = \"all\"\nlater = 1\n[journal]\nrotate_mb = 2000000\n",
    )
    .unwrap_err();
    let got: Vec<String> = err.problems.iter().map(ToString::to_string).collect();
    assert_eq!(
        got,
        vec![
            "config: recovery.orphans = \"ignore\" is not valid: unknown variant `ignore`, expected `cancel` or `refuse`",
            "config: shutdown.cancel = \"all\" is not valid: unknown variant `all`, expected `ours` or `symbol`",
            "config: shutdown.later is not a known key (allowed here: cancel)",
            "config: journal.rotate_mb = 2000000 must be between 0 and 1048576",
        ]
        .into_iter()
        .map(String::from)
        .collect::<Vec<_>>(),
        "{got:#?}"
    );
    let err = Config::from_toml_str("[journal]\nrotate_mb = -1\n").unwrap_err();
    assert!(
        err.to_string()
            .contains("journal.rotate_mb = -1 is not valid"),
        "{err}"
    );
}

#[test]
fn plain_http_only_to_a_loopback_host_judged_on_the_parsed_url() {
    let check = |kind: &str, url: &str| {
        Config::from_toml_str(&format!(
            "[exchange]\nkind = \"{kind}\"\nbase_url = \"{url}\"\n"
        ))
        .map(|_| ())
        .map_err(|e| e.to_string())
    };
    for kind in ["bybit", "sim"] {
        for ok in [
            "https://api.bybit.com",
            "https://api-testnet.bybit.com",
            "http://127.0.0.1:18121",
            "http://127.5.6.7:80",
            "http://localhost/",
            "http://localhost:8080",
            "http://LOCALHOST:8080",
            "http://[::1]:8080",
        ] {
            assert_eq!(check(kind, ok), Ok(()), "{kind} {ok}");
        }
        for bad in [
            "http://127.0.0.1:1@localhost.attacker.example:18121",
            "http://127.0.0.1:1@evil.example:18121",
            "http://127.attacker.example",
            "http://localhost.attacker.example:80",
            "http://10.0.0.1:8080",
            "http://[::2]:8080",
            "https://user:pass@api.bybit.com",
            "https://user@api.bybit.com",
            "http://user@127.0.0.1:8080",
            "ftp://127.0.0.1",
            "not a url",
        ] {
            let err = check(kind, bad).expect_err(bad);
            assert!(
                err.contains("config: exchange.base_url"),
                "{kind} {bad}: {err}"
            );
        }
    }
    let err = check("bybit", "https://user:pass@api.bybit.com").unwrap_err();
    assert!(err.contains("must not carry a user or password"), "{err}");
    let err = check("bybit", "http://127.attacker.example").unwrap_err();
    assert!(
        err.contains("plain http only to a loopback address"),
        "{err}"
    );
}

#[test]
fn planned_reprice_and_its_bound_are_read_and_checked() {
    let c =
        Config::from_toml_str("[quoting]\nreprice = \"planned\"\nmax_deviation_bps = 3\n").unwrap();
    assert_eq!(c.quoting.reprice, mm_core::config::Reprice::Planned);
    assert_eq!(c.quoting.max_deviation_bps, 3);
    assert_eq!(Config::from_toml_str(&c.to_toml_string()).unwrap(), c);
    let problems = |text: &str| -> Vec<String> {
        let err = Config::from_toml_str(text).unwrap_err();
        err.problems.iter().map(ToString::to_string).collect()
    };
    assert_eq!(
        problems("[quoting]\nreprice = \"plan\"\n"),
        vec![
            "config: quoting.reprice = \"plan\" is not valid: unknown variant `plan`, expected one of `cancel_place`, `amend`, `planned`"
        ]
    );
    assert_eq!(
        problems(
            "[quoting]\nreprice = \"planned\"\nreprice_tolerance_bps = 4\nmax_deviation_bps = 2\n"
        ),
        vec![
            "config: quoting.max_deviation_bps = 2 must be at least quoting.reprice_tolerance_bps = 4 with reprice = \"planned\" (an order within tolerance is on target)"
        ]
    );
    assert_eq!(
        problems("[quoting]\nmax_deviation_bps = 0\n"),
        vec!["config: quoting.max_deviation_bps = 0 must be between 1 and 5000"]
    );
    // Unused outside planned mode: a bound below the tolerance is no problem there.
    assert!(
        Config::from_toml_str("[quoting]\nreprice_tolerance_bps = 4\nmax_deviation_bps = 2\n")
            .is_ok()
    );
}
