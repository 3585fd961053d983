//! CURVE certificates (SPEC §9.6): a key pair and its metadata in the ZPL
//! files that czmq's `zcert` and pyzmq's `zmq.auth` read and write, a
//! public file `NAME.key` to hand to peers and a secret file
//! `NAME.key_secret` that only its owner reads.
//!
//! ```
//! use oxmq::cert::{load_public_keys, Certificate};
//! let dir = std::env::temp_dir().join(format!("oxmq-cert-doc-{}", std::process::id()));
//! std::fs::create_dir_all(&dir).unwrap();
//! let mut server = Certificate::new();
//! server.metadata.push(("name".into(), "server".into()));
//! let (public, secret) = server.save(dir.join("server")).unwrap();
//! assert_eq!(Certificate::load(&secret).unwrap(), server);
//! let shared = Certificate::load(&public).unwrap();
//! assert_eq!((shared.public, shared.secret), (server.public, None));
//! assert_eq!(load_public_keys(&dir).unwrap(), [server.public]);
//! std::fs::remove_dir_all(&dir).unwrap();
//! ```

mod zpl;

use std::ffi::OsString;
use std::fmt;
use std::fs::{self, File, OpenOptions};
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};

use zeroize::Zeroize;

use crate::curve::KEY_Z85_LEN;
use crate::curve::{
    curve_keypair, curve_public, CurveKeypair, CurvePublicKey, CurveSecretKey, KeyError,
};

/// The largest certificate file [`Certificate::load`] reads.
pub const MAX_FILE_LEN: u64 = 1 << 20;

/// Why a certificate could not be read or written (SPEC §9.6). Every
/// error about a file names it.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CertError {
    /// Reading or writing the file, or listing the directory, failed.
    #[error("{}: {source}", path.display())]
    Io {
        /// The file or directory.
        path: PathBuf,
        /// The operating system's reason.
        source: io::Error,
    },
    /// The file is longer than [`MAX_FILE_LEN`] bytes.
    #[error("{}: a certificate file is at most {limit} bytes", path.display())]
    TooLarge {
        /// The file.
        path: PathBuf,
        /// [`MAX_FILE_LEN`].
        limit: u64,
    },
    /// The file is not ZPL text (RFC 4), or has a second `curve` or
    /// `metadata` section, or a second key of one kind.
    #[error("{}, line {line}: {reason}", path.display())]
    Syntax {
        /// The file.
        path: PathBuf,
        /// The line, from 1.
        line: usize,
        /// What is wrong there.
        reason: &'static str,
    },
    /// The file has no `public-key` in a `curve` section.
    #[error("{}: no public-key in a curve section", path.display())]
    MissingKey {
        /// The file.
        path: PathBuf,
    },
    /// A `public-key` or `secret-key` is not 40 Z85 characters.
    #[error("{}, line {line}: {name}: {source}", path.display())]
    Key {
        /// The file.
        path: PathBuf,
        /// The key's line, from 1.
        line: usize,
        /// `public-key` or `secret-key`.
        name: &'static str,
        /// Why the key was refused.
        source: KeyError,
    },
    /// The file's secret key does not derive its public key (or, from
    /// [`Certificate::save`], the certificate's).
    #[error("{}: the secret-key is not the public-key's", path.display())]
    Mismatch {
        /// The file.
        path: PathBuf,
    },
    /// [`Certificate::save`] of a certificate without a secret key.
    #[error("the certificate has no secret key to save")]
    NoSecret,
    /// A metadata entry cannot be written as ZPL, or would be misread as
    /// a key by pyzmq.
    #[error("metadata {name:?}: {reason}")]
    Metadata {
        /// The entry's name.
        name: String,
        /// Why it cannot be written.
        reason: &'static str,
    },
}

/// A CURVE certificate (SPEC §9.6): a public key, the secret key when its
/// owner holds it, and metadata, name and value pairs in their order.
/// `Debug` shows the public key and metadata, never the secret key.
#[derive(Clone, PartialEq, Eq)]
pub struct Certificate {
    /// The public key.
    pub public: CurvePublicKey,
    /// The secret key, if this is its owner's certificate.
    pub secret: Option<CurveSecretKey>,
    /// Name and value pairs, written to and read from the `metadata`
    /// section.
    pub metadata: Vec<(String, String)>,
}

