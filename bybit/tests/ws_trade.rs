//! The trade stream (`/v5/trade`): requests built from the REST bodies give Bybit's documented
//! shapes, replies read the values order management needs, and failures say why.

mod common;

use common::{ws_example, ws_value};
use mm_bybit::ws::trade::{
    TradeCall, TradeHeader, TradeMessage, TradeReply, TradeReplyHeader, TradeRequest,
};
use mm_bybit::ws::{AuthRequest, WsError};
use mm_bybit::{
    AmendOrder, BatchRequest, CancelOrder, Category, OrderType, PlaceOrder, RateLimitStatus, Side,
    TimeInForce, retcode,
};
use serde_json::Value;

fn order(link: Option<&str>, qty: &str, price: &str, tif: TimeInForce) -> PlaceOrder {
    PlaceOrder {
        category: None,
        symbol: "SOLUSDT".into(),
        side: Side::Buy,
        order_type: OrderType::Limit,
        qty: qty.into(),
        price: Some(price.into()),
        time_in_force: Some(tif),
        order_link_id: link.map(Into::into),
        position_idx: None,
    }
}

#[test]
fn create_request_gives_the_documented_shape() {
    let mut header = TradeHeader::new(1_711_001_595_207, 8000);
    header.referer = Some("bot-001".into());
    let body = PlaceOrder {
        category: Some(Category::Linear),
        symbol: "ETHUSDT".into(),
        ..order(None, "0.2", "2800", TimeInForce::PostOnly)
    };
    let req = TradeRequest::create("test-005".into(), header, body);
    let json: Value = serde_json::from_str(&req.to_json()).expect("json");
    assert_eq!(json, ws_value("trade_order_create_request.json"));
    let Ok(TradeCall::Create(parsed)) = TradeCall::parse(&req.to_json()) else {
        panic!("parses back");
    };
    assert_eq!(parsed, req);
    assert_eq!(parsed.header.timestamp_ms(), Some(1_711_001_595_207));
    assert_eq!(parsed.header.recv_window_ms(), Some(8000));
}

#[test]
fn batch_request_gives_the_documented_shape() {
    let mut req = TradeRequest::create_batch(
        "unused".into(),
        TradeHeader::new(1_740_453_381_256, 1000),
        BatchRequest {
            category: Category::Linear,
            request: vec![
                order(Some("-batch-000"), "10", "500", TimeInForce::Gtc),
                order(Some("batch-001"), "20", "1000", TimeInForce::Gtc),
                order(Some("batch-002"), "30", "1500", TimeInForce::Gtc),
            ],
        },
    );
    req.req_id = None; // the documented example sends none
    let json: Value = serde_json::from_str(&req.to_json()).expect("json");
    assert_eq!(json, ws_value("trade_create_batch_request.json"));
    let Ok(call) = TradeCall::parse(&ws_example("trade_create_batch_request.json")) else {
        panic!("parses");
    };
    assert_eq!(call, TradeCall::CreateBatch(req));
    assert_eq!(call.req_id(), None);
}

#[test]
fn amend_and_cancel_requests_carry_the_rest_bodies() {
    let header = TradeHeader::new(1, 5000);
    let amend = AmendOrder {
        category: Some(Category::Linear),
        symbol: "BTCUSDT".into(),
        order_link_id: Some("s-1".into()),
        price: Some("100.5".into()),
        ..AmendOrder::default()
    };
    let cancel = CancelOrder {
        category: Some(Category::Linear),
        symbol: "BTCUSDT".into(),
        order_link_id: Some("s-2".into()),
        ..CancelOrder::default()
    };
    let batch = |items: Vec<CancelOrder>| BatchRequest {
        category: Category::Spot,
        request: items,
    };
    let calls = [
        TradeCall::Amend(TradeRequest::amend(
            "r1".into(),
            header.clone(),
            amend.clone(),
        )),
        TradeCall::Cancel(TradeRequest::cancel(
            "r2".into(),
            header.clone(),
            cancel.clone(),
        )),
        TradeCall::AmendBatch(TradeRequest::amend_batch(
            "r3".into(),
            header.clone(),
            BatchRequest {
                category: Category::Linear,
                request: vec![AmendOrder {
                    category: None,
                    ..amend
                }],
            },
        )),
        TradeCall::CancelBatch(TradeRequest::cancel_batch(
            "r4".into(),
            header.clone(),
            batch(vec![CancelOrder {
                category: None,
                ..cancel
            }]),
        )),
    ];
    let ops = [
        "order.amend",
        "order.cancel",
        "order.amend-batch",
        "order.cancel-batch",
    ];
    for (call, op) in calls.iter().zip(ops) {
        let json = call.to_json();
        let v: Value = serde_json::from_str(&json).expect("json");
        assert_eq!(v["op"], op);
        assert_eq!(v["header"]["X-BAPI-RECV-WINDOW"], "5000");
        assert_eq!(&TradeCall::parse(&json).expect("parses"), call, "{op}");
    }
    assert_eq!(calls[0].req_id(), Some("r1"));
    let v: Value = serde_json::from_str(&calls[3].to_json()).expect("json");
    assert_eq!(v["args"][0]["category"], "spot");
    assert_eq!(v["args"][0]["request"][0]["orderLinkId"], "s-2");
}

