//! The simulator's own view over its REST API, read with the paper key
//! while a session runs (what the exchange holds, not core's belief).

use std::io::{Read, Write};
use std::net::SocketAddr;
use std::time::Duration;

use mm_core::Decimal;

/// A signed GET of the simulator's REST API with the paper key: `result`.
pub fn sim_get(addr: SocketAddr, path: &str, query: &str) -> serde_json::Value {
    let ts = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as u64;
    let sign = mm_bybit::sign("paper-secret", ts, "paper-key", 5000, query);
    let mut s = std::net::TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    write!(
        s,
        "GET {path}?{query} HTTP/1.0\r\nHost: {addr}\r\nX-BAPI-API-KEY: paper-key\r\nX-BAPI-TIMESTAMP: {ts}\r\nX-BAPI-RECV-WINDOW: 5000\r\nX-BAPI-SIGN: {sign}\r\n\r\n"
    )
    .unwrap();
    let mut out = String::new();
    s.read_to_string(&mut out).unwrap();
    let body = out.split("\r\n\r\n").nth(1).unwrap();
    let v: serde_json::Value = serde_json::from_str(body).unwrap();
    assert_eq!(v["retCode"], 0, "{body}");
    v["result"].clone()
}

/// The simulator's position of `symbol` (signed: long positive).
pub fn sim_position(addr: SocketAddr, symbol: &str) -> Decimal {
    let r = sim_get(
        addr,
        "/v5/position/list",
        &format!("category=linear&symbol={symbol}"),
    );
    let row = &r["list"][0];
    let size: Decimal = row["size"].as_str().unwrap().parse().unwrap();
    match row["side"].as_str().unwrap() {
        "Sell" => Decimal::ZERO.checked_sub(size).unwrap(),
        _ => size,
    }
}
