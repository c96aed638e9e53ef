//! The WebSocket server: one sampler, many clients, each at its own rate.
//!
//! A single task samples the clock chain at the bridge's rate and publishes the newest
//! sample on a `watch` channel; each client's task sends each new sample as it appears (or
//! every k-th, at a lower rate the client asked for). A stale time sample is worthless, so nothing queues: a client that reads slowly
//! skips samples, its socket gets a small send buffer, and a send that cannot complete within
//! the send timeout disconnects it. The handshake refuses (with an HTTP status and a
//! sentence) a path other than `/`, an origin outside the policy, and clients beyond the cap;
//! frames are limited to 4 KiB, and a frame that is not a valid client message is answered
//! with an `error` frame while the stream goes on.

use crate::origin::OriginPolicy;
use crate::source::Sampler;
use futures_util::{SinkExt, StreamExt};
use playground_core::hardware_time::{
    BridgeMessage, ClientMessage, HardwareSample, Hello, SourceKind, PROTOCOL_VERSION,
};
use std::net::SocketAddr;
use std::os::fd::AsRawFd;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{broadcast, watch};
use tokio_tungstenite::tungstenite::handshake::server::{ErrorResponse, Request, Response};
use tokio_tungstenite::tungstenite::http::StatusCode;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::WebSocketStream;

/// The largest frame or message a client may send.
pub const MAX_CLIENT_FRAME: usize = 4096;
/// The socket send buffer for each client, so a stalled client is noticed within seconds.
const SEND_BUFFER_BYTES: libc::c_int = 16 * 1024;

/// What the server needs to know.
#[derive(Clone, Debug)]
pub struct ServerSettings {
    pub rate_hz: u32,
    pub max_clients: usize,
    pub origins: OriginPolicy,
    pub send_timeout: Duration,
    pub handshake_timeout: Duration,
}

struct Shared {
    settings: ServerSettings,
    samples: watch::Receiver<Option<HardwareSample>>,
    notices: broadcast::Sender<String>,
    clients: AtomicUsize,
}

/// Samples `sampler` at the server's rate forever, publishing samples and handovers.
pub async fn run_sampler(
    mut sampler: Sampler,
    rate_hz: u32,
    samples: watch::Sender<Option<HardwareSample>>,
    notices: broadcast::Sender<String>,
) {
    let mut ticks = tokio::time::interval(Duration::from_secs(1) / rate_hz.max(1));
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    let mut failing = false;
    loop {
        ticks.tick().await;
        match sampler.sample() {
            Ok((sample, handover)) => {
                if let Some(handover) = handover {
                    let message = describe_handover(&handover);
                    tracing::info!("{message}");
                    let _ = notices.send(message);
                }
                failing = false;
                samples.send_replace(Some(sample));
            }
            Err(reasons) if !failing => {
                tracing::error!("no clock source answers: {}", reasons.join("; "));
                failing = true;
                samples.send_replace(None);
            }
            Err(_) => {}
        }
    }
}

fn describe_handover(handover: &crate::source::Handover) -> String {
    let why = if handover.reasons.is_empty() { String::new() } else { format!(" ({})", handover.reasons.join("; ")) };
    match handover.from {
        None => format!("serving time from {}{why}", handover.to.name()),
        Some(from) => format!("{} stopped answering; serving time from {}{why}", from.name(), handover.to.name()),
    }
}

/// Accepts clients on `listener` forever.
pub async fn serve(
    listener: TcpListener,
    settings: ServerSettings,
    samples: watch::Receiver<Option<HardwareSample>>,
    notices: broadcast::Sender<String>,
) {
    let shared = Arc::new(Shared { settings, samples, notices, clients: AtomicUsize::new(0) });
    loop {
        match listener.accept().await {
            Ok((stream, peer)) => {
                tokio::spawn(handle(stream, peer, shared.clone()));
            }
            Err(error) => {
                tracing::warn!("accept failed: {error}");
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        }
    }
}

/// Holds one of the capped client slots while it lives.
struct Slot<'a>(&'a AtomicUsize);

