//! A replay as stable text, for snapshots and for reading.
//!
//! One line per input, at its time relative to the session's first input;
//! under it, one line per effect it produced, indented; under a request or
//! a reply, one line per order it carries. No Debug dumps, no absolute
//! times, no hash order: every map rendered here is a `BTreeMap` or sorted,
//! and every string from the outside world is escaped onto one line, so the
//! same replay always gives the same bytes and a diff reads like a story.
//!
//! ```text
//!       0 tick BTCUSDT 59999.9/60000.1 ETHUSDT 2999.99/3000.01
//!           send r1 create_batch linear 20 orders
//!               BTCUSDT Buy 59969.9 x 0.001 jt-1
//!           wake_at +200
//!      20 reply r1 retCode 0 "OK" 20 items: 19 ok, 1 failed; limit 10 left 0 reset +1000
//!               [7] jt-8 110007 "insufficient balance"
//! ```

use std::collections::BTreeMap;
use std::fmt::Write;

use mm_core::effect::{AmendOrder, CancelOrder, NewOrder};
use mm_core::input::{Ack, ItemCode, Reply};
use mm_core::journal::{JournalError, JournalHeader};
use mm_core::{Config, Effect, Input, Outcome, Request, RequestKind, TickStats, Timestamp};

const INPUT_PAD: usize = 7;
const EFFECT_INDENT: &str = "          ";
const DETAIL_INDENT: &str = "              ";

/// Builds a transcript one piece at a time, in session order.
#[derive(Debug, Clone, Default)]
pub struct Transcript {
    out: String,
    /// The first input's time: every time shown is relative to it.
    t0: Option<Timestamp>,
    /// The config the session last announced (header, then each change),
    /// flattened, so a change is shown as the keys it changes.
    config: BTreeMap<String, String>,
    inputs: u64,
    effects: u64,
}

impl Transcript {
    pub fn new() -> Transcript {
        Transcript::default()
    }

    /// Session id, instruments and the whole starting config, one key a line.
    pub fn header(&mut self, header: &JournalHeader) {
        self.line(format!("session {}", header.session_id.as_str()));
        for i in &header.instruments {
            self.line(format!(
                "instrument {} {} tick {} qty_step {} min_qty {}",
                oneline(&i.symbol),
                i.category.wire(),
                i.tick_size,
                i.qty_step,
                i.min_qty
            ));
        }
        self.config = flatten_config(&header.config);
        let lines: Vec<String> = self
            .config
            .iter()
            .map(|(k, v)| format!("config {k} = {v}"))
            .collect();
        for l in lines {
            self.line(l);
        }
    }

    pub fn input(&mut self, input: &Input) {
        self.inputs += 1;
        let now = input.now_ms();
        let t0 = *self.t0.get_or_insert(now);
        let head = match input {
            Input::Tick { books, .. } => {
                let mut s = String::from("tick");
                if books.is_empty() {
                    s.push_str(" (no books)");
                }
                for b in books {
                    let _ = write!(
                        s,
                        " {} {}/{}",
                        oneline(&b.symbol),
                        quoted_if_odd(&b.bid),
                        quoted_if_odd(&b.ask)
                    );
                    if b.received_ms != now {
                        let _ = write!(s, " (age {})", signed(now.0, b.received_ms.0));
                    }
                }
                s
            }
            Input::Response {
                request_id,
                outcome,
                ..
            } => {
                let (head, details) = response(request_id.0, outcome, t0);
                self.at(now, head);
                for d in details {
                    self.detail(d);
                }
                return;
            }
            Input::Wake { .. } => "wake".to_string(),
            Input::ConfigChanged { config, .. } => {
                let next = flatten_config(config);
                let changes = diff(&self.config, &next);
                self.at(
                    now,
                    format!(
                        "config change: {} key{}",
                        changes.len(),
                        if changes.len() == 1 { "" } else { "s" }
                    ),
                );
                for c in changes {
                    self.detail(c);
                }
                self.config = next;
                return;
            }
            Input::Shutdown { .. } => "shutdown".to_string(),
        };
        self.at(now, head);
    }

