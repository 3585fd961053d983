//! SPEC §6.8 heartbeats.

use super::*;
fn heartbeat_config(ivl: u64, timeout: Option<u64>, ttl: Option<u64>) -> SessionConfig {
    let mut cfg = config(SocketType::Dealer);
    cfg.heartbeat = HeartbeatConfig {
        interval: Some(Duration::from_millis(ivl)),
        timeout: timeout.map(Duration::from_millis),
        ttl: ttl.map(Duration::from_millis),
    };
    cfg
}

#[test]
fn no_heartbeat_timer_without_options_or_peer_ttl() {
    let clock = Clock::new();
    let s = established(SocketType::Dealer, "DEALER", &clock);
    assert_eq!(s.poll_timeout(), None);
}

#[test]
fn pings_go_every_interval_with_the_ttl() {
    let mut clock = Clock::new();
    let mut s = established_with(
        heartbeat_config(100, Some(10_000), Some(2500)),
        "DEALER",
        1,
        &clock,
    );
    let start = clock.now();
    assert_eq!(s.poll_timeout(), Some(start + Duration::from_millis(100)));
    for i in 1..=3u32 {
        let now = clock.advance(Duration::from_millis(100));
        // Keep the peer alive.
        s.handle_bytes(
            now,
            &cmd(Command::Pong {
                context: Bytes::new(),
            }),
        );
        s.handle_timeout(now);
        assert_eq!(
            commands(&drain(&mut s)),
            vec![Command::Ping {
                ttl_deciseconds: 25,
                context: Bytes::new()
            }],
            "ping {i}"
        );
    }
    assert!(s.end().is_none());
}

#[test]
fn ttl_is_sent_in_tenths_of_a_second_clamped() {
    let cfg = HeartbeatConfig {
        interval: None,
        timeout: None,
        ttl: Some(Duration::from_secs(100_000)),
    };
    assert_eq!(cfg.ttl_deciseconds(), u16::MAX);
    assert_eq!(HeartbeatConfig::default().ttl_deciseconds(), 0);
}

#[test]
fn silence_after_a_ping_ends_the_session() {
    let mut clock = Clock::new();
    let mut s = established_with(heartbeat_config(100, Some(50), None), "DEALER", 1, &clock);
    let now = clock.advance(Duration::from_millis(100));
    s.handle_timeout(now);
    assert_eq!(s.poll_timeout(), Some(now + Duration::from_millis(50)));
    let now = clock.advance(Duration::from_millis(49));
    s.handle_timeout(now);
    assert!(s.end().is_none());
    let now = clock.advance(Duration::from_millis(1));
    s.handle_timeout(now);
    assert_eq!(closed(&mut s), SessionEnd::HeartbeatTimeout);
}

#[test]
fn any_traffic_answers_a_ping_and_timeout_defaults_to_the_interval() {
    let mut clock = Clock::new();
    let mut s = established_with(heartbeat_config(100, None, None), "DEALER", 1, &clock);
    let now = clock.advance(Duration::from_millis(100));
    s.handle_timeout(now);
    drain(&mut s);
    // A message, not a PONG, comes 99 ms later.
    let now = clock.advance(Duration::from_millis(99));
    s.handle_bytes(now, &msg_bytes(&[b"alive"]));
    let now = clock.advance(Duration::from_millis(1));
    s.handle_timeout(now);
    assert!(s.end().is_none(), "traffic counts as an answer");
    // The next PING (sent now) gets no answer within the interval.
    let now = clock.advance(Duration::from_millis(100));
    s.handle_timeout(now);
    assert_eq!(closed(&mut s), SessionEnd::HeartbeatTimeout);
}

#[test]
fn the_peers_ttl_ends_a_silent_session_and_each_ping_renews_it() {
    let mut clock = Clock::new();
    let mut s = established(SocketType::Dealer, "DEALER", &clock);
    let ping = cmd(Command::Ping {
        ttl_deciseconds: 5,
        context: Bytes::new(),
    });
    s.handle_bytes(clock.now(), &ping);
    drain(&mut s);
    assert_eq!(
        s.poll_timeout(),
        Some(clock.now() + Duration::from_millis(500))
    );
    let now = clock.advance(Duration::from_millis(400));
    s.handle_bytes(now, &ping);
    let now = clock.advance(Duration::from_millis(400));
    s.handle_timeout(now);
    assert!(s.end().is_none(), "renewed by the second PING");
    let now = clock.advance(Duration::from_millis(100));
    s.handle_timeout(now);
    assert_eq!(closed(&mut s), SessionEnd::HeartbeatTimeout);
}

#[test]
fn a_ping_without_ttl_sets_no_timer() {
    let clock = Clock::new();
    let mut s = established(SocketType::Dealer, "DEALER", &clock);
    s.handle_bytes(
        clock.now(),
        &cmd(Command::Ping {
            ttl_deciseconds: 0,
            context: Bytes::new(),
        }),
    );
    assert_eq!(s.poll_timeout(), None);
}
