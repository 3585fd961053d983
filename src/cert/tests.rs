use super::*;
use proptest::prelude::*;
use std::sync::atomic::{AtomicUsize, Ordering};

/// The server pair of libzmq's zmq_curve(7) manual page, and the client's
/// public key (which the server secret does not derive).
const PUBLIC: &str = "rq:rM>}U?@Lns47E1%kR.o@n%FcmmsL/@{H8]yf7";
const SECRET: &str = "JTKVSB%%)wK0E.X)V>+}o?pNmC{O&4W4b!Ni{Lh6";
const OTHER_PUBLIC: &str = "Yne@$w-vo<fVvi]a<NY6T1ed:M$fCG*[IaLV{hID";

/// A fresh directory, removed with everything in it on drop.
struct TempDir(PathBuf);

impl TempDir {
    fn new() -> Self {
        static COUNT: AtomicUsize = AtomicUsize::new(0);
        let n = COUNT.fetch_add(1, Ordering::Relaxed);
        let dir = std::env::temp_dir().join(format!("oxmq-cert-{}-{n}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir).unwrap();
        TempDir(dir)
    }

    fn file(&self, name: &str, text: impl AsRef<[u8]>) -> PathBuf {
        let path = self.0.join(name);
        fs::write(&path, text).unwrap();
        path
    }

    fn names(&self) -> Vec<String> {
        let mut names: Vec<String> = fs::read_dir(&self.0)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.0);
    }
}

fn server() -> Certificate {
    Certificate::from_keypair(CurveKeypair {
        public: CurvePublicKey::parse(PUBLIC).unwrap(),
        secret: CurveSecretKey::parse(SECRET).unwrap(),
    })
}

/// The certificate in `text`, or the error, without a file.
fn parse(text: &str) -> Result<Certificate, CertError> {
    from_bytes(Path::new("t.key"), text.as_bytes().to_vec())
}

fn meta(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs
        .iter()
        .map(|(n, v)| (n.to_string(), v.to_string()))
        .collect()
}

#[test]
fn save_then_load_both_files() {
    let dir = TempDir::new();
    let mut cert = Certificate::new();
    cert.metadata = meta(&[("name", "Some One"), ("quote", "say \"hi\""), ("empty", "")]);
    let (public, secret) = cert.save(dir.0.join("alice")).unwrap();
    assert_eq!(public, dir.0.join("alice.key"));
    assert_eq!(secret, dir.0.join("alice.key_secret"));
    assert_eq!(dir.names(), ["alice.key", "alice.key_secret"]);
    assert_eq!(Certificate::load(&secret).unwrap(), cert);
    let shared = Certificate::load(&public).unwrap();
    assert_eq!(
        shared,
        Certificate {
            secret: None,
            ..cert.clone()
        }
    );
    assert_eq!(shared.meta("quote"), Some("say \"hi\""));

    let public_text = fs::read_to_string(&public).unwrap();
    let secret_text = fs::read_to_string(&secret).unwrap();
    let s = cert.secret.as_ref().unwrap().to_z85();
    let p = cert.public.to_z85();
    assert!(!public_text.contains(&s) && !public_text.contains("secret-key"));
    // The shape both czmq and pyzmq write: comments, a blank line, then
    // the two sections with 4-space indented, quoted values.
    let body =
        "metadata\n    name = \"Some One\"\n    quote = 'say \"hi\"'\n    empty = \"\"\ncurve\n";
    for (text, tail) in [
        (&public_text, format!("{body}    public-key = \"{p}\"\n")),
        (
            &secret_text,
            format!("{body}    public-key = \"{p}\"\n    secret-key = \"{s}\"\n"),
        ),
    ] {
        let (header, rest) = text.split_once("\n\n").unwrap();
        assert!(header.lines().all(|l| l.starts_with("#   ")), "{header}");
        assert_eq!(rest, tail);
    }
}

#[cfg(unix)]
#[test]
fn the_secret_file_is_private_even_over_an_older_one() {
    use std::os::unix::fs::PermissionsExt;
    let dir = TempDir::new();
    let old = dir.file("bob.key_secret", "old");
    fs::set_permissions(&old, fs::Permissions::from_mode(0o644)).unwrap();
    let (public, secret) = server().save(dir.0.join("bob")).unwrap();
    let mode = |p: &Path| fs::metadata(p).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(&secret), 0o600);
    assert_eq!(mode(&public) & 0o600, 0o600);
    assert_eq!(Certificate::load(&secret).unwrap(), server());
}

