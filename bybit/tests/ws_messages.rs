//! The values a market maker reads from each documented stream example, the op-reply
//! constructors against Bybit's documented shapes, and ticker merging.

mod common;

use common::{ws_example, ws_value};
use mm_bybit::ws::{
    ClientRequest, ExecType, OpReply, OpRequest, PositionSide, PushType, StreamMessage, Topic,
    WsError,
};
use mm_bybit::{Category, OrderStatus, Side};

fn parse(name: &str) -> StreamMessage {
    StreamMessage::parse(&ws_example(name)).unwrap_or_else(|e| panic!("{name}: {e}"))
}

#[test]
fn orderbook_values() {
    let StreamMessage::Orderbook(p) = parse("orderbook_snapshot_linear.json") else {
        panic!("not an orderbook push");
    };
    assert_eq!(p.kind, PushType::Snapshot);
    assert_eq!(p.topic, "orderbook.50.BTCUSDT");
    assert_eq!((p.ts, p.cts), (1_672_304_484_978, Some(1_672_304_484_976)));
    assert_eq!((p.data.u, p.data.seq), (18_521_288, 7_961_638_724));
    assert_eq!(p.data.b[1], ("16493.00".to_owned(), "0.100".to_owned()));
    assert_eq!(p.data.a[0].0, "16611.00");
    let StreamMessage::Orderbook(p) = parse("orderbook_delta_linear.json") else {
        panic!("not an orderbook push");
    };
    assert_eq!(p.kind, PushType::Delta);
    assert_eq!(p.data.b[4], ("30240.00".to_owned(), "0".to_owned()));
    assert_eq!(p.data.seq, 66_544_703_342);
}

#[test]
fn ticker_values_per_category() {
    let StreamMessage::Ticker(lin) = parse("tickers_linear.json") else {
        panic!("not a ticker");
    };
    assert_eq!(lin.cs, Some(9_532_239_429));
    assert_eq!(lin.data.bid(), Some(("66666.60", "23789.165")));
    assert_eq!(lin.data.ask(), Some(("66666.70", "23775.469")));
    assert_eq!(lin.data.funding_rate.as_deref(), Some("-0.005"));
    assert_eq!(lin.data.price_24h_pcnt.as_deref(), Some("-0.158315"));
    let StreamMessage::Ticker(fut) = parse("tickers_linear_futures.json") else {
        panic!("not a ticker");
    };
    assert_eq!(fut.data.funding_rate.as_deref(), Some(""));
    assert_eq!(fut.data.basis_rate_year.as_deref(), Some("0.30655351"));
    let StreamMessage::Ticker(opt) = parse("tickers_option.json") else {
        panic!("not a ticker");
    };
    assert!(opt.id.is_some());
    assert_eq!(opt.data.bid(), Some(("0", "0")));
    assert_eq!(opt.data.ask(), Some(("10", "5.1")));
    let StreamMessage::Ticker(spot) = parse("tickers_spot.json") else {
        panic!("not a ticker");
    };
    assert_eq!(spot.data.bid(), None, "spot tickers carry no bid/ask");
    assert_eq!(spot.data.usd_index_price.as_deref(), Some("21120.2400136"));
}

#[test]
fn ticker_delta_changes_only_the_fields_it_carries() {
    let StreamMessage::Ticker(snap) = parse("tickers_linear.json") else {
        panic!("not a ticker");
    };
    let delta = r#"{"topic":"tickers.BTCUSDT","type":"delta","data":{"symbol":"BTCUSDT",
        "bid1Price":"66666.50","bid1Size":"1.5","fundingRate":""},"cs":9532239430,"ts":1760325052730}"#;
    let StreamMessage::Ticker(d) = StreamMessage::parse(delta).expect("parses") else {
        panic!("not a ticker");
    };
    assert_eq!(d.kind, PushType::Delta);
    assert_eq!(d.data.ask1_price, None, "absent, not empty");
    let mut merged = snap.data.clone();
    merged.merge(&d.data);
    assert_eq!(merged.bid(), Some(("66666.50", "1.5")));
    assert_eq!(merged.ask(), snap.data.ask());
    assert_eq!(
        merged.funding_rate.as_deref(),
        Some(""),
        "sent empty replaces"
    );
    assert_eq!(merged.last_price, snap.data.last_price);
    let mut unchanged = snap.data.clone();
    unchanged.bid1_price = Some("66666.50".into());
    unchanged.bid1_size = Some("1.5".into());
    unchanged.funding_rate = Some(String::new());
    assert_eq!(merged, unchanged, "nothing else moved");
}

