//! Whatever came back, as an `mm_core::Outcome`: HTTP != 200 ->
//! `HttpStatus`; a body that does not parse as the endpoint's Bybit envelope
//! -> `Malformed(reason)`; else a `Reply` with the top-level code, one code
//! per item, the acks and the rate-limit headers. Nothing is judged here.

use mm_bybit::{
    BatchCreateItem, BatchItem, CancelAllResult, ListResult, OpenOrdersResult, OrderAck, Response,
    headers,
};
use mm_core::input::{Ack, ExchangeOrder, ItemCode, RateLimitStatus};
use mm_core::{Outcome, Reply, Timestamp};
use serde::de::DeserializeOwned;

use super::wire::status_name;

/// Runs `scrub` over every text in `o`: exchanges echo what they were sent
/// (Bybit's 10004 has shown the signed origin string, API key included), and
/// every outcome is journaled and logged.
pub(super) fn scrub_outcome(o: &mut Outcome, scrub: impl Fn(&mut String)) {
    match o {
        Outcome::Reply(r) => {
            r.ret_msg.edit(&scrub);
            for a in &mut r.acks {
                a.order_id.edit(&scrub);
                a.order_link_id.edit(&scrub);
            }
            for c in &mut r.codes {
                c.msg.edit(&scrub);
            }
            for x in &mut r.orders {
                for t in [
                    &mut x.order_id,
                    &mut x.order_link_id,
                    &mut x.symbol,
                    &mut x.side,
                    &mut x.price,
                    &mut x.qty,
                    &mut x.leaves_qty,
                    &mut x.status,
                    &mut x.reject_reason,
                ] {
                    t.edit(&scrub);
                }
            }
            if let Some(c) = &mut r.next_cursor {
                scrub(c);
            }
        }
        Outcome::Transport(m) | Outcome::Malformed(m) => scrub(m),
        // Parsed rows of ids, decimals and enum names: nothing echoes a request.
        Outcome::Timeout | Outcome::HttpStatus(_) | Outcome::Listing(_) => {}
    }
}

/// A reply as it came off the wire, before it is parsed.
pub(super) struct Raw {
    pub(super) status: u16,
    pub(super) headers: reqwest::header::HeaderMap,
    pub(super) body: Vec<u8>,
}

/// A short text for an outcome that is not a reply (for market-data errors).
pub fn describe(o: &Outcome) -> String {
    match o {
        Outcome::Reply(r) => format!("retCode {} {}", r.ret_code, r.ret_msg),
        Outcome::Timeout => "timeout".to_string(),
        Outcome::Transport(m) => format!("transport: {m}"),
        Outcome::HttpStatus(s) => format!("HTTP {s}"),
        Outcome::Malformed(m) => format!("malformed: {m}"),
        Outcome::Listing(_) => "a listing".to_string(),
    }
}

pub(super) fn rate_limit(h: &reqwest::header::HeaderMap) -> Option<RateLimitStatus> {
    let get = |name: &str| h.get(name).and_then(|v| v.to_str().ok());
    Some(core_rate_limit(
        mm_bybit::RateLimitStatus::from_header_values(
            get(headers::LIMIT)?,
            get(headers::LIMIT_STATUS)?,
            get(headers::LIMIT_RESET_TIMESTAMP)?,
        )?,
    ))
}

/// The wire's rate-limit state as core's.
pub(super) fn core_rate_limit(s: mm_bybit::RateLimitStatus) -> RateLimitStatus {
    RateLimitStatus {
        limit: s.limit,
        remaining: s.remaining,
        reset_ms: Timestamp(s.reset_ms),
    }
}

/// Status, envelope, then `fill` copies the endpoint's result into the reply.
fn parse_reply<T: DeserializeOwned + Default>(
    raw: Raw,
    fill: impl FnOnce(T, &mut Reply),
) -> Outcome {
    if raw.status != 200 {
        return Outcome::HttpStatus(raw.status);
    }
    let r: Response<T> = match serde_json::from_slice(&raw.body) {
        Ok(r) => r,
        Err(e) => return Outcome::Malformed(format!("reply does not parse: {e}")),
    };
    from_response(r, rate_limit(&raw.headers), fill)
}

