//! The rules a config must meet. Each broken rule becomes one problem naming
//! the key, the value and the rule; all of them are reported at once.

use std::collections::BTreeSet;

use super::{Config, ConfigError, ConfigProblem, ExchangeKind, Reprice};
use crate::domain::Instrument;

pub(crate) fn check(
    config: &Config,
    instruments: Option<&[Instrument]>,
) -> Result<(), ConfigError> {
    let mut p = Problems::default();
    exchange(config, &mut p);
    quoting(config, &mut p);
    async_batch(config, &mut p);
    rate_limits(config, &mut p);
    p.range(
        "journal.rotate_mb",
        config.journal.rotate_mb,
        0,
        super::MAX_ROTATE_MB,
    );
    for (key, message) in (config.risk).problems(&config.quoting.symbols, config.quoting.spread_bps)
    {
        p.add(key, message);
    }
    if let Some(instruments) = instruments {
        against_instruments(config, instruments, &mut p);
    }
    if p.0.is_empty() {
        Ok(())
    } else {
        Err(ConfigError { problems: p.0 })
    }
}

#[derive(Default)]
struct Problems(Vec<ConfigProblem>);

impl Problems {
    fn add(&mut self, key: impl Into<String>, message: impl Into<String>) {
        self.0.push(ConfigProblem {
            key: key.into(),
            message: message.into(),
        });
    }

    fn range(&mut self, key: &str, value: u64, min: u64, max: u64) {
        if value < min || value > max {
            self.add(key, format!("= {value} must be between {min} and {max}"));
        }
    }
}

fn exchange(config: &Config, p: &mut Problems) {
    let ex = &config.exchange;
    if ex.kind == ExchangeKind::Bybit {
        match ex.base_url.as_deref() {
            None => p.add(
                "exchange.base_url",
                "is required when exchange.kind = \"bybit\"",
            ),
            Some(url) => base_url(url, p),
        }
    } else if let Some(url) = ex.base_url.as_deref() {
        // The simulator too: plain http only to loopback.
        base_url(url, p);
    }
    p.range("exchange.recv_window_ms", ex.recv_window_ms, 100, 60_000);
    p.range(
        "exchange.reconcile_interval_ms",
        ex.reconcile_interval_ms,
        100,
        600_000,
    );
    p.range(
        "exchange.request_timeout_ms",
        ex.request_timeout_ms,
        1,
        60_000,
    );
    let m = &config.metrics;
    if let Some(problem) = super::hosts::metrics_addr_problem(&m.addr, m.allow_non_loopback) {
        p.add("metrics.addr", problem);
    }
}

/// `exchange.base_url`: https, or plain http to a loopback host (an IP in
/// 127.0.0.0/8 or ::1, or `localhost`), judged on the parsed URL's host
/// itself, never on a prefix of the text (`http://127.0.0.1:1@evil:80` is
/// a host `evil`); userinfo is refused in any URL (it would go to the host
/// in the clear, and hides where a URL points).
fn base_url(text: &str, p: &mut Problems) {
    let key = "exchange.base_url";
    let parsed = match url::Url::parse(text) {
        Ok(u) => u,
        Err(e) => return p.add(key, format!("= {text:?} is not a valid URL ({e})")),
    };
    if !parsed.username().is_empty() || parsed.password().is_some() {
        // Not echoed: what is before the '@' may be a secret.
        return p.add(key, "must not carry a user or password (user@host)");
    }
    let loopback = match parsed.host() {
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        None => false,
    };
    match parsed.scheme() {
        "https" if parsed.host().is_some() => {}
        "http" if loopback => {}
        _ => p.add(
            key,
            format!("= {text:?} must be https:// (plain http only to a loopback address: 127.0.0.0/8, ::1 or localhost)"),
        ),
    }
}