#[test]
fn public_trade_values() {
    let StreamMessage::PublicTrade(p) = parse("public_trade_linear.json") else {
        panic!("not a public trade");
    };
    let t = &p.data[0];
    assert_eq!(
        (t.side, t.qty.as_str(), t.price.as_str()),
        (Side::Buy, "0.001", "16578.50")
    );
    assert_eq!((t.time, t.seq), (1_672_304_486_865, 1_783_284_617));
}

#[test]
fn order_values() {
    let StreamMessage::Order(p) = parse("order_option.json") else {
        panic!("not an order push");
    };
    assert_eq!(p.creation_time, 1_672_364_262_474);
    let o = &p.data[0];
    assert_eq!(o.order_id, "5cf98598-39a7-459e-97bf-76ca765ee020");
    assert_eq!(o.order_link_id, "");
    assert_eq!((o.side, o.order_status), (Side::Sell, OrderStatus::Filled));
    assert_eq!((o.price.as_str(), o.qty.as_str()), ("72.5", "1"));
    assert_eq!((o.leaves_qty.as_str(), o.cum_exec_qty.as_str()), ("", "1"));
    assert_eq!(o.avg_price, "75");
    assert_eq!(o.reject_reason, "EC_NoError");
    assert_eq!(o.cancel_type, "UNKNOWN");
    assert_eq!(o.updated_time, "1672364262457");
    assert_eq!(o.time_in_force, "IOC");
    let fee = o.cum_fee_detail.as_ref().expect("sent");
    assert_eq!(fee.get("MNT").map(String::as_str), Some("0.00242968"));
}

#[test]
fn execution_values() {
    let StreamMessage::Execution(p) = parse("execution_linear.json") else {
        panic!("not an execution push");
    };
    assert_eq!(p.topic, "execution");
    let e = &p.data[0];
    assert_eq!(e.exec_id, "0ab1bdf7-4219-438b-b30a-32ec863018f7");
    assert_eq!(
        (e.exec_price.as_str(), e.exec_qty.as_str()),
        ("95900.1", "0.5")
    );
    assert_eq!(e.exec_type, Some(ExecType::Trade));
    assert!(e.is_trade() && !e.is_maker);
    assert_eq!(
        (e.seq, e.exec_time.as_str()),
        (140_612_148_849_382, "1746270400353")
    );
    assert_eq!(e.leaves_qty.as_deref(), Some("0"));
    assert_eq!(e.exec_fee.as_deref(), Some("26.3725275"));
    assert_eq!(e.exec_pnl.as_deref(), Some("0.05"));
    assert_eq!(e.side, Side::Sell);

    let StreamMessage::Execution(p) = parse("execution_fast_linear.json") else {
        panic!("not an execution push");
    };
    assert_eq!(
        (p.topic.as_str(), p.id.as_deref()),
        ("execution.fast", None)
    );
    let e = &p.data[0];
    assert_eq!(e.exec_type, None);
    assert!(e.is_trade());
    assert_eq!(e.order_link_id, "test-00001");
    assert_eq!(e.seq, 34_771_365_464);
    assert_eq!(e.leaves_qty, None);
    let funding = r#"{"topic":"execution","creationTime":1,"data":[{"symbol":"X","orderId":"1",
        "side":"Buy","execId":"e","execPrice":"1","execQty":"1","execTime":"1","execType":"Funding"}]}"#;
    let Ok(StreamMessage::Execution(p)) = StreamMessage::parse(funding) else {
        panic!("funding row parses");
    };
    assert!(!p.data[0].is_trade());
}

