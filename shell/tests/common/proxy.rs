//! A tampering HTTP proxy on loopback, in front of a simulator: it forwards
//! every request and lets a test change a reply (status, body) or cut the
//! connection mid-reply, to produce what the simulator does not (an echoed
//! origin string, a failed tickers poll on a chosen beat).

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, header};
use axum::response::Response;

/// One exchange as the proxy saw it.
pub struct Seen<'a> {
    /// Requests to this path so far, this one included (1-based).
    pub n: u64,
    pub path: &'a str,
    pub headers: &'a HeaderMap,
    /// The request body (POST) or query string (GET).
    pub payload: &'a str,
    pub status: u16,
    pub body: &'a str,
}

/// What to answer instead.
pub enum Verdict {
    Pass,
    Replace(u16, String),
    /// The connection closes without a reply: the client sees a transport error.
    Cut,
}

pub type Tamper = Arc<dyn Fn(&Seen<'_>) -> Verdict + Send + Sync>;

pub struct Proxy {
    pub url: String,
    /// Requests per path, and replies the tamper changed per path.
    pub counts: Arc<Mutex<BTreeMap<String, (u64, u64)>>>,
}

struct Shared {
    upstream: String,
    http: reqwest::Client,
    tamper: Tamper,
    counts: Arc<Mutex<BTreeMap<String, (u64, u64)>>>,
}

/// Starts the proxy on `rt` (it runs until the runtime is dropped).
pub fn start(rt: &tokio::runtime::Runtime, upstream: &str, tamper: Tamper) -> Proxy {
    quiet_cuts();
    let counts = Arc::new(Mutex::new(BTreeMap::new()));
    let shared = Arc::new(Shared {
        upstream: upstream.trim_end_matches('/').to_string(),
        http: reqwest::Client::new(),
        tamper,
        counts: counts.clone(),
    });
    let listener = rt
        .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
        .unwrap();
    let addr = listener.local_addr().unwrap();
    let app = axum::Router::new().fallback(handle).with_state(shared);
    rt.spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    Proxy {
        url: format!("http://{addr}"),
        counts,
    }
}

impl Proxy {
    /// (requests, replies changed) for `path`.
    pub fn count(&self, path: &str) -> (u64, u64) {
        self.counts
            .lock()
            .unwrap()
            .get(path)
            .copied()
            .unwrap_or((0, 0))
    }
}

async fn handle(State(s): State<Arc<Shared>>, req: Request) -> Response {
    let (parts, body) = req.into_parts();
    let bytes = axum::body::to_bytes(body, usize::MAX)
        .await
        .unwrap_or_default();
    let path = parts.uri.path().to_string();
    let query = parts.uri.query().unwrap_or("").to_string();
    let url = format!(
        "{}{}",
        s.upstream,
        parts.uri.path_and_query().map_or("/", |p| p.as_str())
    );
    let mut rb = s.http.request(parts.method.clone(), url);
    for (k, v) in &parts.headers {
        if k != header::HOST && k != header::CONTENT_LENGTH {
            rb = rb.header(k, v);
        }
    }
    let Ok(up) = rb.body(bytes.to_vec()).send().await else {
        return cut();
    };
    let status = up.status().as_u16();
    let up_headers = up.headers().clone();
    let Ok(body) = up.text().await else {
        return cut();
    };
    let n = {
        let mut c = s.counts.lock().unwrap();
        let e = c.entry(path.clone()).or_default();
        e.0 += 1;
        e.0
    };
    let payload = if parts.method == axum::http::Method::GET {
        query
    } else {
        String::from_utf8_lossy(&bytes).into_owned()
    };
    let seen = Seen {
        n,
        path: &path,
        headers: &parts.headers,
        payload: &payload,
        status,
        body: &body,
    };
    let verdict = (s.tamper)(&seen);
    if !matches!(verdict, Verdict::Pass) {
        s.counts.lock().unwrap().entry(path.clone()).or_default().1 += 1;
    }
    let (status, body) = match verdict {
        Verdict::Pass => (status, body),
        Verdict::Replace(st, b) => (st, b),
        Verdict::Cut => return cut(),
    };
    let mut out = Response::builder().status(status);
    for (k, v) in &up_headers {
        if k.as_str().starts_with("x-bapi") || k == header::CONTENT_TYPE {
            out = out.header(k, v);
        }
    }
    out.body(Body::from(body)).unwrap()
}

/// Drops the connection without a reply: the panic ends the connection's
/// task (the quiet hook keeps it out of the test output); the client sees a
/// transport error.
fn cut() -> Response {
    std::panic::panic_any(Cut)
}

/// The panic payload of a deliberate cut.
struct Cut;

fn quiet_cuts() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        let default = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if !info.payload().is::<Cut>() {
                default(info);
            }
        }));
    });
}
