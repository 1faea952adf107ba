//! The local order book: apply rules, ordering and trimming, and gap detection.

mod common;

use common::ws_example;
use mm_bybit::ws::{Applied, Book, BookGap, OrderbookData, PushType, StreamMessage};

const SNAP: PushType = PushType::Snapshot;
const DELTA: PushType = PushType::Delta;

fn levels(l: &[(&str, &str)]) -> Vec<(String, String)> {
    l.iter()
        .map(|(p, s)| ((*p).to_owned(), (*s).to_owned()))
        .collect()
}

fn data(u: u64, seq: u64, b: &[(&str, &str)], a: &[(&str, &str)]) -> OrderbookData {
    OrderbookData {
        s: "BTCUSDT".into(),
        b: levels(b),
        a: levels(a),
        u,
        seq,
    }
}

type Side<'a> = Vec<(&'a str, &'a str)>;

fn sides(book: &Book) -> (Side<'_>, Side<'_>) {
    (book.bids().collect(), book.asks().collect())
}

/// A synced book at u = 10, seq = 100.
fn seeded(depth: u32) -> Book {
    let mut book = Book::new("BTCUSDT", depth);
    let snap = data(
        10,
        100,
        &[("100", "1"), ("99", "2")],
        &[("101", "3"), ("102", "4")],
    );
    assert_eq!(book.apply(SNAP, &snap), Ok(Applied::Snapshot));
    book
}

#[test]
fn snapshot_replaces_the_whole_book() {
    let mut book = seeded(50);
    let snap = data(20, 200, &[("98", "5")], &[("103", "6")]);
    assert_eq!(book.apply(SNAP, &snap), Ok(Applied::Snapshot));
    assert_eq!(sides(&book), (vec![("98", "5")], vec![("103", "6")]));
    assert_eq!((book.update_id(), book.seq()), (Some(20), Some(200)));
}

#[test]
fn delta_sets_inserts_and_deletes_levels() {
    let mut book = seeded(50);
    let delta = data(
        11,
        101,
        // overwrite 100 (spelled differently), delete 99, delete an unknown price, insert 97
        &[("100.00", "1.5"), ("99", "0"), ("42", "0"), ("97", "7")],
        &[("101", "0.000"), ("101.5", "8")],
    );
    assert_eq!(book.apply(DELTA, &delta), Ok(Applied::Delta));
    assert_eq!(
        sides(&book),
        (
            vec![("100.00", "1.5"), ("97", "7")],
            vec![("101.5", "8"), ("102", "4")]
        )
    );
    assert_eq!(book.best_bid(), Some(("100.00", "1.5")));
    assert_eq!(book.best_ask(), Some(("101.5", "8")));
    assert_eq!(book.update_id(), Some(11));
}

#[test]
fn sides_are_sorted_and_trimmed_to_depth() {
    let mut book = Book::new("BTCUSDT", 3);
    let snap = data(
        1,
        1,
        &[
            ("9.5", "1"),
            ("10", "1"),
            ("9.75", "1"),
            ("9", "1"),
            ("10.01", "1"),
        ],
        &[("11", "1"), ("10.5", "1"), ("100", "1"), ("10.25", "1")],
    );
    book.apply(SNAP, &snap).expect("applies");
    let (b, a) = sides(&book);
    assert_eq!(
        b.iter().map(|l| l.0).collect::<Vec<_>>(),
        ["10.01", "10", "9.75"]
    );
    assert_eq!(
        a.iter().map(|l| l.0).collect::<Vec<_>>(),
        ["10.25", "10.5", "11"]
    );
    // A better level pushes the worst out of the window.
    book.apply(DELTA, &data(2, 2, &[("10.02", "1")], &[("10.1", "1")]))
        .expect("applies");
    let (b, a) = sides(&book);
    assert_eq!(
        b.iter().map(|l| l.0).collect::<Vec<_>>(),
        ["10.02", "10.01", "10"]
    );
    assert_eq!(
        a.iter().map(|l| l.0).collect::<Vec<_>>(),
        ["10.1", "10.25", "10.5"]
    );
}

