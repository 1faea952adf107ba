//! Every WebSocket example of Bybit's API documentation (copied into tests/fixtures/ws, so a clean
//! clone of the crate tests on its own) parses with its type, serializes back to a part of itself (no field we
//! read or write is missing from Bybit's example, no value changes), and round-trips.

mod common;

use std::path::Path;

use common::{json_files, ws_fixtures as fixtures};

use mm_bybit::ws::trade::{TradeCall, TradeMessage};
use mm_bybit::ws::{ClientRequest, StreamMessage};
use serde_json::Value;

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
        ("trade_auth_request", "TradeAuth"),
        ("trade_ping_request", "TradePing"),
        ("trade_order_create_request", "TradeCreate"),
        ("trade_create_batch_request", "TradeCreateBatch"),
        ("trade_auth_reply", "AuthReply"),
        ("trade_pong", "PongReply"),
        ("trade_order_create_response", "OrderReply"),
        ("trade_create_batch_response", "CreateBatchReply"),
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

fn trade_call_variant(c: &TradeCall) -> &'static str {
    match c {
        TradeCall::Auth(_) => "TradeAuth",
        TradeCall::Ping(_) => "TradePing",
        TradeCall::Create(_) => "TradeCreate",
        TradeCall::Amend(_) => "TradeAmend",
        TradeCall::Cancel(_) => "TradeCancel",
        TradeCall::CreateBatch(_) => "TradeCreateBatch",
        TradeCall::AmendBatch(_) => "TradeAmendBatch",
        TradeCall::CancelBatch(_) => "TradeCancelBatch",
    }
}

fn trade_message_variant(m: &TradeMessage) -> &'static str {
    match m {
        TradeMessage::Auth(_) => "AuthReply",
        TradeMessage::Pong(_) => "PongReply",
        TradeMessage::Order(_) => "OrderReply",
        TradeMessage::CreateBatch(_) => "CreateBatchReply",
        TradeMessage::Batch(_) => "BatchReply",
        TradeMessage::Legacy(_) => "LegacyReply",
    }
}

/// Parses `json` with `parse`, checks it round-trips, and returns its variant and JSON form.
fn parsed<T: PartialEq + serde::Serialize, E: std::fmt::Display>(
    json: &str,
    parse: impl Fn(&str) -> Result<T, E>,
    variant: fn(&T) -> &'static str,
) -> Result<(&'static str, Value), String> {
    let m = parse(json).map_err(|e| e.to_string())?;
    let text = serde_json::to_string(&m).map_err(|e| e.to_string())?;
    if parse(&text).map_err(|e| e.to_string())? != m {
        return Err("does not round-trip".into());
    }
    Ok((
        variant(&m),
        serde_json::to_value(&m).map_err(|e| e.to_string())?,
    ))
}

/// Parses one example with the type its name calls for and checks it against itself.
fn check_example(name: &str, json: &str) -> Result<(), String> {
    let stem = name.trim_end_matches(".json");
    let want = expected_variant(stem)
        .ok_or_else(|| format!("no wire type for {name:?}: add one to expected_variant"))?;
    let theirs: Value = serde_json::from_str(json).map_err(|e| e.to_string())?;
    let (got, ours) = match (stem.starts_with("trade_"), stem.contains("_request")) {
        (true, true) => parsed(json, TradeCall::parse, trade_call_variant)?,
        (true, false) => {
            let (got, ours) = parsed(json, TradeMessage::parse, trade_message_variant)?;
            if ours.get("retCode").and_then(Value::as_i64) != Some(0) {
                return Err("documented reply is not a success".into());
            }
            (got, ours)
        }
        (false, true) => parsed(json, ClientRequest::parse, request_variant)?,
        (false, false) => {
            if let StreamMessage::Reply(r) =
                StreamMessage::parse(json).map_err(|e| e.to_string())?
                && !r.is_success()
            {
                return Err("documented reply is not a success".into());
            }
            parsed(json, StreamMessage::parse, variant_of)?
        }
    };
    if got != want {
        return Err(format!("parsed as {got}, expected {want}"));
    }
    within(&ours, &theirs, "")
}

/// Every copied example is covered (the list is the folder, not a hand-written one).
#[test]
fn every_ws_fixture_parses_and_stays_within_the_example() {
    let names = json_files(&fixtures());
    assert!(names.len() >= 33, "{names:?}");
    for name in &names {
        let json = std::fs::read_to_string(fixtures().join(name)).expect("readable");
        check_example(name, &json).unwrap_or_else(|e| panic!("{name}: {e}"));
    }
}

/// When the collection of Bybit's examples the copies came from is checked out beside the
/// repository (the path below), every example there has a byte-identical copy in tests/fixtures/ws and passes: a new example or a drifted copy fails.
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
    for name in &names {
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
