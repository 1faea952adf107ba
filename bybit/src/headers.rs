//! HTTP header names used by Bybit v5 and the rate-limit status they carry.

/// Request header: the API key.
pub const API_KEY: &str = "X-BAPI-API-KEY";
/// Request header: UTC milliseconds when the request was signed.
pub const TIMESTAMP: &str = "X-BAPI-TIMESTAMP";
/// Request header: lowercase-hex HMAC-SHA256 signature (see [`crate::sign()`]).
pub const SIGN: &str = "X-BAPI-SIGN";
/// Request header: how long (ms) after `TIMESTAMP` the request stays valid; Bybit's default is 5000.
pub const RECV_WINDOW: &str = "X-BAPI-RECV-WINDOW";
/// Reply header: this endpoint's limit per window.
pub const LIMIT: &str = "X-Bapi-Limit";
/// Reply header: units left in the current window after this request.
pub const LIMIT_STATUS: &str = "X-Bapi-Limit-Status";
/// Reply header: ms timestamp when the window resets if over the limit, else the current time.
pub const LIMIT_RESET_TIMESTAMP: &str = "X-Bapi-Limit-Reset-Timestamp";

/// Bybit's default receive window, used when the header is absent.
pub const DEFAULT_RECV_WINDOW_MS: u64 = 5000;

/// The per-endpoint rate-limit state Bybit reports on every private reply.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateLimitStatus {
    /// `X-Bapi-Limit`.
    pub limit: u32,
    /// `X-Bapi-Limit-Status`: remaining after this request.
    pub remaining: u32,
    /// `X-Bapi-Limit-Reset-Timestamp` (ms).
    pub reset_ms: u64,
}

impl RateLimitStatus {
    /// Parses the three header values; `None` if any is missing or not a plain integer
    /// (a partial status is worse than none: the caller falls back to its configured budget).
    pub fn from_header_values(limit: &str, status: &str, reset: &str) -> Option<Self> {
        Some(Self {
            limit: limit.trim().parse().ok()?,
            remaining: status.trim().parse().ok()?,
            reset_ms: reset.trim().parse().ok()?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_ccxt_capture() {
        let s = RateLimitStatus::from_header_values("10", "8", "1697700000000");
        assert_eq!(
            s,
            Some(RateLimitStatus {
                limit: 10,
                remaining: 8,
                reset_ms: 1_697_700_000_000
            })
        );
    }

    #[test]
    fn rejects_garbage() {
        assert_eq!(RateLimitStatus::from_header_values("10", "x", "1"), None);
        assert_eq!(RateLimitStatus::from_header_values("", "1", "1"), None);
        assert_eq!(RateLimitStatus::from_header_values("10", "-1", "1"), None);
    }
}
