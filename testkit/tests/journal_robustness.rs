//! The journal decoder never panics and always names where damage starts
//! (issue 5 item 8): random bytes, every truncation of a real journal,
//! flipped bits. "Real" journals are the recorded sessions in
//! `snapshots/sessions/` plus one recorded here from the virtual exchange,
//! so the test bites even before sessions are committed.
#![allow(clippy::unwrap_used)]

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use mm_core::journal::{
    Encoder, FORMAT_VERSION, JournalError, JournalHeader, MAGIC, PREAMBLE_LEN, Reader, decode,
};
use mm_core::virtual_exchange::{Driver, Fault, Scenario, VirtualExchange};
use mm_core::{Engine, Input, SessionId, Timestamp};
use proptest::prelude::*;

/// A journal's bytes, the offset each frame starts at (frame 0 = header,
/// then inputs and the end-of-session frame; the last entry is the end of
/// the bytes), and its inputs.
struct Known {
    name: String,
    /// From `snapshots/sessions/` (not recorded here).
    recorded: bool,
    /// Ends with its end-of-session frame.
    finished: bool,
    bytes: Vec<u8>,
    bounds: Vec<usize>,
    inputs: Vec<Input>,
}

impl Known {
    fn new(name: String, bytes: Vec<u8>) -> Known {
        Known::from(name, bytes, false)
    }

    fn from(name: String, bytes: Vec<u8>, recorded: bool) -> Known {
        let mut reader = Reader::new(&bytes).unwrap_or_else(|e| panic!("{name}: {e}"));
        let mut bounds = vec![PREAMBLE_LEN, reader.offset() as usize];
        let mut inputs = Vec::new();
        while let Some(item) = reader.next() {
            inputs.push(item.unwrap_or_else(|e| panic!("{name} is damaged: {e}")));
            bounds.push(reader.offset() as usize);
        }
        // The end-of-session frame yields no input: its bound comes last.
        let finished = reader.end().is_some();
        if finished {
            bounds.push(reader.offset() as usize);
        }
        assert_eq!(*bounds.last().unwrap(), bytes.len());
        Known {
            name,
            recorded,
            finished,
            bytes,
            bounds,
            inputs,
        }
    }

    /// The frame `pos` falls in (0 = magic, version or header).
    fn frame_of(&self, pos: usize) -> usize {
        if pos < self.bounds[1] {
            return 0;
        }
        self.bounds.iter().filter(|&&b| b <= pos).count() - 1
    }
}

/// A few ticks of the seed scenario with faults, recorded in memory.
fn small_journal(ticks: u64) -> Vec<u8> {
    let sc = Scenario::seed();
    let session = SessionId::new("rob").unwrap();
    let engine = Engine::new(sc.config.clone(), sc.instruments.clone(), session.clone()).unwrap();
    let mut exchange = VirtualExchange::new(&sc.instruments, sc.config.rate_limits.clone());
    exchange.script_orders(2, Fault::TimeoutApplied);
    exchange.script_orders(3, Fault::Http(502));
    exchange.script_orders(4, Fault::Malformed);
    let mut d = Driver::new(engine, exchange, Timestamp(1_000), 15);
    d.keep_inputs = true;
    d.run_ticks(ticks, 200, |k, now| sc.books(k, now));
    d.feed(Input::Shutdown { now_ms: d.now });
    d.run_idle(30_000);
    let header = JournalHeader {
        session_id: session,
        config: sc.config,
        instruments: sc.instruments,
    };
    mm_testkit::encode_journal(&header, &d.inputs)
}

/// The recorded sessions' journals, by path.
fn recorded_paths() -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../snapshots/sessions");
    let Ok(entries) = std::fs::read_dir(&dir) else {
        return Vec::new();
    };
    let mut paths: Vec<PathBuf> = entries
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "mmj"))
        .collect();
    paths.sort();
    paths
}

fn recorded(path: &Path) -> Known {
    Known::from(
        path.display().to_string(),
        std::fs::read(path).unwrap(),
        true,
    )
}

/// The in-memory journal first, then every recorded session.
fn journals() -> &'static [Known] {
    static ALL: OnceLock<Vec<Known>> = OnceLock::new();
    ALL.get_or_init(|| {
        let mut all = vec![in_memory()];
        all.extend(recorded_paths().iter().map(|p| recorded(p)));
        all
    })
}

fn in_memory() -> Known {
    Known::new("in-memory".to_string(), small_journal(3))
}