#[test]
fn position_values() {
    let StreamMessage::Position(p) = parse("position_linear.json") else {
        panic!("not a position push");
    };
    let pos = &p.data[0];
    assert_eq!(pos.side, PositionSide::Flat);
    assert_eq!((pos.size.as_str(), pos.entry()), ("0", Some("0")));
    assert_eq!(pos.position_idx, 2);
    assert_eq!(pos.seq, 8_327_597_863);
    assert_eq!(pos.cum_realised_pnl, "-25.06579337");
    assert_eq!(pos.updated_time, "1697682317038");
    let long = r#"{"topic":"position","creationTime":1,"data":[{"symbol":"X","side":"Buy",
        "size":"0.5","avgPrice":"100","seq":-1}]}"#;
    let Ok(StreamMessage::Position(p)) = StreamMessage::parse(long) else {
        panic!("REST-named entry price parses");
    };
    assert_eq!(p.data[0].side, PositionSide::Buy);
    assert_eq!((p.data[0].entry(), p.data[0].seq), (Some("100"), -1));
}

#[test]
fn wallet_values() {
    let StreamMessage::Wallet(p) = parse("wallet.json") else {
        panic!("not a wallet push");
    };
    assert_eq!(p.data[0].account_type, "UNIFIED");
    assert_eq!(p.data[0].coin[0].wallet_balance, "0.00102964");
}

