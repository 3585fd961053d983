//! Makes a new CURVE key pair (SPEC §9.4, §9.6).
//!
//! With no argument it prints the public and the secret key in Z85, one a
//! line. With `--cert BASE` it writes the pair as the certificate files
//! `BASE.key` (public) and `BASE.key_secret` (secret) instead, and prints
//! their paths.
//!
//! Run: `cargo run --example curve_keygen [-- --cert BASE]`

use std::ffi::OsString;
use std::io::{self, Write};
use std::process::ExitCode;

use oxmq::cert::Certificate;
use oxmq::curve::curve_keypair;

const USAGE: &str = "usage: curve_keygen [--cert BASE]";

/// Does what `args` ask, printing to `out`. An error is the message for
/// the user.
fn run(args: &[OsString], out: &mut impl Write) -> Result<(), String> {
    let printed = match args {
        [] => {
            let pair = curve_keypair();
            writeln!(out, "public key: {}", pair.public.to_z85())
                .and_then(|()| writeln!(out, "secret key: {}", pair.secret.to_z85()))
        }
        [flag] if flag == "-h" || flag == "--help" => writeln!(out, "{USAGE}"),
        [flag, base] if flag == "--cert" => {
            let (public, secret) = Certificate::new().save(base).map_err(|e| e.to_string())?;
            writeln!(out, "public certificate: {}", public.display())
                .and_then(|()| writeln!(out, "secret certificate: {}", secret.display()))
        }
        _ => return Err(USAGE.to_string()),
    };
    printed.map_err(|e| format!("cannot print: {e}"))
}

fn main() -> ExitCode {
    let args: Vec<OsString> = std::env::args_os().skip(1).collect();
    match run(&args, &mut io::stdout().lock()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("curve_keygen: {message}");
            ExitCode::FAILURE
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use oxmq::curve::{CurvePublicKey, CurveSecretKey};

    /// What `run` prints for `args`.
    fn output(args: &[&str]) -> Result<String, String> {
        let args: Vec<OsString> = args.iter().map(OsString::from).collect();
        let mut out = Vec::new();
        run(&args, &mut out)?;
        Ok(String::from_utf8(out).unwrap())
    }

    /// The lines `run` prints for `args`, each without its label.
    fn values(args: &[&str]) -> Result<Vec<String>, String> {
        Ok(output(args)?
            .lines()
            .map(|line| line.split_once(": ").unwrap().1.to_string())
            .collect())
    }

    #[test]
    fn prints_a_pair_that_belongs_together() {
        let keys = values(&[]).unwrap();
        let [public, secret] = keys.as_slice() else {
            panic!("{keys:?}");
        };
        let public = CurvePublicKey::parse(public).unwrap();
        assert_eq!(CurveSecretKey::parse(secret).unwrap().public_key(), public);
        assert_ne!(values(&[]).unwrap(), keys, "a new pair each run");
    }

    #[test]
    fn writes_and_names_the_certificate_files() {
        let dir = std::env::temp_dir().join(format!("oxmq-keygen-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let base = dir.join("server");
        let paths = values(&["--cert", base.to_str().unwrap()]).unwrap();
        let want = [
            dir.join("server.key").display().to_string(),
            dir.join("server.key_secret").display().to_string(),
        ];
        assert_eq!(paths, want);
        let public = Certificate::load(&paths[0]).unwrap();
        let secret = Certificate::load(&paths[1]).unwrap();
        assert_eq!(public.secret, None);
        assert_eq!(secret.public, public.public);
        assert!(secret.secret.is_some());
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn other_arguments_get_the_usage() {
        for args in [
            &["--cert"][..],
            &["--bogus"],
            &["--cert", "a", "b"],
            &["x", "y"],
        ] {
            assert_eq!(values(args), Err(USAGE.to_string()), "{args:?}");
        }
        assert_eq!(output(&["--help"]).unwrap(), format!("{USAGE}\n"));
        let nowhere = std::env::temp_dir()
            .join("oxmq-keygen-no-such-dir")
            .join("x");
        let e = values(&["--cert", nowhere.to_str().unwrap()]).unwrap_err();
        assert!(e.contains("x.key"), "{e}");
    }
}
