//! The session journal and the core log, as files.
//!
//! Journal: `encode_header` once, then one `encode_input` frame per input,
//! each written with one `write_all` before the input is handled (a crash
//! leaves at worst a torn last frame, which `decode` reports). Log: one
//! `LogEvent::render()` line per `Effect::Log`, flushed after each drain.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use mm_core::Input;
use mm_core::journal::{JournalHeader, encode_header, encode_input};

pub struct JournalWriter {
    file: File,
    path: PathBuf,
}

impl JournalWriter {
    pub fn create(path: &Path, header: &JournalHeader) -> Result<JournalWriter, String> {
        let mut file = create_file(path)?;
        file.write_all(&encode_header(header))
            .map_err(|e| format!("journal {}: {e}", path.display()))?;
        Ok(JournalWriter {
            file,
            path: path.to_path_buf(),
        })
    }

    /// Appends one input; the frame is in the OS before this returns.
    pub fn append(&mut self, input: &Input) -> Result<(), String> {
        self.file
            .write_all(&encode_input(input))
            .map_err(|e| format!("journal {}: {e}", self.path.display()))
    }
}

pub struct LogWriter {
    out: BufWriter<File>,
    path: PathBuf,
}

impl LogWriter {
    pub fn create(path: &Path) -> Result<LogWriter, String> {
        Ok(LogWriter {
            out: BufWriter::new(create_file(path)?),
            path: path.to_path_buf(),
        })
    }

    pub fn line(&mut self, line: &str) -> Result<(), String> {
        self.out
            .write_all(line.as_bytes())
            .and_then(|()| self.out.write_all(b"\n"))
            .map_err(|e| format!("log {}: {e}", self.path.display()))
    }

    pub fn flush(&mut self) -> Result<(), String> {
        self.out
            .flush()
            .map_err(|e| format!("log {}: {e}", self.path.display()))
    }
}

fn create_file(path: &Path) -> Result<File, String> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)
            .map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    }
    File::create(path).map_err(|e| format!("cannot create {}: {e}", path.display()))
}
