//! API credentials. They come from the environment only (never the config
//! file, so neither the config nor the journal that embeds it can leak them),
//! and they never print: `Debug` shows `***`.

use std::fmt;

pub const KEY_VAR: &str = "BYBIT_API_KEY";
pub const SECRET_VAR: &str = "BYBIT_API_SECRET";

/// The simulator's paper account: not a secret, it opens nothing real.
pub const PAPER_KEY: &str = "paper-key";
pub const PAPER_SECRET: &str = "paper-secret";

#[derive(Clone)]
pub struct Credentials {
    key: String,
    secret: String,
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Credentials { key: ***, secret: *** }")
    }
}

/// `exchange.kind = "bybit"` without its credentials: names every missing
/// (or empty) variable, never a value.
#[derive(Debug, thiserror::Error)]
#[error(
    "exchange.kind = \"bybit\" needs API credentials in the environment: {} not set",
    .missing.join(" and ")
)]
pub struct MissingCredentials {
    pub missing: Vec<&'static str>,
}

impl Credentials {
    /// From `BYBIT_API_KEY` / `BYBIT_API_SECRET`; the error names every
    /// missing (or empty) variable and never shows a value.
    pub fn from_env() -> Result<Credentials, MissingCredentials> {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    pub fn from_lookup(
        get: impl Fn(&str) -> Option<String>,
    ) -> Result<Credentials, MissingCredentials> {
        let key = get(KEY_VAR).filter(|v| !v.trim().is_empty());
        let secret = get(SECRET_VAR).filter(|v| !v.trim().is_empty());
        match (key, secret) {
            (Some(key), Some(secret)) => Ok(Credentials {
                key: key.trim().to_string(),
                secret: secret.trim().to_string(),
            }),
            (key, secret) => {
                let missing = [(key.is_none(), KEY_VAR), (secret.is_none(), SECRET_VAR)]
                    .into_iter()
                    .filter_map(|(m, name)| m.then_some(name))
                    .collect();
                Err(MissingCredentials { missing })
            }
        }
    }

    pub fn paper() -> Credentials {
        Credentials {
            key: PAPER_KEY.to_string(),
            secret: PAPER_SECRET.to_string(),
        }
    }

    pub(crate) fn key(&self) -> &str {
        &self.key
    }

    pub(crate) fn secret(&self) -> &str {
        &self.secret
    }

    /// Removes both values from `text` (for error messages from libraries
    /// that might echo a header, and for every text an exchange sends back).
    pub(crate) fn scrub(&self, text: &str) -> String {
        let mut out = text.to_string();
        self.scrub_in_place(&mut out);
        out
    }

    /// `scrub` without allocating when there is nothing to remove (the
    /// common case: every reply's texts pass through here).
    pub(crate) fn scrub_in_place(&self, text: &mut String) {
        for s in [&self.secret, &self.key] {
            if s.len() >= 4 && text.contains(s.as_str()) {
                *text = text.replace(s.as_str(), "***");
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_hides_both() {
        let c = Credentials::from_lookup(|n| Some(format!("value-of-{n}"))).expect("both set");
        let d = format!("{c:?}");
        assert!(!d.contains("value-of"), "{d}");
        assert!(d.contains("***"));
    }

    #[test]
    fn missing_vars_are_named() {
        let e = Credentials::from_lookup(|_| None)
            .expect_err("none set")
            .to_string();
        assert!(e.contains(KEY_VAR) && e.contains(SECRET_VAR), "{e}");
        let e = Credentials::from_lookup(|n| (n == KEY_VAR).then(|| "k".to_string()))
            .expect_err("secret missing")
            .to_string();
        assert!(
            e.contains(SECRET_VAR) && !e.contains(&format!("{KEY_VAR} ")),
            "{e}"
        );
    }

    #[test]
    fn scrub_removes_values() {
        let c = Credentials::from_lookup(|n| Some(format!("abcd-{n}"))).expect("set");
        let s = c.scrub("x abcd-BYBIT_API_SECRET y abcd-BYBIT_API_KEY");
        assert_eq!(s, "x *** y ***");
    }
}
