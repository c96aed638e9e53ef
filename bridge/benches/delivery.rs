//! How fresh samples are when they reach a client: the age at receipt (client's system clock
//! minus the bridge's `read_system_ns`) over loopback, for 1 and 8 clients at 100 samples a
//! second, and how wide the kernel clock's interval is on this machine. Prints figures.

use futures_util::StreamExt;
use playground_bridge::args::{Config, SourceChoice};
use playground_bridge::source::system_now_ns;
use playground_core::hardware_time::{format_span_ns, BridgeMessage, SourceKind};
use std::time::Duration;
use tokio_tungstenite::tungstenite::Message;

const SAMPLES_PER_CLIENT: usize = 500;

fn percentile(sorted: &[i64], p: f64) -> i64 {
    sorted[((sorted.len() - 1) as f64 * p).round() as usize]
}

async fn client(address: std::net::SocketAddr) -> (Vec<i64>, i64) {
    let (mut ws, _) = tokio_tungstenite::connect_async(format!("ws://{address}/")).await.expect("connects");
    let mut ages = Vec::new();
    let mut epsilon = 0;
    while ages.len() < SAMPLES_PER_CLIENT {
        let Some(Ok(Message::Text(text))) = ws.next().await else { panic!("the stream ended") };
        if let Ok(BridgeMessage::Sample(sample)) = serde_json::from_str(text.as_str()) {
            ages.push(system_now_ns() - sample.read_system_ns.0);
            epsilon = sample.epsilon_ns();
        }
    }
    (ages, epsilon)
}

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    runtime.block_on(async {
        let config = Config { port: 0, source: SourceChoice::Only(SourceKind::System), rate_hz: 100, max_clients: 16, ..Config::default() };
        let address = playground_bridge::start(config).await.unwrap().address;
        tokio::time::sleep(Duration::from_millis(100)).await;
        for clients in [1, 8] {
            let tasks: Vec<_> = (0..clients).map(|_| tokio::spawn(client(address))).collect();
            let mut ages = Vec::new();
            let mut epsilon = 0;
            for task in tasks {
                let (mut some, eps) = task.await.unwrap();
                ages.append(&mut some);
                epsilon = eps;
            }
            ages.sort_unstable();
            println!(
                "bridge delivery, {clients} client(s) at 100 Hz, {} samples: age at receipt p50 {} p99 {} max {}; kernel-clock ε {}",
                ages.len(),
                format_span_ns(percentile(&ages, 0.5)),
                format_span_ns(percentile(&ages, 0.99)),
                format_span_ns(*ages.last().unwrap()),
                format_span_ns(epsilon)
            );
        }
    });
}
