//! proptest over random configs, books, rate budgets, latencies and replies:
//! the engine's invariants hold whatever happens.
#![allow(clippy::unwrap_used)]

mod common;

use std::collections::{BTreeMap, BTreeSet};

use common::{links, symbols};
use mm_core::config::{CoalesceScope, Reprice};
use mm_core::domain::{Category, Ticks};
use mm_core::effect::{Effect, Endpoint, Request, RequestKind};
use mm_core::input::{Outcome, QuoteLevel, QuoteSet};
use mm_core::virtual_exchange::{Driver, Fault, Scenario, VirtualExchange};
use mm_core::{BookTop, Engine, Input, SessionId, Timestamp};
use proptest::prelude::*;

#[derive(Debug, Clone)]
struct Setup {
    symbols: usize,
    levels: u32,
    enabled: bool,
    by_symbol: bool,
    /// 0 cancel_place, 1 amend, 2 planned.
    reprice: u8,
    /// `quoting.max_deviation_bps` (planned only).
    max_dev: u32,
    coalesce: [bool; 3],
    place_with_cancel: bool,
    max_batch: u32,
    max_parallel: u32,
    rate: u32,
    latency: u64,
    deadline: u64,
    /// Per tick, per symbol: mid move in ticks (0.1 bps each).
    moves: Vec<Vec<i64>>,
    /// (tick, symbol, 0 missing / 1 crossed / 2 stale)
    spoil: Vec<(usize, usize, u8)>,
    faults: Vec<(u64, u8)>,
    /// (order request ordinal, extra reply delay in ms): late replies,
    /// some after the tick deadline.
    delays: Vec<(u64, u64)>,
    /// Every other instrument is spot (batch limit 10) among linear ones.
    mixed: bool,
    /// Books live an hour (the end state compared with orders resting), or
    /// the default 2 s (quotes pulled by the expiry tick while idling).
    long_books: bool,
    /// `quoting.source = "external"`: per tick, per symbol, the quote set
    /// pushed before the tick (`None`: none that tick).
    quotes: Option<Vec<Vec<Option<Shape>>>>,
}

/// A random external quote set around a symbol's mid (see `quote_set`).
#[derive(Debug, Clone)]
struct Shape {
    bids: usize,
    asks: usize,
    /// Best level's distance from mid, and between levels, in ticks.
    gap: i64,
    step: i64,
    /// Per level: its size in qty steps.
    sizes: [i64; 6],
    /// 0..=6 a valid set; 7 off-grid, 8 crossed, 9 too many levels.
    kind: u8,
}

fn shape() -> impl Strategy<Value = Shape> {
    (
        0usize..=6,
        0usize..=6,
        1i64..=60,
        1i64..=30,
        any::<[u8; 6]>(),
        0u8..10,
    )
        .prop_map(|(bids, asks, gap, step, sizes, kind)| Shape {
            bids,
            asks,
            gap,
            step,
            sizes: sizes.map(|b| i64::from(b % 3) + 1),
            kind,
        })
}

/// `setup()` quoting random external sets (some refused, some ticks
/// without one) instead of the ladder.
fn external_setup() -> impl Strategy<Value = Setup> {
    setup().prop_flat_map(|s| {
        let per_tick = prop::collection::vec(prop::option::weighted(0.8, shape()), s.symbols);
        let quotes = prop::collection::vec(per_tick, s.moves.len());
        (Just(s), quotes).prop_map(|(mut s, q)| {
            s.quotes = Some(q);
            s
        })
    })
}