#[test]
fn bad_requests_are_refused_with_bybits_codes() {
    let two_args = r#"{"reqId":"r","header":{"X-BAPI-TIMESTAMP":"1"},"op":"order.cancel",
        "args":[{"category":"linear","symbol":"X"},{"category":"linear","symbol":"Y"}]}"#;
    let e = TradeCall::parse(two_args).expect_err("two args");
    assert_eq!(
        (e.ret_code, e.req_id.as_deref()),
        (retcode::PARAMS_ERROR, Some("r"))
    );
    assert!(e.to_string().contains("2 requests"), "{e}");
    let no_header =
        r#"{"reqId":"r","op":"order.cancel","args":[{"category":"linear","symbol":"X"}]}"#;
    assert_eq!(
        TradeCall::parse(no_header).expect_err("header").ret_code,
        retcode::PARAMS_ERROR
    );
    let bad_op =
        r#"{"reqId":"r","header":{"X-BAPI-TIMESTAMP":"1"},"op":"order.replace","args":[]}"#;
    let e = TradeCall::parse(bad_op).expect_err("unknown op");
    assert_eq!(e.ret_code, retcode::BAD_OP);
    assert_eq!(e.error, WsError::UnknownOp("order.replace".into()));
    assert_eq!(
        TradeCall::parse("[").expect_err("not json").ret_code,
        retcode::PARAMS_ERROR
    );
    let bad_window = TradeHeader {
        recv_window: Some("5s".into()),
        ..TradeHeader::new(1, 1)
    };
    assert_eq!(bad_window.recv_window_ms(), None);
    let default_window = TradeHeader {
        recv_window: None,
        ..TradeHeader::new(1, 1)
    };
    assert_eq!(default_window.recv_window_ms(), Some(5000));
}

#[test]
fn single_reply_reads_like_the_rest_reply() {
    let Ok(TradeMessage::Order(r)) =
        TradeMessage::parse(&ws_example("trade_order_create_response.json"))
    else {
        panic!("parses as an order reply");
    };
    assert_eq!(
        (r.req_id.as_deref(), r.op.as_str()),
        (Some("test-005"), "order.create")
    );
    assert!(r.is_ok());
    assert_eq!(r.conn_id, "cnt5leec0hvan15eukcg-2v");
    let header = r.header.clone().expect("sent");
    assert_eq!(
        header.rate_limit(),
        Some(RateLimitStatus {
            limit: 10,
            remaining: 9,
            reset_ms: 1_711_001_595_208
        })
    );
    assert_eq!(header.trace_id(), Some("38b7977b430f9bd228f4b19724794dfd"));
    assert_eq!(
        header.get("traceid"),
        header.get("TraceId"),
        "read case-insensitively"
    );
    let rest = r.into_response();
    assert_eq!(rest.result.order_id, "a4c1718e-fe53-4659-a118-1f6ecce04ad9");
    assert_eq!(rest.time, 1_711_001_595_209);
    assert!(rest.ret_ext_info.list.is_empty());
}

#[test]
fn batch_reply_keeps_every_item_outcome() {
    let Ok(TradeMessage::CreateBatch(r)) =
        TradeMessage::parse(&ws_example("trade_create_batch_response.json"))
    else {
        panic!("parses as a create-batch reply");
    };
    assert!(r.is_ok(), "accepted although every item failed");
    assert_eq!(r.req_id, None);
    let rest = r.into_response();
    assert_eq!(rest.result.list.len(), 3);
    assert_eq!(rest.ret_ext_info.list.len(), 3);
    assert!(
        rest.ret_ext_info
            .list
            .iter()
            .all(|i| i.code == retcode::PARAMS_ERROR)
    );
    assert_eq!(rest.result.list[0].order_link_id, "batch-000");
    assert_eq!(rest.result.list[0].order_id, "");
    assert_eq!(rest.time, 1_740_453_408_556);
    let amend = r#"{"reqId":"a","retCode":0,"retMsg":"OK","op":"order.amend-batch",
        "data":{"list":[{"category":"linear","symbol":"X","orderId":"1","orderLinkId":"l"}]},
        "retExtInfo":{"list":[{"code":0,"msg":"OK"}]},"connId":"c"}"#;
    let Ok(TradeMessage::Batch(b)) = TradeMessage::parse(amend) else {
        panic!("parses as a batch reply");
    };
    assert_eq!(b.data.expect("sent").list[0].order_id, "1");
}

