//! Market data and exchange facts: tickers (-> `BookTop`), instruments-info
//! (-> `mm_core::Instrument`, every page) and the server-time check.

use mm_bybit::{InstrumentsResult, MarketQuery, ServerTime, TickersResult, paths};
use mm_core::{BookTop, Category, Decimal, Instrument, Timestamp};

use crate::client::{Client, ClientError, wire_category};

/// Market data or exchange facts that could not be had.
#[derive(Debug, thiserror::Error)]
pub enum MarketError {
    #[error(transparent)]
    Client(#[from] ClientError),
    #[error("instruments-info: more than 100 pages")]
    TooManyPages,
    #[error("server time: reply has no time")]
    NoServerTime,
    #[error(
        "server time: the local clock is off by {offset_ms} ms, more than half the receive window ({recv_window_ms} ms); fix the clock (NTP) first"
    )]
    ClockOff { offset_ms: i64, recv_window_ms: u64 },
}

/// An instrument whose numbers do not parse (it is left out, with a warning).
#[derive(Debug, thiserror::Error)]
#[error("{field}: {value:?} is not a decimal")]
struct BadNumber {
    field: &'static str,
    value: String,
}

/// Best bid/ask of `symbols` (one call for all of them), stamped with the
/// shell's clock when the reply arrived. Symbols the exchange did not return
/// are simply absent: core treats a missing book as a missing book.
pub async fn fetch_books(
    client: &Client,
    category: Category,
    symbols: &[String],
) -> Result<Vec<BookTop>, MarketError> {
    let q = MarketQuery {
        category: wire_category(category),
        symbol: (symbols.len() == 1).then(|| symbols[0].clone()),
    };
    let r = client
        .get_public::<TickersResult>(paths::TICKERS, &q.to_query_string())
        .await?;
    let received_ms = Timestamp(crate::now_ms());
    Ok(r.result
        .list
        .into_iter()
        .filter(|t| symbols.contains(&t.symbol))
        .map(|t| BookTop {
            symbol: t.symbol.into(),
            bid: t.bid1_price.into(),
            ask: t.ask1_price.into(),
            received_ms,
        })
        .collect())
}

/// The instruments of `symbols` in `category`, following every page.
/// Instruments that are not trading, or whose grid does not parse, are left
/// out (and named in a warning); config validation then reports the symbol.
pub async fn fetch_instruments(
    client: &Client,
    category: Category,
    symbols: &[String],
) -> Result<Vec<Instrument>, MarketError> {
    let mut out = Vec::new();
    let mut cursor = String::new();
    for _page in 0..100 {
        let mut query = MarketQuery {
            category: wire_category(category),
            symbol: (symbols.len() == 1).then(|| symbols[0].clone()),
        }
        .to_query_string();
        query.push_str("&limit=1000");
        if !cursor.is_empty() {
            query.push_str("&cursor=");
            query.push_str(&mm_bybit::query::encode_component(&cursor));
        }
        let r = client
            .get_public::<InstrumentsResult>(paths::INSTRUMENTS, &query)
            .await?;
        for i in r.result.list {
            if !symbols.contains(&i.symbol) {
                continue;
            }
            if !(i.status.is_empty() || i.status == "Trading") {
                tracing::warn!(
                    "instrument {} is {:?}, not Trading: left out",
                    i.symbol,
                    i.status
                );
                continue;
            }
            match convert(&i, category) {
                Ok(inst) => out.push(inst),
                Err(e) => tracing::warn!("instrument {}: {e}: left out", i.symbol),
            }
        }
        if r.result.next_page_cursor.is_empty() {
            return Ok(out);
        }
        cursor = r.result.next_page_cursor;
    }
    Err(MarketError::TooManyPages)
}

fn convert(i: &mm_bybit::Instrument, category: Category) -> Result<Instrument, BadNumber> {
    let dec = |field: &'static str, s: &str| -> Result<Decimal, BadNumber> {
        s.parse::<Decimal>().map_err(|_| BadNumber {
            field,
            value: s.to_string(),
        })
    };
    let qty_step = dec("qty step", i.qty_step())?;
    let min_qty = if i.lot_size_filter.min_order_qty.is_empty() {
        qty_step
    } else {
        dec("minOrderQty", &i.lot_size_filter.min_order_qty)?
    };
    Ok(Instrument {
        symbol: i.symbol.clone(),
        category,
        tick_size: dec("tickSize", &i.price_filter.tick_size)?,
        qty_step,
        min_qty,
    })
}

/// Server time minus local time (ms), measured against the midpoint of the
/// round trip. `Err` when it cannot be read or is off by more than half the
/// receive window (every signed request would then risk 10002).
pub async fn check_server_time(client: &Client, recv_window_ms: u64) -> Result<i64, MarketError> {
    let sent = crate::now_ms();
    let r = client.get_public::<ServerTime>(paths::TIME, "").await?;
    let back = crate::now_ms();
    let local_mid = i128::from(sent) + (i128::from(back) - i128::from(sent)) / 2;
    let server_ms = r
        .result
        .time_nano
        .parse::<u128>()
        .ok()
        .map(|n| n / 1_000_000)
        .or_else(|| r.result.time_second.parse::<u128>().ok().map(|s| s * 1000))
        .or_else(|| (r.time > 0).then_some(u128::from(r.time)))
        .ok_or(MarketError::NoServerTime)?;
    let offset =
        i64::try_from(i128::try_from(server_ms).unwrap_or(0) - local_mid).unwrap_or(i64::MAX);
    let limit = i64::try_from(recv_window_ms / 2).unwrap_or(i64::MAX);
    if offset.abs() > limit {
        return Err(MarketError::ClockOff {
            offset_ms: offset,
            recv_window_ms,
        });
    }
    Ok(offset)
}
