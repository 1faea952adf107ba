//! Format 2's ordering guarantees: every record's sequence number (a dropped,
//! duplicated or reordered frame is named with the seq expected, the seq
//! found and the byte), the end-of-session frame (finished vs unfinished),
//! and segments (in order, of one session, continuing the sequence).
#![allow(clippy::unwrap_used)]

use mm_core::journal::{
    Encoder, JournalError, JournalHeader, Reader, SessionEnd, decode, decode_segments,
};
use mm_core::replay::{LogReplay, replay};
use mm_core::virtual_exchange::{Driver, Fault, Scenario, VirtualExchange};
use mm_core::{Engine, Input, SessionId, Timestamp};

fn header(id: &str) -> JournalHeader {
    let sc = Scenario::seed();
    JournalHeader {
        session_id: SessionId::new(id).unwrap(),
        config: sc.config,
        instruments: sc.instruments,
    }
}

fn end() -> SessionEnd {
    SessionEnd {
        ended: "stopped".to_string(),
    }
}

/// A short seed session with faults and a shutdown: its inputs and live log.
fn session(id: &str) -> (Vec<Input>, String) {
    let sc = Scenario::seed();
    let engine = Engine::new(
        sc.config.clone(),
        sc.instruments.clone(),
        SessionId::new(id).unwrap(),
    )
    .unwrap();
    let mut vx = VirtualExchange::new(&sc.instruments, sc.config.rate_limits.clone());
    vx.script_orders(3, Fault::Http(503));
    vx.script_orders(5, Fault::TimeoutApplied);
    let mut d = Driver::new(engine, vx, Timestamp(1_000_000), 10);
    d.keep_inputs = true;
    d.run_ticks(8, 200, |k, now| sc.books(k, now));
    d.feed(Input::Shutdown { now_ms: d.now });
    d.run_idle(30_000);
    (d.inputs, d.log)
}

/// The record frames of a finished journal, apart: (preamble + header, frames).
fn frames(header: &JournalHeader, inputs: &[Input]) -> (Vec<u8>, Vec<Vec<u8>>) {
    let (mut enc, head) = Encoder::new(header);
    let mut out: Vec<Vec<u8>> = inputs.iter().map(|i| enc.input(i)).collect();
    out.push(enc.end(&end()));
    (head, out)
}

fn join(head: &[u8], frames: &[Vec<u8>]) -> Vec<u8> {
    let mut b = head.to_vec();
    for f in frames {
        b.extend_from_slice(f);
    }
    b
}

/// Segments of a finished journal, a new one after every `per` records.
fn segments(header: &JournalHeader, inputs: &[Input], per: usize) -> Vec<Vec<u8>> {
    let (mut enc, first) = Encoder::new(header);
    let mut segs = vec![first];
    for (i, input) in inputs.iter().enumerate() {
        if i > 0 && i % per == 0 {
            segs.push(enc.next_segment());
        }
        let f = enc.input(input);
        segs.last_mut().unwrap().extend_from_slice(&f);
    }
    let f = enc.end(&end());
    segs.last_mut().unwrap().extend_from_slice(&f);
    segs
}

fn damage_of(bytes: &[u8]) -> (usize, JournalError) {
    let j = decode(bytes).unwrap();
    (j.inputs.len(), j.damage.expect("damage expected"))
}

#[test]
fn a_finished_journal_ends_with_its_end_frame() {
    let (inputs, live) = session("seq1");
    let h = header("seq1");
    let (head, fr) = frames(&h, &inputs);
    let j = decode(&join(&head, &fr)).unwrap();
    assert!(j.is_finished(), "{:?}", j.damage);
    assert_eq!(j.end, Some(end()));
    assert_eq!(replay(&j).unwrap().log, live);

    // Without its end frame: every input, no damage, unfinished.
    let j = decode(&join(&head, &fr[..fr.len() - 1])).unwrap();
    assert_eq!(j.inputs, inputs);
    assert_eq!((j.damage, j.end), (None, None));

    // A frame after the end frame is damage.
    let mut after = fr.clone();
    let (_, more) = frames(&h, &inputs[..1]);
    after.push(more[0].clone());
    let (n, d) = damage_of(&join(&head, &after));
    assert_eq!(n, inputs.len());
    assert!(
        d.reason.contains("a frame after the end-of-session frame"),
        "{d}"
    );
}

#[test]
fn a_dropped_frame_is_a_sequence_gap_named_by_seq_and_byte() {
    let (inputs, _) = session("seq2");
    let (head, mut fr) = frames(&header("seq2"), &inputs);
    let at = head.len() + fr[..10].iter().map(Vec::len).sum::<usize>();
    fr.remove(10);
    let (n, d) = damage_of(&join(&head, &fr));
    assert_eq!(n, 10, "everything before the gap replays");
    assert_eq!((d.frame, d.offset), (11, at as u64));
    assert_eq!(
        d.reason,
        format!(
            "sequence gap: expected seq 10, found 11 at byte {at}; the frame with seq 10 is missing"
        )
    );
    // Several dropped.
    fr.drain(10..13);
    let (_, d) = damage_of(&join(&head, &fr));
    assert!(
        d.reason
            .starts_with("sequence gap: expected seq 10, found 14 at byte")
            && d.reason
                .ends_with("the frames with seq 10 to 13 are missing"),
        "{d}"
    );
}

