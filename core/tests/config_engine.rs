//! What the engine refuses at construction, asserted by message: the key,
//! the value and the rule, every problem at once.
#![allow(clippy::unwrap_used)]

mod common;

use mm_core::config::OrderQty;
use mm_core::domain::Category;
use mm_core::virtual_exchange::Scenario;
use mm_core::{Engine, SessionId};

#[test]
fn engine_new_names_every_problem_against_the_instruments() {
    let mut sc = Scenario::seed();
    sc.instruments[1].category = Category::Spot;
    let mut qty = std::collections::BTreeMap::new();
    qty.insert("BTCUSDT".to_string(), "0.0015".parse().unwrap());
    qty.insert("ETHUSDT".to_string(), "0.01".parse().unwrap());
    qty.insert("SOLUSDT".to_string(), "0.1".parse().unwrap());
    sc.config.quoting.order_qty = OrderQty::PerSymbol(qty);
    sc.config.quoting.symbols.push("DOGEUSDT".into());
    sc.instruments[2].min_qty = "1".parse().unwrap();
    let err = refusal(&sc);
    for want in [
        "config: quoting.order_qty = 0.0015 for BTCUSDT is not a multiple of its qty step 0.001",
        "config: quoting.order_qty = 0.1 for SOLUSDT is below its minimum order qty 1",
        "config: quoting.order_qty has no size for XRPUSDT",
        "config: quoting.symbols contains DOGEUSDT, which the exchange does not list",
    ] {
        assert!(err.contains(want), "missing {want:?} in:\n{err}");
    }
    // A spot instrument among linear ones is quoted like any (batches
    // never mix categories, see invariants.rs): no problem of its own.
    assert!(!err.contains("ETHUSDT"), "{err}");
}

#[test]
fn engine_new_checks_batch_size_rate_limits_and_session() {
    let mut sc = Scenario::seed();
    sc.config.async_batch.max_batch_size = 0;
    sc.config.async_batch.max_parallel_symbols = 0;
    sc.config.rate_limits.cancel_batch = 0;
    let err = refusal(&sc);
    assert!(
        err.contains("config: async_batch.max_batch_size = 0 must be between 1 and 20"),
        "{err}"
    );
    assert!(
        err.contains("config: async_batch.max_parallel_symbols = 0 must be between 1 and 1000"),
        "{err}"
    );
    assert!(
        err.contains("config: rate_limits.cancel_batch = 0 must be between 1 and 100000"),
        "{err}"
    );
    // Spot's batch limit is 10: 20 is capped (with a notice), not refused.
    let mut sc = Scenario::seed();
    for i in &mut sc.instruments {
        i.category = Category::Spot;
    }
    sc.config.exchange.category = Category::Spot;
    assert!(sc.config.validate_for(&sc.instruments).is_ok());
    assert_eq!(
        sc.config.batch_size_capped().as_deref(),
        Some("async_batch.max_batch_size = 20 is capped at the spot batch limit of 10")
    );
    sc.config.async_batch.max_batch_size = 10;
    assert_eq!(sc.config.batch_size_capped(), None);
    let err = SessionId::new("has-dash").unwrap_err().to_string();
    assert!(
        err.contains("config: session_id = \"has-dash\" must be 1 to 15 characters of [A-Za-z0-9] (orderLinkIds stay within 36)"),
        "{err}"
    );
    // 15 + "-" + the 20 digits of u64::MAX = 36, Bybit's limit.
    assert!(SessionId::new("abcdefghijklmno").is_ok());
    assert!(SessionId::new("abcdefghijklmnop").is_err());
}

/// Spot batches carry 10 orders, whether `max_batch_size` says 10 or more
/// (capped at the category's limit).
#[test]
fn spot_batches_are_chunked_at_10() {
    for size in [10, 20] {
        let mut sc = Scenario::seed();
        for i in &mut sc.instruments {
            i.category = Category::Spot;
        }
        sc.config.exchange.category = Category::Spot;
        sc.config.async_batch.max_batch_size = size;
        let mut e = common::recovered(
            Engine::new(
                sc.config.clone(),
                sc.instruments.clone(),
                SessionId::new("s").unwrap(),
            )
            .unwrap(),
        );
        e.handle(mm_core::Input::Tick {
            now_ms: mm_core::Timestamp(0),
            books: sc.books(0, mm_core::Timestamp(0)),
        });
        let sends: Vec<_> = std::iter::from_fn(|| e.poll_effect())
            .filter_map(|x| match x {
                mm_core::Effect::Send(r) => Some(r),
                _ => None,
            })
            .collect();
        assert_eq!(sends.len(), 4, "max_batch_size = {size}");
        for r in &sends {
            let mm_core::RequestKind::PlaceBatch { category, orders } = &r.kind else {
                panic!("{r:?}")
            };
            assert_eq!(*category, Category::Spot);
            assert_eq!(orders.len(), 10, "max_batch_size = {size}");
        }
    }
}

#[test]
fn book_age_must_exceed_the_tick_interval() {
    let mut sc = Scenario::seed();
    sc.config.quoting.tick_interval_ms = 2000;
    sc.config.quoting.max_book_age_ms = 2000;
    let err = refusal(&sc);
    assert!(
        err.contains("config: quoting.max_book_age_ms = 2000 must exceed quoting.tick_interval_ms = 2000 (books are that old before the next poll arrives)"),
        "{err}"
    );
    sc.config.quoting.max_book_age_ms = 2001;
    assert!(Engine::new(sc.config, sc.instruments, SessionId::new("s").unwrap()).is_ok());
}

/// What `Engine::new` says when it refuses the scenario's config.
fn refusal(sc: &Scenario) -> String {
    Engine::new(
        sc.config.clone(),
        sc.instruments.clone(),
        SessionId::new("s").unwrap(),
    )
    .err()
    .expect("the config should be refused")
    .to_string()
}

#[test]
fn quote_age_must_exceed_the_tick_interval_with_external_quotes() {
    let mut sc = Scenario::seed();
    sc.config.quoting.tick_interval_ms = 500;
    sc.config.quoting.max_quote_age_ms = 500;
    // The ladder does not read it.
    assert!(
        Engine::new(
            sc.config.clone(),
            sc.instruments.clone(),
            SessionId::new("s").unwrap()
        )
        .is_ok()
    );
    sc.config.quoting.source = mm_core::config::QuoteSource::External;
    let err = refusal(&sc);
    assert!(
        err.contains("config: quoting.max_quote_age_ms = 500 must exceed quoting.tick_interval_ms = 500 (a set is that old at the next tick)"),
        "{err}"
    );
    sc.config.quoting.max_quote_age_ms = 0;
    assert!(
        refusal(&sc).contains("quoting.max_quote_age_ms = 0 must be between 1 and 3600000"),
        "{}",
        refusal(&sc)
    );
}
