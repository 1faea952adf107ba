//! The `auth` request of the private and trade streams and its signature.
//!
//! `{"req_id":"…","op":"auth","args":["<apiKey>", <expiresMs>, "<signature>"]}`, where the
//! signature is lowercase-hex HMAC-SHA256(secret, `"GET/realtime" + expires`) and `expires` is a
//! Unix time in ms a few seconds in the future (the server refuses it once passed).
//! The private stream answers with an [`crate::ws::OpReply`], the trade stream in its own
//! dialect (`retCode`/`retMsg`/`connId`).

use serde::{Deserialize, Serialize};

use crate::sign::{hmac_hex, hmac_verify};
use crate::ws::envelope::OP_AUTH;

/// What is signed before the expiry time.
const AUTH_PREFIX: &str = "GET/realtime";

/// Signature of an auth request expiring at `expires_ms`.
pub fn auth_signature(secret: &str, expires_ms: u64) -> String {
    hmac_hex(secret, &[AUTH_PREFIX, &expires_ms.to_string()])
}

/// Checks an auth signature in constant time (for the simulator).
pub fn verify_auth_signature(secret: &str, expires_ms: u64, signature: &str) -> bool {
    hmac_verify(secret, &[AUTH_PREFIX, &expires_ms.to_string()], signature)
}

/// The auth request. `args` is the wire's `[apiKey, expires, signature]` array.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuthRequest {
    /// Optional id, echoed in the private stream's reply.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub req_id: Option<String>,
    /// Always `"auth"`.
    pub op: String,
    /// API key, expiry (Unix ms), signature.
    pub args: (String, u64, String),
}

impl AuthRequest {
    /// A signed request for `api_key` that expires at `expires_ms`.
    pub fn new(req_id: Option<String>, api_key: &str, secret: &str, expires_ms: u64) -> Self {
        Self {
            req_id,
            op: OP_AUTH.to_owned(),
            args: (
                api_key.to_owned(),
                expires_ms,
                auth_signature(secret, expires_ms),
            ),
        }
    }

    /// The API key.
    pub fn api_key(&self) -> &str {
        &self.args.0
    }

    /// The expiry (Unix ms).
    pub fn expires_ms(&self) -> u64 {
        self.args.1
    }

    /// Why the server refuses this request, or `None` if it is valid for `secret` at `now_ms`
    /// (the simulator's check). The texts are Bybit's.
    pub fn problem(&self, secret: &str, now_ms: u64) -> Option<&'static str> {
        if self.op != OP_AUTH {
            Some("Params Error")
        } else if self.args.1 <= now_ms {
            Some("Params Error: expires is in the past")
        } else if !verify_auth_signature(secret, self.args.1, &self.args.2) {
            Some("Signature verification failed")
        } else {
            None
        }
    }
}

/// Never prints the signature, so a logged request cannot be replayed.
impl std::fmt::Debug for AuthRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AuthRequest")
            .field("req_id", &self.req_id)
            .field("api_key", &self.args.0)
            .field("expires_ms", &self.args.1)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // Expected value computed independently with openssl and Python's hmac (both agree):
    // printf 'GET/realtime1662350400000' | openssl dgst -sha256 -hmac 'YYYYYYYYYY'
    #[test]
    fn golden_signature() {
        let golden = "9c4c0629fddfee26ca0da50a7fed51968fce6935d34b02e772d3bd0c34327bd1";
        assert_eq!(auth_signature("YYYYYYYYYY", 1_662_350_400_000), golden);
        assert!(verify_auth_signature(
            "YYYYYYYYYY",
            1_662_350_400_000,
            golden
        ));
        assert!(!verify_auth_signature(
            "YYYYYYYYYY",
            1_662_350_400_001,
            golden
        ));
    }

    #[test]
    fn request_shape_and_check() {
        let r = AuthRequest::new(Some("10001".into()), "api_key", "sec", 2_000);
        let json = serde_json::to_string(&r).expect("serializes");
        assert_eq!(
            json,
            format!(
                r#"{{"req_id":"10001","op":"auth","args":["api_key",2000,"{}"]}}"#,
                auth_signature("sec", 2_000)
            )
        );
        assert_eq!(r.problem("sec", 1_999), None);
        assert!(r.problem("sec", 2_000).is_some(), "expired");
        assert!(r.problem("other", 1_000).is_some(), "wrong secret");
        let mut forged = r.clone();
        forged.args.1 = 3_000;
        assert!(forged.problem("sec", 1_000).is_some(), "expiry not signed");
        assert!(
            !format!("{r:?}").contains(&r.args.2),
            "Debug hides the signature"
        );
    }
}
