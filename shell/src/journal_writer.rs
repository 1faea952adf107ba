//! The session journal and the core log, as files.
//!
//! Journal (`mm_core::journal`, format 2): segment 0's header, then one
//! numbered record frame per input, each written with one `write_all`
//! before the input is handled (a crash leaves whole frames, at worst a
//! torn last one, which decoding reports), then on an orderly ending the
//! end-of-session frame (`finish`). With a rotate size, once a segment has
//! passed it the next frame starts a new segment file, `FILE.1`, `FILE.2`...
//! (`segment_path`); creating a journal removes the segments an earlier
//! journal at the same path left (its segment 0 is overwritten: they are
//! unreadable without it). Log: one `LogEvent::render()` line per
//! `Effect::Log`, flushed after each drain.
//!
//! A write that fails stops that writer for good (every later call is a
//! no-op returning `Ok`): the loop reports the first failure and shuts the
//! session down, and a half-written file must not grow frames or lines
//! after a gap (nor an end frame after a gap).

use std::ffi::OsString;
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use mm_core::Input;
use mm_core::journal::{Encoder, JournalHeader, SessionEnd};

/// Why a journal or log write failed; the writer is stopped after it.
#[derive(Debug, thiserror::Error)]
pub enum WriteError {
    #[error("cannot create {}: {source}", .path.display())]
    Create {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("journal {}: listing old segments: {source}", .path.display())]
    ListSegments {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("cannot remove old segment {}: {source}", .path.display())]
    RemoveSegment {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("journal {}: starting segment {segment} failed: {source}", .path.display())]
    StartSegment {
        path: PathBuf,
        segment: u32,
        source: std::io::Error,
    },
    /// `what`: the header, input N, the end-of-session frame...
    #[error("journal {}: writing {what} failed: {source}", .path.display())]
    Journal {
        path: PathBuf,
        what: String,
        source: std::io::Error,
    },
    #[error("log {}: {source}", .path.display())]
    Log {
        path: PathBuf,
        source: std::io::Error,
    },
}

type Sink = Box<dyn Write + Send>;
/// Opens segment `n` (n >= 1) of a journal.
type Opener = Box<dyn FnMut(u32) -> std::io::Result<Sink> + Send>;

pub struct JournalWriter {
    file: Option<Sink>,
    /// Segment 0's path (later segments are named from it).
    path: PathBuf,
    encoder: Encoder,
    frames: u64,
    /// Start a new segment once the current one holds this many bytes (0 = never).
    rotate_bytes: u64,
    segment_bytes: u64,
    open: Opener,
}

impl JournalWriter {
    /// A journal at `path`, rotated past `rotate_bytes` (0 = one file).
    pub fn create(
        path: &Path,
        header: &JournalHeader,
        rotate_bytes: u64,
    ) -> Result<JournalWriter, WriteError> {
        let file = create_file(path)?;
        let listed = later_segments(path).map_err(|source| WriteError::ListSegments {
            path: path.to_path_buf(),
            source,
        })?;
        for (_, stale) in listed {
            std::fs::remove_file(&stale).map_err(|source| WriteError::RemoveSegment {
                path: stale,
                source,
            })?;
        }
        let base = path.to_path_buf();
        let open: Opener = Box::new(move |n| {
            let file: Sink = Box::new(File::create(segment_path(&base, n))?);
            Ok(file)
        });
        JournalWriter::with_segments(Box::new(file), path, header, rotate_bytes, open)
    }

    /// A journal on any writer, never rotated (`path` names it in messages).
    pub fn from_writer(
        out: Sink,
        path: &Path,
        header: &JournalHeader,
    ) -> Result<JournalWriter, WriteError> {
        let never: Opener = Box::new(|_| Err(std::io::Error::other("no rotation")));
        JournalWriter::with_segments(out, path, header, 0, never)
    }

    /// A journal whose segment 0 is `out` and segment n is `open(n)`.
    pub fn with_segments(
        mut out: Sink,
        path: &Path,
        header: &JournalHeader,
        rotate_bytes: u64,
        open: Opener,
    ) -> Result<JournalWriter, WriteError> {
        let (encoder, head) = Encoder::new(header);
        out.write_all(&head).map_err(|source| WriteError::Journal {
            path: path.to_path_buf(),
            what: "the header".to_string(),
            source,
        })?;
        Ok(JournalWriter {
            file: Some(out),
            path: path.to_path_buf(),
            encoder,
            frames: 0,
            rotate_bytes,
            segment_bytes: head.len() as u64,
            open,
        })
    }

