//! SPEC §3.6 nothing from the network panics.

use super::*;
use proptest::prelude::*;
proptest! {
    #[test]
    fn arbitrary_input_never_panics(
        valid_greeting in any::<bool>(),
        ready in any::<bool>(),
        data in prop::collection::vec(any::<u8>(), 0..800),
        chunk in 1usize..64,
        t in 0usize..SocketType::ALL.len(),
    ) {
        let clock = Clock::new();
        let mut cfg = config(SocketType::ALL[t]);
        cfg.limits = Limits { max_frame: Some(300), max_frames: Some(3), max_message_bytes: 400 };
        let mut s = Session::new(cfg, clock.now());
        let mut wire = Vec::new();
        if valid_greeting {
            wire.extend(greeting(1));
        }
        if ready {
            let peer = SocketType::ALL
                .into_iter()
                .find(|p| SocketType::ALL[t].is_compatible_with(*p))
                .unwrap_or(SocketType::Pair);
            wire.extend(ready_frame(peer.as_str(), &[]));
        }
        wire.extend(data);
        for c in wire.chunks(chunk) {
            s.handle_bytes(clock.now(), c);
            drain(&mut s);
            s.handle_timeout(clock.now());
        }
        let ended = s.end().cloned();
        let evs = events(&mut s);
        if let Some(end) = ended {
            prop_assert_eq!(evs.last(), Some(&SessionEvent::Closed(end)));
        }
        for m in messages(&mut s) {
            prop_assert!(m.len() <= 3 && m.byte_len() <= 400);
        }
    }
}