/// Whatever the bytes, an answer that names an offset inside them.
fn decodes_sanely(bytes: &[u8]) -> Result<(), TestCaseError> {
    match decode(bytes) {
        Ok(j) => {
            if let Some(d) = j.damage {
                prop_assert!(d.frame >= 1, "{}", d);
                prop_assert!(d.offset < bytes.len() as u64, "{}", d);
                let named = format!("byte offset {}", d.offset);
                prop_assert!(d.to_string().contains(&named), "{}", d);
            }
        }
        Err(e) => {
            prop_assert_eq!(e.frame, 0);
            prop_assert!(e.offset <= bytes.len() as u64, "{}", e);
        }
    }
    Ok(())
}

/// Cutting `k` bytes keeps every whole frame and names the torn one.
fn check_truncation(j: &Known, cut: usize) -> Result<(), TestCaseError> {
    let result = decode(&j.bytes[..cut]);
    if cut < j.bounds[1] {
        let e = result.err().unwrap();
        prop_assert_eq!(e.frame, 0);
        prop_assert!(e.offset <= cut as u64, "{}: cut {}: {}", j.name, cut, e);
        names_where(&e, j, cut)?;
        return Ok(());
    }
    let got = result.map_err(|e| TestCaseError::fail(format!("{}: cut {cut}: {e}", j.name)))?;
    let whole = j.bounds[1..].iter().filter(|&&b| b <= cut).count() - 1;
    let inputs = &j.inputs[..whole.min(j.inputs.len())];
    prop_assert!(got.inputs == inputs, "{}: cut {}", j.name, cut);
    // Only the whole journal is finished: a cut at a frame boundary is
    // unfinished, within a frame damaged.
    let whole_journal = j.finished && cut == j.bytes.len();
    prop_assert_eq!(got.end.is_some(), whole_journal, "{}: cut {}", j.name, cut);
    if j.bounds.contains(&cut) {
        prop_assert!(
            got.damage.is_none(),
            "{}: cut {} on a boundary",
            j.name,
            cut
        );
    } else {
        let d = got.damage.unwrap();
        prop_assert_eq!(d.frame, whole as u64 + 1, "{}: cut {}: {}", j.name, cut, d);
        prop_assert_eq!(
            d.offset,
            j.bounds[whole + 1] as u64,
            "{}: cut {}",
            j.name,
            cut
        );
        names_where(&d, j, cut)?;
    }
    Ok(())
}

/// The message a user reads names the frame and the byte offset.
fn names_where(e: &JournalError, j: &Known, cut: usize) -> Result<(), TestCaseError> {
    let text = e.to_string();
    let frame = format!("frame {} ", e.frame);
    let offset = format!("byte offset {}", e.offset);
    prop_assert!(
        text.contains(&frame) && text.contains(&offset),
        "{}: cut {}: {:?} does not say {:?} and {:?}",
        j.name,
        cut,
        text,
        frame,
        offset
    );
    Ok(())
}

/// One flipped bit is caught in the frame that holds it.
fn check_flip(j: &Known, pos: usize, bit: u8) -> Result<(), TestCaseError> {
    let mut bad = j.bytes.clone();
    bad[pos] ^= 1 << bit;
    let frame = j.frame_of(pos);
    let result = decode(&bad);
    if frame == 0 {
        let e = result.err().unwrap();
        prop_assert_eq!(e.frame, 0, "{}: byte {} bit {}", j.name, pos, bit);
        return Ok(());
    }
    let got = result.map_err(|e| TestCaseError::fail(format!("{}: {pos}: {e}", j.name)))?;
    let d = got
        .damage
        .ok_or_else(|| TestCaseError::fail(format!("{}: flip at {pos} unnoticed", j.name)))?;
    prop_assert_eq!(d.frame, frame as u64, "{}: byte {}: {}", j.name, pos, d);
    prop_assert_eq!(d.offset, j.bounds[frame] as u64, "{}: byte {}", j.name, pos);
    prop_assert!(got.inputs == j.inputs[..(frame - 1).min(j.inputs.len())]);
    Ok(())
}

/// The smallest recorded session in `snapshots/sessions/`, picked by file
/// size when the test runs (whichever sessions are committed then); only
/// that one is read.
fn smallest_recorded() -> Known {
    let path = recorded_paths()
        .into_iter()
        .min_by_key(|p| std::fs::metadata(p).unwrap().len())
        .expect("no recorded session in snapshots/sessions: nothing real to cut");
    recorded(&path)
}

/// Up to this size the recording is cut at every offset. Measured in a
/// debug build: rate_tail.mmj (7.6 KB, 50 frames) at every offset takes
/// ~1.3 s (each cut decodes the header's config again: ~0.17 ms a cut).
const EVERY_OFFSET_UP_TO: usize = 16 * 1024;

