//! `mm run --quotes ADDR`: quote sets from any language, as newline-delimited
//! JSON over a Unix socket (a path) or TCP on a loopback address.
//!
//! A client writes one set per line:
//! `{"symbol":"BTCUSDT","bids":[{"price":"59990","qty":"0.001"}],"asks":[...],"id":1}`
//! (`id` optional, echoed back; prices and sizes are strings: exact
//! decimals). It reads events, one JSON object per line: first `hello`
//! (the quoted instruments: tick size, qty step, min qty), then `accepted`,
//! `refused` (with the reason core gave), `conflated` (replaced by its next
//! set before core read it), `error` (the shell could not take the line),
//! `books` (every tick's top of book), `tick` (stats and the client's own
//! orders), `positions`, `stopped`.
//!
//! Decisions:
//! - TCP only on loopback: the socket places orders and has no
//!   authentication, so anything else is refused at start-up.
//! - Each client owns the symbols it quotes, from its first accepted line
//!   until it disconnects; another client's set for an owned symbol is an
//!   `error`. A disconnected client's symbols stop getting sets, so core
//!   pulls them after `quoting.max_quote_age_ms`.
//! - A bad line (not JSON, unknown fields, a number where a decimal string
//!   belongs, an unknown symbol, longer than `MAX_LINE` bytes) is an
//!   `error` to that client only; the connection stays up. Everything core
//!   judges (grid, min qty, crossed, levels) comes back as `refused`.

use std::collections::{BTreeMap, BTreeSet};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use mm_core::Instrument;
use mm_core::input::{QuoteLevel, QuoteSet};
use serde::Deserialize;
use tokio::io::{AsyncBufRead, AsyncBufReadExt, AsyncRead, AsyncWrite, AsyncWriteExt, BufReader};
use tokio::sync::broadcast;
use tokio::task::JoinHandle;

use super::{Link, SessionEvent};

/// Longest line taken, newline excluded (50 levels a side fit many times).
pub const MAX_LINE: usize = 64 * 1024;

/// Where the quote socket listens.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum QuotesAddr {
    Unix(PathBuf),
    Tcp(SocketAddr),
}

#[derive(Debug, thiserror::Error)]
pub enum QuotesAddrError {
    #[error(
        "--quotes {0}: not a loopback address; the quote socket places orders without authentication, so TCP listens on 127.0.0.0/8 or ::1 only (or give a Unix socket path)"
    )]
    NotLoopback(String),
    #[error("--quotes {0}: neither IP:PORT nor a Unix socket path (a path has a '/')")]
    Unparsed(String),
    #[error("--quotes {addr}: {source}")]
    Bind {
        addr: String,
        source: std::io::Error,
    },
}

impl QuotesAddr {
    /// A path has a `/` (or no `:`); anything else must be a loopback IP:PORT.
    pub fn parse(text: &str) -> Result<QuotesAddr, QuotesAddrError> {
        if text.contains('/') || !text.contains(':') {
            return Ok(QuotesAddr::Unix(PathBuf::from(text)));
        }
        let addr: SocketAddr = text
            .parse()
            .map_err(|_| QuotesAddrError::Unparsed(text.to_string()))?;
        if !addr.ip().is_loopback() {
            return Err(QuotesAddrError::NotLoopback(text.to_string()));
        }
        Ok(QuotesAddr::Tcp(addr))
    }
}

/// One line from a client.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct QuoteLine {
    symbol: String,
    #[serde(default)]
    bids: Vec<QuoteLevel>,
    #[serde(default)]
    asks: Vec<QuoteLevel>,
    #[serde(default)]
    id: Option<u64>,
}

/// The listening socket; accepting runs on its own task.
#[derive(Debug)]
pub struct QuoteServer {
    /// Where it listens (a TCP port 0 resolved).
    pub addr: QuotesAddr,
    task: JoinHandle<()>,
}