fn quote_set(inst: &mm_core::Instrument, mid: i64, levels: u32, sh: &Shape) -> QuoteSet {
    let level = |p: i64, i: usize| QuoteLevel {
        price: inst.price_string(Ticks(p)).into(),
        qty: inst.qty_string(mm_core::Lots(sh.sizes[i])).into(),
    };
    let levels = levels as usize;
    let (nb, na) = if sh.kind == 9 {
        (levels + 1, 1)
    } else {
        (sh.bids.min(levels), sh.asks.min(levels))
    };
    let mut bids: Vec<QuoteLevel> = (0..nb)
        .map(|i| level(mid - sh.gap - sh.step * i as i64, i.min(5)))
        .collect();
    let mut asks: Vec<QuoteLevel> = (0..na)
        .map(|i| level(mid + sh.gap + sh.step * i as i64, i.min(5)))
        .collect();
    match sh.kind {
        7 => bids.push(QuoteLevel {
            price: "1.0005".into(),
            qty: "1".into(),
        }),
        8 => {
            bids = vec![level(mid + 5, 0)];
            asks = vec![level(mid - 5, 0)];
        }
        _ => {}
    }
    QuoteSet {
        symbol: inst.symbol.as_str().into(),
        bids,
        asks,
    }
}

fn fault(kind: u8) -> Fault {
    match kind {
        0 => Fault::TimeoutApplied,
        1 => Fault::TimeoutNotApplied,
        2 => Fault::Http(503),
        3 => Fault::Malformed,
        4 => Fault::TopLevel(10001),
        5 => Fault::RejectItem {
            index: 0,
            code: 10001,
        },
        6 => Fault::RateTail { keep: 1 },
        7 => Fault::ShortCodes,
        8 => Fault::TopLevel(10006),
        9 => Fault::TopLevel(10000),
        10 => Fault::RejectItem {
            index: 1,
            code: 110_072,
        },
        11 => Fault::Http(403),
        12 => Fault::AppliedHttp(503),
        _ => Fault::Http(408),
    }
}

fn setup() -> impl Strategy<Value = Setup> {
    (
        (1usize..=5, 1u32..=6, any::<bool>(), any::<bool>(), 0u8..3),
        (any::<[bool; 3]>(), any::<bool>(), 1u32..=20, 1u32..=6),
        (5u32..=300, 1u64..=60, 30u64..=400, 1u32..=30),
        (3usize..=14),
        any::<bool>(),
        (any::<bool>(), any::<bool>()),
    )
        .prop_flat_map(|(a, b, c, ticks, faulty, d)| {
            let moves = prop::collection::vec(prop::collection::vec(-200i64..=200, a.0), ticks);
            let spoil = prop::collection::vec((0..ticks, 0..a.0, 0u8..3), 0..3);
            let (faults, delays) = if faulty {
                (
                    prop::collection::vec((1u64..80, 0u8..14), 0..10).boxed(),
                    prop::collection::vec((1u64..80, 1u64..600), 0..4).boxed(),
                )
            } else {
                (Just(Vec::new()).boxed(), Just(Vec::new()).boxed())
            };
            (Just((a, b, c, d)), moves, spoil, (faults, delays))
        })
        .prop_map(|((a, b, c, d), moves, spoil, (faults, delays))| Setup {
            symbols: a.0,
            levels: a.1,
            // Legacy runs are slow (one request at a time): keep them rarer.
            enabled: a.2 || a.3,
            by_symbol: a.3,
            reprice: a.4,
            max_dev: c.3,
            coalesce: b.0,
            place_with_cancel: b.1,
            max_batch: b.2,
            max_parallel: b.3,
            rate: c.0,
            latency: c.1,
            deadline: c.2,
            moves,
            spoil,
            faults,
            delays,
            mixed: d.0,
            long_books: d.1,
            quotes: None,
        })
}

