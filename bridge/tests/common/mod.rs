//! A real WebSocket client for the bridge's tests.

#![allow(dead_code)]

use futures_util::{SinkExt, StreamExt};
use playground_bridge::args::{Config, SourceChoice};
use playground_core::hardware_time::{BridgeMessage, HardwareSample, SourceKind};
use std::net::SocketAddr;
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::HeaderValue;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

pub type Client = WebSocketStream<MaybeTlsStream<TcpStream>>;

/// A bridge on a free loopback port serving `source`.
pub async fn bridge(source: SourceKind, adjust: impl FnOnce(&mut Config)) -> SocketAddr {
    let mut config = Config { port: 0, source: SourceChoice::Only(source), rate_hz: 20, ..Config::default() };
    adjust(&mut config);
    playground_bridge::start(config).await.expect("the bridge starts").address
}

pub fn request(
    address: SocketAddr,
    path: &str,
    origin: Option<&'static str>,
) -> tokio_tungstenite::tungstenite::handshake::client::Request {
    let mut request = format!("ws://{address}{path}").into_client_request().expect("a valid URL");
    if let Some(origin) = origin {
        request.headers_mut().insert("Origin", HeaderValue::from_static(origin));
    }
    request
}

/// Connects with `origin`, or returns the HTTP status and body of the refusal.
pub async fn connect(address: SocketAddr, origin: &'static str) -> Result<Client, (u16, String)> {
    match tokio_tungstenite::connect_async(request(address, "/", Some(origin))).await {
        Ok((client, _)) => Ok(client),
        Err(tokio_tungstenite::tungstenite::Error::Http(response)) => {
            let body = response.body().as_ref().map(|bytes| String::from_utf8_lossy(bytes).into_owned());
            Err((response.status().as_u16(), body.unwrap_or_default()))
        }
        Err(other) => panic!("unexpected connection error: {other}"),
    }
}

/// The next bridge message, within `wait`; `None` when the connection ended.
pub async fn next<S: AsyncRead + AsyncWrite + Unpin>(
    client: &mut WebSocketStream<S>,
    wait: Duration,
) -> Option<BridgeMessage> {
    loop {
        let frame = tokio::time::timeout(wait, client.next()).await.expect("a frame in time");
        match frame {
            None | Some(Ok(Message::Close(_))) => return None,
            Some(Err(error)) => {
                eprintln!("connection error: {error}");
                return None;
            }
            Some(Ok(Message::Text(text))) => {
                return Some(serde_json::from_str(text.as_str()).expect("every frame parses as a BridgeMessage"))
            }
            Some(Ok(_)) => continue,
        }
    }
}

/// The next sample, skipping other messages.
pub async fn next_sample(client: &mut Client) -> HardwareSample {
    loop {
        match next(client, Duration::from_secs(5)).await.expect("the connection stays open") {
            BridgeMessage::Sample(sample) => return sample,
            _ => continue,
        }
    }
}

pub async fn send_text(client: &mut Client, text: &str) {
    client.send(Message::text(text.to_string())).await.expect("the frame is sent");
}

/// Reads messages until `wanted` matches one, within `wait`.
pub async fn until(client: &mut Client, wait: Duration, wanted: impl Fn(&BridgeMessage) -> bool) -> BridgeMessage {
    let deadline = tokio::time::Instant::now() + wait;
    loop {
        let left = deadline.saturating_duration_since(tokio::time::Instant::now());
        match next(client, left).await {
            Some(message) if wanted(&message) => return message,
            Some(_) => continue,
            None => panic!("the connection ended before the expected message"),
        }
    }
}