impl<'a> Slot<'a> {
    fn take(clients: &'a AtomicUsize, max: usize) -> Option<Slot<'a>> {
        clients
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| (n < max).then_some(n + 1))
            .ok()
            .map(|_| Slot(clients))
    }
}

impl Drop for Slot<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

fn refuse(status: StatusCode, why: String) -> ErrorResponse {
    let mut response = ErrorResponse::new(Some(why));
    *response.status_mut() = status;
    response
}

// tungstenite fixes the callback's error type, an HTTP response.
#[allow(clippy::result_large_err)]
async fn handle(stream: TcpStream, peer: SocketAddr, shared: Arc<Shared>) {
    shrink_send_buffer(&stream);
    let slot = Slot::take(&shared.clients, shared.settings.max_clients);
    let mut refusal = None;
    let check = |request: &Request, response: Response| {
        let origin = request.headers().get("origin").map(|value| value.to_str().unwrap_or("(not text)"));
        let verdict = if request.uri().path() != "/" {
            Err(refuse(StatusCode::NOT_FOUND, "the bridge serves WebSocket clients at / only".into()))
        } else if let Err(why) = shared.settings.origins.check(origin) {
            Err(refuse(StatusCode::FORBIDDEN, why))
        } else if slot.is_none() {
            let why = format!("the bridge already has {} clients (--max-clients)", shared.settings.max_clients);
            Err(refuse(StatusCode::SERVICE_UNAVAILABLE, why))
        } else {
            Ok(response)
        };
        if let Err(refused) = &verdict {
            refusal = refused.body().clone();
        }
        verdict
    };
    let config =
        WebSocketConfig::default().max_message_size(Some(MAX_CLIENT_FRAME)).max_frame_size(Some(MAX_CLIENT_FRAME));
    let handshake = tokio_tungstenite::accept_hdr_async_with_config(stream, check, Some(config));
    let ws = match tokio::time::timeout(shared.settings.handshake_timeout, handshake).await {
        Ok(Ok(ws)) => ws,
        Ok(Err(error)) => {
            match refusal {
                Some(why) => tracing::warn!("refused {peer}: {why}"),
                None => tracing::info!("handshake with {peer} failed: {error}"),
            }
            return;
        }
        Err(_) => {
            tracing::info!("{peer} did not finish the handshake in time");
            return;
        }
    };
    tracing::info!("client {peer} connected");
    match stream_to(ws, &shared).await {
        Ok(()) => tracing::info!("client {peer} left"),
        Err(why) => tracing::warn!("client {peer} dropped: {why}"),
    }
    drop(slot);
}

fn shrink_send_buffer(stream: &TcpStream) {
    let size = SEND_BUFFER_BYTES;
    // SAFETY: the descriptor is open for the call; the option value is a live c_int.
    unsafe {
        libc::setsockopt(
            stream.as_raw_fd(),
            libc::SOL_SOCKET,
            libc::SO_SNDBUF,
            (&size as *const libc::c_int).cast(),
            std::mem::size_of::<libc::c_int>() as libc::socklen_t,
        );
    }
}