    /// Appends one input; the frame is in the OS before this returns. The
    /// first failure stops the journal (see the module docs).
    pub fn append(&mut self, input: &Input) -> Result<(), WriteError> {
        if self.file.is_none() {
            return Ok(());
        }
        if self.rotate_bytes > 0 && self.segment_bytes >= self.rotate_bytes {
            self.rotate()?;
        }
        let frame = self.encoder.input(input);
        let what = format!("input {}", self.frames + 1);
        self.write(&frame, &what)?;
        self.frames += 1;
        Ok(())
    }

    /// Writes the end-of-session frame (`ended`: how the session ended, as
    /// its summary says) and closes the journal: a replay then knows it is
    /// whole. Nothing is written after a failed write (a gap).
    pub fn finish(&mut self, ended: &str) -> Result<(), WriteError> {
        if self.file.is_none() {
            return Ok(());
        }
        let frame = self.encoder.end(&SessionEnd {
            ended: ended.to_string(),
        });
        self.write(&frame, "the end-of-session frame")?;
        if let Some(mut file) = self.file.take() {
            file.flush().map_err(|source| WriteError::Journal {
                path: self.current(),
                what: "the end (flush)".to_string(),
                source,
            })?;
        }
        Ok(())
    }

    /// Whole input frames written (the session replays up to here).
    pub fn frames(&self) -> u64 {
        self.frames
    }

    /// Still journaling (no write has failed, not finished).
    pub fn is_open(&self) -> bool {
        self.file.is_some()
    }

    /// Segments started (1 = only the first).
    pub fn segments(&self) -> u32 {
        self.encoder.segment() + 1
    }

    fn rotate(&mut self) -> Result<(), WriteError> {
        let head = self.encoder.next_segment();
        let n = self.encoder.segment();
        let path = segment_path(&self.path, n);
        match (self.open)(n) {
            Ok(file) => self.file = Some(file),
            Err(source) => {
                self.file = None;
                return Err(WriteError::StartSegment {
                    path,
                    segment: n,
                    source,
                });
            }
        }
        self.segment_bytes = 0;
        self.write(&head, &format!("the header of segment {n}"))
    }

    fn write(&mut self, bytes: &[u8], what: &str) -> Result<(), WriteError> {
        let Some(file) = self.file.as_mut() else {
            return Ok(());
        };
        if let Err(source) = file.write_all(bytes) {
            self.file = None;
            return Err(WriteError::Journal {
                path: self.current(),
                what: what.to_string(),
                source,
            });
        }
        self.segment_bytes += bytes.len() as u64;
        Ok(())
    }

    /// The segment being written.
    fn current(&self) -> PathBuf {
        segment_path(&self.path, self.encoder.segment())
    }
}

/// Segment `n` of the journal at `path`: `path` itself for 0, else `path.n`.
pub fn segment_path(path: &Path, n: u32) -> PathBuf {
    if n == 0 {
        return path.to_path_buf();
    }
    let mut name = OsString::from(path.as_os_str());
    name.push(format!(".{n}"));
    PathBuf::from(name)
}

/// The files named as later segments of the journal at `path` (`path.N`,
/// N >= 1 in decimal without leading zeros), by N.
pub fn later_segments(path: &Path) -> std::io::Result<Vec<(u32, PathBuf)>> {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    let Some(base) = path.file_name().and_then(|n| n.to_str()) else {
        return Ok(Vec::new());
    };
    let entries = match std::fs::read_dir(dir) {
        Ok(e) => e,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(e),
    };
    let mut found = Vec::new();
    for entry in entries {
        let name = entry?.file_name();
        let Some(n) = name
            .to_str()
            .and_then(|n| n.strip_prefix(base))
            .and_then(|n| n.strip_prefix('.'))
            .filter(|d| !d.starts_with('0') && d.bytes().all(|b| b.is_ascii_digit()))
            .and_then(|d| d.parse::<u32>().ok())
        else {
            continue;
        };
        found.push((n, segment_path(path, n)));
    }
    found.sort();
    Ok(found)
}

pub struct LogWriter {
    out: Option<BufWriter<Sink>>,
    path: PathBuf,
}

impl LogWriter {
    pub fn create(path: &Path) -> Result<LogWriter, WriteError> {
        Ok(LogWriter::from_writer(Box::new(create_file(path)?), path))
    }

    /// A log on any writer (`path` names it in messages).
    pub fn from_writer(out: Sink, path: &Path) -> LogWriter {
        LogWriter {
            out: Some(BufWriter::new(out)),
            path: path.to_path_buf(),
        }
    }

