//! The WebSocket server with real clients: samples from the system source, refused origins,
//! paths and surplus clients, malformed frames, and a client too slow to keep up.

mod common;

use common::*;
use playground_bridge::source::system_now_ns;
use playground_core::hardware_time::{BridgeMessage, Hello, Said, SourceKind};
use std::time::Duration;
use tokio_tungstenite::tungstenite::Message;

#[tokio::test]
async fn a_localhost_page_receives_samples_whose_interval_contains_the_local_clock() {
    let address = bridge(SourceKind::System, |_| {}).await;
    let mut client = connect(address, "http://localhost:8080").await.expect("a localhost origin is allowed");
    match next(&mut client, Duration::from_secs(5)).await {
        Some(BridgeMessage::Hello(Hello { version: 1, source: SourceKind::System, rate_hz: 20, .. })) => {}
        other => panic!("expected hello first, got {other:?}"),
    }
    let mut seqs = Vec::new();
    for _ in 0..5 {
        let sample = next_sample(&mut client).await;
        let received = system_now_ns();
        let age = received - sample.read_system_ns.0;
        assert!((0..1_000_000_000).contains(&age), "the sample was read just now: {age} ns ago");
        assert!(sample.earliest_ns.0 <= received, "{sample:?}");
        assert!(received <= sample.latest_ns.0 + age, "{sample:?}");
        assert_eq!(sample.device, "adjtimex");
        assert!(sample.bound[0].what.contains("maxerror"));
        seqs.push(sample.seq);
    }
    assert!(seqs.windows(2).all(|pair| pair[0] < pair[1]), "sequence numbers rise: {seqs:?}");
}

#[tokio::test]
async fn foreign_origins_wrong_paths_and_surplus_clients_are_refused_with_a_reason() {
    let address = bridge(SourceKind::System, |config| config.max_clients = 2).await;
    let (status, why) = connect(address, "https://evil.example").await.expect_err("refused");
    assert_eq!(status, 403);
    assert!(why.contains("origin https://evil.example is not allowed"), "{why}");
    let (status, _) = connect(address, "null").await.expect_err("refused");
    assert_eq!(status, 403);

    let wrong_path = tokio_tungstenite::connect_async(request(address, "/admin", Some("http://127.0.0.1:1"))).await;
    assert!(matches!(wrong_path, Err(tokio_tungstenite::tungstenite::Error::Http(r)) if r.status() == 404));

    let _first = connect(address, "http://127.0.0.1:4000").await.expect("first client");
    let second = connect(address, "http://127.0.0.1:4000").await.expect("second client");
    let (status, why) = connect(address, "http://127.0.0.1:4000").await.expect_err("over the cap");
    assert_eq!(status, 503);
    assert!(why.contains("already has 2 clients"), "{why}");
    drop(second);
    let mut retry = None;
    for _ in 0..50 {
        tokio::time::sleep(Duration::from_millis(20)).await;
        if let Ok(client) = connect(address, "http://127.0.0.1:4000").await {
            retry = Some(client);
            break;
        }
    }
    assert!(retry.is_some(), "a slot frees when a client leaves");
}

#[tokio::test]
async fn a_hosted_site_given_with_allow_origin_is_served() {
    let address =
        bridge(SourceKind::System, |config| config.allowed_origins = vec!["https://course.example.edu".into()]).await;
    let mut hosted = connect(address, "https://course.example.edu").await.expect("an origin given with --allow-origin");
    next_sample(&mut hosted).await;
    assert_eq!(connect(address, "https://course.example.edu.evil").await.expect_err("refused").0, 403);
}

#[tokio::test]
async fn malformed_frames_get_an_error_and_the_stream_goes_on() {
    let address = bridge(SourceKind::System, |_| {}).await;
    let mut client = connect(address, "http://localhost:8080").await.unwrap();
    send_text(&mut client, "this is not JSON").await;
    let error = until(&mut client, Duration::from_secs(5), |m| matches!(m, BridgeMessage::Error(_))).await;
    assert!(matches!(&error, BridgeMessage::Error(Said { message }) if message.contains("subscribe")), "{error:?}");
    send_text(&mut client, r#"{"type":"subscribe","rate_hz":"fast"}"#).await;
    until(&mut client, Duration::from_secs(5), |m| matches!(m, BridgeMessage::Error(_))).await;
    futures_util::SinkExt::send(&mut client, Message::binary(vec![1, 2, 3])).await.unwrap();
    let error = until(&mut client, Duration::from_secs(5), |m| matches!(m, BridgeMessage::Error(_))).await;
    assert!(matches!(&error, BridgeMessage::Error(Said { message }) if message.contains("binary")), "{error:?}");
    next_sample(&mut client).await;

    send_text(&mut client, r#"{"type":"subscribe","rate_hz":2}"#).await;
    until(
        &mut client,
        Duration::from_secs(5),
        |m| matches!(m, BridgeMessage::Notice(Said { message }) if message.contains("2 samples")),
    )
    .await;
    let started = tokio::time::Instant::now();
    let mut count = 0;
    while started.elapsed() < Duration::from_millis(1_600) {
        next_sample(&mut client).await;
        count += 1;
    }
    assert!((2..=5).contains(&count), "about 2 a second after subscribing, got {count} in {:?}", started.elapsed());

    // A frame over the 4 KiB limit is a protocol error: that connection closes, others go on.
    let mut other = connect(address, "http://localhost:8080").await.unwrap();
    let _ = futures_util::SinkExt::send(&mut client, Message::text("x".repeat(10_000))).await;
    let ended = async { while next(&mut client, Duration::from_secs(5)).await.is_some() {} };
    tokio::time::timeout(Duration::from_secs(5), ended).await.expect("the oversized sender is disconnected");
    next_sample(&mut other).await;
}

#[tokio::test]
async fn a_client_that_stops_reading_is_dropped_and_frees_its_slot() {
    let address = bridge(SourceKind::System, |config| {
        config.rate_hz = 100;
        config.max_clients = 2;
        config.send_timeout_ms = 200;
    })
    .await;
    let socket = tokio::net::TcpSocket::new_v4().unwrap();
    socket.set_recv_buffer_size(4096).unwrap();
    let stream = socket.connect(address).await.unwrap();
    let (mut stalled, _) =
        tokio_tungstenite::client_async(request(address, "/", Some("http://localhost:1")), stream).await.unwrap();
    let mut healthy = connect(address, "http://localhost:2").await.unwrap();
    assert!(connect(address, "http://localhost:3").await.is_err(), "both slots are taken");

    // The stalled client reads nothing while the healthy one keeps up for a while.
    let started = tokio::time::Instant::now();
    let mut freed = None;
    while started.elapsed() < Duration::from_secs(20) && freed.is_none() {
        next_sample(&mut healthy).await;
        if started.elapsed() > Duration::from_millis(500) {
            freed = connect(address, "http://localhost:3").await.ok();
        }
    }
    assert!(freed.is_some(), "the stalled client was dropped within 20 s, freeing its slot");
    next_sample(&mut healthy).await;
    let mut buffered = 0;
    while next(&mut stalled, Duration::from_secs(5)).await.is_some() {
        buffered += 1;
    }
    assert!(buffered < 1_000, "only what the small buffers held arrived: {buffered}");
}