impl QuoteServer {
    /// Binds `addr` and accepts clients quoting `symbols` into `link`.
    /// `instruments` are the quoted symbols' (told to each client first).
    pub async fn start(
        addr: &QuotesAddr,
        instruments: Vec<Instrument>,
        link: Link,
    ) -> Result<QuoteServer, QuotesAddrError> {
        let shared = Arc::new(Shared {
            symbols: instruments.iter().map(|i| i.symbol.clone()).collect(),
            instruments,
            owners: Mutex::new(BTreeMap::new()),
            link,
        });
        let bind_err = |source| QuotesAddrError::Bind {
            addr: display(addr),
            source,
        };
        match addr {
            QuotesAddr::Tcp(a) => {
                let l = tokio::net::TcpListener::bind(a).await.map_err(bind_err)?;
                let bound = l.local_addr().map_err(bind_err)?;
                let task = tokio::spawn(async move {
                    while let Ok((s, _)) = l.accept().await {
                        tokio::spawn(serve(s, Arc::clone(&shared)));
                    }
                });
                Ok(QuoteServer {
                    addr: QuotesAddr::Tcp(bound),
                    task,
                })
            }
            QuotesAddr::Unix(path) => {
                // A socket file left by an earlier run (nothing else) goes.
                if std::fs::metadata(path).is_ok_and(|m| {
                    use std::os::unix::fs::FileTypeExt;
                    m.file_type().is_socket()
                }) {
                    let _ = std::fs::remove_file(path);
                }
                let l = tokio::net::UnixListener::bind(path).map_err(bind_err)?;
                let task = tokio::spawn(async move {
                    while let Ok((s, _)) = l.accept().await {
                        tokio::spawn(serve(s, Arc::clone(&shared)));
                    }
                });
                Ok(QuoteServer {
                    addr: addr.clone(),
                    task,
                })
            }
        }
    }

    /// Stops accepting (connected clients end with the session's runtime).
    pub fn stop(&self) {
        self.task.abort();
        if let QuotesAddr::Unix(path) = &self.addr {
            let _ = std::fs::remove_file(path);
        }
    }
}

pub fn display(addr: &QuotesAddr) -> String {
    match addr {
        QuotesAddr::Unix(p) => p.display().to_string(),
        QuotesAddr::Tcp(a) => a.to_string(),
    }
}

struct Shared {
    symbols: BTreeSet<String>,
    instruments: Vec<Instrument>,
    /// Symbol -> the client that owns it.
    owners: Mutex<BTreeMap<String, u64>>,
    link: Link,
}

impl Shared {
    fn owners(&self) -> std::sync::MutexGuard<'_, BTreeMap<String, u64>> {
        self.owners
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

/// One client, until it disconnects: lines in, events out.
async fn serve<S: AsyncRead + AsyncWrite + Send + 'static>(stream: S, shared: Arc<Shared>) {
    let me = shared.link.client_id();
    let mut events = shared.link.events.subscribe();
    let (read, mut write) = tokio::io::split(stream);
    let mut read = BufReader::new(read);
    let mut mine: BTreeSet<String> = BTreeSet::new();
    let hello = serde_json::json!({
        "event": "hello",
        "max_line": MAX_LINE,
        "instruments": shared.instruments,
    });
    if write_event(&mut write, &hello).await.is_err() {
        return;
    }
    loop {
        tokio::select! {
            line = read_line(&mut read) => {
                let out = match line {
                    Ok(Line::Text(text)) => take(&text, me, &mut mine, &shared).err(),
                    Ok(Line::TooLong(n)) => Some(format!("line of {n} bytes is longer than {MAX_LINE}: ignored")),
                    Ok(Line::End) | Err(_) => break,
                };
                if let Some(reason) = out
                    && write_event(&mut write, &serde_json::json!({"event": "error", "reason": reason})).await.is_err()
                {
                    break;
                }
            }
            ev = events.recv() => {
                let ev = match ev {
                    Ok(ev) => ev,
                    Err(broadcast::error::RecvError::Lagged(_)) => continue,
                    Err(broadcast::error::RecvError::Closed) => break,
                };
                let Some(value) = for_client(ev, me, &mine) else { continue };
                if write_event(&mut write, &value).await.is_err() {
                    break;
                }
            }
        }
    }
    let mut owners = shared.owners();
    owners.retain(|_, c| *c != me);
}

/// A line taken into the mailbox, or why not.
fn take(text: &str, me: u64, mine: &mut BTreeSet<String>, shared: &Shared) -> Result<(), String> {
    let line: QuoteLine =
        serde_json::from_str(text).map_err(|e| format!("invalid quote line: {e}"))?;
    if !shared.symbols.contains(&line.symbol) {
        let known: Vec<&str> = shared.symbols.iter().map(String::as_str).collect();
        return Err(format!(
            "unknown symbol {:?} (quoting.symbols: {})",
            line.symbol,
            known.join(", ")
        ));
    }
    {
        let mut owners = shared.owners();
        let owner = *owners.entry(line.symbol.clone()).or_insert(me);
        if owner != me {
            return Err(format!(
                "symbol {} is quoted by another client",
                line.symbol
            ));
        }
    }
    mine.insert(line.symbol.clone());
    let set = QuoteSet {
        symbol: line.symbol.into(),
        bids: line.bids,
        asks: line.asks,
    };
    shared.link.push(set, line.id, me);
    Ok(())
}

