//! A TCP relay on loopback in front of a simulator that can cut the
//! private stream's connections on demand (REST and the public stream
//! pass untouched): a stream drop at a moment the test chooses, where the
//! simulator's `ws_drop` fault would pick moments at random (the end of
//! the session included).

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;

pub struct Cutter {
    pub url: String,
    cut: watch::Sender<u64>,
    /// Private stream connections cut so far.
    pub cuts: Arc<AtomicU64>,
}

impl Cutter {
    /// Closes every open private stream connection once.
    pub fn cut_private(&self) {
        self.cut.send_modify(|n| *n += 1);
    }
}

/// Starts the relay on `rt` in front of `upstream` (`host:port`).
pub fn start(rt: &tokio::runtime::Runtime, upstream: std::net::SocketAddr) -> Cutter {
    let listener = rt.block_on(TcpListener::bind("127.0.0.1:0")).unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let (cut, cut_rx) = watch::channel(0u64);
    let cuts = Arc::new(AtomicU64::new(0));
    let counted = cuts.clone();
    rt.spawn(async move {
        while let Ok((client, _)) = listener.accept().await {
            let mut cut_rx = cut_rx.clone();
            cut_rx.borrow_and_update();
            let counted = counted.clone();
            tokio::spawn(async move {
                let Ok(server) = TcpStream::connect(upstream).await else {
                    return;
                };
                relay(client, server, cut_rx, counted).await;
            });
        }
    });
    Cutter { url, cut, cuts }
}

async fn relay(
    mut client: TcpStream,
    mut server: TcpStream,
    mut cut: watch::Receiver<u64>,
    cuts: Arc<AtomicU64>,
) {
    let _ = client.set_nodelay(true);
    let _ = server.set_nodelay(true);
    // The first bytes are the request line: the private stream's upgrade
    // asks for /v5/private.
    let mut first = vec![0u8; 4096];
    let Ok(n) = client.read(&mut first).await else {
        return;
    };
    let private = String::from_utf8_lossy(&first[..n]).starts_with("GET /v5/private");
    if server.write_all(&first[..n]).await.is_err() {
        return;
    }
    let copy = tokio::io::copy_bidirectional(&mut client, &mut server);
    if !private {
        let _ = copy.await;
        return;
    }
    tokio::select! {
        _ = copy => {}
        _ = cut.changed() => {
            cuts.fetch_add(1, Ordering::Relaxed);
        }
    }
}