#[test]
fn saving_again_replaces_and_leaves_no_temporary_file() {
    let dir = TempDir::new();
    let base = dir.0.join("c");
    Certificate::new().save(&base).unwrap();
    let (_, secret) = server().save(&base).unwrap();
    assert_eq!(Certificate::load(secret).unwrap(), server());
    assert_eq!(dir.names(), ["c.key", "c.key_secret"]);
    let only = Certificate::from_public(CurvePublicKey::parse(OTHER_PUBLIC).unwrap());
    let path = only.save_public(dir.0.join("d")).unwrap();
    assert_eq!(Certificate::load(path).unwrap(), only);
    assert_eq!(dir.names(), ["c.key", "c.key_secret", "d.key"]);
}

#[test]
fn loads_pyzmqs_shape() {
    // pyzmq's create_certificates: its own comment lines and a blank line;
    // an empty metadata section in the public file; metadata (unquoted) in
    // the secret file only; keys double-quoted.
    let public = format!(
        "#   written by a test, in the shape of pyzmq's public file\n\
         #   second comment line\n\
         \n\
         metadata\n\
         curve\n    public-key = \"{PUBLIC}\"\n"
    );
    let secret = format!(
        "#   written by a test, in the shape of pyzmq's secret file\n\
         \n\
         metadata\n    name = Some One\n    email = one@example.org\n\
         curve\n    public-key = \"{PUBLIC}\"\n    secret-key = \"{SECRET}\"\n"
    );
    assert_eq!(
        parse(&public).unwrap(),
        Certificate {
            secret: None,
            ..server()
        }
    );
    let mut want = server();
    want.metadata = meta(&[("name", "Some One"), ("email", "one@example.org")]);
    assert_eq!(parse(&secret).unwrap(), want);
}

#[test]
fn loads_czmqs_shape() {
    // czmq's zcert_save: comment lines and a blank line, then metadata in
    // both files with double-quoted values, then the keys.
    let head = "#   written by a test, in the shape of czmq's files\n\n\
                metadata\n    email = \"one@example.org\"\n    version = \"1\"\n";
    let public = format!("{head}curve\n    public-key = \"{PUBLIC}\"\n");
    let secret = format!("{public}    secret-key = \"{SECRET}\"\n");
    let mut want = server();
    want.metadata = meta(&[("email", "one@example.org"), ("version", "1")]);
    assert_eq!(parse(&secret).unwrap(), want);
    want.secret = None;
    assert_eq!(parse(&public).unwrap(), want);
    // czmq saves a certificate it holds without a secret key with 40 '0's.
    let zeros = format!("{public}    secret-key = \"{}\"\n", "0".repeat(40));
    assert_eq!(parse(&zeros).unwrap(), want);
}

#[test]
fn quoting_comments_and_layout_variants() {
    let texts = [
        format!("curve\n    public-key = {PUBLIC}\n    secret-key = '{SECRET}'\n"),
        format!(
            "curve\r\n    public-key=\"{PUBLIC}\"   # the key\r\n    secret-key = \"{SECRET}\"\r\n"
        ),
        format!(
            "# comment\n    # indented comment\ncontext\n    other = 1\n\
             curve   # keys follow\n    comment = x\n    public-key = \"{PUBLIC}\"\n\
             \n    secret-key = \"{SECRET}\"\n        nested = ignored\n\
             metadata\n"
        ),
    ];
    for text in &texts {
        assert_eq!(parse(text).unwrap(), server(), "{text}");
    }
    let text = format!(
        "metadata\n    a = 'single # kept'\n    b = bare words # comment\n    c\n        deep = skipped\n    d =\n\
         curve\n    public-key = \"{PUBLIC}\"\n"
    );
    let cert = parse(&text).unwrap();
    assert_eq!(
        cert.metadata,
        meta(&[
            ("a", "single # kept"),
            ("b", "bare words"),
            ("c", ""),
            ("d", "")
        ])
    );
    assert_eq!(cert.meta("b"), Some("bare words"));
    assert_eq!(cert.meta("deep"), None);
}