#[test]
fn prices_are_compared_exactly_not_as_floats() {
    // Equal as f64, different as decimals.
    let mut book = Book::new("BTCUSDT", 50);
    let snap = data(1, 1, &[("0.3", "1"), ("0.30000000000000001", "2")], &[]);
    book.apply(SNAP, &snap).expect("applies");
    let (b, _) = sides(&book);
    assert_eq!(b, [("0.30000000000000001", "2"), ("0.3", "1")]);
}

#[test]
fn skipped_update_is_a_gap_until_the_next_snapshot() {
    let mut book = seeded(50);
    assert_eq!(
        book.apply(DELTA, &data(12, 102, &[("100", "9")], &[])),
        Err(BookGap::Skipped { last: 10, got: 12 })
    );
    assert!(!book.is_synced());
    assert_eq!(book.best_bid(), None, "a gapped book is not quoted from");
    assert_eq!(
        book.apply(DELTA, &data(13, 103, &[], &[])),
        Err(BookGap::NoSnapshot)
    );
    assert_eq!(
        book.apply(SNAP, &data(14, 104, &[("100", "1")], &[])),
        Ok(Applied::Snapshot)
    );
    assert_eq!(
        book.apply(DELTA, &data(15, 105, &[], &[])),
        Ok(Applied::Delta)
    );
}

#[test]
fn delta_before_any_snapshot_is_a_gap() {
    let mut book = Book::new("BTCUSDT", 50);
    assert_eq!(
        book.apply(DELTA, &data(1, 1, &[], &[])),
        Err(BookGap::NoSnapshot)
    );
}

#[test]
fn update_id_or_seq_going_backwards_is_a_gap() {
    let mut book = seeded(50);
    assert_eq!(
        book.apply(DELTA, &data(9, 101, &[], &[])),
        Err(BookGap::Backwards {
            field: "u",
            last: 10,
            got: 9
        })
    );
    let mut book = seeded(50);
    assert_eq!(
        book.apply(DELTA, &data(11, 99, &[], &[])),
        Err(BookGap::Backwards {
            field: "seq",
            last: 100,
            got: 99
        })
    );
    let mut book = seeded(50);
    assert!(matches!(
        book.apply(SNAP, &data(9, 101, &[], &[])),
        Err(BookGap::Backwards { field: "u", .. })
    ));
    assert!(!book.is_synced());
    let mut book = seeded(50);
    assert!(matches!(
        book.apply(SNAP, &data(10, 99, &[], &[])),
        Err(BookGap::Backwards { field: "seq", .. })
    ));
}

#[test]
fn snapshot_with_u_1_resets_after_a_restart() {
    let mut book = seeded(50);
    let restart = data(1, 5, &[("90", "1")], &[("91", "1")]);
    assert_eq!(book.apply(SNAP, &restart), Ok(Applied::Snapshot));
    assert_eq!(sides(&book), (vec![("90", "1")], vec![("91", "1")]));
    assert_eq!(book.apply(DELTA, &data(2, 6, &[], &[])), Ok(Applied::Delta));
    // A delta claiming u = 1 is no restart signal: it goes backwards.
    assert!(matches!(
        book.apply(DELTA, &data(1, 7, &[], &[])),
        Err(BookGap::Backwards { field: "u", .. })
    ));
}

#[test]
fn depth_1_resends_the_same_snapshot_with_the_same_u() {
    let mut book = seeded(1);
    let again = data(10, 100, &[("100", "1")], &[("101", "3")]);
    assert_eq!(book.apply(SNAP, &again), Ok(Applied::Snapshot));
    assert!(book.is_synced());
}

