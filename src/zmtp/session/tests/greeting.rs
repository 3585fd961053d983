//! SPEC §3.1 greeting.

use super::*;
#[test]
fn greeting_is_queued_at_once_and_as_rfc_37_says() {
    let clock = Clock::new();
    let mut s = Session::new(config(SocketType::Dealer), clock.now());
    let g = drain(&mut s);
    assert_eq!(g.len(), 64);
    assert_eq!(g[0], 0xFF);
    assert_eq!(&g[1..9], &[0; 8]);
    assert_eq!(g[9], 0x7F);
    assert_eq!((g[10], g[11]), (3, 1));
    assert_eq!(&g[12..16], b"NULL");
    assert!(g[16..32].iter().all(|&b| b == 0));
    assert_eq!(g[32], 0, "as-server is 0 with NULL");
    assert!(g[33..].iter().all(|&b| b == 0));
    assert!(!s.is_established());
}

#[test]
fn bad_signature_is_refused_from_the_first_byte() {
    let clock = Clock::new();
    let mut s = Session::new(config(SocketType::Pull), clock.now());
    drain(&mut s);
    s.handle_bytes(clock.now(), b"G");
    assert_eq!(protocol(&mut s), ProtocolError::BadSignature);
    // Byte 9 without its low bit: ZMTP 1.0 framing.
    let mut s = Session::new(config(SocketType::Pull), clock.now());
    s.handle_bytes(clock.now(), &[0xFF, 0, 0, 0, 0, 0, 0, 0, 1, 0x7E]);
    assert_eq!(protocol(&mut s), ProtocolError::BadSignature);
}

#[test]
fn old_major_versions_are_refused_and_newer_accepted() {
    let clock = Clock::new();
    let mut s = Session::new(config(SocketType::Pull), clock.now());
    let mut g = greeting(1);
    g[10] = 2;
    s.handle_bytes(clock.now(), &g[..12]);
    assert_eq!(
        protocol(&mut s),
        ProtocolError::UnsupportedVersion { major: 2, minor: 1 }
    );
    // A major version above 3 speaks 3.1 with us.
    let mut s = Session::new(config(SocketType::Pull), clock.now());
    let mut input = greeting(0);
    input[10] = 4;
    input.extend(ready_frame("PUSH", &[]));
    s.handle_bytes(clock.now(), &input);
    match &events(&mut s)[..] {
        [SessionEvent::Established(info)] => assert_eq!(info.minor_version, 1),
        other => panic!("{other:?}"),
    }
}

#[test]
fn padding_and_filler_are_not_interpreted() {
    let clock = Clock::new();
    let mut s = Session::new(config(SocketType::Pull), clock.now());
    let mut input = greeting(1);
    input[1..9].copy_from_slice(&[9; 8]);
    for b in &mut input[33..] {
        *b = 0xAB;
    }
    input.extend(ready_frame("PUSH", &[]));
    s.handle_bytes(clock.now(), &input);
    assert!(s.is_established());
}