async fn stream_to(mut ws: WebSocketStream<TcpStream>, shared: &Shared) -> Result<(), String> {
    let settings = &shared.settings;
    let mut samples = shared.samples.clone();
    let mut notices = shared.notices.subscribe();
    let source = samples.borrow().as_ref().map_or(SourceKind::System, |sample| sample.source);
    let hello = BridgeMessage::Hello(Hello {
        version: PROTOCOL_VERSION,
        bridge: format!("playground-bridge {}", env!("CARGO_PKG_VERSION")),
        source,
        rate_hz: settings.rate_hz,
    });
    send(&mut ws, &hello, settings.send_timeout).await?;
    // Each new sample goes out as soon as it is taken, so it arrives fresh; a client that
    // asked for a lower rate gets every k-th one. Half a sampler period of slack keeps the
    // two rates from beating against each other.
    let sampler_period = Duration::from_secs(1) / settings.rate_hz.max(1);
    let mut period = sampler_period;
    let mut last_sent: Option<tokio::time::Instant> = None;
    loop {
        tokio::select! {
            changed = samples.changed() => {
                if changed.is_err() {
                    return Err("the sampler stopped".into());
                }
                let due = last_sent.is_none_or(|at| at.elapsed() + sampler_period / 2 >= period);
                let newest = samples.borrow_and_update().clone();
                if let Some(sample) = newest.filter(|_| due) {
                    last_sent = Some(tokio::time::Instant::now());
                    send(&mut ws, &BridgeMessage::Sample(sample), settings.send_timeout).await?;
                }
            }
            notice = notices.recv() => {
                if let Ok(message) = notice {
                    send(&mut ws, &BridgeMessage::notice(message), settings.send_timeout).await?;
                }
            }
            incoming = ws.next() => {
                let reply = match incoming {
                    None | Some(Ok(Message::Close(_))) => return Ok(()),
                    Some(Err(error)) => return Err(format!("bad frame: {error}")),
                    Some(Ok(Message::Text(text))) => take_client_message(text.as_str(), settings.rate_hz),
                    Some(Ok(Message::Binary(_))) => Err("binary frames are not part of the bridge protocol; send JSON text".to_string()),
                    Some(Ok(_)) => continue, // ping and pong: tungstenite answers pings itself
                };
                match reply {
                    Ok(rate_hz) => {
                        period = Duration::from_secs(1) / rate_hz;
                        let message = format!("sending {rate_hz} samples a second");
                        send(&mut ws, &BridgeMessage::notice(message), settings.send_timeout).await?;
                    }
                    Err(message) => send(&mut ws, &BridgeMessage::error(message), settings.send_timeout).await?,
                }
            }
        }
    }
}

/// The rate a client asked for, within `1..=max_rate_hz`, or why its message is not understood.
pub fn take_client_message(text: &str, max_rate_hz: u32) -> Result<u32, String> {
    match serde_json::from_str::<ClientMessage>(text) {
        Ok(ClientMessage::Subscribe { rate_hz }) => Ok(rate_hz.clamp(1, max_rate_hz.max(1))),
        Err(error) => Err(format!(
            "not a bridge message ({error}); the one message the bridge takes is {{\"type\":\"subscribe\",\"rate_hz\":N}}"
        )),
    }
}

async fn send(ws: &mut WebSocketStream<TcpStream>, message: &BridgeMessage, timeout: Duration) -> Result<(), String> {
    let text = serde_json::to_string(message).map_err(|error| format!("encoding a frame: {error}"))?;
    match tokio::time::timeout(timeout, ws.send(Message::text(text))).await {
        Ok(Ok(())) => Ok(()),
        Ok(Err(error)) => Err(format!("send failed: {error}")),
        Err(_) => Err(format!("too slow: a frame could not be sent within {} ms", timeout.as_millis())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn client_messages_set_a_bounded_rate_or_explain() {
        assert_eq!(take_client_message(r#"{"type":"subscribe","rate_hz":4}"#, 10), Ok(4));
        assert_eq!(take_client_message(r#"{"type":"subscribe","rate_hz":400}"#, 10), Ok(10));
        assert_eq!(take_client_message(r#"{"type":"subscribe","rate_hz":0}"#, 10), Ok(1));
        for bad in ["", "{", r#"{"type":"subscrbe","rate_hz":4}"#, r#"{"type":"subscribe","rate_hz":-1}"#, "[]"] {
            assert!(take_client_message(bad, 10).unwrap_err().contains("not a bridge message"), "{bad}");
        }
    }

    #[test]
    fn the_slot_cap_holds_and_frees() {
        let clients = AtomicUsize::new(0);
        let first = Slot::take(&clients, 2);
        let second = Slot::take(&clients, 2);
        assert!(first.is_some() && second.is_some());
        assert!(Slot::take(&clients, 2).is_none());
        drop(first);
        assert!(Slot::take(&clients, 2).is_some());
    }
}
