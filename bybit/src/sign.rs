//! Request signing (Bybit v5 HMAC-SHA256).
//!
//! String to sign: `timestamp + api_key + recv_window + payload`, where payload is the query
//! string exactly as sent (no leading `?`) for GET, or the exact body bytes for POST. Whatever
//! is signed must be byte-identical to what goes on the wire.

use hmac::{Hmac, Mac};
use sha2::Sha256;

type HmacSha256 = Hmac<Sha256>;

/// Lowercase-hex HMAC-SHA256 signature for the `X-BAPI-SIGN` header.
pub fn sign(
    secret: &str,
    timestamp_ms: u64,
    api_key: &str,
    recv_window_ms: u64,
    payload: &str,
) -> String {
    sign_raw(
        secret,
        &timestamp_ms.to_string(),
        api_key,
        &recv_window_ms.to_string(),
        payload,
    )
}

/// [`sign`] over the timestamp and recv-window header values exactly as they are sent (Bybit
/// signs the strings, so `"05000"` and `"5000"` give different signatures).
pub fn sign_raw(
    secret: &str,
    timestamp: &str,
    api_key: &str,
    recv_window: &str,
    payload: &str,
) -> String {
    hmac_hex(secret, &[timestamp, api_key, recv_window, payload])
}

/// Checks a signature in constant time (for the simulator). Only lowercase hex is accepted,
/// since that is what Bybit documents; a client sending uppercase should find out here.
pub fn verify(
    secret: &str,
    timestamp_ms: u64,
    api_key: &str,
    recv_window_ms: u64,
    payload: &str,
    signature: &str,
) -> bool {
    verify_raw(
        secret,
        &timestamp_ms.to_string(),
        api_key,
        &recv_window_ms.to_string(),
        payload,
        signature,
    )
}

/// [`verify`] against the header strings as received: what the server must check, since the
/// client signed exactly those bytes.
pub fn verify_raw(
    secret: &str,
    timestamp: &str,
    api_key: &str,
    recv_window: &str,
    payload: &str,
    signature: &str,
) -> bool {
    hmac_verify(
        secret,
        &[timestamp, api_key, recv_window, payload],
        signature,
    )
}

/// Lowercase-hex HMAC-SHA256 of the concatenated `parts`: the one signing primitive behind REST
/// requests and WebSocket auth.
pub(crate) fn hmac_hex(secret: &str, parts: &[&str]) -> String {
    to_lower_hex(&mac_of(secret, parts).finalize().into_bytes())
}

/// Constant-time check of a lowercase-hex signature over the concatenated `parts`.
pub(crate) fn hmac_verify(secret: &str, parts: &[&str], signature: &str) -> bool {
    let Some(expected) = from_lower_hex(signature) else {
        return false;
    };
    mac_of(secret, parts).verify_slice(&expected).is_ok()
}

fn mac_of(secret: &str, parts: &[&str]) -> HmacSha256 {
    // HMAC takes keys of any length, so this cannot fail.
    let mut mac = HmacSha256::new_from_slice(secret.as_bytes())
        .expect("HMAC-SHA256 accepts keys of any length");
    for p in parts {
        mac.update(p.as_bytes());
    }
    mac
}

fn to_lower_hex(bytes: &[u8]) -> String {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        s.push(char::from(HEX[usize::from(b >> 4)]));
        s.push(char::from(HEX[usize::from(b & 0x0f)]));
    }
    s
}

fn from_lower_hex(s: &str) -> Option<Vec<u8>> {
    fn nibble(c: u8) -> Option<u8> {
        match c {
            b'0'..=b'9' => Some(c - b'0'),
            b'a'..=b'f' => Some(c - b'a' + 10),
            _ => None,
        }
    }
    let bytes = s.as_bytes();
    if bytes.len() != 64 {
        return None;
    }
    bytes
        .chunks_exact(2)
        .map(|p| Some((nibble(p[0])? << 4) | nibble(p[1])?))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    // Bybit's documented GET example (guide, S12): timestamp 1658384314791, key "XXXXXXXXXX",
    // recvWindow 5000, query "category=option&symbol=BTC-29JUL22-25000-C". The docs do not show
    // a secret or output, so the secret "YYYYYYYYYY" is ours and the expected value was computed
    // independently with `openssl dgst -sha256 -hmac` and Python's hmac module (both agree).
    #[test]
    fn golden_documented_get_example() {
        let s = sign(
            "YYYYYYYYYY",
            1_658_384_314_791,
            "XXXXXXXXXX",
            5000,
            "category=option&symbol=BTC-29JUL22-25000-C",
        );
        assert_eq!(
            s,
            "37813c67fafb3017e92354eb88f218e7e52a98f9f5eb74cfcf0b21f17edb143b"
        );
    }

    // The official api-usage-examples POST body shape, signed with openssl.
    #[test]
    fn golden_post_body() {
        let body = r#"{"category":"linear","symbol":"BTCUSDT","side":"Buy","orderType":"Limit","qty":"0.001","price":"10000","timeInForce":"GTC","orderLinkId":"TEST1234"}"#;
        let s = sign("paper-secret", 1_700_000_000_000, "paper-key", 5000, body);
        assert_eq!(
            s,
            "3bf1a12835e9fa97034ee364c23c19af3334a206aa2b22bee5ddcd02a096c314"
        );
    }

    #[test]
    fn verify_accepts_own_and_rejects_others() {
        let s = sign("sec", 1, "key", 5000, "a=1");
        assert!(verify("sec", 1, "key", 5000, "a=1", &s));
        assert!(!verify("sec", 1, "key", 5000, "a=2", &s));
        assert!(!verify("sec", 2, "key", 5000, "a=1", &s));
        assert!(!verify("other", 1, "key", 5000, "a=1", &s));
        assert!(!verify("sec", 1, "key", 5000, "a=1", &s.to_uppercase()));
        assert!(!verify("sec", 1, "key", 5000, "a=1", &s[..62]));
        assert!(!verify("sec", 1, "key", 5000, "a=1", ""));
    }

    #[test]
    fn raw_header_strings_are_what_is_signed() {
        let s = sign_raw("sec", "1700000000000", "key", "05000", "a=1");
        assert!(verify_raw(
            "sec",
            "1700000000000",
            "key",
            "05000",
            "a=1",
            &s
        ));
        assert!(!verify_raw(
            "sec",
            "1700000000000",
            "key",
            "5000",
            "a=1",
            &s
        ));
        assert_eq!(
            sign_raw("sec", "1", "key", "5000", "a=1"),
            sign("sec", 1, "key", 5000, "a=1")
        );
    }
}
