//! Running pyzmq peers (tests/pyzmq/peer.py) from tests.
//!
//! The interpreter is `OXMQ_PYTHON` (which `.ci/run` points at a venv
//! with pyzmq), else a `python3` that can import zmq, else a venv made
//! here under `target/pyzmq-venv` with pyzmq from PyPI. With no Python
//! at all the tests say so and skip; `OXMQ_REQUIRE_PYZMQ=1` makes any
//! failure to find pyzmq a test failure.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc::{self, Receiver};
use std::sync::OnceLock;
use std::time::Duration;

/// Bound on every line awaited from a peer.
pub const LINE_TIMEOUT: Duration = Duration::from_secs(30);

fn can_import_zmq(python: &Path) -> bool {
    Command::new(python)
        .args(["-c", "import zmq, zmq.auth.thread"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

fn find() -> Result<PathBuf, String> {
    if let Some(p) = std::env::var_os("OXMQ_PYTHON") {
        let p = PathBuf::from(p);
        return if can_import_zmq(&p) {
            Ok(p)
        } else {
            Err(format!("OXMQ_PYTHON={} cannot import zmq", p.display()))
        };
    }
    let system = PathBuf::from("python3");
    if Command::new(&system).arg("--version").output().is_err() {
        return Err("no python3 on this machine".to_owned());
    }
    if can_import_zmq(&system) {
        return Ok(system);
    }
    let venv = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/pyzmq-venv");
    let python = venv.join("bin/python");
    if !can_import_zmq(&python) {
        let made = Command::new(&system)
            .arg("-m")
            .arg("venv")
            .arg(&venv)
            .status();
        let installed = made.is_ok_and(|s| s.success())
            && Command::new(&python)
                .args(["-m", "pip", "install", "-q", "pyzmq"])
                .status()
                .is_ok_and(|s| s.success());
        if !installed || !can_import_zmq(&python) {
            return Err(format!("could not install pyzmq into {}", venv.display()));
        }
    }
    Ok(python)
}

/// The Python with pyzmq, or `None` (after saying why) to skip.
pub fn python() -> Option<PathBuf> {
    static FOUND: OnceLock<Result<PathBuf, String>> = OnceLock::new();
    match FOUND.get_or_init(find) {
        Ok(p) => Some(p.clone()),
        Err(why) => {
            let required = std::env::var_os("OXMQ_REQUIRE_PYZMQ").is_some_and(|v| v == "1");
            assert!(!required, "OXMQ_REQUIRE_PYZMQ=1 but {why}");
            eprintln!("skipped: {why}");
            None
        }
    }
}

/// A running peer.py; killed when dropped.
pub struct Peer {
    child: Child,
    lines: Receiver<String>,
}

impl Peer {
    /// Starts `peer.py MODE ARGS...`.
    pub fn start(python: &Path, args: &[&str]) -> Peer {
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/pyzmq/peer.py");
        let mut child = Command::new(python)
            .arg(script)
            .args(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("start the pyzmq peer");
        let stdout = child.stdout.take().expect("piped");
        let (tx, lines) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        Peer { child, lines }
    }

    /// The next line the peer prints, within [`LINE_TIMEOUT`].
    pub fn line(&self) -> String {
        self.lines
            .recv_timeout(LINE_TIMEOUT)
            .unwrap_or_else(|e| panic!("no line from the pyzmq peer within {LINE_TIMEOUT:?}: {e}"))
    }

    /// Waits for the line that starts with `word`, and returns the rest.
    pub fn expect(&self, word: &str) -> String {
        let line = self.line();
        match line.strip_prefix(word) {
            Some(rest) => rest.trim().to_owned(),
            None => panic!("expected {word}, the pyzmq peer said {line:?}"),
        }
    }

    /// Waits (bounded) for the peer to exit, which closes its output, and
    /// returns whether it succeeded.
    pub fn finish(mut self) -> bool {
        loop {
            match self.lines.recv_timeout(LINE_TIMEOUT) {
                Ok(_) => continue,
                Err(mpsc::RecvTimeoutError::Disconnected) => break,
                Err(mpsc::RecvTimeoutError::Timeout) => return false,
            }
        }
        self.child.wait().is_ok_and(|s| s.success())
    }
}

impl Drop for Peer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
