//! Every documented WebSocket example (copied from shared/bybit-examples/ws so a clean clone of
//! the crate still tests) parses with its type, serializes back to a part of itself (no field we
//! read or write is missing from Bybit's example, no value changes), and round-trips.

mod common;

use std::path::{Path, PathBuf};

use common::json_files;

use mm_bybit::ws::{ClientRequest, StreamMessage};
use serde_json::Value;

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/ws")
}

/// `ours` is a part of `theirs`: every key of every object in `ours` is in `theirs` with the
/// same value (arrays element by element).
fn within(ours: &Value, theirs: &Value, path: &str) -> Result<(), String> {
    match (ours, theirs) {
        (Value::Object(o), Value::Object(t)) => o.iter().try_for_each(|(k, v)| {
            let p = format!("{path}.{k}");
            let t = t.get(k).ok_or_else(|| format!("{p}: not in the example"))?;
            within(v, t, &p)
        }),
        (Value::Array(o), Value::Array(t)) if o.len() == t.len() => o
            .iter()
            .zip(t)
            .enumerate()
            .try_for_each(|(i, (o, t))| within(o, t, &format!("{path}[{i}]"))),
        _ if ours == theirs => Ok(()),
        _ => Err(format!("{path}: ours {ours}, the example's {theirs}")),
    }
}

/// The variant each example must parse as, named by its file.
fn expected_variant(stem: &str) -> Option<&'static str> {
    let table = [
        ("auth_reply", "Reply"),
        ("subscribe_reply", "Reply"),
        ("pong_", "Reply"),
        ("orderbook_", "Orderbook"),
        ("tickers_", "Ticker"),
        ("public_trade_", "PublicTrade"),
        ("order_", "Order"),
        ("execution_", "Execution"),
        ("position_", "Position"),
        ("wallet", "Wallet"),
        ("auth_request", "Auth"),
        ("subscribe_request", "Subscribe"),
        ("unsubscribe_request", "Unsubscribe"),
    ];
    table
        .iter()
        .find(|(prefix, _)| stem.starts_with(prefix))
        .map(|(_, v)| *v)
}

fn variant_of(m: &StreamMessage) -> &'static str {
    match m {
        StreamMessage::Reply(_) => "Reply",
        StreamMessage::Orderbook(_) => "Orderbook",
        StreamMessage::Ticker(_) => "Ticker",
        StreamMessage::PublicTrade(_) => "PublicTrade",
        StreamMessage::Order(_) => "Order",
        StreamMessage::Execution(_) => "Execution",
        StreamMessage::Position(_) => "Position",
        StreamMessage::Wallet(_) => "Wallet",
    }
}

fn request_variant(r: &ClientRequest) -> &'static str {
    match r {
        ClientRequest::Subscribe(_) => "Subscribe",
        ClientRequest::Unsubscribe(_) => "Unsubscribe",
        ClientRequest::Ping(_) => "Ping",
        ClientRequest::Auth(_) => "Auth",
    }
}

/// Parses one example with the type its name calls for and checks it against itself.
fn check_example(name: &str, json: &str) -> Result<(), String> {
    let stem = name.trim_end_matches(".json");
    let want = expected_variant(stem)
        .ok_or_else(|| format!("no wire type for {name:?}: add one to expected_variant"))?;
    let theirs: Value = serde_json::from_str(json).map_err(|e| e.to_string())?;
    let (got, ours) = if stem.contains("_request") {
        let r = ClientRequest::parse(json).map_err(|e| e.to_string())?;
        let back = ClientRequest::parse(&r.to_json()).map_err(|e| e.to_string())?;
        if back != r {
            return Err("does not round-trip".into());
        }
        (request_variant(&r), serde_json::to_value(&r))
    } else {
        let m = StreamMessage::parse(json).map_err(|e| e.to_string())?;
        let back = StreamMessage::parse(&m.to_json()).map_err(|e| e.to_string())?;
        if back != m {
            return Err("does not round-trip".into());
        }
        if let StreamMessage::Reply(r) = &m
            && !r.is_success()
        {
            return Err("documented reply is not a success".into());
        }
        (variant_of(&m), serde_json::to_value(&m))
    };
    if got != want {
        return Err(format!("parsed as {got}, expected {want}"));
    }
    within(&ours.map_err(|e| e.to_string())?, &theirs, "")
}

/// Order entry (`trade_*`) examples belong to the trade stream, tested with its types.
fn is_trade_stream(name: &str) -> bool {
    name.starts_with("trade_")
}

/// Every copied example is covered (the list is the folder, not a hand-written one).
#[test]
fn every_ws_fixture_parses_and_stays_within_the_example() {
    let names = json_files(&fixtures());
    assert!(names.len() >= 25, "{names:?}");
    for name in names.iter().filter(|n| !is_trade_stream(n)) {
        let json = std::fs::read_to_string(fixtures().join(name)).expect("readable");
        check_example(name, &json).unwrap_or_else(|e| panic!("{name}: {e}"));
    }
}

/// When shared/bybit-examples/ws sits beside the checkout, every example there has a
/// byte-identical copy in tests/fixtures/ws and passes: a new example or a drifted copy fails.
#[test]
fn ws_fixtures_match_the_shared_examples() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let shared = root.join("../shared/bybit-examples/ws");
    if !shared.is_dir() {
        eprintln!("SKIP: {} not found", shared.display());
        return;
    }
    let names = json_files(&shared);
    assert!(!names.is_empty(), "{} is empty", shared.display());
    for name in names.iter().filter(|n| !is_trade_stream(n)) {
        let original = std::fs::read(shared.join(name)).expect("readable");
        let copy = std::fs::read(fixtures().join(name))
            .unwrap_or_else(|e| panic!("{name}: no copy in bybit/tests/fixtures/ws ({e})"));
        assert!(
            original == copy,
            "{name}: the copy differs from the shared example"
        );
        let json = String::from_utf8(copy).expect("UTF-8");
        check_example(name, &json).unwrap_or_else(|e| panic!("{name}: {e}"));
    }
}

#[test]
fn the_subset_check_catches_an_invented_or_changed_field() {
    let theirs: Value = serde_json::json!({"a": "1", "b": [{"c": 2}]});
    assert!(within(&serde_json::json!({"a": "1"}), &theirs, "").is_ok());
    assert!(within(&serde_json::json!({"z": "1"}), &theirs, "").is_err());
    assert!(within(&serde_json::json!({"a": "2"}), &theirs, "").is_err());
    assert!(within(&serde_json::json!({"b": [{"c": 3}]}), &theirs, "").is_err());
    assert!(check_example("kline_linear.json", "{}").is_err());
}
