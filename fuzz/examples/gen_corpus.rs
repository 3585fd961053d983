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