#[test]
fn error_replies_parse_with_empty_data() {
    let refused = r#"{"reqId":"r9","retCode":10404,"retMsg":"op not supported","op":"order.create","data":{},"retExtInfo":{},"connId":"c"}"#;
    let Ok(TradeMessage::Order(r)) = TradeMessage::parse(refused) else {
        panic!("parses");
    };
    assert!(!r.is_ok());
    assert_eq!(r.ret_code, retcode::BAD_OP);
    let rest = r.into_response();
    assert_eq!(rest.result.order_id, "");
    assert_eq!(rest.time, 0, "no header, no server time");
    let null_data = r#"{"reqId":"r","retCode":10019,"retMsg":"restarting","op":"order.cancel","data":null,"connId":"c"}"#;
    let Ok(m) = TradeMessage::parse(null_data) else {
        panic!("null data parses");
    };
    assert_eq!(m.req_id(), Some("r"));
    let legacy = r#"{"success":false,"ret_msg":"Params Error","op":"order.create","conn_id":"c"}"#;
    let Ok(TradeMessage::Legacy(l)) = TradeMessage::parse(legacy) else {
        panic!("legacy dialect parses");
    };
    assert_eq!(l.error().as_deref(), Some("Params Error"));
    assert_eq!(
        TradeMessage::parse(r#"{"retCode":0,"op":"order.replace"}"#),
        Err(WsError::UnknownOp("order.replace".into()))
    );
    assert!(matches!(TradeMessage::parse("{"), Err(WsError::Json(_))));
}

#[test]
fn server_replies_give_the_documented_shapes() {
    let pong = TradeReply::pong("cnt5leec0hvan15eukcg-2v", 1_711_002_002_529);
    assert_eq!(
        serde_json::to_value(&pong).expect("json"),
        ws_value("trade_pong.json")
    );
    let auth = TradeReply::auth("cnt5leec0hvan15eukcg-2t", None);
    assert_eq!(
        serde_json::to_value(&auth).expect("json"),
        ws_value("trade_auth_reply.json")
    );
    let refused = TradeReply::auth(
        "c",
        Some((retcode::SIGN_ERROR, "Signature verification failed")),
    );
    assert!(!refused.is_ok());
    let Ok(TradeMessage::Auth(back)) = TradeMessage::parse(&refused.to_json()) else {
        panic!("parses back");
    };
    assert_eq!(back, refused);

    let rate = RateLimitStatus {
        limit: 10,
        remaining: 9,
        reset_ms: 1_711_001_595_208,
    };
    let header = TradeReplyHeader::new(rate, "38b7977b430f9bd228f4b19724794dfd", 1_711_001_595_209);
    let reply = TradeReply {
        req_id: Some("test-005".into()),
        ret_code: 0,
        ret_msg: "OK".into(),
        op: "order.create".into(),
        data: Some(mm_bybit::OrderAck {
            order_id: "a4c1718e-fe53-4659-a118-1f6ecce04ad9".into(),
            order_link_id: String::new(),
        }),
        ret_ext_info: Some(Default::default()),
        header: Some(header),
        conn_id: "cnt5leec0hvan15eukcg-2v".into(),
    };
    assert_eq!(
        serde_json::to_value(&reply).expect("json"),
        ws_value("trade_order_create_response.json")
    );
}

#[test]
fn trade_auth_and_ping_requests_parse() {
    let Ok(TradeCall::Auth(a)) = TradeCall::parse(&ws_example("trade_auth_request.json")) else {
        panic!("auth parses");
    };
    assert_eq!((a.api_key(), a.expires_ms()), ("XXXXXX", 1_711_010_121_452));
    let built = AuthRequest::new(None, "XXXXXX", "secret", 1_711_010_121_452);
    let v: Value = serde_json::from_str(&TradeCall::Auth(built).to_json()).expect("json");
    assert_eq!(v["op"], "auth");
    assert!(v.get("req_id").is_none());
    assert!(matches!(
        TradeCall::parse(&ws_example("trade_ping_request.json")),
        Ok(TradeCall::Ping(_))
    ));
}
