//! `mm replay JOURNAL [--log F]`: the one replay path (`mm_core::replay`).
//! A damaged journal replays up to the damage, then the command fails naming
//! the frame and byte offset.

use std::io::Write;

use crate::cli::ReplayArgs;

pub fn run(args: &ReplayArgs) -> Result<(), String> {
    let bytes = std::fs::read(&args.journal)
        .map_err(|e| format!("replay: cannot read {}: {e}", args.journal.display()))?;
    let journal = mm_core::journal::decode(&bytes)
        .map_err(|e| format!("replay: {}: {e}", args.journal.display()))?;
    let replayed = mm_core::replay::replay(&journal)
        .map_err(|e| format!("replay: the journal's config is refused by core:\n{e}"))?;
    match &args.log {
        Some(path) => std::fs::write(path, replayed.log.as_bytes())
            .map_err(|e| format!("replay: cannot write {}: {e}", path.display()))?,
        None => {
            let mut out = std::io::stdout().lock();
            out.write_all(replayed.log.as_bytes())
                .and_then(|()| out.flush())
                .map_err(|e| format!("replay: stdout: {e}"))?;
        }
    }
    match replayed.damage {
        Some(d) => Err(format!(
            "replay: {} is damaged; replayed {} inputs up to it: {d}",
            args.journal.display(),
            journal.inputs.len()
        )),
        None => Ok(()),
    }
}