impl fmt::Debug for Certificate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Certificate")
            .field("public", &self.public)
            .field("secret", &self.secret.as_ref().map(|_| Hidden))
            .field("metadata", &self.metadata)
            .finish()
    }
}

/// Stands for the secret key in `Debug`.
struct Hidden;

impl fmt::Debug for Hidden {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("..")
    }
}

impl Certificate {
    /// A certificate with a new random key pair and no metadata.
    // No `Default`: a default value that is random would surprise.
    #[allow(clippy::new_without_default)]
    pub fn new() -> Self {
        Self::from_keypair(curve_keypair())
    }

    /// A certificate of this key pair, without metadata.
    pub fn from_keypair(pair: CurveKeypair) -> Self {
        Certificate {
            public: pair.public,
            secret: Some(pair.secret),
            metadata: Vec::new(),
        }
    }

    /// A certificate of a peer's public key alone, without metadata.
    pub fn from_public(public: CurvePublicKey) -> Self {
        Certificate {
            public,
            secret: None,
            metadata: Vec::new(),
        }
    }

    /// The key pair, if the certificate has its secret key.
    pub fn keypair(&self) -> Option<CurveKeypair> {
        self.secret.as_ref().map(|secret| CurveKeypair {
            public: self.public,
            secret: secret.clone(),
        })
    }