fn books(sc: &Scenario, s: &Setup, k: usize, now: Timestamp) -> Vec<BookTop> {
    let mut out = Vec::new();
    for (i, inst) in sc.instruments.iter().enumerate() {
        let mid = 100_000 + 1_000 * i as i64 + s.moves[..=k].iter().map(|m| m[i]).sum::<i64>();
        let spoil = s
            .spoil
            .iter()
            .find(|(t, sym, _)| *t == k && *sym == i)
            .map(|x| x.2);
        let (mut bid, mut ask, mut at) = (mid - 1, mid + 1, now);
        match spoil {
            Some(0) => continue,
            Some(1) => std::mem::swap(&mut bid, &mut ask),
            Some(_) => at = Timestamp(now.0.saturating_sub(10_000)),
            None => {}
        }
        out.push(BookTop {
            symbol: inst.symbol.as_str().into(),
            bid: inst.price_string(Ticks(bid)).into(),
            ask: inst.price_string(Ticks(ask)).into(),
            received_ms: at,
        });
    }
    out
}

fn run(s: &Setup) -> (Driver, Scenario) {
    let mut sc = Scenario::wide(s.symbols, s.levels);
    if s.mixed {
        for inst in sc.instruments.iter_mut().skip(1).step_by(2) {
            inst.category = Category::Spot;
        }
    }
    let c = &mut sc.config;
    if s.long_books {
        c.quoting.max_book_age_ms = 3_600_000;
    }
    c.async_batch.enabled = s.enabled;
    c.async_batch.coalesce_scope = if s.by_symbol {
        CoalesceScope::Symbol
    } else {
        CoalesceScope::Category
    };
    c.quoting.reprice = match s.reprice {
        0 => Reprice::CancelPlace,
        1 => Reprice::Amend,
        _ => Reprice::Planned,
    };
    c.quoting.max_deviation_bps = s.max_dev.max(c.quoting.reprice_tolerance_bps);
    [
        c.async_batch.coalesce_cancel,
        c.async_batch.coalesce_amend,
        c.async_batch.coalesce_place,
    ] = s.coalesce;
    c.async_batch.place_with_cancel = s.place_with_cancel;
    c.async_batch.max_batch_size = s.max_batch;
    c.async_batch.max_parallel_symbols = s.max_parallel;
    c.async_batch.tick_deadline_ms = s.deadline;
    c.rate_limits = mm_core::config::RateLimitConfig::uniform(s.rate);
    if s.quotes.is_some() {
        c.quoting.source = mm_core::config::QuoteSource::External;
        c.quoting.max_quote_age_ms = 500;
    }
    let engine = Engine::new(
        sc.config.clone(),
        sc.instruments.clone(),
        SessionId::new("prop").unwrap(),
    )
    .unwrap();
    let mut vx = VirtualExchange::new(&sc.instruments, sc.config.rate_limits.clone());
    for (nth, kind) in &s.faults {
        vx.script_orders(*nth, fault(*kind));
    }
    for (nth, ms) in &s.delays {
        vx.delay_orders(*nth, *ms);
    }
    let mut d = Driver::new(engine, vx, Timestamp(1_000), s.latency);
    common::remember_names(&d.engine);
    d.keep_effects = true;
    d.keep_inputs = true;
    d.watch_sides = true;
    let ticks = s.moves.len();
    for k in 0..ticks {
        if let Some(q) = &s.quotes {
            for (i, inst) in sc.instruments.iter().enumerate() {
                let Some(sh) = &q[k][i] else { continue };
                let mid =
                    100_000 + 1_000 * i as i64 + s.moves[..=k].iter().map(|m| m[i]).sum::<i64>();
                let set = quote_set(inst, mid, s.levels, sh);
                d.feed(Input::Quotes { now_ms: d.now, set });
            }
        }
        let books = books(&sc, s, k, d.now);
        d.feed(Input::Tick {
            now_ms: d.now,
            books,
        });
        let next = d.now.plus_ms(200);
        d.run_until(next);
    }
    d.run_idle(120_000);
    (d, sc)
}

fn op_of(ep: Endpoint) -> Option<&'static str> {
    match ep {
        Endpoint::CreateBatch | Endpoint::Create => Some("place"),
        Endpoint::AmendBatch | Endpoint::Amend => Some("amend"),
        Endpoint::CancelBatch | Endpoint::Cancel => Some("cancel"),
        _ => None,
    }
}

