//! What `mm`'s exit status means: the numbers the code returns and the text
//! `mm --help`, `mm run --help` and `mm replay --help` show, kept together
//! so they cannot drift apart.

/// `mm run`: every order of ours confirmed gone (or a signal during
/// start-up, before any order). Other subcommands: done.
pub const CLEAN: i32 = 0;
/// `mm run` ended with a problem: orders may be open, a write failed,
/// shutdown was overdue, a second signal, or the exchange's view at exit is
/// unknown. Other subcommands: failed.
pub const PROBLEM: i32 = 1;
/// Bad usage, config, credentials or files: refused before anything started.
pub const USAGE: i32 = 2;
/// The exchange refused us for good (credentials, orphans refused).
pub const FATAL: i32 = 3;
/// A `[risk]` kill switch tripped (`max_loss`, `max_fills_per_minute`):
/// quoting stopped and shutdown cancelled our orders before the end.
pub const KILL_SWITCH: i32 = 4;

/// `mm replay`: the whole journal replayed, up to its end-of-session frame.
pub const REPLAY_FINISHED: i32 = 0;
/// `mm replay`: damage (see `REPLAY_HELP`); everything before it replayed.
pub const REPLAY_DAMAGED: i32 = 1;
/// `mm replay`: a journal that cannot be read, a log that cannot be written.
pub const REPLAY_USAGE: i32 = 2;
/// `mm replay`: no end-of-session frame; everything in it replayed.
pub const REPLAY_UNFINISHED: i32 = 3;

/// `mm --help` and `mm run --help` show this.
pub const RUN_HELP: &str = "\
Exit codes (mm run):
  0  clean: the exchange lists no order of ours open (or a signal during
     start-up stopped it before any order)
  1  ended with a problem: orders may be open, a write failed, shutdown was
     overdue, a second signal, or open orders could not be listed at exit
  2  bad usage, config or files (also credentials): nothing was started
  3  a fatal refusal by the exchange (credentials, orphans refused)
  4  a risk kill switch tripped (risk.max_loss, risk.max_fills_per_minute):
     quoting stopped and every order was cancelled before the session ended
Other subcommands: 0 done, 1 failed, 2 bad usage or config.
mm replay: see mm replay --help";

/// `mm replay --help` shows this.
pub const REPLAY_HELP: &str = "\
Exit codes:
  0  finished: the whole journal replayed, up to its end-of-session frame
  1  damaged: a torn or corrupt frame, a sequence gap, a duplicated or
     reordered frame, a missing, foreign or misplaced segment, an
     unsupported format version; everything before it replayed
  2  usage: a journal file that cannot be read, a log that cannot be written
  3  unfinished: no end-of-session frame (the session was killed, or the
     journal was cut at a frame boundary); everything in it replayed";
