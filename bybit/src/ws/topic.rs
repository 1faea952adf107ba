//! Topic names, typed: `orderbook.50.BTCUSDT`, `tickers.BTCUSDT`, `publicTrade.BTCUSDT`,
//! `order`, `order.linear`, `execution`, `execution.fast`, `position`, `wallet`, …
//!
//! Parsing is exact: a name this crate does not know is an error that names it, so a typo in a
//! subscription or a new topic from the exchange is never mistaken for a known one.

use std::fmt;
use std::str::FromStr;

use crate::Category;

/// A topic of the public or private streams.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Topic {
    /// `orderbook.{depth}.{symbol}` (public).
    Orderbook {
        /// Levels per side; see [`Topic::orderbook_depths`].
        depth: u32,
        /// Symbol.
        symbol: String,
    },
    /// `tickers.{symbol}` (public).
    Tickers {
        /// Symbol.
        symbol: String,
    },
    /// `publicTrade.{symbol}` (public; options use the base coin).
    PublicTrade {
        /// Symbol (or base coin).
        symbol: String,
    },
    /// `order` (all categories) or `order.{category}` (private).
    Order(Option<Category>),
    /// `execution` or `execution.{category}` (private).
    Execution(Option<Category>),
    /// `execution.fast` or `execution.fast.{category}` (private; trades only, lower latency).
    ExecutionFast(Option<Category>),
    /// `position` or `position.{category}` (private).
    Position(Option<Category>),
    /// `wallet` (private).
    Wallet,
}

/// A topic name that is not one of [`Topic`]'s.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown or malformed topic {0:?}")]
pub struct TopicError(pub String);

impl Topic {
    /// `orderbook.{depth}.{symbol}`, if `depth` is one `category` publishes.
    pub fn orderbook(category: Category, depth: u32, symbol: &str) -> Result<Self, TopicError> {
        let topic = Topic::Orderbook {
            depth,
            symbol: symbol.to_owned(),
        };
        if Self::orderbook_depths(category).contains(&depth) && valid_symbol(symbol) {
            Ok(topic)
        } else {
            Err(TopicError(format!("{topic} on {}", category.as_str())))
        }
    }

    /// The orderbook depths `category` publishes.
    pub fn orderbook_depths(category: Category) -> &'static [u32] {
        match category {
            Category::Option => &[25, 100],
            Category::Linear | Category::Inverse | Category::Spot => &[1, 50, 200, 1000],
        }
    }

    /// True for the topics of the private stream.
    pub fn is_private(&self) -> bool {
        !matches!(
            self,
            Topic::Orderbook { .. } | Topic::Tickers { .. } | Topic::PublicTrade { .. }
        )
    }
}

fn valid_symbol(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
}

impl fmt::Display for Topic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let private = |f: &mut fmt::Formatter<'_>, name: &str, c: &Option<Category>| match c {
            None => f.write_str(name),
            Some(c) => write!(f, "{name}.{}", c.as_str()),
        };
        match self {
            Topic::Orderbook { depth, symbol } => write!(f, "orderbook.{depth}.{symbol}"),
            Topic::Tickers { symbol } => write!(f, "tickers.{symbol}"),
            Topic::PublicTrade { symbol } => write!(f, "publicTrade.{symbol}"),
            Topic::Order(c) => private(f, "order", c),
            Topic::Execution(c) => private(f, "execution", c),
            Topic::ExecutionFast(c) => private(f, "execution.fast", c),
            Topic::Position(c) => private(f, "position", c),
            Topic::Wallet => f.write_str("wallet"),
        }
    }
}

impl FromStr for Topic {
    type Err = TopicError;