    pub fn line(&mut self, line: &str) -> Result<(), WriteError> {
        let Some(out) = self.out.as_mut() else {
            return Ok(());
        };
        let r = out
            .write_all(line.as_bytes())
            .and_then(|()| out.write_all(b"\n"));
        self.check(r)
    }

    pub fn flush(&mut self) -> Result<(), WriteError> {
        let Some(out) = self.out.as_mut() else {
            return Ok(());
        };
        let r = out.flush();
        self.check(r)
    }

    fn check(&mut self, r: std::io::Result<()>) -> Result<(), WriteError> {
        r.map_err(|source| {
            // Whatever is still buffered is lost with it; never write after a gap.
            if let Some(out) = self.out.take() {
                let _ = out.into_parts();
            }
            WriteError::Log {
                path: self.path.clone(),
                source,
            }
        })
    }

    /// Still logging (no write has failed).
    pub fn is_open(&self) -> bool {
        self.out.is_some()
    }
}

fn create_file(path: &Path) -> Result<File, WriteError> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(|source| WriteError::Create {
            path: dir.to_path_buf(),
            source,
        })?;
    }
    File::create(path).map_err(|source| WriteError::Create {
        path: path.to_path_buf(),
        source,
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use std::sync::{Arc, Mutex};

    /// Accepts `room` bytes, then fails every write; `seen` records them.
    #[derive(Clone)]
    struct Tight {
        room: usize,
        seen: Arc<Mutex<Vec<u8>>>,
    }

    impl Write for Tight {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            let mut seen = self.seen.lock().unwrap();
            let left = self.room.saturating_sub(seen.len());
            if left == 0 {
                return Err(std::io::Error::other("no space left (test)"));
            }
            let n = buf.len().min(left);
            seen.extend_from_slice(&buf[..n]);
            Ok(n)
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    fn header() -> JournalHeader {
        let config = mm_core::Config::default();
        JournalHeader {
            session_id: mm_core::SessionId::new("t1").unwrap(),
            config,
            instruments: Vec::new(),
        }
    }

    fn wake(ms: u64) -> Input {
        Input::Wake {
            now_ms: mm_core::Timestamp(ms),
        }
    }

    #[test]
    fn a_failed_journal_write_is_reported_once_then_the_journal_stops() {
        let (mut enc, head) = Encoder::new(&header());
        let (head, frame) = (head.len(), enc.input(&wake(1)).len());
        let sink = Tight {
            room: head + 2 * frame + 1,
            seen: Arc::default(),
        };
        let mut j =
            JournalWriter::from_writer(Box::new(sink.clone()), Path::new("j.mmj"), &header())
                .unwrap();
        j.append(&wake(1)).unwrap();
        j.append(&wake(2)).unwrap();
        let e = j.append(&wake(3)).unwrap_err().to_string();
        assert!(e.contains("j.mmj") && e.contains("input 3"), "{e}");
        assert!(!j.is_open());
        assert_eq!(j.frames(), 2);
        // Stopped: nothing more is written, and no second error.
        let before = sink.seen.lock().unwrap().len();
        j.append(&wake(4)).unwrap();
        assert_eq!(sink.seen.lock().unwrap().len(), before);
    }

    /// Segments written to memory: segment n is `segs[n]`.
    type Segs = Arc<Mutex<Vec<Arc<Mutex<Vec<u8>>>>>>;

    struct Shared(Arc<Mutex<Vec<u8>>>);

    impl Write for Shared {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    fn in_memory(rotate_bytes: u64, max_segments: u32) -> (JournalWriter, Segs) {
        let segs: Segs = Arc::default();
        let first = Arc::new(Mutex::new(Vec::new()));
        segs.lock().unwrap().push(first.clone());
        let opened = segs.clone();
        let open: Opener = Box::new(move |n| {
            if n >= max_segments {
                return Err(std::io::Error::other("disk quota (test)"));
            }
            let seg = Arc::new(Mutex::new(Vec::new()));
            opened.lock().unwrap().push(seg.clone());
            Ok(Box::new(Shared(seg)) as Sink)
        });
        let j = JournalWriter::with_segments(
            Box::new(Shared(first)),
            Path::new("j.mmj"),
            &header(),
            rotate_bytes,
            open,
        )
        .unwrap();
        (j, segs)
    }

    fn bytes_of(segs: &Segs) -> Vec<Vec<u8>> {
        let segs = segs.lock().unwrap();
        segs.iter().map(|s| s.lock().unwrap().clone()).collect()
    }

    #[test]
    fn finish_ends_the_journal_and_rotation_splits_it_at_frame_boundaries() {
        let (mut j, segs) = in_memory(0, u32::MAX);
        let inputs: Vec<Input> = (0..50).map(wake).collect();
        for i in &inputs {
            j.append(i).unwrap();
        }
        let single = bytes_of(&segs);
        assert_eq!(single.len(), 1);
        let unfinished = mm_core::journal::decode(&single[0]).unwrap();
        assert_eq!((unfinished.inputs.len(), unfinished.end), (50, None));
        j.finish("stopped").unwrap();
        assert!(!j.is_open());
        j.append(&wake(99)).unwrap(); // closed: nothing more
        let whole = mm_core::journal::decode(&bytes_of(&segs)[0]).unwrap();
        assert!(whole.is_finished());
        assert_eq!(whole.inputs, inputs);
        assert_eq!(whole.end.as_ref().unwrap().ended, "stopped");

        // The same inputs rotated past 100 bytes: several segments, each
        // past the size but by less than one frame, one journal together.
        let (mut j, segs) = in_memory(100, u32::MAX);
        for i in &inputs {
            j.append(i).unwrap();
        }
        j.finish("stopped").unwrap();
        let parts = bytes_of(&segs);
        assert!(parts.len() > 3, "{} segments", parts.len());
        assert_eq!(j.segments() as usize, parts.len());
        let frame = Encoder::new(&header()).0.input(&wake(1)).len();
        for p in &parts[1..parts.len() - 1] {
            assert!(p.len() >= 100 && p.len() < 100 + frame + 1, "{}", p.len());
        }
        let refs: Vec<&[u8]> = parts.iter().map(Vec::as_slice).collect();
        let rotated = mm_core::journal::decode_segments(&refs).unwrap();
        assert_eq!(rotated, whole);
    }

    #[test]
    fn a_segment_that_cannot_be_started_stops_the_journal_naming_it() {
        let (mut j, segs) = in_memory(100, 2);
        let mut err = None;
        for i in 0..50 {
            if let Err(e) = j.append(&wake(i)) {
                err = Some(e);
                break;
            }
        }
        let err = err.expect("segment 2 cannot be opened").to_string();
        assert!(
            err.contains("j.mmj.2") && err.contains("starting segment 2") && err.contains("quota"),
            "{err}"
        );
        assert!(!j.is_open());
        // No end frame after the gap: the journal reads as unfinished.
        j.finish("write_failed").unwrap();
        let parts = bytes_of(&segs);
        let refs: Vec<&[u8]> = parts.iter().map(Vec::as_slice).collect();
        let got = mm_core::journal::decode_segments(&refs).unwrap();
        assert_eq!((got.damage, got.end), (None, None));
        assert_eq!(got.inputs.len() as u64, j.frames());
    }

    #[test]
    fn segments_are_named_and_found_by_index_and_old_ones_removed() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("journal.mmj");
        assert_eq!(segment_path(&path, 0), path);
        assert_eq!(segment_path(&path, 12), dir.path().join("journal.mmj.12"));
        for name in [
            "journal.mmj.2",
            "journal.mmj.10",
            "journal.mmj.1",
            "journal.mmj.01",
            "journal.mmj.x",
            "journal.mmjx.3",
            "other.mmj.1",
        ] {
            std::fs::write(dir.path().join(name), b"").unwrap();
        }
        let found: Vec<u32> = later_segments(&path)
            .unwrap()
            .iter()
            .map(|(n, _)| *n)
            .collect();
        assert_eq!(found, [1, 2, 10]);
        // A new journal there removes them (they belonged to the journal it replaces).
        let j = JournalWriter::create(&path, &header(), 0).unwrap();
        drop(j);
        assert!(later_segments(&path).unwrap().is_empty());
        assert!(dir.path().join("other.mmj.1").exists());
        assert!(dir.path().join("journal.mmj.01").exists());
    }

    #[test]
    fn a_failed_log_flush_is_reported_once_then_the_log_stops() {
        let sink = Tight {
            room: 4,
            seen: Arc::default(),
        };
        let mut log = LogWriter::from_writer(Box::new(sink.clone()), Path::new("core.log"));
        log.line("a line longer than four bytes").unwrap(); // buffered
        let e = log.flush().unwrap_err().to_string();
        assert!(e.contains("core.log"), "{e}");
        assert!(!log.is_open());
        log.line("later").unwrap();
        log.flush().unwrap();
        assert_eq!(sink.seen.lock().unwrap().len(), 4);
    }
}
