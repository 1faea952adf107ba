//! The session's files, checked before anything goes to the exchange: a
//! summary that could not be written would otherwise be found out only after
//! the session, with its record lost.
//!
//! Decision: only the default `runs/<session>/` directory is created. A path
//! given with `--journal`, `--log` or `--summary-json` must be in a directory
//! that exists: a typo there (`/var/lgo/mm`) is refused at start-up, naming
//! it, rather than silently creating a tree nobody will look in.

use std::fs::OpenOptions;
use std::path::{Path, PathBuf};

use super::RunOptions;

/// A session file the run could not write; `flag` names the option.
#[derive(Debug, thiserror::Error)]
pub enum PathError {
    #[error("{flag} {}: directory {} does not exist (only the default runs/ directory is created)", .path.display(), .dir.display())]
    NoDirectory {
        flag: &'static str,
        path: PathBuf,
        dir: PathBuf,
    },
    #[error("{flag} {}: is a directory", .path.display())]
    IsDirectory { flag: &'static str, path: PathBuf },
    #[error("{flag} {}: cannot be written: {source}", .path.display())]
    NotWritable {
        flag: &'static str,
        path: PathBuf,
        source: std::io::Error,
    },
}

/// Every explicit path's directory exists, and the summary can be written.
pub(super) fn check(opts: &RunOptions) -> Result<(), PathError> {
    for (flag, path) in [
        ("--journal", &opts.journal),
        ("--log", &opts.log),
        ("--summary-json", &opts.summary_json),
    ] {
        if let Some(path) = path {
            directory_exists(flag, path)?;
        }
    }
    if let Some(path) = &opts.summary_json {
        writable("--summary-json", path)?;
    }
    Ok(())
}

fn directory_exists(flag: &'static str, path: &Path) -> Result<(), PathError> {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    if dir.is_dir() {
        return Ok(());
    }
    Err(PathError::NoDirectory {
        flag,
        path: path.to_path_buf(),
        dir: dir.to_path_buf(),
    })
}

/// Opens `path` for writing without truncating it; a file this probe
/// created is removed again (the summary is written at the end).
fn writable(flag: &'static str, path: &Path) -> Result<(), PathError> {
    if path.is_dir() {
        return Err(PathError::IsDirectory {
            flag,
            path: path.to_path_buf(),
        });
    }
    let existed = path.exists();
    OpenOptions::new()
        .append(true)
        .create(true)
        .open(path)
        .map_err(|source| PathError::NotWritable {
            flag,
            path: path.to_path_buf(),
            source,
        })?;
    if !existed {
        let _ = std::fs::remove_file(path);
    }
    Ok(())
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn opts(journal: Option<&Path>, summary: Option<&Path>) -> RunOptions {
        RunOptions {
            journal: journal.map(Path::to_path_buf),
            summary_json: summary.map(Path::to_path_buf),
            ..RunOptions::default()
        }
    }

    #[test]
    fn explicit_paths_in_missing_directories_are_refused_naming_them() {
        let dir = tempfile::tempdir().unwrap();
        let missing = dir.path().join("nope").join("j.mmj");
        let e = check(&opts(Some(&missing), None)).unwrap_err().to_string();
        assert!(e.contains("--journal") && e.contains("nope"), "{e}");
        assert!(!dir.path().join("nope").exists(), "no directory created");

        let summary = dir.path().join("gone").join("s.json");
        let e = check(&opts(None, Some(&summary))).unwrap_err().to_string();
        assert!(e.contains("--summary-json") && e.contains("gone"), "{e}");

        let ok = dir.path().join("s.json");
        check(&opts(Some(&dir.path().join("j.mmj")), Some(&ok))).unwrap();
        assert!(!ok.exists(), "the probe leaves no file behind");
        check(&opts(Some(Path::new("j.mmj")), None)).unwrap();
    }

    #[test]
    fn a_summary_path_that_cannot_be_written_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let e = check(&opts(None, Some(dir.path())))
            .unwrap_err()
            .to_string();
        assert!(e.contains("is a directory"), "{e}");
        // An existing summary is kept as it is until the session writes it.
        let old = dir.path().join("s.json");
        std::fs::write(&old, "old").unwrap();
        check(&opts(None, Some(&old))).unwrap();
        assert_eq!(std::fs::read_to_string(&old).unwrap(), "old");
    }
}