    pub fn effect(&mut self, effect: &Effect) {
        self.effects += 1;
        let t0 = self.t0.unwrap_or_default();
        match effect {
            Effect::Send(request) => {
                let (head, details) = send(request);
                self.effect_line(head);
                for d in details {
                    self.detail(d);
                }
            }
            Effect::WakeAt(t) => self.effect_line(format!("wake_at {}", rel(*t, t0))),
            Effect::Log(event) => {
                let level = match event.level {
                    mm_core::effect::Level::Info => "INFO",
                    mm_core::effect::Level::Warn => "WARN",
                    mm_core::effect::Level::Error => "ERROR",
                };
                self.effect_line(format!("log {level} {}", oneline(&event.text)));
            }
            Effect::TickDone(stats) => self.effect_line(tick_done(stats, t0)),
            Effect::Stopped => self.effect_line("stopped".to_string()),
        }
    }

    /// The journal's damage: where replay stopped and why.
    pub fn damage(&mut self, damage: &JournalError) {
        self.line(format!("damage: {}", oneline(&damage.to_string())));
    }

    /// Anything that kept the session from replaying (unreadable journal,
    /// invalid config), rendered instead of panicking.
    pub fn error(&mut self, what: &str, error: &dyn std::fmt::Display) {
        for (i, l) in error.to_string().lines().enumerate() {
            if i == 0 {
                self.line(format!("error: {what}: {}", oneline(l)));
            } else {
                self.line(format!("error:   {}", oneline(l)));
            }
        }
    }

    /// The text, with a closing count of what it shows.
    pub fn finish(mut self) -> String {
        let (i, e) = (self.inputs, self.effects);
        self.line(format!("end: {i} inputs, {e} effects"));
        self.out
    }

    fn line(&mut self, text: String) {
        self.out.push_str(&text);
        self.out.push('\n');
    }

    fn at(&mut self, now: Timestamp, text: String) {
        let t = signed(now.0, self.t0.unwrap_or(now).0);
        let _ = writeln!(self.out, "{t:>INPUT_PAD$} {text}");
    }

    fn effect_line(&mut self, text: String) {
        let _ = writeln!(self.out, "{EFFECT_INDENT}{text}");
    }

    fn detail(&mut self, text: String) {
        let _ = writeln!(self.out, "{DETAIL_INDENT}{text}");
    }
}

fn send(request: &Request) -> (String, Vec<String>) {
    let id = request.id.0;
    let ep = request.kind.endpoint().name();
    let batch = |cat: mm_core::Category, n: usize| {
        format!(
            "send r{id} {ep} {} {n} order{}",
            cat.wire(),
            if n == 1 { "" } else { "s" }
        )
    };
    match &request.kind {
        RequestKind::PlaceBatch { category, orders } => (
            batch(*category, orders.len()),
            orders.iter().map(new_order).collect(),
        ),
        RequestKind::AmendBatch { category, orders } => (
            batch(*category, orders.len()),
            orders.iter().map(amend_order).collect(),
        ),
        RequestKind::CancelBatch { category, orders } => (
            batch(*category, orders.len()),
            orders.iter().map(cancel_order).collect(),
        ),
        RequestKind::Place { category, order } => (
            format!("send r{id} {ep} {} {}", category.wire(), new_order(order)),
            vec![],
        ),
        RequestKind::Amend { category, order } => (
            format!("send r{id} {ep} {} {}", category.wire(), amend_order(order)),
            vec![],
        ),
        RequestKind::Cancel { category, order } => (
            format!(
                "send r{id} {ep} {} {}",
                category.wire(),
                cancel_order(order)
            ),
            vec![],
        ),
        RequestKind::CancelAll { category, symbol } => (
            format!("send r{id} {ep} {} {}", category.wire(), oneline(symbol)),
            vec![],
        ),
        RequestKind::OpenOrders {
            category,
            symbol,
            order_link_id,
            cursor,
            limit,
        } => {
            let mut s = format!("send r{id} {ep} {} {}", category.wire(), oneline(symbol));
            if let Some(link) = order_link_id {
                let _ = write!(s, " link {}", oneline(link));
            }
            if let Some(c) = cursor {
                let _ = write!(s, " cursor {}", quoted(c));
            }
            let _ = write!(s, " limit {limit}");
            (s, vec![])
        }
    }
}