fn is_batch(ep: Endpoint) -> bool {
    matches!(
        ep,
        Endpoint::CreateBatch | Endpoint::AmendBatch | Endpoint::CancelBatch
    )
}

fn batch_category(r: &Request) -> Option<Category> {
    match &r.kind {
        RequestKind::PlaceBatch { category, .. }
        | RequestKind::AmendBatch { category, .. }
        | RequestKind::CancelBatch { category, .. } => Some(*category),
        _ => None,
    }
}

/// The orderLinkIds of `r` that its answer `outcome` asks core to send
/// again (apply.rs: re-queued or fallen back); every other answer is final
/// for the command or makes it Unknown, never re-sent.
fn resent(r: &Request, outcome: &Outcome) -> Vec<String> {
    let ls = links(r);
    let batch = is_batch(r.kind.endpoint());
    match outcome {
        Outcome::HttpStatus(403 | 429) => ls,
        Outcome::HttpStatus(_) if batch => ls,
        Outcome::Reply(x) if matches!(x.ret_code, 10006 | 429) => ls,
        Outcome::Reply(x) if batch && !matches!(x.ret_code, 0 | 10000 | 10016) => ls,
        Outcome::Reply(x) if batch && x.ret_code == 0 && x.codes.len() == ls.len() => ls
            .into_iter()
            .zip(&x.codes)
            .filter(|(_, c)| matches!(c.code, 10006 | 429))
            .map(|(l, _)| l)
            .collect(),
        _ => Vec::new(),
    }
}

