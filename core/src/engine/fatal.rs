//! Fatal endings: the exchange refuses our credentials (or start-up
//! recovery refuses to quote beside an earlier session's orders). Nothing
//! more is sent, ever: retrying a refused key only storms the exchange (and
//! hits the IP limit), falling back to single requests multiplies that, and
//! a cancel-all signed with the same key would be refused too. `Fatal`, then
//! `Stopped` at once; later inputs are logged and ignored.

use crate::effect::{Effect, Fatal};
use crate::engine::out::{Out, clean};
use crate::input::Outcome;
use crate::retcode::{API_KEY_EXPIRED, INVALID_API_KEY, PERMISSION_DENIED, SIGN_ERROR};

/// Bybit's authentication failures: 10003 invalid key, 10004 signature
/// error, 10005 permission denied, 33004 key expired.
pub(super) fn is_auth_code(code: i64) -> bool {
    matches!(
        code,
        INVALID_API_KEY | SIGN_ERROR | PERMISSION_DENIED | API_KEY_EXPIRED
    )
}

/// The authentication failure an outcome carries, top-level or in any
/// item of a batch reply, as (code, message); HTTP 401 is code 401.
pub(super) fn auth_failure(outcome: &Outcome) -> Option<(i64, String)> {
    match outcome {
        Outcome::HttpStatus(401) => Some((401, "HTTP 401".to_string())),
        Outcome::Reply(r) if is_auth_code(r.ret_code) => Some((r.ret_code, clean(&r.ret_msg))),
        Outcome::Reply(r) => r
            .codes
            .iter()
            .find(|c| is_auth_code(c.code))
            .map(|c| (c.code, clean(&c.msg))),
        _ => None,
    }
}

/// Ends the session: `Fatal`, `Stopped`, and nothing sent ever again (the
/// engine marks itself stopped). `open`: orders of ours that may rest.
pub(super) fn fatal(fatal: Fatal, open: usize, out: &mut Out) {
    out.error(format!("fatal: {fatal}"));
    if open > 0 {
        out.error(format!(
            "fatal: {open} orders of ours may still be open: nothing more can be sent with these credentials"
        ));
    }
    out.emit(Effect::Fatal(fatal));
    out.info("stopped (fatal)".to_string());
    out.emit(Effect::Stopped);
}