#[test]
fn a_repeated_delta_is_ignored() {
    let mut book = seeded(50);
    let delta = data(11, 101, &[("100", "5")], &[]);
    assert_eq!(book.apply(DELTA, &delta), Ok(Applied::Delta));
    let before = book.clone();
    assert_eq!(book.apply(DELTA, &delta), Ok(Applied::Duplicate));
    assert_eq!(book, before);
    // Same u with another seq is not a repeat.
    assert!(book.apply(DELTA, &data(11, 102, &[], &[])).is_err());
}

#[test]
fn a_bad_level_is_refused_whole() {
    let mut book = seeded(50);
    let bad = data(11, 101, &[("100", "5")], &[("1e3", "1")]);
    assert_eq!(
        book.apply(DELTA, &bad),
        Err(BookGap::BadLevel {
            price: "1e3".into(),
            size: "1".into()
        })
    );
    assert!(!book.is_synced());
    let mut book = Book::new("BTCUSDT", 50);
    assert!(matches!(
        book.apply(SNAP, &data(1, 1, &[("100", "-1")], &[])),
        Err(BookGap::BadLevel { .. })
    ));
    assert!(!book.is_synced());
}

#[test]
fn another_symbols_message_leaves_the_book_alone() {
    let mut book = seeded(50);
    let before = book.clone();
    let mut other = data(11, 101, &[], &[]);
    other.s = "ETHUSDT".into();
    assert_eq!(
        book.apply(DELTA, &other),
        Err(BookGap::WrongSymbol {
            expected: "BTCUSDT".into(),
            got: "ETHUSDT".into()
        })
    );
    assert_eq!(book, before);
}

#[test]
fn documented_delta_applies_to_its_predecessor() {
    let json = ws_example("orderbook_delta_linear.json");
    let Ok(StreamMessage::Orderbook(delta)) = StreamMessage::parse(&json) else {
        panic!("parses");
    };
    let mut book = Book::new("BTCUSDT", 50);
    let before = data(
        delta.data.u - 1,
        delta.data.seq - 1,
        &[("30247.20", "1"), ("30240.00", "2"), ("30239.00", "3")],
        &[("30248.70", "1"), ("30249.60", "2"), ("30260.00", "3")],
    );
    book.apply(SNAP, &before).expect("applies");
    assert_eq!(book.apply_push(&delta), Ok(Applied::Delta));
    let (b, a) = sides(&book);
    assert_eq!(
        b,
        [
            ("30247.20", "30.028"),
            ("30245.40", "0.224"),
            ("30242.10", "1.593"),
            ("30240.30", "1.305"),
            ("30239.00", "3")
        ]
    );
    assert_eq!(
        a.iter().map(|l| l.0).collect::<Vec<_>>(),
        [
            "30249.30", "30249.50", "30251.90", "30252.20", "30252.50", "30260.00"
        ]
    );
    // And the documented snapshot seeds a book whose next delta must be u + 1.
    let json = ws_example("orderbook_snapshot_linear.json");
    let Ok(StreamMessage::Orderbook(snap)) = StreamMessage::parse(&json) else {
        panic!("parses");
    };
    let mut book = Book::new("BTCUSDT", 50);
    assert_eq!(book.apply_push(&snap), Ok(Applied::Snapshot));
    assert_eq!(book.best_bid(), Some(("16493.50", "0.006")));
    assert!(matches!(
        book.apply_push(&delta),
        Err(BookGap::Skipped { .. })
    ));
}

#[test]
fn to_snapshot_rebuilds_the_same_book() {
    let mut book = seeded(50);
    book.apply(DELTA, &data(11, 101, &[("99.5", "1")], &[("101", "0")]))
        .expect("applies");
    let snap = book.to_snapshot().expect("synced");
    assert_eq!((snap.u, snap.seq), (11, 101));
    let mut copy = Book::new("BTCUSDT", 50);
    copy.apply(SNAP, &snap).expect("applies");
    assert_eq!(copy, book);
    assert_eq!(Book::new("BTCUSDT", 50).to_snapshot(), None);
}