fn quoting(config: &Config, p: &mut Problems) {
    let q = &config.quoting;
    if q.symbols.is_empty() {
        p.add("quoting.symbols", "is empty: quote at least one symbol");
    }
    let mut seen = BTreeSet::new();
    for symbol in &q.symbols {
        // Bybit's symbols; anything else (a space, a newline) would also
        // break the one-line-per-event log, where symbols are written raw.
        let plain = symbol
            .bytes()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit());
        if !(1..=32).contains(&symbol.len()) || !plain {
            p.add(
                "quoting.symbols",
                format!(
                    "contains {symbol:?}, which does not match [A-Z0-9]{{1,32}} (a Bybit symbol)"
                ),
            );
        }
        if !seen.insert(symbol) {
            p.add("quoting.symbols", format!("lists {symbol:?} twice"));
        }
    }
    p.range("quoting.levels", u64::from(q.levels), 1, 50);
    p.range("quoting.spread_bps", u64::from(q.spread_bps), 1, 5_000);
    if q.levels > 1 {
        p.range("quoting.step_bps", u64::from(q.step_bps), 1, 5_000);
    }
    let widest =
        u64::from(q.spread_bps) + 2 * u64::from(q.levels.saturating_sub(1)) * u64::from(q.step_bps);
    if widest >= 20_000 {
        p.add("quoting", format!("spread_bps + 2 * (levels - 1) * step_bps = {widest} must stay below 20000 (bids above zero)"));
    }
    for symbol in &q.symbols {
        match q.order_qty.for_symbol(symbol) {
            None => p.add("quoting.order_qty", format!("has no size for {symbol}")),
            Some(qty) if !qty.is_positive() => p.add(
                "quoting.order_qty",
                format!("= {qty} for {symbol} must be positive"),
            ),
            Some(_) => {}
        }
    }
    p.range(
        "quoting.tick_interval_ms",
        q.tick_interval_ms,
        10,
        3_600_000,
    );
    p.range(
        "quoting.reprice_tolerance_bps",
        u64::from(q.reprice_tolerance_bps),
        0,
        1_000,
    );
    p.range(
        "quoting.max_deviation_bps",
        u64::from(q.max_deviation_bps),
        1,
        5_000,
    );
    if q.reprice == Reprice::Planned && q.max_deviation_bps < q.reprice_tolerance_bps {
        p.add(
            "quoting.max_deviation_bps",
            format!(
                "= {} must be at least quoting.reprice_tolerance_bps = {} with reprice = \"planned\" (an order within tolerance is on target)",
                q.max_deviation_bps, q.reprice_tolerance_bps
            ),
        );
    }
    p.range("quoting.max_book_age_ms", q.max_book_age_ms, 1, 3_600_000);
    if q.skew_bps_per_unit.mantissa() < 0 {
        p.add(
            "quoting.skew_bps_per_unit",
            format!(
                "= {} must not be negative (the skew goes against the position)",
                q.skew_bps_per_unit
            ),
        );
    }
    p.range("quoting.max_skew_bps", u64::from(q.max_skew_bps), 0, 1_000);
    // The last book is already one interval old when the next poll lands: at
    // or below the interval, quotes would be pulled between every two polls.
    if q.max_book_age_ms <= q.tick_interval_ms {
        p.add(
            "quoting.max_book_age_ms",
            format!(
                "= {} must exceed quoting.tick_interval_ms = {} (books are that old before the next poll arrives)",
                q.max_book_age_ms, q.tick_interval_ms
            ),
        );
    }
    p.range("quoting.max_quote_age_ms", q.max_quote_age_ms, 1, 3_600_000);
    // Same reason: a set sent once a tick is one interval old at the next.
    // Only where it matters, so a ladder config never trips over it.
    if q.source == super::QuoteSource::External && q.max_quote_age_ms <= q.tick_interval_ms {
        p.add(
            "quoting.max_quote_age_ms",
            format!(
                "= {} must exceed quoting.tick_interval_ms = {} (a set is that old at the next tick)",
                q.max_quote_age_ms, q.tick_interval_ms
            ),
        );
    }
}

fn async_batch(config: &Config, p: &mut Problems) {
    let b = &config.async_batch;
    p.range(
        "async_batch.max_parallel_symbols",
        u64::from(b.max_parallel_symbols),
        1,
        1_000,
    );
    p.range(
        "async_batch.max_batch_size",
        u64::from(b.max_batch_size),
        1,
        20,
    );
    p.range(
        "async_batch.tick_deadline_ms",
        b.tick_deadline_ms,
        1,
        3_600_000,
    );
}

fn rate_limits(config: &Config, p: &mut Problems) {
    for endpoint in crate::domain::Endpoint::ALL {
        let value = config.rate_limits.per_second(endpoint);
        p.range(
            &format!("rate_limits.{}", endpoint.name()),
            u64::from(value),
            1,
            100_000,
        );
    }
}

/// A symbol's category is its instrument's (the exchange says what it is):
/// batches never mix categories and are chunked at each one's own limit, so
/// instruments of several categories can be quoted together, and a
/// `max_batch_size` above a category's limit is capped, not refused
/// (`Config::batch_size_capped`). `exchange.category` is where the shell
/// fetches instruments and books.
fn against_instruments(config: &Config, instruments: &[Instrument], p: &mut Problems) {
    for symbol in &config.quoting.symbols {
        let Some(instrument) = instruments.iter().find(|i| &i.symbol == symbol) else {
            p.add(
                "quoting.symbols",
                format!("contains {symbol}, which the exchange does not list"),
            );
            continue;
        };
        if let Some(qty) = config.quoting.order_qty.for_symbol(symbol) {
            if instrument.qty_lots(&qty).is_none() {
                p.add(
                    "quoting.order_qty",
                    format!(
                        "= {qty} for {symbol} is not a multiple of its qty step {}",
                        instrument.qty_step
                    ),
                );
            } else if qty.div_exact(instrument.qty_step)
                < instrument.min_qty.div_exact(instrument.qty_step)
            {
                p.add(
                    "quoting.order_qty",
                    format!(
                        "= {qty} for {symbol} is below its minimum order qty {}",
                        instrument.min_qty
                    ),
                );
            }
        }
    }
}