    /// The value of the first metadata entry named `name`.
    pub fn meta(&self, name: &str) -> Option<&str> {
        self.metadata
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    /// Reads a certificate file (SPEC §9.6): a public file (`NAME.key`)
    /// or a secret file (`NAME.key_secret`) written by oxmq, czmq's
    /// `zcert_save` or pyzmq's `zmq.auth.create_certificates`. The
    /// `curve` section's `public-key` is required and its `secret-key`,
    /// if present, must derive it; the `metadata` section's entries are
    /// kept in order. A secret key of 40 `0`s, which czmq writes for a
    /// certificate it holds without one, counts as none.
    ///
    /// Errors: [`CertError`]; files over [`MAX_FILE_LEN`] are refused
    /// unread.
    pub fn load(path: impl AsRef<Path>) -> Result<Certificate, CertError> {
        let path = path.as_ref();
        let bytes = read_bounded(path)?;
        from_bytes(path, bytes)
    }

    /// Writes the public file `BASE.key` and the secret file
    /// `BASE.key_secret` (on Unix created with mode 0600), and returns
    /// their paths in that order (SPEC §9.6). Each file is written under
    /// a temporary name in the same directory and then renamed over any
    /// earlier one, so a reader sees the old file or the new one.
    ///
    /// Errors: [`CertError::NoSecret`] for a certificate without a secret
    /// key, [`CertError::Mismatch`] (naming the secret file) for one whose
    /// secret key is not its public key's, [`CertError::Metadata`] for
    /// metadata that cannot be written, all before any file is touched;
    /// [`CertError::Io`].
    pub fn save(&self, base: impl AsRef<Path>) -> Result<(PathBuf, PathBuf), CertError> {
        let base = base.as_ref();
        let Some(secret) = &self.secret else {
            return Err(CertError::NoSecret);
        };
        let public_path = with_suffix(base, ".key");
        let secret_path = with_suffix(base, ".key_secret");
        if curve_public(secret) != self.public {
            return Err(CertError::Mismatch { path: secret_path });
        }
        let public_text = self.render(None)?;
        let mut secret_text = self.render(Some(secret))?;
        let written = write_file(&public_path, &public_text, false)
            .and_then(|()| write_file(&secret_path, &secret_text, true));
        secret_text.zeroize();
        written.map(|()| (public_path, secret_path))
    }

    /// Writes only the public file `BASE.key`, and returns its path
    /// (SPEC §9.6). Errors: as [`save`](Self::save)'s, less `NoSecret`.
    pub fn save_public(&self, base: impl AsRef<Path>) -> Result<PathBuf, CertError> {
        let path = with_suffix(base.as_ref(), ".key");
        write_file(&path, &self.render(None)?, false)?;
        Ok(path)
    }

    /// The text of the public file, or of the secret file with `secret`.
    fn render(&self, secret: Option<&CurveSecretKey>) -> Result<String, CertError> {
        let mut out = String::new();
        let header: &[&str] = match secret {
            None => &[
                "CURVE certificate, public part, written by oxmq.",
                "It holds no secret: hand it to the peers that are to know",
                "this identity, by a route they trust to keep it unchanged.",
            ],
            Some(_) => &[
                "CURVE certificate, secret part, written by oxmq.",
                "Whoever reads this file can act as its owner: keep it private,",
                "and do not copy it elsewhere or widen its permissions.",
            ],
        };
        for line in header {
            out.push_str("#   ");
            out.push_str(line);
            out.push('\n');
        }
        out.push('\n');
        zpl::write_section(&mut out, 0, "metadata");
        for (name, value) in &self.metadata {
            // pyzmq's reader takes any line starting with these for a key.
            if name.starts_with("public-key") || name.starts_with("secret-key") {
                return Err(CertError::Metadata {
                    name: name.clone(),
                    reason: "a name starting with public-key or secret-key reads as a key",
                });
            }
            zpl::write_property(&mut out, 1, name, value).map_err(|reason| {
                CertError::Metadata {
                    name: name.clone(),
                    reason,
                }
            })?;
        }
        zpl::write_section(&mut out, 0, "curve");
        // Z85 has no quote and no control character: these cannot fail.
        let _ = zpl::write_property(&mut out, 1, "public-key", &self.public.to_z85());
        if let Some(secret) = secret {
            let mut text = secret.to_z85();
            let _ = zpl::write_property(&mut out, 1, "secret-key", &text);
            text.zeroize();
        }
        Ok(out)
    }
}

/// The public keys of every certificate file `*.key` in `dir` (SPEC
/// §9.6), in the order of their file names, one a file (so a key in two
/// files is there twice). Secret files (`*.key_secret`), other files,
/// subdirectories and names starting with `.` are skipped, as pyzmq's
/// `load_certificates` does.
///
/// Errors: [`CertError::Io`] naming the directory if it cannot be listed;
/// the first file (by name) that does not load, as
/// [`Certificate::load`] reports it.
pub fn load_public_keys(dir: impl AsRef<Path>) -> Result<Vec<CurvePublicKey>, CertError> {
    let dir = dir.as_ref();
    let io_error = |source| CertError::Io {
        path: dir.to_path_buf(),
        source,
    };
    let mut files: Vec<(OsString, PathBuf)> = Vec::new();
    for entry in fs::read_dir(dir).map_err(io_error)? {
        let entry = entry.map_err(io_error)?;
        let name = entry.file_name();
        let path = entry.path();
        let hidden = name.as_encoded_bytes().starts_with(b".");
        if !hidden && path.extension().is_some_and(|e| e == "key") && path.is_file() {
            files.push((name, path));
        }
    }
    files.sort();
    files
        .iter()
        .map(|(_, path)| Certificate::load(path).map(|cert| cert.public))
        .collect()
}

/// `base` with `suffix` added to its last component: `a/b` and `.key`
/// give `a/b.key`.
fn with_suffix(base: &Path, suffix: &str) -> PathBuf {
    let mut name = base.as_os_str().to_owned();
    name.push(suffix);
    PathBuf::from(name)
}

/// The bytes of the file at `path`, if it has at most [`MAX_FILE_LEN`].
fn read_bounded(path: &Path) -> Result<Vec<u8>, CertError> {
    let io_error = |source| CertError::Io {
        path: path.to_path_buf(),
        source,
    };
    let file = File::open(path).map_err(io_error)?;
    let mut bytes = Vec::new();
    let read = file.take(MAX_FILE_LEN + 1).read_to_end(&mut bytes);
    if let Err(source) = read {
        bytes.zeroize();
        return Err(io_error(source));
    }
    if bytes.len() as u64 > MAX_FILE_LEN {
        bytes.zeroize();
        return Err(CertError::TooLarge {
            path: path.to_path_buf(),
            limit: MAX_FILE_LEN,
        });
    }
    Ok(bytes)
}

/// The certificate in `bytes`, the content of the file at `path`; the
/// bytes are zeroed before returning.
fn from_bytes(path: &Path, bytes: Vec<u8>) -> Result<Certificate, CertError> {
    match String::from_utf8(bytes) {
        Ok(mut text) => {
            let result = from_text(path, &text);
            text.zeroize();
            result
        }
        Err(e) => {
            let line = 1 + e.as_bytes()[..e.utf8_error().valid_up_to()]
                .iter()
                .filter(|&&b| b == b'\n')
                .count();
            e.into_bytes().zeroize();
            Err(CertError::Syntax {
                path: path.to_path_buf(),
                line,
                reason: "not UTF-8 text",
            })
        }
    }
}

/// The certificate in the ZPL `text` of the file at `path`.
fn from_text(path: &Path, text: &str) -> Result<Certificate, CertError> {
    let syntax = |line, reason| CertError::Syntax {
        path: path.to_path_buf(),
        line,
        reason,
    };
    let doc = zpl::parse(text).map_err(|e| syntax(e.line, e.reason))?;
    let curve =
        only_section(&doc, "curve").map_err(|line| syntax(line, "a second curve section"))?;
    let metadata =
        only_section(&doc, "metadata").map_err(|line| syntax(line, "a second metadata section"))?;
    let (mut public, mut secret) = (None, None);
    for p in curve.into_iter().flat_map(|i| zpl::children(&doc, i)) {
        let slot = match p.name {
            "public-key" => &mut public,
            "secret-key" => &mut secret,
            _ => continue,
        };
        if slot.is_some() {
            let reason = match p.name {
                "public-key" => "a second public-key",
                _ => "a second secret-key",
            };
            return Err(syntax(p.line, reason));
        }
        *slot = Some(p);
    }
    let Some(public) = public else {
        return Err(CertError::MissingKey {
            path: path.to_path_buf(),
        });
    };
    let key_error = |p: &zpl::Property<'_>, name, source| CertError::Key {
        path: path.to_path_buf(),
        line: p.line,
        name,
        source,
    };
    let public_key = z85_key(public.value)
        .and_then(CurvePublicKey::parse)
        .map_err(|e| key_error(public, "public-key", e))?;
    let secret_key = match secret {
        // czmq's stand-in for a missing secret key: 32 zero bytes.
        Some(p) if p.value.bytes().all(|b| b == b'0') && p.value.len() == KEY_Z85_LEN => None,
        Some(p) => Some(
            z85_key(p.value)
                .and_then(CurveSecretKey::parse)
                .map_err(|e| key_error(p, "secret-key", e))?,
        ),
        None => None,
    };
    if secret_key
        .as_ref()
        .is_some_and(|s| curve_public(s) != public_key)
    {
        return Err(CertError::Mismatch {
            path: path.to_path_buf(),
        });
    }
    let metadata = metadata
        .into_iter()
        .flat_map(|i| zpl::children(&doc, i))
        .map(|p| (p.name.to_owned(), p.value.to_owned()))
        .collect();
    Ok(Certificate {
        public: public_key,
        secret: secret_key,
        metadata,
    })
}

