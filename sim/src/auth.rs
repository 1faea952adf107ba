//! Private-endpoint authentication, as Bybit v5 checks it: key, timestamp window,
//! signature over `timestamp + key + recvWindow + payload`.

use axum::http::{HeaderMap, StatusCode};
use mm_bybit::{headers, retcode};

/// Why a request was refused: an HTTP status (missing headers) or a retCode.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(crate) enum AuthError {
    #[error("HTTP {0}: {1}")]
    Http(StatusCode, &'static str),
    #[error("retCode {0}: {1}")]
    Code(i64, String),
}

/// Checks the headers; on success returns the account index.
pub(crate) fn authenticate(
    accounts: &[(String, String)],
    h: &HeaderMap,
    payload: &str,
    now: u64,
) -> Result<usize, AuthError> {
    let get = |name: &str| h.get(name).and_then(|v| v.to_str().ok());
    let (Some(key), Some(ts), Some(sign)) = (
        get(headers::API_KEY),
        get(headers::TIMESTAMP),
        get(headers::SIGN),
    ) else {
        return Err(AuthError::Http(
            StatusCode::UNAUTHORIZED,
            "missing X-BAPI-API-KEY, X-BAPI-TIMESTAMP or X-BAPI-SIGN",
        ));
    };
    let Some(account) = accounts.iter().position(|(k, _)| k == key) else {
        return Err(AuthError::Code(
            retcode::INVALID_API_KEY,
            "API key is invalid.".into(),
        ));
    };
    let raw_window = get(headers::RECV_WINDOW);
    let recv_window = check_window(ts, raw_window, now)?;
    let raw_ts = ts;
    let secret = &accounts[account].1;
    // The client signed the header strings as sent ("05000" is not "5000"). Without the
    // header, the signed string carries the default window (UNCONFIRMED: see README).
    let window = raw_window.map_or_else(|| recv_window.to_string(), str::to_string);
    if !mm_bybit::verify_raw(secret, raw_ts, key, &window, payload, sign) {
        return Err(AuthError::Code(
            retcode::SIGN_ERROR,
            "error sign! origin_string".into(),
        ));
    }
    Ok(account)
}

/// Checks a request's `X-BAPI-TIMESTAMP` and `X-BAPI-RECV-WINDOW` (as sent; absent = 5000)
/// against the server time: accepted iff `now - recv_window <= timestamp < now + 1000`.
/// Returns the window. REST headers and the trade stream's `header` are checked alike.
pub(crate) fn check_window(ts: &str, window: Option<&str>, now: u64) -> Result<u64, AuthError> {
    let recv_window = match window {
        None => headers::DEFAULT_RECV_WINDOW_MS,
        Some(v) => v.parse().map_err(|_| {
            AuthError::Code(
                retcode::PARAMS_ERROR,
                format!("params error: X-BAPI-RECV-WINDOW {v:?} is not a number"),
            )
        })?,
    };
    let ts: u64 = ts.parse().map_err(|_| {
        AuthError::Code(
            retcode::REQUEST_EXPIRED,
            format!("invalid request, X-BAPI-TIMESTAMP {ts:?} is not a number"),
        )
    })?;
    if ts.saturating_add(recv_window) < now || ts >= now + 1000 {
        return Err(AuthError::Code(
            retcode::REQUEST_EXPIRED,
            format!(
                "invalid request, please check your server timestamp or recv_window param. \
                 req_timestamp[{ts}],server_timestamp[{now}],recv_window[{recv_window}]"
            ),
        ));
    }
    Ok(recv_window)
}

/// Why a stream `auth` (`[key, expires, signature]`) was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum StreamAuthError {
    /// `expires` is not in the future.
    Expired,
    UnknownKey,
    BadSignature,
}

/// Checks a stream `auth`: the key's account, `expires` in the future, and the signature
/// (HMAC-SHA256 of `"GET/realtime" + expires` with the account's secret).
pub(crate) fn stream_auth(
    accounts: &[(String, String)],
    key: &str,
    expires: u64,
    sign: &str,
    now: u64,
) -> Result<usize, StreamAuthError> {
    if expires <= now {
        return Err(StreamAuthError::Expired);
    }
    let account = accounts
        .iter()
        .position(|(k, _)| k == key)
        .ok_or(StreamAuthError::UnknownKey)?;
    if !mm_bybit::ws::verify_auth_signature(&accounts[account].1, expires, sign) {
        return Err(StreamAuthError::BadSignature);
    }
    Ok(account)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hdrs(key: &str, ts: u64, rw: Option<u64>, sign: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(headers::API_KEY, key.parse().expect("header"));
        h.insert(headers::TIMESTAMP, ts.to_string().parse().expect("header"));
        h.insert(headers::SIGN, sign.parse().expect("header"));
        if let Some(rw) = rw {
            h.insert(
                headers::RECV_WINDOW,
                rw.to_string().parse().expect("header"),
            );
        }
        h
    }

    #[test]
    fn window_edges() {
        let acc = vec![("k".to_string(), "s".to_string())];
        let now = 100_000;
        let ok = |ts: u64| {
            let s = mm_bybit::sign("s", ts, "k", 5000, "a=1");
            authenticate(&acc, &hdrs("k", ts, Some(5000), &s), "a=1", now)
        };
        assert_eq!(ok(now - 5000), Ok(0));
        assert_eq!(ok(now + 999), Ok(0));
        assert!(matches!(ok(now - 5001), Err(AuthError::Code(10002, _))));
        assert!(matches!(ok(now + 1000), Err(AuthError::Code(10002, _))));
        // Default recv window when the header is absent.
        let s = mm_bybit::sign("s", now, "k", 5000, "");
        assert_eq!(
            authenticate(&acc, &hdrs("k", now, None, &s), "", now),
            Ok(0)
        );
        assert!(matches!(
            authenticate(&acc, &HeaderMap::new(), "", now),
            Err(AuthError::Http(StatusCode::UNAUTHORIZED, _))
        ));
    }
}
