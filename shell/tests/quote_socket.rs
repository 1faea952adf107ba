//! `mm run --quotes`: a Rust client drives the `mm` binary over its Unix
//! quote socket against a simulator on a loopback port, sends every kind
//! of bad input, and checks both the events it gets back and the
//! simulator's own book while the run goes on.
#![allow(clippy::unwrap_used)]

mod common;

use std::collections::BTreeSet;
use std::io::{BufRead, BufReader, Write};
use std::os::unix::net::UnixStream;
use std::path::Path;
use std::time::{Duration, Instant};

use common::*;
use serde_json::{Value, json};

const SESSION: &str = "qsock";

struct Client {
    write: UnixStream,
    read: BufReader<UnixStream>,
}

impl Client {
    fn connect(path: &Path) -> Client {
        let s = UnixStream::connect(path).unwrap();
        s.set_read_timeout(Some(Duration::from_secs(15))).unwrap();
        Client {
            write: s.try_clone().unwrap(),
            read: BufReader::new(s),
        }
    }

    fn send(&mut self, line: &str) {
        self.write.write_all(line.as_bytes()).unwrap();
        self.write.write_all(b"\n").unwrap();
    }

    fn event(&mut self) -> Value {
        let mut line = String::new();
        let n = self.read.read_line(&mut line).unwrap();
        assert!(n > 0, "the connection closed");
        serde_json::from_str(&line).unwrap()
    }

    /// The next event named `name` (others skipped), within 15 s.
    fn next(&mut self, name: &str) -> Value {
        let end = Instant::now() + Duration::from_secs(15);
        while Instant::now() < end {
            let e = self.event();
            if e["event"] == name {
                return e;
            }
        }
        panic!("no {name} event within 15 s")
    }

    /// The verdict (accepted / refused / error) of the line just sent.
    fn verdict(&mut self) -> Value {
        loop {
            let e = self.event();
            if matches!(e["event"].as_str(), Some("accepted" | "refused" | "error")) {
                return e;
            }
        }
    }
}

fn level(price: &str, qty: &str) -> Value {
    json!({"price": price, "qty": qty})
}

/// Our open orders on the simulator for `symbol`: (side, price, qty).
fn sim_book(sim: &mm_sim::SimHandle, symbol: &str) -> BTreeSet<(String, String, String)> {
    sim.state()
        .open_orders
        .iter()
        .filter(|o| o.order_link_id.starts_with(&format!("{SESSION}-")) && o.symbol == symbol)
        .map(|o| entry(&format!("{:?}", o.side), &o.price, &o.qty))
        .collect()
}

/// A decimal without trailing zeros (the wire writes the grid's scale).
fn norm(d: &str) -> String {
    if d.contains('.') {
        d.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        d.to_string()
    }
}