fn new_order(o: &NewOrder) -> String {
    format!(
        "{} {} {} x {} {}{}",
        oneline(&o.symbol),
        o.side.wire(),
        quoted_if_odd(&o.price),
        quoted_if_odd(&o.qty),
        oneline(&o.order_link_id),
        if o.post_only { "" } else { " gtc" }
    )
}

fn amend_order(o: &AmendOrder) -> String {
    let opt = |v: &Option<String>| v.as_deref().map_or_else(|| "-".to_string(), quoted_if_odd);
    format!(
        "{} {} price {} qty {}",
        oneline(&o.symbol),
        oneline(&o.order_link_id),
        opt(&o.price),
        opt(&o.qty)
    )
}

fn cancel_order(o: &CancelOrder) -> String {
    format!("{} {}", oneline(&o.symbol), oneline(&o.order_link_id))
}

fn response(id: u64, outcome: &Outcome, t0: Timestamp) -> (String, Vec<String>) {
    match outcome {
        Outcome::Reply(reply) => reply_lines(id, reply, t0),
        Outcome::Timeout => (format!("reply r{id} timeout"), vec![]),
        Outcome::Transport(e) => (format!("reply r{id} transport error {}", quoted(e)), vec![]),
        Outcome::HttpStatus(code) => (format!("reply r{id} http {code}"), vec![]),
        Outcome::Malformed(e) => (format!("reply r{id} malformed {}", quoted(e)), vec![]),
    }
}

/// Per-order items: the failed ones one a line (index, orderLinkId, code,
/// message), the accepted ones counted; queried orders one a line.
fn reply_lines(id: u64, r: &Reply, t0: Timestamp) -> (String, Vec<String>) {
    let mut head = format!("reply r{id} retCode {} {}", r.ret_code, quoted(&r.ret_msg));
    let mut details = Vec::new();
    let items = r.acks.len().max(r.codes.len());
    if !r.codes.is_empty() || !r.acks.is_empty() {
        let failed: Vec<usize> = (0..items)
            .filter(|&i| r.codes.get(i).is_none_or(|c| c.code != 0))
            .collect();
        if r.codes.is_empty() {
            // A single-order reply: the top-level code is the order's.
            let links: Vec<String> = r.acks.iter().map(ack).collect();
            let _ = write!(head, " ack {}", links.join(" "));
        } else {
            let _ = write!(
                head,
                " {items} item{}: {} ok, {} failed",
                if items == 1 { "" } else { "s" },
                items - failed.len(),
                failed.len()
            );
            if r.acks.len() != r.codes.len() {
                let _ = write!(head, " (acks {} codes {})", r.acks.len(), r.codes.len());
            }
            for i in failed {
                details.push(format!(
                    "[{i}] {} {}",
                    r.acks.get(i).map_or_else(|| "(no ack)".to_string(), ack),
                    r.codes
                        .get(i)
                        .map_or_else(|| "(no code)".to_string(), item_code)
                ));
            }
        }
    }
    if !r.orders.is_empty() {
        let _ = write!(head, " {} open", r.orders.len());
    }
    if let Some(c) = &r.next_cursor {
        let _ = write!(head, " next_cursor {}", quoted(c));
    }
    if let Some(rl) = &r.rate_limit {
        let _ = write!(
            head,
            "; limit {} left {} reset {}",
            rl.limit,
            rl.remaining,
            rel(rl.reset_ms, t0)
        );
    }
    for o in &r.orders {
        let mut s = format!(
            "{} {} {} x {} leaves {} {} {}",
            oneline(&o.symbol),
            oneline(&o.side),
            quoted_if_odd(&o.price),
            quoted_if_odd(&o.qty),
            quoted_if_odd(&o.leaves_qty),
            oneline(&o.status),
            oneline(&o.order_link_id)
        );
        if !o.reject_reason.is_empty() && o.reject_reason != "EC_NoError" {
            let _ = write!(s, " reason {}", quoted(&o.reject_reason));
        }
        details.push(s);
    }
    (head, details)
}

fn ack(a: &Ack) -> String {
    if a.order_link_id.is_empty() {
        "(no link)".to_string()
    } else {
        oneline(&a.order_link_id)
    }
}

