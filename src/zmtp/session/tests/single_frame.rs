//! SPEC §5.3 CLIENT and SERVER.

use super::*;
#[test]
fn client_and_server_discard_multipart_whole() {
    let clock = Clock::new();
    for (t, peer) in [
        (SocketType::Client, "SERVER"),
        (SocketType::Server, "CLIENT"),
    ] {
        let mut s = established(t, peer, &clock);
        let mut input = msg_bytes(&[b"a", b"b"]);
        input.extend(msg_bytes(&[b"single"]));
        s.handle_bytes(clock.now(), &input);
        assert_eq!(messages(&mut s), vec![Message::from("single")]);
        assert_eq!(events(&mut s), vec![SessionEvent::MultipartDropped]);
    }
}
