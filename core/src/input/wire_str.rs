//! `WireStr`: a string field of an input, as the wire sent it, held inline
//! when it fits (every id, symbol, price, status and reason Bybit sends
//! does) so that decoding a journal and handling its inputs allocate
//! nothing per field. Longer text (an error message) goes on the heap.
//!
//! It encodes exactly as a `String` (serde `str`), so the journal format
//! does not change, and prints as one (`Debug` quotes it), so neither do
//! transcripts.

use std::fmt;
use std::hash::{Hash, Hasher};

use serde::de::{self, Visitor};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// The longest text held inline: Bybit's orderId (a 36-character UUID) and
/// orderLinkId (at most 36 characters) fit.
const INLINE: usize = 38;

/// An immutable string of an input; reads as `&str` (`Deref`).
#[derive(Clone)]
pub struct WireStr(Repr);

#[derive(Clone)]
enum Repr {
    Inline { len: u8, bytes: [u8; INLINE] },
    Heap(Box<str>),
}

impl WireStr {
    pub fn new(s: &str) -> WireStr {
        match u8::try_from(s.len()) {
            Ok(len) if s.len() <= INLINE => {
                let mut bytes = [0u8; INLINE];
                bytes[..s.len()].copy_from_slice(s.as_bytes());
                WireStr(Repr::Inline { len, bytes })
            }
            _ => WireStr(Repr::Heap(s.into())),
        }
    }

    pub fn as_str(&self) -> &str {
        match &self.0 {
            // Always whole UTF-8 (copied from a `str`): the fallback is unreachable.
            Repr::Inline { len, bytes } => {
                std::str::from_utf8(&bytes[..usize::from(*len)]).unwrap_or_default()
            }
            Repr::Heap(s) => s,
        }
    }

    /// Rewrites the text through a `String` (the shell scrubs secrets
    /// an exchange echoed before anything is journaled).
    pub fn edit(&mut self, f: impl FnOnce(&mut String)) {
        let mut s = String::from(std::mem::take(self));
        f(&mut s);
        *self = WireStr::from(s);
    }

    /// Without the UTF-8 check `Deref` makes.
    pub fn len(&self) -> usize {
        self.as_bytes().len()
    }

    /// Without the UTF-8 check `Deref` makes.
    pub fn is_empty(&self) -> bool {
        self.as_bytes().is_empty()
    }

    /// The bytes, without the UTF-8 check `as_str` makes (for comparing).
    pub fn as_bytes(&self) -> &[u8] {
        match &self.0 {
            Repr::Inline { len, bytes } => &bytes[..usize::from(*len)],
            Repr::Heap(s) => s.as_bytes(),
        }
    }
}

impl Default for WireStr {
    fn default() -> WireStr {
        WireStr(Repr::Inline {
            len: 0,
            bytes: [0; INLINE],
        })
    }
}

impl std::ops::Deref for WireStr {
    type Target = str;
    fn deref(&self) -> &str {
        self.as_str()
    }
}

impl AsRef<str> for WireStr {
    fn as_ref(&self) -> &str {
        self.as_str()
    }
}

impl std::borrow::Borrow<str> for WireStr {
    fn borrow(&self) -> &str {
        self.as_str()
    }
}

impl PartialEq for WireStr {
    fn eq(&self, other: &WireStr) -> bool {
        self.as_bytes() == other.as_bytes()
    }
}

impl Eq for WireStr {}

impl PartialOrd for WireStr {
    fn partial_cmp(&self, other: &WireStr) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for WireStr {
    fn cmp(&self, other: &WireStr) -> std::cmp::Ordering {
        self.as_bytes().cmp(other.as_bytes())
    }
}

/// As `str` hashes (`Borrow<str>` requires it).
impl Hash for WireStr {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.as_str().hash(state);
    }
}

impl PartialEq<str> for WireStr {
    fn eq(&self, other: &str) -> bool {
        self.as_bytes() == other.as_bytes()
    }
}

impl PartialEq<&str> for WireStr {
    fn eq(&self, other: &&str) -> bool {
        self.as_bytes() == other.as_bytes()
    }
}

impl PartialEq<String> for WireStr {
    fn eq(&self, other: &String) -> bool {
        self.as_bytes() == other.as_bytes()
    }
}

impl PartialEq<WireStr> for str {
    fn eq(&self, other: &WireStr) -> bool {
        self.as_bytes() == other.as_bytes()
    }
}

impl PartialEq<WireStr> for &str {
    fn eq(&self, other: &WireStr) -> bool {
        self.as_bytes() == other.as_bytes()
    }
}

impl PartialEq<WireStr> for String {
    fn eq(&self, other: &WireStr) -> bool {
        self.as_bytes() == other.as_bytes()
    }
}

impl fmt::Debug for WireStr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.as_str(), f)
    }
}

impl fmt::Display for WireStr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self.as_str(), f)
    }
}

impl From<&str> for WireStr {
    fn from(s: &str) -> WireStr {
        WireStr::new(s)
    }
}

impl From<&String> for WireStr {
    fn from(s: &String) -> WireStr {
        WireStr::new(s)
    }
}

impl From<String> for WireStr {
    fn from(s: String) -> WireStr {
        if s.len() <= INLINE {
            WireStr::new(&s)
        } else {
            WireStr(Repr::Heap(s.into_boxed_str()))
        }
    }
}

impl From<&WireStr> for WireStr {
    fn from(s: &WireStr) -> WireStr {
        s.clone()
    }
}

impl From<WireStr> for String {
    fn from(s: WireStr) -> String {
        match s.0 {
            Repr::Heap(b) => b.into_string(),
            Repr::Inline { .. } => s.as_str().to_string(),
        }
    }
}

impl Serialize for WireStr {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for WireStr {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<WireStr, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = WireStr;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a string")
            }
            fn visit_str<E: de::Error>(self, s: &str) -> Result<WireStr, E> {
                Ok(WireStr::new(s))
            }
            fn visit_string<E: de::Error>(self, s: String) -> Result<WireStr, E> {
                Ok(WireStr::from(s))
            }
        }
        deserializer.deserialize_str(V)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inline_and_heap_read_back_and_compare_as_str() {
        let short = "0a1b2c3d-0000-4000-8000-123456789abc"; // a UUID: inline
        let long = "x".repeat(INLINE + 1);
        for s in [short, "", "Filled", long.as_str(), "é€"] {
            let w = WireStr::from(s);
            assert_eq!(w.as_str(), s);
            assert_eq!(w, s);
            assert_eq!(WireStr::from(s.to_string()), w);
            assert_eq!(format!("{w:?}"), format!("{s:?}"));
            assert_eq!(String::from(w.clone()), s);
        }
        assert!(matches!(WireStr::new(short).0, Repr::Inline { .. }));
        assert!(matches!(WireStr::new(&long).0, Repr::Heap(_)));
        let (a, b) = (WireStr::from("a"), WireStr::from("b"));
        assert!(a < b);
    }

    #[test]
    fn encodes_exactly_as_a_string() {
        for s in ["BTCUSDT", "", &"y".repeat(100)] {
            let a = postcard::to_stdvec(&WireStr::from(s)).unwrap_or_default();
            let b = postcard::to_stdvec(&s.to_string()).unwrap_or_default();
            assert_eq!(a, b);
            let back: WireStr = postcard::from_bytes(&b).unwrap_or_default();
            assert_eq!(back, s);
        }
    }
}