fn check(s: &Setup, sc: &Scenario, d: &Driver) -> Result<(), TestCaseError> {
    let bound = if s.enabled {
        s.max_parallel as usize
    } else {
        1
    };
    prop_assert!(
        d.max_in_flight <= bound,
        "in flight {} > {bound}",
        d.max_in_flight
    );
    prop_assert_eq!(d.exchange.stats.rate_limited, 0, "budget overspent");
    // Never more than `levels` of our orders on one side of the book, at
    // any moment, whatever the faults.
    prop_assert!(
        d.max_side_orders <= s.levels as usize,
        "{} orders rested on one side, levels = {}",
        d.max_side_orders,
        s.levels
    );
    let category_of: BTreeMap<&str, Category> = sc
        .instruments
        .iter()
        .map(|i| (i.symbol.as_str(), i.category))
        .collect();

    let mut placed: BTreeMap<String, (usize, String)> = BTreeMap::new();
    let mut tick = 0usize;
    let mut amended: BTreeSet<String> = BTreeSet::new();
    let mut cancelled: BTreeSet<String> = BTreeSet::new();
    // (tick, op, orderLinkId) -> times sent: the multiset of commands sent.
    let mut sent: BTreeMap<(usize, &str, String), u64> = BTreeMap::new();
    // Request id -> (tick, request), for the answers below.
    let mut by_id: BTreeMap<u64, (usize, &Request)> = BTreeMap::new();
    for e in &d.effects {
        match e {
            Effect::Log(l) if l.text.contains(" start: ") => {
                tick += 1;
                amended.clear();
                cancelled.clear();
            }
            Effect::Send(r) => {
                let ep = r.kind.endpoint();
                let n = links(r).len();
                by_id.insert(r.id.0, (tick, r));
                if let Some(cat) = batch_category(r) {
                    prop_assert!(s.enabled, "a batch in legacy mode");
                    let limit = (s.max_batch as usize).min(cat.batch_limit());
                    prop_assert!(
                        n >= 1 && n <= limit,
                        "{:?} batch of {n} (limit {limit})",
                        cat
                    );
                    let syms = symbols(r);
                    prop_assert!(
                        syms.iter()
                            .all(|x| category_of.get(x.as_str()) == Some(&cat)),
                        "a {:?} batch carries {:?}",
                        cat,
                        syms
                    );
                    if s.by_symbol {
                        prop_assert!(syms.iter().all(|x| *x == syms[0]), "mixed symbols");
                    }
                }
                let ls = links(r);
                if let Some(op) = op_of(ep) {
                    for l in &ls {
                        *sent.entry((tick, op, l.clone())).or_default() += 1;
                    }
                }
                match ep {
                    Endpoint::CreateBatch | Endpoint::Create => {
                        for (l, sym) in ls.iter().zip(symbols(r)) {
                            prop_assert!(l.len() <= 36 && l.starts_with("prop-"));
                            let first = placed.entry(l.clone()).or_insert((tick, sym.clone()));
                            prop_assert_eq!(first.0, tick, "link {} placed in two ticks", l);
                            prop_assert_eq!(&first.1, &sym);
                        }
                    }
                    Endpoint::AmendBatch | Endpoint::Amend => {
                        for l in ls {
                            prop_assert!(!cancelled.contains(&l), "{} amended and cancelled", l);
                            amended.insert(l);
                        }
                    }
                    Endpoint::CancelBatch | Endpoint::Cancel => {
                        for l in ls {
                            prop_assert!(!amended.contains(&l), "{} amended and cancelled", l);
                            cancelled.insert(l);
                        }
                    }
                    _ => {}
                }
                if !s.enabled || !s.coalesce[0] {
                    prop_assert!(ep != Endpoint::CancelBatch);
                }
                if !s.enabled || !s.coalesce[2] {
                    prop_assert!(ep != Endpoint::CreateBatch);
                }
            }
            _ => {}
        }
    }

    // Every command lands in exactly one request, plus one more for each
    // answer that asked for it to be sent again (none without faults).
    let mut again: BTreeMap<(usize, &str, String), u64> = BTreeMap::new();
    for input in &d.inputs {
        if let Input::Response {
            request_id,
            outcome,
            ..
        } = input
            && let Some((t, r)) = by_id.get(&request_id.0)
            && let Some(op) = op_of(r.kind.endpoint())
        {
            for l in resent(r, outcome) {
                *again.entry((*t, op, l)).or_default() += 1;
            }
        }
    }
    if s.faults.is_empty() {
        prop_assert!(again.is_empty(), "nothing asked to be re-sent: {:?}", again);
    }
    for (key, n) in &sent {
        let allowed = 1 + again.get(key).copied().unwrap_or(0);
        prop_assert!(
            *n <= allowed,
            "{:?} sent {} times, {} allowed",
            key,
            n,
            allowed
        );
    }
    let t = d.engine.totals();
    let cmd = |op| t.commands.get(&op).copied().unwrap_or(0);
    let distinct = |op: &str| sent.keys().filter(|k| k.1 == op).count() as u64;
    prop_assert_eq!(
        distinct("cancel"),
        cmd(mm_core::Op::Cancel),
        "cancels decided vs sent"
    );
    // Amends: every one decided is sent, or dropped unsent at its tick's
    // deadline (with faults a dropped one may have been sent once before).
    if s.faults.is_empty() {
        prop_assert_eq!(
            distinct("amend") + t.stale_amends,
            cmd(mm_core::Op::Amend),
            "amends decided vs sent + dropped"
        );
    } else {
        prop_assert!(
            distinct("amend") <= cmd(mm_core::Op::Amend)
                && cmd(mm_core::Op::Amend) <= distinct("amend") + t.stale_amends,
            "amends decided {} vs sent {} + dropped {}",
            cmd(mm_core::Op::Amend),
            distinct("amend"),
            t.stale_amends
        );
    }
    // Places: every order created is a place command; the ones never sent
    // are exactly stale drops (all of them without faults; with faults a
    // stale drop may also hit a re-queued place that was sent once).
    prop_assert_eq!(cmd(mm_core::Op::Place), t.orders_created);
    let created: BTreeSet<String> = (1..=t.orders_created)
        .map(|n| format!("prop-{n}"))
        .collect();
    let sent_places: BTreeSet<String> = placed.keys().cloned().collect();
    prop_assert!(
        sent_places.is_subset(&created),
        "a place for an order never created"
    );
    let never_sent = created.len() as u64 - sent_places.len() as u64;
    let stale_places = t.stale_drops - t.stale_amends;
    if s.faults.is_empty() {
        prop_assert_eq!(never_sent, stale_places);
    } else {
        prop_assert!(
            never_sent <= stale_places,
            "{} never sent, {} stale",
            never_sent,
            stale_places
        );
    }
    // Nothing lost: every order is live or gone with a reason, and core
    // agrees with the exchange.
    let counts = d.engine.order_counts();
    prop_assert_eq!(counts.unknown, 0, "{:?}", counts);
    prop_assert_eq!(counts.live + counts.gone, t.orders_created, "{:?}", counts);
    let (ours, theirs) = common::resting(d);
    prop_assert_eq!(ours, theirs);
    Ok(())
}