/// The index of the one top-level section `name`, if any; the line of a
/// second one is an error.
fn only_section(doc: &[zpl::Property<'_>], name: &str) -> Result<Option<usize>, usize> {
    let mut found = zpl::sections(doc, name);
    let first = found.next().map(|(i, _)| i);
    match found.next() {
        Some((_, second)) => Err(second.line),
        None => Ok(first),
    }
}

/// A key's value, which in a file must be Z85: 40 characters (a value of
/// 32 would otherwise pass as raw bytes).
fn z85_key(value: &str) -> Result<&str, KeyError> {
    match value.len() {
        KEY_Z85_LEN => Ok(value),
        n => Err(KeyError::Length(n)),
    }
}

/// Writes `text` to `path` through a temporary file in the same
/// directory, renamed over `path` once complete; `private` files are
/// created with mode 0600 on Unix.
fn write_file(path: &Path, text: &str, private: bool) -> Result<(), CertError> {
    let io_error = |source| CertError::Io {
        path: path.to_path_buf(),
        source,
    };
    let Some(name) = path.file_name() else {
        return Err(io_error(io::Error::new(
            io::ErrorKind::InvalidInput,
            "a certificate's base path must end in a file name",
        )));
    };
    let mut temp_name = OsString::from(".");
    temp_name.push(name);
    temp_name.push(format!(".{:016x}.tmp", rand::random::<u64>()));
    let temp = path.with_file_name(temp_name);
    let mut options = OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    if private {
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    }
    #[cfg(not(unix))]
    let _ = private;
    let written = options.open(&temp).and_then(|mut file| {
        file.write_all(text.as_bytes())?;
        file.sync_all()
    });
    let result = written.and_then(|()| fs::rename(&temp, path));
    if result.is_err() {
        let _ = fs::remove_file(&temp);
    }
    result.map_err(io_error)
}

#[cfg(test)]
mod tests;