#[test]
fn file_errors_name_the_file() {
    let dir = TempDir::new();
    let missing = dir.0.join("nothing.key");
    match Certificate::load(&missing) {
        Err(CertError::Io { path, source }) => {
            assert_eq!(path, missing);
            assert_eq!(source.kind(), io::ErrorKind::NotFound);
        }
        other => panic!("{other:?}"),
    }
    assert!(matches!(
        Certificate::load(&dir.0),
        Err(CertError::Io { .. })
    ));
    let big = dir.file("big.key", vec![b'#'; MAX_FILE_LEN as usize + 1]);
    let e = Certificate::load(&big).unwrap_err();
    assert!(
        matches!(&e, CertError::TooLarge { path, limit } if *path == big && *limit == MAX_FILE_LEN)
    );
    assert!(e.to_string().contains("big.key"), "{e}");
    let bad = dir.file("bad.key", "curve\n  public-key = x\n");
    let e = Certificate::load(&bad).unwrap_err();
    assert!(
        matches!(&e, CertError::Syntax { path, line: 2, .. } if *path == bad),
        "{e:?}"
    );
    assert!(
        e.to_string()
            .starts_with(&format!("{}, line 2: ", bad.display())),
        "{e}"
    );
    let mut not_utf8 = b"#\n#\n".to_vec();
    not_utf8.extend_from_slice(&[0xFF, b'\n']);
    let e = Certificate::load(dir.file("u.key", not_utf8)).unwrap_err();
    assert!(
        matches!(
            e,
            CertError::Syntax {
                line: 3,
                reason: "not UTF-8 text",
                ..
            }
        ),
        "{e:?}"
    );
}

#[test]
fn content_errors_are_typed() {
    let key = |name: &str, value: &str| format!("curve\n    {name} = \"{value}\"\n");
    let missing = [
        String::new(),
        "# only a comment\n".into(),
        "curve\n".into(),
        format!("metadata\n    public-key = \"{PUBLIC}\"\ncurve\n"),
        format!("curve\n    secret-key = \"{SECRET}\"\n"),
        format!("other\n    public-key = \"{PUBLIC}\"\n"),
    ];
    for text in missing {
        assert!(
            matches!(parse(&text), Err(CertError::MissingKey { .. })),
            "{text}"
        );
    }
    for (text, want, length) in [
        (key("public-key", &PUBLIC[..39]), "public-key", Some(39)),
        (key("public-key", &PUBLIC[..32]), "public-key", Some(32)),
        (key("public-key", ""), "public-key", Some(0)),
        (
            key("public-key", &PUBLIC.replace('r', "~")),
            "public-key",
            None,
        ),
        (
            format!(
                "{}    secret-key = \"{}\"\n",
                key("public-key", PUBLIC),
                &SECRET[1..]
            ),
            "secret-key",
            Some(39),
        ),
    ] {
        match parse(&text) {
            Err(CertError::Key {
                line: _,
                name,
                source,
                ..
            }) => {
                assert_eq!(name, want, "{text}");
                match length {
                    Some(n) => assert_eq!(source, KeyError::Length(n)),
                    None => assert!(matches!(source, KeyError::Z85(_)), "{source:?}"),
                }
            }
            other => panic!("{text}: {other:?}"),
        }
    }
    let wrong =
        format!("curve\n    public-key = \"{OTHER_PUBLIC}\"\n    secret-key = \"{SECRET}\"\n");
    assert!(matches!(parse(&wrong), Err(CertError::Mismatch { .. })));
    for (text, line, reason) in [
        (
            format!(
                "{}    public-key = \"{PUBLIC}\"\n",
                key("public-key", PUBLIC)
            ),
            3,
            "second public-key",
        ),
        (
            "curve\n    secret-key = x\n    secret-key = y\n".to_string(),
            3,
            "second secret-key",
        ),
        (
            format!("{}curve\n", key("public-key", PUBLIC)),
            3,
            "second curve",
        ),
        (
            format!("metadata\nmetadata\n{}", key("public-key", PUBLIC)),
            2,
            "second metadata",
        ),
    ] {
        match parse(&text) {
            Err(CertError::Syntax {
                line: l, reason: r, ..
            }) => {
                assert_eq!(l, line, "{text}");
                assert!(r.contains(reason), "{text}: {r}");
            }
            other => panic!("{text}: {other:?}"),
        }
    }
}