/// The same inputs give byte-identical logs (and effects).
fn replays_identically(sc: &Scenario, d: &Driver) -> Result<(), TestCaseError> {
    let mut e = Engine::new(
        d.engine.config().clone(),
        sc.instruments.clone(),
        SessionId::new("prop").unwrap(),
    )
    .unwrap();
    // The run may have applied no config change, so the initial config is
    // the one the engine still holds.
    let mut log = String::new();
    let mut effects = Vec::new();
    for input in &d.inputs {
        e.handle(input.clone());
        while let Some(effect) = e.poll_effect() {
            if let Effect::Log(l) = &effect {
                log.push_str(&l.render());
                log.push('\n');
            }
            effects.push(effect);
        }
    }
    prop_assert!(log == d.log, "replayed log differs");
    prop_assert!(effects == d.effects, "replayed effects differ");
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 128, ..ProptestConfig::default() })]

    #[test]
    fn engine_invariants_hold(s in setup()) {
        let (d, sc) = run(&s);
        check(&s, &sc, &d)?;
        replays_identically(&sc, &d)?;
    }

    #[test]
    fn external_quotes_keep_the_invariants(s in external_setup()) {
        let (d, sc) = run(&s);
        check(&s, &sc, &d)?;
        replays_identically(&sc, &d)?;
        let t = d.engine.totals();
        let q = s.quotes.as_ref().unwrap();
        let pushed = q.iter().flatten().flatten().count() as u64;
        prop_assert_eq!(t.external_quote_sets + t.refused_quote_sets, pushed);
        let bad = q.iter().flatten().flatten().filter(|sh| sh.kind >= 7).count() as u64;
        prop_assert_eq!(t.refused_quote_sets, bad);
    }
}

#[test]
fn input_variants_are_all_exercised_by_replay() {
    // A guard that the replay above covers every input kind it can see.
    let s = Setup {
        symbols: 2,
        levels: 2,
        enabled: true,
        by_symbol: false,
        reprice: 0,
        max_dev: 5,
        coalesce: [true; 3],
        place_with_cancel: false,
        max_batch: 20,
        max_parallel: 4,
        rate: 50,
        latency: 10,
        deadline: 200,
        moves: vec![vec![0, 0], vec![40, -40], vec![40, 40]],
        spoil: vec![],
        faults: vec![(1, 1)],
        delays: vec![(2, 300)],
        mixed: true,
        long_books: false,
        quotes: None,
    };
    let (d, sc) = run(&s);
    assert!(
        d.effects
            .iter()
            .any(|e| matches!(e, Effect::Send(r) if batch_category(r) == Some(Category::Spot))),
        "the mixed scenario sends spot batches"
    );
    assert!(d.inputs.iter().any(|i| matches!(i, Input::Wake { .. })));
    assert!(d.inputs.iter().any(|i| matches!(i, Input::Response { .. })));
    check(&s, &sc, &d).unwrap();
    replays_identically(&sc, &d).unwrap();
}