#[test]
fn requests_parse_and_build_the_documented_shapes() {
    let Ok(ClientRequest::Subscribe(s)) =
        ClientRequest::parse(&ws_example("subscribe_request_multi.json"))
    else {
        panic!("subscribe parses");
    };
    assert_eq!(s.req_id.as_deref(), Some("test"));
    let topics: Vec<Topic> = s
        .args
        .iter()
        .map(|a| a.parse().expect("known topic"))
        .collect();
    assert_eq!(
        topics[0],
        Topic::orderbook(Category::Linear, 1, "BTCUSDT").expect("valid")
    );
    let built = OpRequest::subscribe(Some("test".into()), s.args.clone());
    assert_eq!(
        serde_json::to_value(&built).expect("json"),
        ws_value("subscribe_request_multi.json")
    );
    let built = OpRequest::unsubscribe(
        Some("customised_id".into()),
        vec!["publicTrade.ETHUSD".into()],
    );
    assert_eq!(
        serde_json::to_value(&built).expect("json"),
        ws_value("unsubscribe_request.json")
    );
    assert_eq!(
        serde_json::to_string(&OpRequest::ping(None)).expect("json"),
        r#"{"op":"ping"}"#
    );
    let Ok(ClientRequest::Auth(a)) = ClientRequest::parse(&ws_example("auth_request_private.json"))
    else {
        panic!("auth parses");
    };
    assert_eq!(
        (a.api_key(), a.expires_ms()),
        ("api_key", 1_662_350_400_000)
    );
    assert_eq!(
        ClientRequest::parse(r#"{"op":"kline"}"#),
        Err(WsError::UnknownOp("kline".into()))
    );
    assert_eq!(
        ClientRequest::parse(r#"{"args":[]}"#),
        Err(WsError::NotAMessage)
    );
}

/// The simulator builds replies with these constructors: each must give Bybit's documented
/// shape exactly (same keys, same values).
#[test]
fn reply_constructors_give_the_documented_shapes() {
    let json = |r: &OpReply| serde_json::to_value(r).expect("json");
    let spot_conn = ws_value("pong_public_spot.json")["conn_id"]
        .as_str()
        .expect("documented")
        .to_owned();
    let cases = [
        (
            OpReply::private("auth", None, "cejreaspqfh3sjdnldmg-p", None),
            "auth_reply_private.json",
        ),
        (
            OpReply::private("subscribe", None, "cejreassvfrsfvb9v1a0-2m", None),
            "subscribe_reply_private.json",
        ),
        (
            OpReply::public(
                Category::Spot,
                "subscribe",
                Some("10001".into()),
                "2324d924-aa4d-45b0-a858-7b8be29ab52b",
                &[],
                None,
            ),
            "subscribe_reply_public_spot.json",
        ),
        (
            OpReply::public(
                Category::Linear,
                "subscribe",
                None,
                "3cd84cb1-4d06-4a05-930a-2efe5fc70f0f",
                &[],
                None,
            ),
            "subscribe_reply_public_linear.json",
        ),
        (
            OpReply::public(
                Category::Option,
                "subscribe",
                None,
                "aa01fbfffe80af37-00000001-000b37b9-7147f432704fd28c-00e1c172",
                &["orderbook.100.BTC-6JAN23-18000-C".into()],
                None,
            ),
            "subscribe_reply_public_option.json",
        ),
        (
            OpReply::pong(Some(Category::Spot), None, &spot_conn, 0),
            "pong_public_spot.json",
        ),
        (
            OpReply::pong(
                Some(Category::Linear),
                None,
                "465772b1-7630-4fdc-a492-e003e6f0f260",
                0,
            ),
            "pong_public_linear.json",
        ),
        (
            OpReply::pong(Some(Category::Option), None, "ignored", 1_672_916_271_846),
            "pong_public_option.json",
        ),
        (
            OpReply::pong(
                None,
                Some("test".into()),
                "cfcb4ocsvfriu23r3er0-1b",
                1_675_418_560_633,
            ),
            "pong_private.json",
        ),
    ];
    for (reply, name) in &cases {
        assert_eq!(json(reply), ws_value(name), "{name}");
        assert!(reply.is_success(), "{name}");
    }
    for name in [
        "pong_public_spot.json",
        "pong_public_linear.json",
        "pong_public_option.json",
        "pong_private.json",
    ] {
        let Ok(StreamMessage::Reply(r)) = StreamMessage::parse(&ws_example(name)) else {
            panic!("{name}");
        };
        assert!(r.is_pong(), "{name}");
    }
    assert!(!OpReply::private("subscribe", None, "c", None).is_pong());
}

#[test]
fn refusals_are_failures_with_their_message() {
    let observed = r#"{"success":false,"ret_msg":"error:already subscribed,topic:orderbook.50.BTCUSDT","conn_id":"c","req_id":"1","op":"subscribe"}"#;
    let Ok(StreamMessage::Reply(r)) = StreamMessage::parse(observed) else {
        panic!("parses");
    };
    assert!(!r.is_success());
    assert_eq!(
        r.error().as_deref(),
        Some("error:already subscribed,topic:orderbook.50.BTCUSDT")
    );
    let refused = OpReply::public(
        Category::Option,
        "subscribe",
        None,
        "c",
        &["x".into()],
        Some("bad"),
    );
    assert!(!refused.is_success());
    assert_eq!(refused.error().as_deref(), Some("topics refused: x"));
    let auth = OpReply::private("auth", None, "c", Some("Params Error"));
    assert_eq!(auth.error().as_deref(), Some("Params Error"));
    assert_eq!(
        serde_json::to_string(&auth).expect("json"),
        r#"{"success":false,"ret_msg":"Params Error","conn_id":"c","op":"auth"}"#
    );
}

#[test]
fn bad_frames_are_errors_that_say_why() {
    assert!(matches!(
        StreamMessage::parse("not json"),
        Err(WsError::Json(_))
    ));
    assert!(matches!(
        StreamMessage::parse(r#"{"topic":"kline.1.BTCUSDT","data":[]}"#),
        Err(WsError::UnknownTopic(_))
    ));
    assert!(matches!(
        StreamMessage::parse(
            r#"{"topic":"orderbook.50.BTCUSDT","type":"snapshot","ts":1,"data":{"s":"BTCUSDT"}}"#
        ),
        Err(WsError::Json(_))
    ));
    assert!(matches!(
        StreamMessage::parse(
            r#"{"topic":"orderbook.50.BTCUSDT","type":"partial","ts":1,"data":{"s":"X","b":[],"a":[],"u":1,"seq":1}}"#
        ),
        Err(WsError::Json(_))
    ));
    assert_eq!(StreamMessage::parse("{}"), Err(WsError::NotAMessage));
}