fn wait_book(
    sim: &mm_sim::SimHandle,
    symbol: &str,
    want: &BTreeSet<(String, String, String)>,
    log: &Path,
) {
    let end = Instant::now() + Duration::from_secs(15);
    while Instant::now() < end {
        if &sim_book(sim, symbol) == want {
            return;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    panic!(
        "the simulator's {symbol} book is {:?}, not {want:?}\n{:?} {:?}\n{}",
        sim_book(sim, symbol),
        sim.state().requests_by_path,
        sim.state()
            .open_orders
            .iter()
            .map(|o| (&o.order_link_id, &o.symbol, &o.price, &o.qty))
            .collect::<Vec<_>>(),
        std::fs::read_to_string(log).unwrap_or_default()
    );
}

fn entry(side: &str, price: &str, qty: &str) -> (String, String, String) {
    (side.to_string(), norm(price), norm(qty))
}

#[test]
fn a_socket_client_quotes_bad_input_is_told_and_changes_nothing() {
    let rt = one_worker_runtime();
    let mut sc = mm_sim::SimConfig {
        latency_ms: 1,
        fills: false,
        ..mm_sim::SimConfig::default()
    };
    // A minimum above the step, so "below min qty" is its own refusal.
    sc.instruments[0].min_qty = "0.005".to_string();
    let sim = start_sim(&rt, sc);
    let dir = tmp();
    let toml = Seed::default()
        .toml()
        .replace(
            "kind = \"sim\"",
            &format!("kind = \"sim\"\nbase_url = \"{}\"", sim.base_url()),
        )
        .replace(
            "levels = 5",
            "levels = 2\nsource = \"external\"\nmax_quote_age_ms = 3000",
        )
        .replace("BTCUSDT = \"0.001\"", "BTCUSDT = \"0.005\"")
        + "\n[risk]\nmax_order_qty = { ETHUSDT = \"0.05\" }\n";
    let cfg = p(dir.path(), "mm.toml");
    write(&cfg, &toml);
    let sock = p(dir.path(), "q.sock");
    let (journal, summary, log) = (
        p(dir.path(), "j.mmj"),
        p(dir.path(), "s.json"),
        p(dir.path(), "core.log"),
    );
    let mut cmd = mm();
    cmd.current_dir(dir.path())
        .args(["run", "--metrics-addr", "off", "--session-id", SESSION])
        .arg("--config")
        .arg(&cfg)
        .arg("--quotes")
        .arg(&sock)
        .arg("--journal")
        .arg(&journal)
        .arg("--log")
        .arg(&log)
        .arg("--summary-json")
        .arg(&summary);
    let mut running = Running::spawn(cmd);
    running.wait_line("taking quote sets on", Duration::from_secs(30));

    let mut a = Client::connect(&sock);
    let hello = a.next("hello");
    let btc = hello["instruments"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["symbol"] == "BTCUSDT")
        .unwrap()
        .clone();
    assert_eq!(btc["min_qty"], "0.005", "{hello}");
    let books = a.next("books");
    let book = books["books"]
        .as_array()
        .unwrap()
        .iter()
        .find(|b| b["symbol"] == "BTCUSDT")
        .unwrap()
        .clone();
    let bid: f64 = book["bid"].as_str().unwrap().parse().unwrap();
    // Far from the market (whole dollars, on the 0.1 grid): nothing fills.
    let (b0, b1, a0) = (
        format!("{}", (bid * 0.9).floor()),
        format!("{}", (bid * 0.9).floor() - 1.0),
        format!("{}", (bid * 1.1).ceil()),
    );
    let good = json!({"symbol": "BTCUSDT", "id": 1,
        "bids": [level(&b0, "0.005"), level(&b1, "0.01")],
        "asks": [level(&a0, "0.006")]})
    .to_string();
    a.send(&good);
    let v = a.verdict();
    assert_eq!(
        v,
        json!({"event": "accepted", "symbol": "BTCUSDT", "id": 1})
    );
    let want: BTreeSet<_> = [
        entry("Buy", &b0, "0.005"),
        entry("Buy", &b1, "0.01"),
        entry("Sell", &a0, "0.006"),
    ]
    .into();
    wait_book(&sim, "BTCUSDT", &want, &log);
    // A tick event carries the client's own orders.
    let tick = a.next("tick");
    assert!(
        tick["orders"]
            .as_array()
            .unwrap()
            .iter()
            .all(|o| o["symbol"] == "BTCUSDT"),
        "{tick}"
    );

    // Every bad input: told, named, and nothing else moves.
    let set = |id: u64, bids: Vec<Value>, asks: Vec<Value>| {
        json!({"symbol": "BTCUSDT", "id": id, "bids": bids, "asks": asks}).to_string()
    };
    let long = format!("{{\"symbol\": \"{}\"}}", "X".repeat(70_000));
    let bad: Vec<(String, &str, &str)> = vec![
        ("not json".into(), "error", "invalid quote line"),
        (
            r#"{"symbol":"BTCUSDT","bids":[{"price":59990.1,"qty":"0.005"}]}"#.into(),
            "error",
            "invalid type: floating point",
        ),
        (
            r#"{"symbol":"BTCUSDT","bogus":1}"#.into(),
            "error",
            "unknown field `bogus`",
        ),
        (
            json!({"symbol": "DOGEUSDT", "bids": [level("1", "1")]}).to_string(),
            "error",
            "unknown symbol \"DOGEUSDT\"",
        ),
        (
            set(2, vec![level(&a0, "0.005")], vec![level(&b0, "0.005")]),
            "refused",
            "crossed: bids[0].price",
        ),
        (
            set(3, vec![level(&format!("{b0}.05"), "0.005")], vec![]),
            "refused",
            "bids[0].price",
        ),
        (
            set(4, vec![], vec![level(&a0, "0.001")]),
            "refused",
            "asks[0].qty \"0.001\" is below the minimum order qty 0.005",
        ),
        (
            set(
                5,
                vec![
                    level(&b0, "0.005"),
                    level(&b1, "0.005"),
                    level("1000", "0.005"),
                ],
                vec![],
            ),
            "refused",
            "bids: 3 levels, more than quoting.levels = 2",
        ),
        (long, "error", "is longer than 65536"),
    ];
    for (line, kind, why) in &bad {
        a.send(line);
        let v = a.verdict();
        assert_eq!(v["event"], *kind, "{why}: {v}");
        let reason = v["reason"].as_str().unwrap();
        assert!(reason.contains(why), "{why}: {reason}");
        assert_eq!(sim_book(&sim, "BTCUSDT"), want, "after {why}");
        // Kept fresh (max_quote_age_ms) whatever the machine's pace.
        a.send(&good);
        assert_eq!(a.verdict()["event"], "accepted");
    }
    // The connection is still up and its set still quoted.
    a.send(&good);
    assert_eq!(a.verdict()["event"], "accepted");

    // A second client: BTCUSDT is owned, ETHUSDT is free.
    let mut b = Client::connect(&sock);
    b.next("hello");
    b.send(&json!({"symbol": "BTCUSDT", "bids": [level(&b0, "0.005")]}).to_string());
    let v = b.verdict();
    assert_eq!(v["event"], "error", "{v}");
    assert!(
        v["reason"]
            .as_str()
            .unwrap()
            .contains("quoted by another client"),
        "{v}"
    );
    let eth = json!({"symbol": "ETHUSDT", "id": 7, "bids": [level("1000", "0.01")], "asks": []})
        .to_string();
    b.send(&eth);
    assert_eq!(b.verdict()["event"], "accepted");
    let eth_want: BTreeSet<_> = [entry("Buy", "1000", "0.01")].into();
    wait_book(&sim, "ETHUSDT", &eth_want, &log);
    assert_eq!(sim_book(&sim, "BTCUSDT"), want, "A's quotes untouched by B");

    // A set core takes but a [risk] limit trims: B is told which side and why.
    let risky = json!({"symbol": "ETHUSDT", "id": 8, "bids": [level("1000", "0.01")],
        "asks": [level("100000", "0.1")]})
    .to_string();
    b.send(&risky);
    assert_eq!(b.verdict()["event"], "accepted");
    let end = Instant::now() + Duration::from_secs(15);
    let limited = loop {
        assert!(Instant::now() < end, "no tick told B of its limited side");
        let tick = b.next("tick");
        if let Some(r) = tick.get("risk") {
            break r.clone();
        }
    };
    assert_eq!(
        limited,
        json!([{"symbol": "ETHUSDT", "side": "Sell", "limits": ["max_order_qty"],
            "detail": "1 levels of qty up to 0.1 above max_order_qty 0.05"}])
    );
    assert_eq!(sim_book(&sim, "ETHUSDT"), eth_want, "the ask is not quoted");

    // A disconnects: its symbol is pulled after max_quote_age_ms, while B
    // (still quoting) keeps its own.
    drop(a);
    let gone_by = Instant::now() + Duration::from_secs(10);
    loop {
        b.send(&eth);
        if sim_book(&sim, "BTCUSDT").is_empty() {
            break;
        }
        assert!(
            Instant::now() < gone_by,
            "BTCUSDT not pulled: {:?}",
            sim_book(&sim, "BTCUSDT")
        );
        std::thread::sleep(Duration::from_millis(200));
    }
    assert_eq!(sim_book(&sim, "ETHUSDT"), eth_want);

    signal(running.child.id(), "-INT");
    let out = running.wait(Duration::from_secs(60));
    assert_eq!(out.code, 0, "{}", out.stderr);
    let s = read_summary(&summary);
    assert_eq!(s.refused_quote_sets, 4, "{s:?}");
    assert!(s.external_quote_sets >= 4, "{s:?}");
    assert_eq!(s.open_orders_exchange, Some(0));
    // Driven from outside, replayed byte-identical.
    let mut replay = mm();
    replay.arg("replay").arg(&journal);
    let r = run(replay, Duration::from_secs(60));
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(r.stdout, std::fs::read_to_string(&log).unwrap());
    drop(sim);
}

#[test]
fn a_non_loopback_tcp_address_is_refused_at_start_up() {
    let dir = tmp();
    let mut cmd = mm();
    cmd.current_dir(dir.path())
        .args(["run", "--metrics-addr", "off", "--quotes", "0.0.0.0:7700"]);
    let out = run(cmd, Duration::from_secs(30));
    assert_ne!(out.code, 0);
    assert!(
        out.stderr
            .contains("--quotes 0.0.0.0:7700: not a loopback address"),
        "{}",
        out.stderr
    );
}
