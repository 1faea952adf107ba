//! Requests serialize to exactly the camelCase JSON Bybit documents, and parse back.

use mm_bybit::{
    AmendOrder, BatchRequest, CancelAll, CancelOrder, Category, OrderType, PlaceOrder, Side,
    TimeInForce,
};

fn place(category: Option<Category>) -> PlaceOrder {
    PlaceOrder {
        category,
        symbol: "BTCUSDT".into(),
        side: Side::Buy,
        order_type: OrderType::Limit,
        qty: "0.01".into(),
        price: Some("60000".into()),
        time_in_force: Some(TimeInForce::PostOnly),
        order_link_id: Some("mm-b-0001".into()),
        position_idx: Some(0),
    }
}

#[test]
fn single_create_body() {
    let json = serde_json::to_string(&place(Some(Category::Linear))).expect("serializes");
    assert_eq!(
        json,
        r#"{"category":"linear","symbol":"BTCUSDT","side":"Buy","orderType":"Limit","qty":"0.01","price":"60000","timeInForce":"PostOnly","orderLinkId":"mm-b-0001","positionIdx":0}"#
    );
    let back: PlaceOrder = serde_json::from_str(&json).expect("parses");
    assert_eq!(back, place(Some(Category::Linear)));
}

#[test]
fn batch_create_body_matches_docs_shape() {
    let mut sell = place(None);
    sell.symbol = "ETHUSDT".into();
    sell.side = Side::Sell;
    sell.qty = "0.1".into();
    sell.price = Some("3500".into());
    sell.order_link_id = Some("mm-a-0001".into());
    let b = BatchRequest {
        category: Category::Linear,
        request: vec![place(None), sell],
    };
    let json = serde_json::to_string(&b).expect("serializes");
    assert_eq!(
        json,
        concat!(
            r#"{"category":"linear","request":["#,
            r#"{"symbol":"BTCUSDT","side":"Buy","orderType":"Limit","qty":"0.01","price":"60000","timeInForce":"PostOnly","orderLinkId":"mm-b-0001","positionIdx":0},"#,
            r#"{"symbol":"ETHUSDT","side":"Sell","orderType":"Limit","qty":"0.1","price":"3500","timeInForce":"PostOnly","orderLinkId":"mm-a-0001","positionIdx":0}"#,
            r#"]}"#
        )
    );
    let back: BatchRequest<PlaceOrder> = serde_json::from_str(&json).expect("parses");
    assert_eq!(back, b);
}

#[test]
fn minimal_market_order_omits_none_fields() {
    let p = PlaceOrder {
        category: None,
        symbol: "XRPUSDT".into(),
        side: Side::Sell,
        order_type: OrderType::Market,
        qty: "1".into(),
        price: None,
        time_in_force: Some(TimeInForce::Ioc),
        order_link_id: None,
        position_idx: None,
    };
    assert_eq!(
        serde_json::to_string(&p).expect("serializes"),
        r#"{"symbol":"XRPUSDT","side":"Sell","orderType":"Market","qty":"1","timeInForce":"IOC"}"#
    );
}

#[test]
fn amend_and_cancel_bodies() {
    let a = AmendOrder {
        category: Some(Category::Linear),
        symbol: "ETHUSDT".into(),
        order_link_id: Some("linear-004".into()),
        price: Some("3001.25".into()),
        ..Default::default()
    };
    assert_eq!(
        serde_json::to_string(&a).expect("serializes"),
        r#"{"category":"linear","symbol":"ETHUSDT","orderLinkId":"linear-004","price":"3001.25"}"#
    );
    let c = BatchRequest {
        category: Category::Spot,
        request: vec![CancelOrder {
            symbol: "BTCUSDT".into(),
            order_id: Some("1666800494330512128".into()),
            ..Default::default()
        }],
    };
    assert_eq!(
        serde_json::to_string(&c).expect("serializes"),
        r#"{"category":"spot","request":[{"symbol":"BTCUSDT","orderId":"1666800494330512128"}]}"#
    );
    let back: BatchRequest<CancelOrder> =
        serde_json::from_str(&serde_json::to_string(&c).expect("serializes")).expect("parses");
    assert_eq!(back, c);
}

#[test]
fn cancel_all_body() {
    let c = CancelAll {
        category: Category::Linear,
        symbol: Some("BTCUSDT".into()),
        base_coin: None,
        settle_coin: None,
    };
    assert_eq!(
        serde_json::to_string(&c).expect("serializes"),
        r#"{"category":"linear","symbol":"BTCUSDT"}"#
    );
}

#[test]
fn category_rules() {
    assert_eq!(Category::Spot.batch_limit(), 10);
    assert_eq!(Category::Linear.batch_limit(), 20);
    assert_eq!(Category::Inverse.batch_limit(), 20);
    assert_eq!(Category::Option.batch_limit(), 20);
    assert!(Category::Linear.batch_costs_per_order());
    assert!(!Category::Option.batch_costs_per_order());
    assert_eq!(
        serde_json::to_string(&Category::Inverse).expect("serializes"),
        r#""inverse""#
    );
}

#[test]
fn order_link_id_rules() {
    use mm_bybit::request::order_link_id_problem;
    assert_eq!(order_link_id_problem("mm-b_0001"), None);
    assert_eq!(order_link_id_problem(&"a".repeat(36)), None);
    assert!(order_link_id_problem(&"a".repeat(37)).is_some());
    assert!(order_link_id_problem("has space").is_some());
    assert!(order_link_id_problem("").is_some());
}
