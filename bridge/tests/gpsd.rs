//! The gpsd source against a real gpsd: Debian's `gpsfake` starts gpsd on a loopback port
//! and feeds it an NMEA log shipped with the test (a receiver with a 3D fix on 2026-11-25
//! from 12:00:00 UTC, one fix a second). The bridge must report GPS time, not the machine's
//! clock, with the serial-time bound, and fall back to the kernel clock when gpsd goes away.

mod common;

use common::*;
use playground_core::hardware_time::{BridgeMessage, Said, SourceKind};
use std::process::Stdio;
use std::time::Duration;

const NOON: i64 = 1_795_608_000_000_000_000; // 2026-11-25T12:00:00Z, the log's first fix
const LOG_SECONDS: i64 = 30;

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// gpsfake leaves its gpsd running when it is killed; this stops that gpsd too.
struct KillGpsd(u16);

impl Drop for KillGpsd {
    fn drop(&mut self) {
        let _ = std::process::Command::new("pkill").args(["-f", &format!("gpsd .*-S {} ", self.0)]).status();
    }
}

#[tokio::test]
async fn gpsd_time_from_a_replayed_receiver_then_fallback_when_gpsd_stops() {
    let port = free_port();
    let log = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/fix-2026-11-25.nmea");
    // -c 0.25: a sentence every 250 ms, four sentences a fix, so one fix a second.
    let mut gpsfake = tokio::process::Command::new("gpsfake")
        .args(["-q", "-P", &port.to_string(), "-c", "0.25", log])
        .env("PATH", format!("{}:/usr/sbin:/sbin", std::env::var("PATH").unwrap_or_default()))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .expect("gpsfake runs (Debian's gpsd-clients; `cargo xtask test` installs it)");
    let _cleanup = KillGpsd(port);
    let gpsd_address = format!("127.0.0.1:{port}");
    let mut up = false;
    for _ in 0..100 {
        if tokio::net::TcpStream::connect(&gpsd_address).await.is_ok() {
            up = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(up, "gpsfake's gpsd listens on {gpsd_address} within 10 s");

    let address = bridge(SourceKind::Gpsd, |config| config.gpsd_address = gpsd_address.clone()).await;
    let mut client = connect(address, "http://localhost:8080").await.unwrap();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    let sample = loop {
        let sample = next_sample(&mut client).await;
        let has_ept = sample.bound.iter().any(|term| term.what == "receiver time error (ept)");
        if sample.source == SourceKind::Gpsd && has_ept {
            break sample;
        }
        assert!(tokio::time::Instant::now() < deadline, "a gpsd sample within 20 s; last {sample:?}");
    };
    assert!(sample.synchronized);
    assert!(sample.device.contains(&gpsd_address), "{}", sample.device);
    let whats: Vec<&str> = sample.bound.iter().map(|term| term.what.as_str()).collect();
    assert!(whats.iter().any(|what| what.contains("ept")), "{whats:?}");
    let latency = sample.bound.iter().find(|term| term.what.contains("serial latency")).expect("a serial term");
    assert_eq!((latency.below_ns, latency.above_ns), (0, 500_000_000), "lopsided: the fix precedes its sentence");
    // GPS time from the log, not the machine's clock.
    assert!(sample.earliest_ns.0 >= NOON - 1_000_000_000, "{sample:?}");
    assert!(sample.latest_ns.0 <= NOON + (LOG_SECONDS + 10) * 1_000_000_000, "{sample:?}");
    let width = sample.latest_ns.0 - sample.earliest_ns.0;
    assert!((510_000_000..600_000_000).contains(&width), "2 × ept + latency + drift, got {width} ns");

    // gpsd's time advances with the log: read a second later, it is a second later.
    let later = loop {
        let next = next_sample(&mut client).await;
        if next.source == SourceKind::Gpsd && next.read_system_ns.0 >= sample.read_system_ns.0 + 1_000_000_000 {
            break next;
        }
    };
    let advanced = later.earliest_ns.0 - sample.earliest_ns.0;
    let elapsed = later.read_system_ns.0 - sample.read_system_ns.0;
    assert!((advanced - elapsed).abs() < 300_000_000, "GPS time advanced {advanced} ns in {elapsed} ns");

    gpsfake.kill().await.unwrap();
    drop(_cleanup);
    let notice = until(
        &mut client,
        Duration::from_secs(10),
        |message| matches!(message, BridgeMessage::Notice(Said { message }) if message.contains("serving time from system")),
    )
    .await;
    assert!(
        matches!(&notice, BridgeMessage::Notice(Said { message }) if message.starts_with("gpsd stopped answering")),
        "{notice:?}"
    );
    assert_eq!(next_sample(&mut client).await.source, SourceKind::System);
}
