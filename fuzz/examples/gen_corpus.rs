//! Writes the committed seed corpus to `corpus/<target>/seed-*`.
//!
//! Run from `fuzz/`: `cargo run --example gen_corpus`. The seeds are small
//! valid and invalid inputs for each target; libFuzzer's growth of the corpus
//! is not committed (see `.gitignore`).

use std::fs;
use std::path::Path;

use bytes::{Bytes, BytesMut};
use oxmq::__internal::zmtp::{
    encode_frame, encode_message, Command, Greeting, Mechanism, Metadata,
};
use oxmq_fuzz::Input;

fn write(target: &str, name: &str, data: &[u8]) {
    let dir = Path::new("corpus").join(target);
    fs::create_dir_all(&dir).unwrap();
    fs::write(dir.join(format!("seed-{name}")), data).unwrap();
}

fn greeting(major: u8, minor: u8) -> Vec<u8> {
    let mut out = BytesMut::new();
    Greeting {
        major,
        minor,
        mechanism: Mechanism::Null,
        as_server: false,
    }
    .encode(&mut out);
    out.to_vec()
}

/// A CURVE greeting, a client's or a server's.
fn greeting_curve(as_server: bool) -> Vec<u8> {
    let mut out = BytesMut::new();
    Greeting::ours(Mechanism::Curve, as_server).encode(&mut out);
    out.to_vec()
}

fn command(cmd: &Command) -> Vec<u8> {
    let mut out = BytesMut::new();
    cmd.encode(&mut out);
    out.to_vec()
}

fn ready(props: &[(&str, &[u8])]) -> Command {
    let mut md = Metadata::new();
    for (name, value) in props {
        md.insert(name, Bytes::copy_from_slice(value));
    }
    Command::Ready(md)
}

/// The body of a command frame (its frame header stripped).
fn body(cmd: &Command) -> Vec<u8> {
    let frame = command(cmd);
    let header = if frame[0] & 0x02 != 0 { 9 } else { 2 };
    frame[header..].to_vec()
}