fn item_code(c: &ItemCode) -> String {
    format!("{} {}", c.code, quoted(&c.msg))
}

fn tick_done(s: &TickStats, t0: Timestamp) -> String {
    fn map<K: Copy>(m: &BTreeMap<K, u64>, name: impl Fn(K) -> &'static str) -> String {
        if m.is_empty() {
            return "-".to_string();
        }
        let parts: Vec<String> = m.iter().map(|(k, v)| format!("{} {v}", name(*k))).collect();
        parts.join(" ")
    }
    format!(
        "tick_done #{} started {} took {}ms | cmds {} | coalesced {} | reqs {} | \
         fallbacks {} rejects {} stale {} conflated {} deferred {} requeued {} | \
         live {} unknown {} | headroom {}",
        s.tick,
        rel(s.started_ms, t0),
        s.duration_ms,
        map(&s.commands, mm_core::Op::name),
        map(&s.coalesced, mm_core::Op::name),
        map(&s.requests, mm_core::Endpoint::name),
        s.fallbacks,
        s.rejects,
        s.stale_drops,
        s.conflated,
        s.rate_deferrals,
        s.requeued,
        s.live_orders,
        s.unknown_orders,
        map(&s.budget_headroom, mm_core::Endpoint::name),
    )
}

/// The config as sorted `dotted.key -> value` pairs (values as TOML writes
/// them), so two configs compare key by key.
pub fn flatten_config(config: &Config) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    match toml::Value::try_from(config) {
        Ok(toml::Value::Table(t)) => flatten("", &t, &mut out),
        Ok(other) => {
            out.insert("(config)".to_string(), oneline(&other.to_string()));
        }
        Err(e) => {
            out.insert(
                "(config)".to_string(),
                format!("cannot be rendered: {}", oneline(&e.to_string())),
            );
        }
    }
    out
}

fn flatten(prefix: &str, table: &toml::Table, out: &mut BTreeMap<String, String>) {
    if table.is_empty() && !prefix.is_empty() {
        out.insert(prefix.to_string(), "{}".to_string());
    }
    for (k, v) in table {
        let key = if prefix.is_empty() {
            k.clone()
        } else {
            format!("{prefix}.{k}")
        };
        match v {
            toml::Value::Table(t) => flatten(&key, t, out),
            v => {
                out.insert(key, oneline(&v.to_string()));
            }
        }
    }
}

/// `key: old -> new` for every key that differs (`(unset)` when absent).
fn diff(old: &BTreeMap<String, String>, new: &BTreeMap<String, String>) -> Vec<String> {
    let mut keys: Vec<&String> = old.keys().chain(new.keys()).collect();
    keys.sort();
    keys.dedup();
    keys.into_iter()
        .filter(|k| old.get(*k) != new.get(*k))
        .map(|k| {
            let show = |v: Option<&String>| v.map_or_else(|| "(unset)".to_string(), Clone::clone);
            format!("{k}: {} -> {}", show(old.get(k)), show(new.get(k)))
        })
        .collect()
}

/// A time relative to the session start: `+123`, or `-5` before it.
fn rel(t: Timestamp, t0: Timestamp) -> String {
    if t >= t0 {
        format!("+{}", t.0 - t0.0)
    } else {
        format!("-{}", t0.0 - t.0)
    }
}

fn signed(a: u64, b: u64) -> String {
    if a >= b {
        (a - b).to_string()
    } else {
        format!("-{}", b - a)
    }
}

/// Control characters escaped, so one value never spans two lines.
pub fn oneline(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if c.is_control() {
            out.extend(c.escape_default());
        } else {
            out.push(c);
        }
    }
    out
}

/// A string from the wire in quotes, escaped onto one line.
fn quoted(s: &str) -> String {
    format!("\"{}\"", oneline(s).replace('"', "\\\""))
}

/// Prices and sizes print bare when they look like numbers, quoted when not
/// (an empty or garbage price must be visible as such).
fn quoted_if_odd(s: &str) -> String {
    let plain = !s.is_empty()
        && s.bytes()
            .all(|b| b.is_ascii_digit() || b == b'.' || b == b'-');
    if plain { s.to_string() } else { quoted(s) }
}
