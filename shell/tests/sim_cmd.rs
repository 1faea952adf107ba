//! `mm sim` standalone: its flags reach the simulator. The tier sets the
//! limits the exchange reports (X-Bapi-Limit), the fault spec is applied and
//! counted, the seed fixes the price path (same seed, same prices), and the
//! start-up line states every setting, jitter included.
#![allow(clippy::unwrap_used)]

mod common;

use std::time::Duration;

use common::*;
use mm_core::effect::NewOrder;
use mm_core::{
    Category, Decimal, Instrument, OrderLinkId, Outcome, RequestKind, SessionId, Side, WireNames,
};
use mm_shell::client::Client;
use mm_shell::secrets::Credentials;

struct Sim {
    running: Running,
    url: String,
    settings: String,
}

fn start(args: &[&str]) -> Sim {
    let mut c = mm();
    c.args(["sim", "--addr", "127.0.0.1:0", "--latency-ms", "1"])
        .args(args);
    let mut running = Running::spawn(c);
    let url = running.wait_sim_url();
    let settings = running.wait_line("mm sim: tier ", Duration::from_secs(30));
    Sim {
        running,
        url,
        settings,
    }
}

fn stop(sim: Sim) {
    signal(sim.running.child.id(), "-INT");
    let out = sim.running.wait(Duration::from_secs(30));
    assert_eq!(out.code, 0, "{}", out.stderr);
}

const SYMBOLS: [&str; 4] = ["BTCUSDT", "ETHUSDT", "SOLUSDT", "XRPUSDT"];

/// Five tickers polls (the walk steps once per poll): bid/ask per symbol.
async fn prices(client: &Client) -> Vec<Vec<(String, String, String)>> {
    let symbols: Vec<String> = SYMBOLS.iter().map(|s| (*s).to_string()).collect();
    let mut out = Vec::new();
    for _ in 0..5 {
        let books = mm_shell::market::fetch_books(client, Category::Linear, &symbols)
            .await
            .unwrap();
        assert_eq!(books.len(), 4, "{books:?}");
        out.push(
            books
                .into_iter()
                .map(|b| (b.symbol.into(), b.bid.into(), b.ask.into()))
                .collect(),
        );
    }
    out
}

/// One post-only buy far below the market; the reply as core would get it.
async fn place(client: &Client) -> mm_core::Reply {
    let btc = Instrument {
        symbol: "BTCUSDT".to_string(),
        category: Category::Linear,
        tick_size: Decimal::new(1, 1),
        qty_step: Decimal::new(1, 3),
        min_qty: Decimal::new(1, 3),
    };
    let names = WireNames::new(SessionId::new("simcmd").unwrap(), &[btc]);
    let kind = RequestKind::Place {
        category: Category::Linear,
        order: NewOrder {
            symbol: names.symbol_id("BTCUSDT").unwrap(),
            side: Side::Buy,
            price: "30000".parse().expect("decimal"),
            qty: "0.001".parse().expect("decimal"),
            order_link_id: OrderLinkId::Ours(1),
            post_only: true,
        },
    };
    match client.execute(&kind, &names).await {
        Outcome::Reply(r) => r,
        other => panic!("place: {other:?}"),
    }
}

async fn state(client: &Client) -> mm_sim::SimState {
    serde_json::from_slice(&client.get_plain("/sim/state").await.unwrap()).unwrap()
}

#[test]
fn mm_sim_flags_reach_the_simulator() {
    let a = start(&[
        "--tier",
        "default",
        "--faults",
        "reject=1",
        "--seed",
        "42",
        "--jitter-ms",
        "3",
        "--fills",
        "off",
    ]);
    let b = start(&["--seed", "42", "--fills", "off"]);
    let c = start(&["--seed", "43", "--fills", "off"]);

    for needle in [
        "tier default",
        "latency 1 ms + jitter 0..=3 ms",
        "seed 42",
        "faults reject=1",
        "fills off",
    ] {
        assert!(a.settings.contains(needle), "{needle:?}: {}", a.settings);
    }
    assert!(
        b.settings.contains("tier institutional")
            && b.settings.contains("jitter 0..=0 ms")
            && b.settings.contains("faults none"),
        "{}",
        b.settings
    );

    let rt = tokio::runtime::Runtime::new().unwrap();
    let client = |url: &str| Client::new(url, Credentials::paper(), 5000, 5000).unwrap();
    let (ca, cb, cc) = (client(&a.url), client(&b.url), client(&c.url));
    rt.block_on(async {
        // Seed: the same path for the same seed, another for another.
        let (pa, pb, pc) = (prices(&ca).await, prices(&cb).await, prices(&cc).await);
        assert_ne!(pa[0], pa[4], "the market did not walk: {pa:?}");
        assert_eq!(pa, pb, "same seed, different prices");
        assert_ne!(pa, pc, "seeds 42 and 43 gave the same prices");

        // Tier: the limit the exchange reports for create.
        let (ra, rb) = (place(&ca).await, place(&cb).await);
        assert_eq!(ra.rate_limit.map(|l| l.limit), Some(10), "{ra:?}");
        assert_eq!(rb.rate_limit.map(|l| l.limit), Some(1000), "{rb:?}");
        // Faults: reject=1 rejects the order, and the simulator counts it.
        assert_ne!(ra.ret_code, 0, "{ra:?}");
        assert_eq!(rb.ret_code, 0, "{rb:?}");
        let (sa, sb) = (state(&ca).await, state(&cb).await);
        assert_eq!(sa.faults_injected.get("reject").copied(), Some(1), "{sa:?}");
        assert!(sa.open_orders.is_empty(), "{sa:?}");
        assert!(sb.faults_injected.is_empty(), "{sb:?}");
        assert_eq!(sb.open_orders.len(), 1, "{sb:?}");
    });
    for s in [a, b, c] {
        stop(s);
    }
}
