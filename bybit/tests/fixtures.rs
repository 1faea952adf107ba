//! Every response example of Bybit's API documentation (copied into tests/fixtures, so a clean
//! clone of the crate tests on its own) parses with the matching type, with the values we rely on checked.

mod common;

use common::json_files;
use mm_bybit::{
    BatchCreateItem, BatchItem, CancelAllResult, Category, InstrumentsResult, ListResult,
    OpenOrdersResult, OrderAck, OrderStatus, Response, ServerTime, Side, TickersResult,
};

fn parse<T: serde::de::DeserializeOwned + Default>(json: &str) -> Response<T> {
    serde_json::from_str(json).expect("documented example parses")
}

#[test]
fn single_order_replies() {
    for (json, id, link) in [
        (
            include_str!("fixtures/create-order-0.json"),
            "1321003749386327552",
            "spot-test-postonly",
        ),
        (
            include_str!("fixtures/amend-order-0.json"),
            "c6f055d9-7f21-4079-913d-e6523a9cfffa",
            "linear-004",
        ),
        (
            include_str!("fixtures/cancel-order-0.json"),
            "c6f055d9-7f21-4079-913d-e6523a9cfffa",
            "linear-004",
        ),
    ] {
        let r: Response<OrderAck> = parse(json);
        assert!(r.is_ok());
        assert_eq!(r.result.order_id, id);
        assert_eq!(r.result.order_link_id, link);
        assert!(r.ret_ext_info.list.is_empty());
        assert!(r.time > 1_600_000_000_000);
    }
}

#[test]
fn batch_place_reply() {
    let r: Response<ListResult<BatchCreateItem>> =
        parse(include_str!("fixtures/batch-place-0.json"));
    assert_eq!(r.result.list.len(), 2);
    assert_eq!(r.ret_ext_info.list.len(), 2);
    assert_eq!(r.result.list[1].symbol, "ATOMUSDT");
    assert_eq!(r.result.list[1].create_at, "1713434102752");
    assert_eq!(r.result.list[0].category, "spot");
}

#[test]
fn batch_amend_reply() {
    let r: Response<ListResult<BatchItem>> = parse(include_str!("fixtures/batch-amend-0.json"));
    assert_eq!(r.result.list.len(), 2);
    assert_eq!(r.result.list[0].order_link_id, "");
    assert!(r.ret_ext_info.list.iter().all(|i| i.code == 0));
}

#[test]
fn batch_cancel_partial_failure() {
    let r: Response<ListResult<BatchItem>> = parse(include_str!("fixtures/batch-cancel-0.json"));
    assert!(r.is_ok());
    assert_eq!(
        r.ret_ext_info.list[1].code,
        mm_bybit::retcode::SPOT_ORDER_NOT_EXISTS
    );
    assert_eq!(r.result.list[1].order_id, "");
    assert_eq!(r.result.list[1].order_link_id, "1666800494330512129");
}

#[test]
fn cancel_all_reply() {
    let r: Response<CancelAllResult> = parse(include_str!("fixtures/cancel-all-0.json"));
    assert_eq!(r.result.success, "1");
    assert_eq!(r.result.list.len(), 2);
    assert_eq!(r.result.list[0].order_id, "1616024329462743808");
}

#[test]
fn open_orders_reply() {
    let r: Response<OpenOrdersResult> = parse(include_str!("fixtures/open-order-0.json"));
    let o = &r.result.list[0];
    assert_eq!(o.side, Side::Buy);
    assert_eq!(o.order_status, OrderStatus::New);
    assert_eq!(o.price, "1600.00");
    assert_eq!(o.leaves_qty, "0.10");
    assert_eq!(o.position_idx, 1);
    assert_eq!(o.reject_reason, "EC_NoError");
    assert_eq!(r.result.category, "linear");
    assert!(r.result.next_page_cursor.starts_with("page_args%3D"));
}

#[test]
fn tickers_replies() {
    for (json, cat, bid) in [
        (
            include_str!("fixtures/tickers-0.json"),
            "inverse",
            "103401.00",
        ),
        (include_str!("fixtures/tickers-1.json"), "option", "0"),
        (include_str!("fixtures/tickers-2.json"), "spot", "20517.96"),
    ] {
        let r: Response<TickersResult> = parse(json);
        assert_eq!(r.result.category, cat);
        assert_eq!(r.result.list[0].bid1_price, bid);
        assert!(!r.result.list[0].ask1_price.is_empty());
    }
}

