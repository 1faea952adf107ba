//! The WebSocket both kinds of connection use (streams and order entry):
//! opening it within the connect timeout, reading its frames as text or as
//! the reason it ended, and writing text.

use futures_util::SinkExt;
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::{self, Message, Utf8Bytes};
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream, connect_async_with_config};

use super::StreamSettings;

pub(super) type Ws = WebSocketStream<MaybeTlsStream<TcpStream>>;

/// Connects to `url` within `settings.connect_timeout`, or says why not.
/// Nagle is off: a frame sent right after another would otherwise wait for
/// the peer's delayed ACK (~40 ms on loopback), one more round trip a request.
pub(super) async fn open(settings: &StreamSettings, url: &str) -> Result<Ws, String> {
    let connect = connect_async_with_config(url, None, true);
    match tokio::time::timeout(settings.connect_timeout, connect).await {
        Err(_) => Err(format!("connecting to {url} timed out")),
        Ok(Err(e)) => Err(format!("connecting to {url}: {e}")),
        Ok(Ok((ws, _))) => Ok(ws),
    }
}

/// A received frame: its text, `None` for a control frame (ping, pong,
/// binary), or why the connection ended.
pub(super) fn text(
    frame: Option<Result<Message, tungstenite::Error>>,
) -> Result<Option<Utf8Bytes>, String> {
    match frame {
        Some(Ok(Message::Text(t))) => Ok(Some(t)),
        Some(Ok(Message::Close(f))) => {
            let why = f.map(|f| format!(": {}", f.reason)).unwrap_or_default();
            Err(format!("closed by the server{why}"))
        }
        Some(Ok(_)) => Ok(None),
        Some(Err(e)) => Err(format!("read: {e}")),
        None => Err("the connection ended".to_string()),
    }
}

pub(super) async fn write(ws: &mut Ws, text: String) -> Result<(), String> {
    ws.send(Message::Text(text.into()))
        .await
        .map_err(|e| format!("write: {e}"))
}

/// Queues `text` as a frame without flushing (`flush` sends what is queued).
pub(super) async fn feed(ws: &mut Ws, text: String) -> Result<(), String> {
    ws.feed(Message::Text(text.into()))
        .await
        .map_err(|e| format!("write: {e}"))
}

pub(super) async fn flush(ws: &mut Ws) -> Result<(), String> {
    ws.flush().await.map_err(|e| format!("write: {e}"))
}

/// Why a connection silent past `dead_after` was given up.
pub(super) fn silent(settings: &StreamSettings) -> String {
    format!("nothing heard for {} ms", settings.dead_after.as_millis())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    /// Our stream and trade connections send small frames back to back:
    /// with Nagle on, each waits for the peer's delayed ACK.
    #[tokio::test]
    async fn connections_are_opened_with_nagle_off() {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("ws://{}/", listener.local_addr().unwrap());
        let server = tokio::spawn(async move {
            let (tcp, _) = listener.accept().await.unwrap();
            tokio_tungstenite::accept_async(tcp).await.unwrap()
        });
        let ws = open(&StreamSettings::new(&url), &url).await.unwrap();
        let MaybeTlsStream::Plain(tcp) = ws.get_ref() else {
            panic!("a ws:// URL gave a TLS stream");
        };
        assert!(tcp.nodelay().unwrap(), "Nagle is on");
        drop(server.await.unwrap());
    }
}