/// What a client sees of an event: its own verdicts, ticks with its own
/// orders, positions of its own symbols, the end.
fn for_client(ev: SessionEvent, me: u64, mine: &BTreeSet<String>) -> Option<serde_json::Value> {
    let ev = match ev {
        SessionEvent::Accepted { client, .. }
        | SessionEvent::Refused { client, .. }
        | SessionEvent::Conflated { client, .. }
            if client != me =>
        {
            return None;
        }
        SessionEvent::Tick {
            stats,
            mut orders,
            mut risk,
        } => {
            orders.retain(|o| mine.contains(&o.symbol));
            risk.retain(|r| mine.contains(&r.symbol));
            SessionEvent::Tick {
                stats,
                orders,
                risk,
            }
        }
        SessionEvent::Positions {
            mut positions,
            mut fills,
        } => {
            positions.retain(|p| mine.contains(&p.symbol));
            fills.retain(|s, _| mine.contains(s));
            SessionEvent::Positions { positions, fills }
        }
        other => other,
    };
    serde_json::to_value(ev).ok()
}

async fn write_event<W: AsyncWrite + Unpin>(
    w: &mut W,
    v: &serde_json::Value,
) -> std::io::Result<()> {
    let mut text = v.to_string();
    text.push('\n');
    w.write_all(text.as_bytes()).await?;
    w.flush().await
}

enum Line {
    Text(String),
    /// A line over `MAX_LINE` (its length): skipped to its newline.
    TooLong(usize),
    End,
}

/// The next line, bounded: a longer one is consumed without being kept.
async fn read_line<R: AsyncBufRead + Unpin>(r: &mut R) -> std::io::Result<Line> {
    let mut line = Vec::new();
    let mut len = 0usize;
    loop {
        let buf = r.fill_buf().await?;
        if buf.is_empty() {
            return Ok(if len == 0 {
                Line::End
            } else if len > MAX_LINE {
                Line::TooLong(len)
            } else {
                Line::Text(String::from_utf8_lossy(&line).into_owned())
            });
        }
        let (chunk, done) = match buf.iter().position(|b| *b == b'\n') {
            Some(i) => (&buf[..i], Some(i + 1)),
            None => (buf, None),
        };
        len += chunk.len();
        if len <= MAX_LINE {
            line.extend_from_slice(chunk);
        }
        let used = done.unwrap_or(chunk.len());
        r.consume(used);
        if done.is_some() {
            if len > MAX_LINE {
                return Ok(Line::TooLong(len));
            }
            let text = String::from_utf8_lossy(&line)
                .trim_end_matches('\r')
                .to_string();
            if text.trim().is_empty() {
                line.clear();
                len = 0;
                continue;
            }
            return Ok(Line::Text(text));
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn addresses_are_paths_or_loopback_only() {
        assert_eq!(
            QuotesAddr::parse("/tmp/q.sock").unwrap(),
            QuotesAddr::Unix("/tmp/q.sock".into())
        );
        assert_eq!(
            QuotesAddr::parse("q.sock").unwrap(),
            QuotesAddr::Unix("q.sock".into())
        );
        assert!(matches!(
            QuotesAddr::parse("127.0.0.1:7000").unwrap(),
            QuotesAddr::Tcp(_)
        ));
        assert!(matches!(
            QuotesAddr::parse("[::1]:7000").unwrap(),
            QuotesAddr::Tcp(_)
        ));
        let e = QuotesAddr::parse("0.0.0.0:7000").unwrap_err().to_string();
        assert!(e.contains("not a loopback address"), "{e}");
        let e = QuotesAddr::parse("192.168.1.5:7000")
            .unwrap_err()
            .to_string();
        assert!(e.contains("not a loopback address"), "{e}");
        let e = QuotesAddr::parse("localhost:7000").unwrap_err().to_string();
        assert!(e.contains("neither IP:PORT"), "{e}");
    }

    #[tokio::test]
    async fn long_lines_are_skipped_whole_and_reading_goes_on() {
        let long = "x".repeat(MAX_LINE + 10);
        let text = format!("{long}\n\n{{\"a\":1}}\r\nlast");
        let mut r = BufReader::with_capacity(1000, text.as_bytes());
        assert!(matches!(read_line(&mut r).await.unwrap(), Line::TooLong(n) if n == MAX_LINE + 10));
        assert!(matches!(read_line(&mut r).await.unwrap(), Line::Text(t) if t == "{\"a\":1}"));
        assert!(matches!(read_line(&mut r).await.unwrap(), Line::Text(t) if t == "last"));
        assert!(matches!(read_line(&mut r).await.unwrap(), Line::End));
    }
}