fn main() {
    let ping = Command::Ping {
        ttl_deciseconds: 300,
        context: Bytes::from_static(b"ctx"),
    };
    let pong = Command::Pong {
        context: Bytes::from_static(b"ctx"),
    };
    let ready_dealer = ready(&[("Socket-Type", b"DEALER"), ("Identity", b"peer-1")]);
    let commands = [
        ("ready", ready_dealer.clone()),
        ("ready-router", ready(&[("Socket-Type", b"ROUTER")])),
        ("ready-empty", ready(&[])),
        (
            "ready-custom",
            ready(&[("Socket-Type", b"SUB"), ("X-Custom", &[7; 40])]),
        ),
        (
            "error",
            Command::Error {
                reason: "Invalid socket type".into(),
            },
        ),
        ("ping", ping.clone()),
        (
            "ping-empty",
            Command::Ping {
                ttl_deciseconds: 0,
                context: Bytes::new(),
            },
        ),
        ("pong", pong.clone()),
        (
            "subscribe",
            Command::Subscribe(Bytes::from_static(b"topic")),
        ),
        ("subscribe-all", Command::Subscribe(Bytes::new())),
        ("cancel", Command::Cancel(Bytes::from_static(b"topic"))),
        (
            "unknown",
            Command::Unknown {
                name: "JOIN".into(),
                data: Bytes::from_static(b"group"),
            },
        ),
    ];

    // command_parse: command bodies, valid and not.
    for (name, cmd) in &commands {
        write("command_parse", name, &body(cmd));
    }
    write("command_parse", "empty", b"");
    write("command_parse", "zero-name", b"\x00");
    write("command_parse", "truncated-name", b"\x05REA");
    write(
        "command_parse",
        "ping-long-context",
        &[b"\x04PING\x00\x01".as_slice(), &[9; 17]].concat(),
    );
    write(
        "command_parse",
        "ready-truncated-value",
        b"\x05READY\x0bSocket-Type\x00\x00\x00\x09DEA",
    );
    write(
        "command_parse",
        "ready-huge-value",
        b"\x05READY\x01A\xff\xff\xff\xff",
    );
    write("command_parse", "error-lossy", b"\x05ERROR\x03\xff\xfe\xfd");

    // frame_decoder: streams of frames, whole, byte by byte and in odd chunks,
    // without and with a maximum frame size.
    let mut short = BytesMut::new();
    encode_frame(b"hello", false, false, &mut short);
    let mut long = BytesMut::new();
    encode_frame(&[0x5a; 300], false, false, &mut long);
    let mut multipart = BytesMut::new();
    encode_message(
        &[
            Bytes::from_static(b""),
            Bytes::from_static(b"routing"),
            Bytes::from(vec![1; 256]),
        ],
        &mut multipart,
    );
    let mut mixed = command(&ping);
    mixed.extend_from_slice(&multipart);
    mixed.extend_from_slice(&command(&pong));
    mixed.extend_from_slice(&short);
    let streams: [(&str, &[u8]); 8] = [
        ("short", &short),
        ("long", &long),
        ("multipart", &multipart),
        ("mixed", &mixed),
        (
            "long-form-small-body",
            b"\x02\x00\x00\x00\x00\x00\x00\x00\x03abc",
        ),
        ("bad-flags", b"\x08\x01x"),
        ("command-more", b"\x05\x01x"),
        ("huge-length", b"\x02\x80\x00\x00\x00\x00\x00\x00\x01"),
    ];
    for (name, stream) in streams {
        write(
            "frame_decoder",
            &format!("{name}-whole"),
            &Input::to_bytes(0, 0, &[], stream),
        );
        write(
            "frame_decoder",
            &format!("{name}-bytes"),
            &Input::to_bytes(0, 0, &[1], stream),
        );
    }
    write(
        "frame_decoder",
        "mixed-chunks",
        &Input::to_bytes(0, 0, &[3, 0, 7, 255], &mixed),
    );
    write(
        "frame_decoder",
        "long-max-256",
        &Input::to_bytes(1, 256, &[], &long),
    );
    write(
        "frame_decoder",
        "mixed-max-300",
        &Input::to_bytes(1, 300, &[9], &mixed),
    );
    write(
        "frame_decoder",
        "multipart-max-1k",
        &Input::to_bytes(3, 4, &[], &multipart),
    );

    // handshake: peer streams for a few of our socket types (mode bits 0-4:
    // index in SocketType::ALL; bit 6: identity; bit 7: greeting prepended).
    let index = |name: &str| {
        oxmq::__internal::zmtp::SocketType::ALL
            .iter()
            .position(|t| t.as_str() == name)
            .unwrap() as u8
    };
    let peer = |socket_type: &str| {
        let mut s = greeting(3, 1);
        s.extend_from_slice(&command(&ready(&[("Socket-Type", socket_type.as_bytes())])));
        s
    };
    let mut with_message = peer("PUSH");
    let mut msg = BytesMut::new();
    encode_message(
        &[Bytes::from_static(b"first"), Bytes::from_static(b"message")],
        &mut msg,
    );
    with_message.extend_from_slice(&msg);
    let mut zmtp30 = greeting(3, 0);
    zmtp30.extend_from_slice(&command(&ready_dealer));
    let mut bad_mechanism = greeting(3, 1);
    bad_mechanism[12..16].copy_from_slice(b"CURV");
    let hs: [(&str, u8, &[u8], &[u8]); 12] = [
        ("dealer-router", index("DEALER"), &[], &peer("ROUTER")),
        ("router-dealer-bytes", index("ROUTER") | 0x40, &[1], &zmtp30),
        (
            "pull-push-message",
            index("PULL"),
            &[5, 64, 3],
            &with_message,
        ),
        (
            "client-server",
            index("CLIENT") | 0x20,
            &[64, 1],
            &peer("SERVER"),
        ),
        ("server-client", index("SERVER"), &[], &peer("CLIENT")),
        ("pub-sub", index("PUB"), &[10], &peer("SUB")),
        ("req-pub-incompatible", index("REQ"), &[], &peer("PUB")),
        ("pair-unknown-type", index("PAIR"), &[], &peer("BOGUS")),
        (
            "dealer-error",
            index("DEALER"),
            &[],
            &[
                greeting(3, 1),
                command(&Command::Error {
                    reason: "no".into(),
                }),
            ]
            .concat(),
        ),
        (
            "dealer-ping-first",
            index("DEALER"),
            &[],
            &[greeting(3, 1), command(&ping)].concat(),
        ),
        ("zmtp2-peer", index("DEALER"), &[], &greeting(2, 0)[..12]),
        ("bad-mechanism", index("DEALER"), &[7], &bad_mechanism),
    ];
    for (name, mode, splits, stream) in hs {
        write(
            "handshake",
            name,
            &Input::to_bytes(mode, 0x4105, splits, stream),
        );
        // The session targets start from the same peers (their mode bits
        // 0-4 pick our type the same way).
        for target in ["session_connect", "session_accept"] {
            write(
                target,
                name,
                &Input::to_bytes(mode & 0x1f, 0x4105, splits, stream),
            );
        }
    }
    // The data phase: messages, a PING with a TTL, PONG, subscriptions
    // (for a PUB), an unknown command, then the peer's ERROR.
    let mut data_phase = peer("SUB");
    for cmd in [
        ping.clone(),
        pong.clone(),
        Command::Subscribe(Bytes::from_static(b"topic")),
        Command::Cancel(Bytes::from_static(b"topic")),
        Command::Unknown {
            name: "XYZZY".into(),
            data: Bytes::from_static(b"?"),
        },
    ] {
        data_phase.extend_from_slice(&command(&cmd));
    }
    data_phase.extend_from_slice(&msg);
    data_phase.extend_from_slice(&command(&Command::Error {
        reason: "done".into(),
    }));
    for (target, mode) in [
        ("session_connect", index("PUB") | 0x60),
        ("session_accept", index("PUB") | 0x60),
    ] {
        write(
            target,
            "data-phase",
            &Input::to_bytes(mode, 0x1234, &[9, 0, 0, 40], &data_phase),
        );
    }
    let mut multipart_to_server = peer("CLIENT");
    multipart_to_server.extend_from_slice(&msg);
    write(
        "session_connect",
        "server-multipart",
        &Input::to_bytes(index("SERVER") | 0x20, 0xff00, &[], &multipart_to_server),
    );
    write(
        "session_accept",
        "slow-greeting",
        &Input::to_bytes(
            index("DEALER") | 0x20,
            50,
            &[1, 0, 0, 0, 0],
            &peer("ROUTER"),
        ),
    );
    // Greeting prepended by the target (mode bit 7): only the READY here.
    let mut ready_only = command(&ready(&[("Socket-Type", b"ROUTER"), ("Identity", b"")]));
    ready_only.extend_from_slice(&msg);
    write(
        "handshake",
        "prepended-greeting",
        &Input::to_bytes(0x80 | index("DEALER"), 0, &[2], &ready_only),
    );

    // curve_handshake (mode bit 0: server; bits 1-2: units of the real
    // peer first; bit 3: one altered; bits 4-6: the ZAP answer; bit 7: a
    // PUB peer; see the target): the real peer's units are made at run
    // time, so these seeds only pick them and add what follows.
    let mut fake_message = BytesMut::new();
    encode_frame(
        &[
            b"\x07MESSAGE".as_slice(),
            &[0, 0, 0, 0, 0, 0, 0, 9],
            &[0x42; 21],
        ]
        .concat(),
        false,
        false,
        &mut fake_message,
    );
    let curve_command = |name: &str, len: usize| {
        command(&Command::Unknown {
            name: name.into(),
            data: Bytes::from(vec![0x17; len - 1 - name.len()]),
        })
    };
    let mut weak_hello = greeting_curve(false);
    // Version 1.0, the padding, an all-zero C' (low order), a nonce, a box.
    let mut hello = vec![1, 0];
    hello.extend_from_slice(&[0; 72 + 32]);
    hello.extend_from_slice(&[0, 0, 0, 0, 0, 0, 0, 1]);
    hello.extend_from_slice(&[0x33; 80]);
    weak_hello.extend_from_slice(&command(&Command::Unknown {
        name: "HELLO".into(),
        data: Bytes::from(hello),
    }));
    // A ZAP reply as length-prefixed frames (the stream's last 96 bytes):
    // 200 with a property of the handler's.
    let mut zap_meta = Metadata::new();
    zap_meta.insert("X-Role", Bytes::from_static(b"admin"));
    let mut zap_meta_bytes = BytesMut::new();
    zap_meta.encode(&mut zap_meta_bytes);
    let mut zap_frames = Vec::new();
    for f in [
        &b""[..],
        b"1.0",
        b"1",
        b"200",
        b"OK",
        b"joe",
        &zap_meta_bytes,
    ] {
        zap_frames.push(f.len() as u8);
        zap_frames.extend_from_slice(f);
    }
    let initiate = curve_command("INITIATE", 257);
    // Name, mode, param, split sizes, stream.
    type Seed<'a> = (&'a str, u8, u16, &'a [u8], &'a [u8]);
    let curve_hs: [Seed; 20] = [
        (
            "client-raw-welcome",
            0x02,
            0,
            &[],
            &curve_command("WELCOME", 168),
        ),
        (
            "client-welcome-then-ready",
            0x04,
            0,
            &[],
            &curve_command("READY", 30),
        ),
        ("client-done-then-frames", 0x06, 0, &[], &fake_message),
        ("client-done-bytes", 0x06, 0, &[1], &fake_message),
        ("client-done-chunks", 0x06, 0, &[7, 0, 100], &fake_message),
        ("client-pub-peer", 0x86, 0, &[], &[]),
        ("client-altered-welcome", 0x0c, 0, &[], &[1, 0, 100, 0x20]),
        ("client-cut-ready", 0x0e, 0, &[], &[2, 0, 20, 0]),
        ("server-weak-hello", 0x01, 0, &[], &weak_hello),
        ("server-hello-then-initiate", 0x05, 0, &[], &initiate),
        ("server-200", 0x07, 0, &[], &fake_message),
        ("server-300", 0x17, 0, &[], &[]),
        ("server-400", 0x27, 0, &[3], &[]),
        ("server-500", 0x37, 0, &[], &[]),
        ("server-frames", 0x47, 0, &[], &zap_frames),
        ("server-no-handler", 0x57, 0, &[], &fake_message),
        ("server-no-handler-enforced", 0x57, 0x100, &[], &[]),
        ("server-handler-closed", 0x67, 0, &[], &[]),
        (
            "server-late-answer",
            0x07,
            0x0005,
            &[9, 0, 1],
            &fake_message,
        ),
        ("server-altered-initiate", 0x8f, 0, &[], &[2, 1, 0, 0x01]),
    ];
    for (name, mode, param, splits, stream) in curve_hs {
        write(
            "curve_handshake",
            name,
            &Input::to_bytes(mode, param, splits, stream),
        );
    }
    write(
        "curve_handshake",
        "server-never-answers",
        &Input::to_bytes(0x77, 0, &[], &[]),
    );

    // curve_message: operations (opcode bit 0: direction; bits 1-3: the
    // operation; see the target).
    // Raw bytes: a command frame to the server, and to the client a
    // MESSAGE of 33 bytes with an old nonce.
    let injected = [
        b"\x08\x08\x04\x06\x04PING\x00".as_slice(),
        b"\x09\x23\x00\x21\x07MESSAGE\x00\x00\x00\x00\x00\x00\x00\x01",
        &[0x5a; 17],
    ]
    .concat();
    let curve_ops: [(&str, &[u8]); 12] = [
        // Encode and deliver at once, both ways.
        ("both-ways", b"\x40\x05hello\x41\x05world\x50\x01a\x40\x00"),
        // Three frames, delivered last first: the others are late.
        (
            "reordered",
            b"\x00\x01a\x00\x01b\x00\x01c\x04\x02\x04\x00\x04\x00",
        ),
        // Delivered, kept in flight, delivered again: a replay.
        ("replayed", b"\x01\x03abc\x15\x00\x05\x00"),
        // One byte of the box flipped.
        ("altered", b"\x00\x04abcd\x24\x00\x00\x14\x01"),
        // Cut short, then a fresh frame after it.
        ("cut", b"\x00\x04abcd\x44\x00\x00\x0a\x40\x01z"),
        // Bytes after a frame.
        ("extended", b"\x00\x02hi\x64\x00\x03xyz"),
        // Delivered in two reads.
        ("split", b"\x00\x05split\x84\x00\x07\x40\x01n"),
        // Commands: PING, PONG, SUBSCRIBE, CANCEL.
        (
            "commands",
            b"\x42\x00\x01\x2c\x03ctx\x43\x01\x03ctx\x42\x02\x05topic\x42\x03\x00",
        ),
        // A multipart message, delivered with the others in flight.
        ("multipart", b"\x0e\x02\x01a\x02bc\x03def\x06"),
        // A large body (16 bytes, 200 times), boxes opened in place.
        ("large-own-bodies", b"\x0c\xc0\xc8\x10abcdefghijklmnop"),
        // A frame lost, the next one delivered.
        ("lost", b"\x00\x01a\x00\x01b\x0a\x00\x06"),
        ("injected", &injected),
    ];
    for (name, ops) in curve_ops {
        write("curve_message", name, ops);
    }

    // endpoint: each scheme, valid and not.
    let endpoints = [
        ("tcp-wildcard", "tcp://*:5555"),
        ("tcp-wildcard-port", "tcp://*:*"),
        ("tcp-ipv4", "tcp://127.0.0.1:5555"),
        ("tcp-ipv6", "tcp://[::1]:5555"),
        ("tcp-ipv6-mapped", "tcp://[::ffff:10.0.0.1]:1"),
        ("tcp-name", "tcp://localhost:65535"),
        ("tcp-name-dots", "tcp://a-b.example_1.org:80"),
        ("ipc-abs", "ipc:///tmp/oxmq.sock"),
        ("ipc-rel", "ipc://sock/file"),
        ("ipc-abstract", "ipc://@oxmq"),
        ("inproc", "inproc://workers"),
        ("inproc-odd", "inproc://a:b//c@d"),
        ("bad-no-scheme", "localhost:5555"),
        ("bad-scheme", "udp://host:1"),
        ("bad-scheme-case", "TCP://*:1"),
        ("bad-tcp-no-port", "tcp://host"),
        ("bad-tcp-port", "tcp://host:65536"),
        ("bad-tcp-ipv6-unbracketed", "tcp://::1:5"),
        ("bad-tcp-bracket", "tcp://[::1:5"),
        ("bad-ipc-empty", "ipc://"),
        ("bad-ipc-nul", "ipc://a\0b"),
        ("bad-inproc-empty", "inproc://"),
    ];
    for (name, endpoint) in endpoints {
        write("endpoint", name, endpoint.as_bytes());
    }
    write(
        "endpoint",
        "ipc-too-long",
        format!("ipc:///{}", "x".repeat(120)).as_bytes(),
    );
}