/// A parsed Bybit envelope (REST, or a trade-stream reply made one) as a
/// reply: the one place both transports build what core sees.
pub(super) fn from_response<T>(
    r: Response<T>,
    rate_limit: Option<RateLimitStatus>,
    fill: impl FnOnce(T, &mut Reply),
) -> Outcome {
    let mut reply = Reply {
        ret_code: r.ret_code,
        ret_msg: r.ret_msg.into(),
        codes: r
            .ret_ext_info
            .list
            .into_iter()
            .map(|i| ItemCode {
                code: i.code,
                msg: i.msg.into(),
            })
            .collect(),
        rate_limit,
        ..Reply::default()
    };
    fill(r.result, &mut reply);
    Outcome::Reply(reply)
}

pub(super) fn parse_batch_items(raw: Raw) -> Outcome {
    parse_reply(raw, fill_batch_items)
}

pub(super) fn fill_batch_items(r: ListResult<BatchItem>, reply: &mut Reply) {
    reply.acks = r
        .list
        .into_iter()
        .map(|i| ack(i.order_id, i.order_link_id))
        .collect();
}

pub(super) fn parse_single(raw: Raw) -> Outcome {
    parse_reply(raw, fill_single)
}

pub(super) fn fill_single(r: OrderAck, reply: &mut Reply) {
    reply.acks = vec![ack(r.order_id, r.order_link_id)];
}

fn ack(order_id: String, order_link_id: String) -> Ack {
    Ack {
        order_id: order_id.into(),
        order_link_id: order_link_id.into(),
    }
}

pub(super) fn parse_create_batch(raw: Raw) -> Outcome {
    parse_reply(raw, fill_create_batch)
}

pub(super) fn fill_create_batch(r: ListResult<BatchCreateItem>, reply: &mut Reply) {
    reply.acks = r
        .list
        .into_iter()
        .map(|i| ack(i.order_id, i.order_link_id))
        .collect();
}

pub(super) fn parse_cancel_all(raw: Raw) -> Outcome {
    parse_reply::<CancelAllResult>(raw, |r, reply| {
        reply.acks = r
            .list
            .into_iter()
            .map(|a| ack(a.order_id, a.order_link_id))
            .collect();
    })
}

pub(super) fn parse_open_orders(raw: Raw) -> Outcome {
    parse_reply::<OpenOrdersResult>(raw, |r, reply| {
        reply.orders = r
            .list
            .into_iter()
            .map(|o| ExchangeOrder {
                order_id: o.order_id.into(),
                order_link_id: o.order_link_id.into(),
                symbol: o.symbol.into(),
                side: o.side.as_str().into(),
                price: o.price.into(),
                qty: o.qty.into(),
                leaves_qty: o.leaves_qty.into(),
                status: status_name(o.order_status).into(),
                reject_reason: o.reject_reason.into(),
            })
            .collect();
        reply.next_cursor = (!r.next_page_cursor.is_empty()).then_some(r.next_page_cursor);
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use mm_core::input::{Ack, ExchangeOrder, ItemCode};

    const KEY: &str = "KEY-sekrit";

    fn echo() -> String {
        format!("error sign! origin_string[1700000000000{KEY}5000{{}}]")
    }

    #[test]
    fn every_text_of_every_outcome_is_scrubbed() {
        let scrub = |s: &mut String| *s = s.replace(KEY, "***");
        let mut reply = Outcome::Reply(Reply {
            ret_code: 10004,
            ret_msg: echo().into(),
            acks: vec![Ack {
                order_id: echo().into(),
                order_link_id: echo().into(),
            }],
            codes: vec![ItemCode {
                code: 10004,
                msg: echo().into(),
            }],
            orders: vec![ExchangeOrder {
                reject_reason: echo().into(),
                status: echo().into(),
                ..ExchangeOrder::default()
            }],
            next_cursor: Some(echo()),
            rate_limit: None,
        });
        scrub_outcome(&mut reply, scrub);
        let mut others = [Outcome::Transport(echo()), Outcome::Malformed(echo())];
        for o in &mut others {
            scrub_outcome(o, scrub);
        }
        for o in std::iter::once(&reply).chain(&others) {
            let text = format!("{o:?}");
            assert!(!text.contains(KEY), "{text}");
            assert!(
                text.contains("origin_string[1700000000000***5000"),
                "{text}"
            );
        }
    }
}