#[test]
fn instrument_replies() {
    let r: Response<InstrumentsResult> = parse(include_str!("fixtures/instrument-0.json"));
    let i = &r.result.list[0];
    assert_eq!(i.price_filter.tick_size, "5");
    assert_eq!(i.qty_step(), "0.01");
    assert_eq!(i.lot_size_filter.min_order_qty, "0.01");

    // Spot: no nextPageCursor, basePrecision instead of qtyStep.
    let r: Response<InstrumentsResult> = parse(include_str!("fixtures/instrument-1.json"));
    let i = &r.result.list[0];
    assert_eq!(i.price_filter.tick_size, "0.1");
    assert_eq!(i.qty_step(), "0.000001");
    assert_eq!(r.result.next_page_cursor, "");
}

#[test]
fn time_reply() {
    let r: Response<ServerTime> = parse(include_str!("fixtures/time-0.json"));
    assert_eq!(r.result.time_second, "1688639403");
    assert_eq!(r.result.time_nano, "1688639403423213947");
}

#[test]
fn error_replies_with_empty_or_null_result_parse() {
    let r: Response<ListResult<BatchCreateItem>> =
        parse(r#"{"retCode":10001,"retMsg":"params error","result":{},"retExtInfo":{},"time":1}"#);
    assert_eq!(r.ret_code, 10001);
    assert!(r.result.list.is_empty());
    let r: Response<OrderAck> =
        parse(r#"{"retCode":10006,"retMsg":"Too many visits!","result":null,"retExtInfo":null}"#);
    assert_eq!(r.ret_code, 10006);
    assert_eq!(r.result, OrderAck::default());
    let r: Response<OpenOrdersResult> = parse(r#"{"retCode":10002,"retMsg":"expired"}"#);
    assert!(!r.is_ok());
}

#[test]
fn unknown_order_status_does_not_fail_the_reply() {
    let json = r#"{"orderId":"1","symbol":"X","side":"Sell","orderStatus":"SomethingNew"}"#;
    let o: mm_bybit::OpenOrder = serde_json::from_str(json).expect("parses");
    assert_eq!(o.order_status, OrderStatus::Other);
    assert!(!o.order_status.is_open());
    assert_eq!(Category::parse("linear"), Some(Category::Linear));
}

/// Parses one example with the type of its endpoint (named by the file's prefix).
fn parse_example(name: &str, json: &str) -> Result<(), String> {
    fn typed<T: serde::de::DeserializeOwned + Default>(json: &str) -> Result<(), String> {
        let r: Response<T> = serde_json::from_str(json).map_err(|e| e.to_string())?;
        if r.is_ok() {
            Ok(())
        } else {
            Err(format!("retCode {}", r.ret_code))
        }
    }
    let endpoint = name
        .trim_end_matches(".json")
        .rsplit_once('-')
        .map_or(name, |(e, _n)| e);
    match endpoint {
        "create-order" | "amend-order" | "cancel-order" => typed::<OrderAck>(json),
        "batch-place" => typed::<ListResult<BatchCreateItem>>(json),
        "batch-amend" | "batch-cancel" => typed::<ListResult<BatchItem>>(json),
        "cancel-all" => typed::<CancelAllResult>(json),
        "open-order" => typed::<OpenOrdersResult>(json),
        "tickers" => typed::<TickersResult>(json),
        "instrument" => typed::<InstrumentsResult>(json),
        "time" => typed::<ServerTime>(json),
        other => Err(format!("no wire type for endpoint {other:?}: add one here")),
    }
}

/// Every copied fixture parses with its endpoint's type (the list is the folder, not a
/// hand-written one).
#[test]
fn every_fixture_parses() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
    let names = json_files(&dir);
    assert!(!names.is_empty());
    for name in names {
        let json = std::fs::read_to_string(dir.join(&name)).expect("readable");
        parse_example(&name, &json).unwrap_or_else(|e| panic!("{name}: {e}"));
    }
}

/// When the collection of Bybit's examples the copies came from is checked out beside the
/// repository (the path below), every example there has a byte-identical copy in
/// tests/fixtures and parses: a new example there or a drifted copy fails here.
#[test]
fn fixtures_match_the_shared_examples() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let shared = root.join("../shared/bybit-examples");
    if !shared.is_dir() {
        eprintln!("SKIP: {} not found", shared.display());
        return;
    }
    let fixtures = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
    let names = json_files(&shared);
    assert!(!names.is_empty(), "{} is empty", shared.display());
    for name in names {
        let original = std::fs::read(shared.join(&name)).expect("readable");
        let copy = std::fs::read(fixtures.join(&name))
            .unwrap_or_else(|e| panic!("{name}: no copy in bybit/tests/fixtures ({e})"));
        assert!(
            original == copy,
            "{name}: the copy differs from the shared example"
        );
        let json = String::from_utf8(copy).expect("UTF-8");
        parse_example(&name, &json).unwrap_or_else(|e| panic!("{name}: {e}"));
    }
}