#[test]
fn save_errors_come_before_any_file() {
    let dir = TempDir::new();
    let public_only = Certificate {
        secret: None,
        ..server()
    };
    assert!(matches!(
        public_only.save(dir.0.join("a")),
        Err(CertError::NoSecret)
    ));
    let mismatched = Certificate {
        public: CurvePublicKey::parse(OTHER_PUBLIC).unwrap(),
        ..server()
    };
    match mismatched.save(dir.0.join("a")) {
        Err(CertError::Mismatch { path }) => assert_eq!(path, dir.0.join("a.key_secret")),
        other => panic!("{other:?}"),
    }
    for (name, value) in [
        ("two words", "v"),
        ("", "v"),
        ("/lead", "v"),
        ("n", "line\nbreak"),
        ("n", "both ' and \""),
        ("public-key", "v"),
        ("secret-keys", "v"),
    ] {
        let mut cert = server();
        cert.metadata = meta(&[("ok", "fine"), (name, value)]);
        match cert.save(dir.0.join("a")) {
            Err(CertError::Metadata { name: n, .. }) => assert_eq!(n, name),
            other => panic!("{name:?} {value:?}: {other:?}"),
        }
        assert!(cert.save_public(dir.0.join("a")).is_err());
    }
    assert_eq!(dir.names(), Vec::<String>::new());
    let nowhere = dir.0.join("no").join("such");
    match server().save(&nowhere) {
        Err(CertError::Io { path, .. }) => assert_eq!(path, dir.0.join("no").join("such.key")),
        other => panic!("{other:?}"),
    }
}

#[test]
fn debug_shows_no_secret() {
    let mut cert = server();
    cert.metadata = meta(&[("name", "x")]);
    let shown = format!("{cert:?} {cert:#?}");
    assert!(!shown.contains(SECRET), "{shown}");
    assert!(shown.contains(PUBLIC) && shown.contains("Some(..)") && shown.contains("\"name\""));
    let public_only = format!("{:?}", Certificate::from_public(cert.public));
    assert!(public_only.contains("secret: None"), "{public_only}");
}

#[test]
fn constructors_and_keypair() {
    let fresh = Certificate::new();
    let pair = fresh.keypair().unwrap();
    assert_eq!(pair.secret.public_key(), fresh.public);
    assert_eq!(Certificate::from_keypair(pair), fresh);
    assert_ne!(Certificate::new().public, fresh.public);
    assert!(Certificate::from_public(fresh.public).keypair().is_none());
}

#[test]
fn a_directory_of_public_keys() {
    let dir = TempDir::new();
    let (b, a) = (Certificate::new(), Certificate::new());
    b.save(dir.0.join("b")).unwrap();
    a.save(dir.0.join("a")).unwrap();
    server().save_public(dir.0.join("c")).unwrap();
    dir.file("notes.txt", "not a certificate");
    dir.file(".hidden.key", "not read");
    dir.file("lonely.key_secret", "not read either");
    fs::create_dir(dir.0.join("sub.key")).unwrap();
    let keys = load_public_keys(&dir.0).unwrap();
    assert_eq!(keys, [a.public, b.public, server().public]);

    let broken = dir.file("d.key", "curve\n    public-key = \"short\"\n");
    match load_public_keys(&dir.0) {
        Err(CertError::Key { path, .. }) => assert_eq!(path, broken),
        other => panic!("{other:?}"),
    }
    let empty = TempDir::new();
    assert!(load_public_keys(&empty.0).unwrap().is_empty());
    let gone = empty.0.join("gone");
    assert!(matches!(load_public_keys(&gone), Err(CertError::Io { path, .. }) if path == gone));
}

proptest! {
    #[test]
    fn loading_any_bytes_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..300)) {
        let _ = from_bytes(Path::new("any.key"), bytes);
    }

    #[test]
    fn loading_zpl_like_text_never_panics(
        text in "([ #=\"'\t\r\nacuvepblik-sy0]|curve|public-key|secret-key|metadata|    ){0,60}",
    ) {
        let _ = parse(&text);
        let _ = parse(&format!("curve\n    public-key = \"{PUBLIC}\"\n{text}"));
    }

    #[test]
    fn any_writable_metadata_reads_back(
        entries in proptest::collection::vec(
            ("[a-zA-Z0-9][a-zA-Z0-9$_@.&+-]{0,6}", "[ -~\t]{0,12}"),
            0..6,
        ),
    ) {
        let mut cert = server();
        cert.metadata = entries;
        match cert.render(cert.secret.as_ref()) {
            Ok(text) => prop_assert_eq!(parse(&text).unwrap(), cert),
            Err(CertError::Metadata { name, .. }) => {
                let (_, value) = cert.metadata.iter().find(|(n, _)| *n == name).unwrap();
                prop_assert!(value.contains('"') && value.contains('\''));
            }
            Err(e) => prop_assert!(false, "{e:?}"),
        }
    }
}
