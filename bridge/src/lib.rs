//! # playground-bridge
//!
//! Real clock hardware for the playground's TrueTime view. The Clocks lab simulates clocks;
//! this native program reads the machine's actual clock together with an honest uncertainty
//! bound and streams it to the browser over a WebSocket on loopback, so a student can watch
//! the interval a real machine can promise (tens of microseconds under PTP, a few
//! milliseconds under chrony, 32 seconds on a machine with no time daemon) and see Spanner's
//! commit-wait wait on it (Corbett et al., OSDI 2012, §3 and §4.2.1).
//!
//! Sources, in order of preference ([`source`]): a PTP hardware clock (`/dev/ptpN`), a GPS
//! receiver through gpsd, and the kernel clock as disciplined by chrony or ntpd. The wire
//! format lives in `playground_core::hardware_time`, shared with the browser. The server
//! ([`server`]) checks origins ([`origin`]), caps clients and never queues stale samples.

pub mod args;
pub mod origin;
pub mod server;
pub mod source;

use args::{Config, SourceChoice};
use playground_core::hardware_time::SourceKind;
use source::gpsd::GpsdSource;
use source::ptp::{KernelPtp, PtpSource};
use source::system::SystemSource;
use source::{ClockSource, Sampler};
use std::net::SocketAddr;
use std::time::Duration;
use tokio::net::TcpListener;
use tokio::sync::{broadcast, watch};

/// How long `--source auto` waits for gpsd's first fix before moving on.
const GPSD_FIRST_FIX_WAIT: Duration = Duration::from_secs(3);

/// The sources to try, from the chosen one down to the kernel clock, with a sentence for
/// each one that is missing now. gpsd stays in the chain even when it is not running yet,
/// since its task keeps reconnecting and takes over when it answers.
pub async fn build_chain(config: &Config) -> Vec<Box<dyn ClockSource>> {
    let first = match config.source {
        SourceChoice::Auto => SourceKind::Ptp,
        SourceChoice::Only(kind) => kind,
    };
    let order = SourceKind::ALL.into_iter().skip_while(|kind| *kind != first);
    let mut chain: Vec<Box<dyn ClockSource>> = Vec::new();
    for kind in order {
        match kind {
            SourceKind::Ptp => {
                let device = match &config.ptp_device {
                    Some(path) => KernelPtp::open(path.clone()),
                    None => KernelPtp::find(),
                };
                let mut ptp = match device {
                    Ok(device) => PtpSource { device, settings: config.ptp },
                    Err(why) => {
                        tracing::warn!("{why}; trying gpsd");
                        continue;
                    }
                };
                match ptp.reading() {
                    Ok(_) => chain.push(Box::new(ptp)),
                    Err(why) => tracing::warn!("{why}; trying gpsd"),
                }
            }
            SourceKind::Gpsd => {
                let mut gpsd = GpsdSource::spawn(config.gpsd_address.clone(), config.gpsd_latency_ms * 1_000_000);
                if let Err(why) = gpsd.wait_for_fix(GPSD_FIRST_FIX_WAIT).await {
                    tracing::warn!("{why}; using the kernel clock until gpsd answers");
                }
                chain.push(Box::new(gpsd));
            }
            SourceKind::System => chain.push(Box::new(SystemSource)),
        }
    }
    chain
}

/// A running bridge.
pub struct Running {
    pub address: SocketAddr,
}

/// Binds, builds the source chain and starts the sampler and the server on the current
/// runtime. Returns once the socket is listening.
pub async fn start(config: Config) -> Result<Running, String> {
    let listener = TcpListener::bind((config.bind, config.port))
        .await
        .map_err(|error| format!("cannot listen on {}:{}: {error}", config.bind, config.port))?;
    let address = listener.local_addr().map_err(|error| error.to_string())?;
    let chain = build_chain(&config).await;
    let (samples_in, samples_out) = watch::channel(None);
    let (notices, _) = broadcast::channel(16);
    tokio::spawn(server::run_sampler(Sampler::new(chain), config.rate_hz, samples_in, notices.clone()));
    tokio::spawn(server::serve(listener, config.server_settings(), samples_out, notices));
    Ok(Running { address })
}