#[test]
fn a_duplicated_frame_is_named() {
    let (inputs, _) = session("seq3");
    let (head, mut fr) = frames(&header("seq3"), &inputs);
    let at = head.len() + fr[..8].iter().map(Vec::len).sum::<usize>();
    let copy = fr[7].clone();
    fr.insert(8, copy);
    let (n, d) = damage_of(&join(&head, &fr));
    assert_eq!(n, 8);
    assert_eq!((d.frame, d.offset), (9, at as u64));
    assert_eq!(
        d.reason,
        format!("duplicated frame: expected seq 8, found 7 at byte {at} (seq 7 was already read)")
    );
}

#[test]
fn a_reordered_frame_is_named_with_where_the_expected_one_is() {
    let (inputs, _) = session("seq4");
    let (head, mut fr) = frames(&header("seq4"), &inputs);
    fr.swap(5, 6);
    let at = head.len() + fr[..5].iter().map(Vec::len).sum::<usize>();
    let later = at + fr[5].len();
    let (n, d) = damage_of(&join(&head, &fr));
    assert_eq!(n, 5);
    assert_eq!(d.offset, at as u64);
    assert_eq!(
        d.reason,
        format!(
            "reordered frame: expected seq 5, found 6 at byte {at}; seq 5 comes later, at byte {later}"
        )
    );
}

#[test]
fn segments_replay_as_one_journal() {
    let (inputs, live) = session("seg1");
    let h = header("seg1");
    let whole = decode(&join(&frames(&h, &inputs).0, &frames(&h, &inputs).1)).unwrap();
    let segs = segments(&h, &inputs, 7);
    assert!(segs.len() > 3, "{} segments", segs.len());
    let refs: Vec<&[u8]> = segs.iter().map(Vec::as_slice).collect();
    let j = decode_segments(&refs).unwrap();
    assert_eq!(j, whole);
    assert!(j.is_finished());

    // Streamed, one segment's bytes at a time, through the log replay.
    let mut reader = Reader::new(&segs[0]).unwrap();
    let mut rep = LogReplay::new(reader.header()).unwrap();
    assert_eq!(rep.feed(&mut reader), None);
    let mut cont = reader.into_continuation();
    for (k, seg) in segs.iter().enumerate().skip(1) {
        let owned = seg.clone(); // dropped before the next segment is read
        let mut r = cont.resume(&owned).unwrap();
        assert_eq!(r.segment() as usize, k);
        assert_eq!(rep.feed(&mut r), None);
        cont = r.into_continuation();
    }
    assert_eq!(cont.end(), Some(&end()));
    assert_eq!(rep.inputs(), inputs.len());
    assert_eq!(rep.into_log(), live);

    // Cut before the last segment: unfinished, not damaged.
    let j = decode_segments(&refs[..refs.len() - 1]).unwrap();
    assert_eq!((j.damage, j.end), (None, None));
}

#[test]
fn a_missing_foreign_or_misplaced_segment_is_refused_by_name() {
    let (inputs, _) = session("seg2");
    let h = header("seg2");
    let segs = segments(&h, &inputs, 7);
    let refs: Vec<&[u8]> = segs.iter().map(Vec::as_slice).collect();
    let before = |k: usize| -> usize { (7 * k).min(inputs.len()) };
    let refused = |list: &[&[u8]]| decode_segments(list).unwrap();

    // Segment 1 missing.
    let j = refused(&[refs[0], refs[2], refs[3]]);
    assert_eq!(j.inputs.len(), before(1), "segment 0 still replays");
    let d = j.damage.unwrap();
    assert_eq!((d.segment, d.frame), (1, 0));
    assert!(
        d.reason
            .starts_with("segment 1 is missing: this is segment 2"),
        "{d}"
    );
    assert!(
        d.to_string().starts_with("journal segment 1: frame 0"),
        "{d}"
    );

    // Out of order.
    let d = refused(&[refs[0], refs[1], refs[1]]).damage.unwrap();
    assert!(
        d.reason
            .starts_with("segments out of order: this is segment 1"),
        "{d}"
    );
    let e = Reader::new(refs[1]).unwrap_err();
    assert!(
        e.reason
            .contains("this is segment 1 of session seg2; a journal is read from its segment 0"),
        "{e}"
    );

    // Another session's segment 1, another id or the same id with another
    // setup (a re-recording under a fixed id).
    let other = segments(&header("seg3"), &inputs, 7);
    let d = refused(&[refs[0], &other[1]]).damage.unwrap();
    assert!(
        d.reason
            .starts_with("foreign segment: it belongs to session seg3")
            && d.reason.contains("this journal is session seg2"),
        "{d}"
    );
    let mut h2 = header("seg2");
    h2.config.quoting.levels += 1;
    let twin = segments(&h2, &inputs, 7);
    let d = refused(&[refs[0], &twin[1]]).damage.unwrap();
    assert!(d.reason.starts_with("foreign segment"), "{d}");

    // A segment whose first seq does not continue (a segment of the same
    // session with frames dropped at its end is a gap between segments).
    let mut short = segs[0].clone();
    let (_, fr) = frames(&h, &inputs);
    short.truncate(short.len() - fr[6].len());
    let d = refused(&[&short, refs[1]]).damage.unwrap();
    assert_eq!(
        d.reason,
        "sequence gap between segments: segment 1 starts at seq 7, segment 0 ended before seq 6"
    );

    // Anything after the end of the session.
    let mut list = refs.clone();
    list.push(refs[1]);
    let j = refused(&list);
    assert_eq!(j.end, Some(end()));
    let d = j.damage.unwrap();
    assert!(
        d.reason
            .starts_with("a segment after the end of the session"),
        "{d}"
    );
}
