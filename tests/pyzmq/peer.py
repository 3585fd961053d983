"""The pyzmq side of tests/interop_pyzmq.rs.

Usage: peer.py MODE ARGS...; every mode prints its results as lines on
stdout and exits by itself (every receive is bounded by a timeout).

Modes:
  echo-server MECH ENDPOINT N   bind a ROUTER at ENDPOINT (PLAIN or CURVE
                                 server, authenticated by pyzmq's
                                 ThreadAuthenticator), print "ENDPOINT ep",
                                 echo N messages, print "DONE"
  echo-client MECH ENDPOINT N   connect a DEALER (PLAIN or CURVE client),
                                 send N messages, check their echoes,
                                 print "DONE"
  push MECH ENDPOINT N          connect a PUSH client, send N messages
  make-certs DIR                make server and client certificates in DIR
                                 with zmq.auth.create_certificates
  show-cert PATH                print "PUBLIC z85" and "SECRET z85" of a
                                 certificate file, as pyzmq reads it

MECH is "plain" (user admin, password secret) or "curve:DIR" (DIR holds
server.key_secret, client.key_secret and an allowed/ directory of client
public keys).
"""

import os
import sys

import zmq
import zmq.auth
from zmq.auth.thread import ThreadAuthenticator

TIMEOUT_MS = 10_000


def say(*words):
    print(*words, flush=True)


def secure_server(ctx, sock, mech):
    auth = ThreadAuthenticator(ctx)
    auth.start()
    if mech == "plain":
        auth.configure_plain(domain="*", passwords={"admin": "secret"})
        sock.plain_server = True
    else:
        d = mech.split(":", 1)[1]
        auth.configure_curve(domain="*", location=os.path.join(d, "allowed"))
        public, secret = zmq.auth.load_certificate(os.path.join(d, "server.key_secret"))
        sock.curve_publickey = public
        sock.curve_secretkey = secret
        sock.curve_server = True
    return auth


def secure_client(sock, mech):
    if mech == "plain":
        sock.plain_username = b"admin"
        sock.plain_password = b"secret"
    else:
        d = mech.split(":", 1)[1]
        public, secret = zmq.auth.load_certificate(os.path.join(d, "client.key_secret"))
        server_public, _ = zmq.auth.load_certificate(os.path.join(d, "server.key"))
        sock.curve_publickey = public
        sock.curve_secretkey = secret
        sock.curve_serverkey = server_public


def socket(ctx, kind):
    s = ctx.socket(kind)
    s.linger = 0
    s.rcvtimeo = TIMEOUT_MS
    s.sndtimeo = TIMEOUT_MS
    return s


def echo_server(mech, endpoint, n):
    ctx = zmq.Context()
    router = socket(ctx, zmq.ROUTER)
    auth = secure_server(ctx, router, mech)
    router.bind(endpoint)
    say("ENDPOINT", router.getsockopt_string(zmq.LAST_ENDPOINT))
    for _ in range(n):
        frames = router.recv_multipart()
        router.send_multipart(frames)
    say("DONE")
    auth.stop()
    router.close()
    ctx.term()


def payload(i):
    size = (i * 7919) % 70_000
    return bytes((i + k) % 251 for k in range(size))


def echo_client(mech, endpoint, n):
    ctx = zmq.Context()
    dealer = socket(ctx, zmq.DEALER)
    secure_client(dealer, mech)
    dealer.connect(endpoint)
    for i in range(n):
        dealer.send_multipart([b"%d" % i, payload(i)])
        got = dealer.recv_multipart()
        if got != [b"%d" % i, payload(i)]:
            say("MISMATCH", i)
            sys.exit(1)
    say("DONE")
    dealer.close()
    ctx.term()


def push(mech, endpoint, n):
    ctx = zmq.Context()
    s = socket(ctx, zmq.PUSH)
    secure_client(s, mech)
    s.connect(endpoint)
    for i in range(n):
        s.send_multipart([b"%d" % i, payload(i)])
    # Linger until the messages are out, bounded.
    s.linger = TIMEOUT_MS
    s.close()
    ctx.term()
    say("DONE")


def make_certs(d):
    os.makedirs(d, exist_ok=True)
    zmq.auth.create_certificates(d, "server")
    zmq.auth.create_certificates(d, "client")
    say("DONE")


def show_cert(path):
    public, secret = zmq.auth.load_certificate(path)
    say("PUBLIC", public.decode())
    say("SECRET", secret.decode() if secret else "-")


def main():
    mode, args = sys.argv[1], sys.argv[2:]
    if mode == "echo-server":
        echo_server(args[0], args[1], int(args[2]))
    elif mode == "echo-client":
        echo_client(args[0], args[1], int(args[2]))
    elif mode == "push":
        push(args[0], args[1], int(args[2]))
    elif mode == "make-certs":
        make_certs(args[0])
    elif mode == "show-cert":
        show_cert(args[0])
    else:
        say("UNKNOWN MODE", mode)
        sys.exit(2)


if __name__ == "__main__":
    main()
