//! SPEC §6.4 what a lost connection leaves unsent.

use super::*;
#[test]
fn unsent_messages_are_those_not_completely_written() {
    let clock = Clock::new();
    let mut cfg = config(SocketType::Push);
    cfg.keep_unsent = true;
    let mut s = established_with(cfg, "PULL", 1, &clock);
    let sent: Vec<Message> = (0..3u8).map(|i| Message::from(vec![i; 100])).collect();
    for m in &sent {
        s.send_message(m.clone());
    }
    // The first message and half of the second reach the transport.
    s.transmitted(102 + 51);
    assert_eq!(s.take_unsent(), sent[1..].to_vec());
    assert!(!s.has_transmit());
    // Without keep_unsent nothing is kept, except messages offered before
    // the handshake finished.
    let mut s = Session::new(config(SocketType::Push), clock.now());
    s.send_message(Message::from("early"));
    assert_eq!(s.take_unsent(), vec![Message::from("early")]);
}

#[test]
fn messages_offered_during_the_handshake_go_after_it() {
    let clock = Clock::new();
    let mut a = Session::new(config(SocketType::Push), clock.now());
    let mut b = Session::new(config(SocketType::Pull), clock.now());
    a.send_message(Message::from("early"));
    pump(&mut a, &mut b, clock.now(), 7);
    assert_eq!(messages(&mut b), vec![Message::from("early")]);
}
