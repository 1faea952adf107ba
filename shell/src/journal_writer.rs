//! The session journal and the core log, as files.
//!
//! Journal: `encode_header` once, then one `encode_input` frame per input,
//! each written with one `write_all` before the input is handled (a crash
//! leaves at worst a torn last frame, which `decode` reports). Log: one
//! `LogEvent::render()` line per `Effect::Log`, flushed after each drain.
//!
//! A write that fails stops that writer for good (every later call is a
//! no-op returning `Ok`): the loop reports the first failure and shuts the
//! session down, and a half-written file must not grow frames or lines
//! after a gap.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use mm_core::Input;
use mm_core::journal::{JournalHeader, encode_header, encode_input};

type Sink = Box<dyn Write + Send>;

pub struct JournalWriter {
    file: Option<Sink>,
    path: PathBuf,
    frames: u64,
}

impl JournalWriter {
    pub fn create(path: &Path, header: &JournalHeader) -> Result<JournalWriter, String> {
        let file = create_file(path)?;
        JournalWriter::from_writer(Box::new(file), path, header)
    }

    /// A journal on any writer (`path` names it in messages).
    pub fn from_writer(
        mut out: Sink,
        path: &Path,
        header: &JournalHeader,
    ) -> Result<JournalWriter, String> {
        out.write_all(&encode_header(header))
            .map_err(|e| format!("journal {}: {e}", path.display()))?;
        Ok(JournalWriter {
            file: Some(out),
            path: path.to_path_buf(),
            frames: 0,
        })
    }

    /// Appends one input; the frame is in the OS before this returns. The
    /// first failure stops the journal (see the module docs).
    pub fn append(&mut self, input: &Input) -> Result<(), String> {
        let Some(file) = self.file.as_mut() else {
            return Ok(());
        };
        if let Err(e) = file.write_all(&encode_input(input)) {
            self.file = None;
            return Err(format!(
                "journal {}: writing input {} failed: {e}",
                self.path.display(),
                self.frames + 1
            ));
        }
        self.frames += 1;
        Ok(())
    }

    /// Whole frames written (the session replays up to here).
    pub fn frames(&self) -> u64 {
        self.frames
    }

    /// Still journaling (no write has failed).
    pub fn is_open(&self) -> bool {
        self.file.is_some()
    }
}

pub struct LogWriter {
    out: Option<BufWriter<Sink>>,
    path: PathBuf,
}

impl LogWriter {
    pub fn create(path: &Path) -> Result<LogWriter, String> {
        Ok(LogWriter::from_writer(Box::new(create_file(path)?), path))
    }

    /// A log on any writer (`path` names it in messages).
    pub fn from_writer(out: Sink, path: &Path) -> LogWriter {
        LogWriter {
            out: Some(BufWriter::new(out)),
            path: path.to_path_buf(),
        }
    }

    pub fn line(&mut self, line: &str) -> Result<(), String> {
        let Some(out) = self.out.as_mut() else {
            return Ok(());
        };
        let r = out
            .write_all(line.as_bytes())
            .and_then(|()| out.write_all(b"\n"));
        self.check(r)
    }

    pub fn flush(&mut self) -> Result<(), String> {
        let Some(out) = self.out.as_mut() else {
            return Ok(());
        };
        let r = out.flush();
        self.check(r)
    }

    fn check(&mut self, r: std::io::Result<()>) -> Result<(), String> {
        r.map_err(|e| {
            // Whatever is still buffered is lost with it; never write after a gap.
            if let Some(out) = self.out.take() {
                let _ = out.into_parts();
            }
            format!("log {}: {e}", self.path.display())
        })
    }

    /// Still logging (no write has failed).
    pub fn is_open(&self) -> bool {
        self.out.is_some()
    }
}

fn create_file(path: &Path) -> Result<File, String> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)
            .map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    }
    File::create(path).map_err(|e| format!("cannot create {}: {e}", path.display()))
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
        let head = encode_header(&header()).len();
        let frame = encode_input(&wake(1)).len();
        let sink = Tight {
            room: head + 2 * frame + 1,
            seen: Arc::default(),
        };
        let mut j =
            JournalWriter::from_writer(Box::new(sink.clone()), Path::new("j.mmj"), &header())
                .unwrap();
        j.append(&wake(1)).unwrap();
        j.append(&wake(2)).unwrap();
        let e = j.append(&wake(3)).unwrap_err();
        assert!(e.contains("j.mmj") && e.contains("input 3"), "{e}");
        assert!(!j.is_open());
        assert_eq!(j.frames(), 2);
        // Stopped: nothing more is written, and no second error.
        let before = sink.seen.lock().unwrap().len();
        j.append(&wake(4)).unwrap();
        assert_eq!(sink.seen.lock().unwrap().len(), before);
    }

    #[test]
    fn a_failed_log_flush_is_reported_once_then_the_log_stops() {
        let sink = Tight {
            room: 4,
            seen: Arc::default(),
        };
        let mut log = LogWriter::from_writer(Box::new(sink.clone()), Path::new("core.log"));
        log.line("a line longer than four bytes").unwrap(); // buffered
        let e = log.flush().unwrap_err();
        assert!(e.contains("core.log"), "{e}");
        assert!(!log.is_open());
        log.line("later").unwrap();
        log.flush().unwrap();
        assert_eq!(sink.seen.lock().unwrap().len(), 4);
    }
}