/// Cuts in a larger recording: every offset of the header and the first
/// 20 frames and of the last frame, every frame boundary and the bytes on
/// either side of it, and a stride (about 6000 cuts) through the rest.
fn cuts(j: &Known) -> Vec<usize> {
    let len = j.bytes.len();
    if len <= EVERY_OFFSET_UP_TO {
        return (0..=len).collect();
    }
    let head = j.bounds[j.bounds.len().min(22) - 1];
    let tail = j.bounds[j.bounds.len() - 2];
    let stride = (len / 6000) | 1;
    let mut at: Vec<usize> = (0..=head).chain(tail..=len).collect();
    at.extend((head..tail).step_by(stride));
    for &b in &j.bounds {
        at.extend([b.saturating_sub(1), b, (b + 1).min(len)]);
    }
    at.sort_unstable();
    at.dedup();
    at
}

/// A real journal, the smallest recorded session, cut everywhere (see
/// `cuts`): never a panic, every frame before the cut decodes, and the
/// damage names the torn frame and its byte offset.
#[test]
fn truncation_at_every_offset_of_a_recorded_journal() {
    let j = &smallest_recorded();
    assert!(
        j.inputs.len() > 20,
        "{}: too few frames to mean much",
        j.name
    );
    for cut in cuts(j) {
        check_truncation(j, cut).unwrap();
    }
}

/// The in-memory journal (faults scripted in: timeouts, 5xx, malformed
/// replies), cut everywhere too: it bites even with no session committed.
#[test]
fn truncation_at_every_offset_of_an_in_memory_journal() {
    let j = &in_memory();
    assert!(
        !j.recorded && j.inputs.len() > 20,
        "the in-memory journal is too small"
    );
    assert!(j.finished, "the in-memory journal has its end frame");
    for cut in 0..=j.bytes.len() {
        check_truncation(j, cut).unwrap();
    }
}

#[test]
fn every_bit_of_a_recorded_journal_flipped() {
    // The header and the first frames (a tick, replies, a wake): exhaustive
    // over every frame kind while staying quick; the proptest below flips
    // bits anywhere in every journal.
    let full = Known::new("tiny".to_string(), small_journal(1));
    let end = full.bounds[full.bounds.len().min(10) - 1];
    let j = Known::new("tiny-prefix".to_string(), full.bytes[..end].to_vec());
    assert!(j.inputs.iter().any(|i| matches!(i, Input::Tick { .. })));
    assert!(j.inputs.iter().any(|i| matches!(i, Input::Response { .. })));
    for pos in 0..j.bytes.len() {
        for bit in 0..8 {
            check_flip(&j, pos, bit).unwrap();
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: 512,
        // A failure prints its minimal case; no regressions file in the tree.
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    #[test]
    fn random_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..2048)) {
        decodes_sanely(&bytes)?;
    }

    #[test]
    fn random_frames_after_a_good_header_never_panic(
        tail in proptest::collection::vec(any::<u8>(), 0..2048),
    ) {
        let sc = Scenario::seed();
        let (_, mut bytes) = Encoder::new(&JournalHeader {
            session_id: SessionId::new("rnd").unwrap(),
            config: sc.config,
            instruments: sc.instruments,
        });
        bytes.extend_from_slice(&tail);
        decodes_sanely(&bytes)?;
    }

    #[test]
    fn random_bytes_after_the_magic_never_panic(
        tail in proptest::collection::vec(any::<u8>(), 0..512),
    ) {
        let mut bytes = MAGIC.to_vec();
        bytes.extend_from_slice(&FORMAT_VERSION.to_le_bytes());
        bytes.extend_from_slice(&tail);
        decodes_sanely(&bytes)?;
    }

    /// Every journal, recorded sessions included, cut anywhere.
    #[test]
    fn truncation_anywhere(which in any::<prop::sample::Index>(), at in any::<prop::sample::Index>()) {
        let all = journals();
        let j = &all[which.index(all.len())];
        check_truncation(j, at.index(j.bytes.len() + 1))?;
    }

    /// Every journal, recorded sessions included, one bit flipped anywhere.
    #[test]
    fn flipped_bit_anywhere(
        which in any::<prop::sample::Index>(),
        at in any::<prop::sample::Index>(),
        bit in 0u8..8,
    ) {
        let all = journals();
        let j = &all[which.index(all.len())];
        check_flip(j, at.index(j.bytes.len()), bit)?;
    }

    /// Several bits flipped: still never a panic, still an offset inside.
    #[test]
    fn many_flips_never_panic(
        which in any::<prop::sample::Index>(),
        flips in proptest::collection::vec((any::<prop::sample::Index>(), 0u8..8), 1..16),
    ) {
        let all = journals();
        let mut bytes = all[which.index(all.len())].bytes.clone();
        for (at, bit) in flips {
            let pos = at.index(bytes.len());
            bytes[pos] ^= 1 << bit;
        }
        decodes_sanely(&bytes)?;
    }
}