    fn from_str(s: &str) -> Result<Self, TopicError> {
        let bad = || TopicError(s.to_owned());
        let symbol = |rest: &str| {
            if valid_symbol(rest) {
                Ok(rest.to_owned())
            } else {
                Err(bad())
            }
        };
        let category = |rest: Option<&str>| match rest {
            None => Ok(None),
            Some(c) => Category::parse(c).map(Some).ok_or_else(bad),
        };
        let (head, rest) = match s.split_once('.') {
            Some((h, r)) => (h, Some(r)),
            None => (s, None),
        };
        match (head, rest) {
            ("orderbook", Some(rest)) => {
                let (depth, sym) = rest.split_once('.').ok_or_else(bad)?;
                // Digits only: `u32::from_str` would also take a leading '+'.
                if depth.is_empty() || !depth.bytes().all(|b| b.is_ascii_digit()) {
                    return Err(bad());
                }
                Ok(Topic::Orderbook {
                    depth: depth.parse().map_err(|_| bad())?,
                    symbol: symbol(sym)?,
                })
            }
            ("tickers", Some(rest)) => Ok(Topic::Tickers {
                symbol: symbol(rest)?,
            }),
            ("publicTrade", Some(rest)) => Ok(Topic::PublicTrade {
                symbol: symbol(rest)?,
            }),
            ("order", rest) => Ok(Topic::Order(category(rest)?)),
            ("execution", Some("fast")) => Ok(Topic::ExecutionFast(None)),
            ("execution", Some(rest)) if rest.starts_with("fast.") => {
                Ok(Topic::ExecutionFast(category(rest.strip_prefix("fast."))?))
            }
            ("execution", rest) => Ok(Topic::Execution(category(rest)?)),
            ("position", rest) => Ok(Topic::Position(category(rest)?)),
            ("wallet", None) => Ok(Topic::Wallet),
            _ => Err(bad()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_topic_round_trips_through_its_name() {
        let topics = [
            Topic::orderbook(Category::Linear, 50, "BTCUSDT").expect("valid"),
            Topic::orderbook(Category::Option, 100, "BTC-6JAN23-18000-C").expect("valid"),
            Topic::Tickers {
                symbol: "BTCUSDT".into(),
            },
            Topic::PublicTrade {
                symbol: "ETHUSD".into(),
            },
            Topic::Order(None),
            Topic::Order(Some(Category::Linear)),
            Topic::Execution(None),
            Topic::Execution(Some(Category::Spot)),
            Topic::ExecutionFast(None),
            Topic::ExecutionFast(Some(Category::Inverse)),
            Topic::Position(Some(Category::Option)),
            Topic::Wallet,
        ];
        for t in topics {
            let name = t.to_string();
            assert_eq!(name.parse::<Topic>(), Ok(t.clone()), "{name}");
        }
        assert_eq!(
            Topic::Order(Some(Category::Linear)).to_string(),
            "order.linear"
        );
        assert_eq!(Topic::ExecutionFast(None).to_string(), "execution.fast");
        assert!(Topic::Position(None).is_private());
        assert!(!Topic::Tickers { symbol: "X".into() }.is_private());
    }

    #[test]
    fn malformed_names_are_errors() {
        for bad in [
            "",
            "orderbook",
            "orderbook.50",
            "orderbook.x.BTCUSDT",
            "orderbook.+50.BTCUSDT",
            "orderbook.50.",
            "orderbook.50.BTC.USDT",
            "orderbook.full.BTCUSDT",
            "tickers.",
            "order.futures",
            "order.linear.x",
            "execution.fast.x",
            "wallet.linear",
            "kline.1.BTCUSDT",
        ] {
            assert_eq!(bad.parse::<Topic>(), Err(TopicError(bad.into())), "{bad}");
        }
    }

    #[test]
    fn orderbook_depth_is_checked_per_category() {
        assert!(Topic::orderbook(Category::Spot, 1000, "BTCUSDT").is_ok());
        assert!(Topic::orderbook(Category::Linear, 500, "BTCUSDT").is_err());
        assert!(Topic::orderbook(Category::Option, 50, "BTC-X").is_err());
        assert!(Topic::orderbook(Category::Linear, 50, "").is_err());
    }
}
