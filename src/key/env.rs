//! Keys from the environment and from files, in default features: the
//! one place the crate reads `CF_STREAM_SIGNING_KEY`,
//! `CF_STREAM_SIGNING_KEY_FILE` and `CF_STREAM_KEY_ID` for a key, and the
//! bounded reader of secret files.

use std::io::Read as _;
use std::path::Path;

use zeroize::Zeroizing;

use super::SigningKey;
use crate::error::{Error, ErrorKind};
use crate::ids::KeyId;

/// The signing key's contents, any form [`SigningKey::parse`] reads.
pub(crate) const ENV_SIGNING_KEY: &str = "CF_STREAM_SIGNING_KEY";
/// A file holding the signing key (the Docker and Kubernetes secrets
/// convention), instead of [`ENV_SIGNING_KEY`].
pub(crate) const ENV_SIGNING_KEY_FILE: &str = "CF_STREAM_SIGNING_KEY_FILE";
/// The key id, for the forms that carry none (PEM, DER).
pub(crate) const ENV_KEY_ID: &str = "CF_STREAM_KEY_ID";

/// The largest key file [`SigningKey::from_file`] (and a `_FILE`
/// variable) reads: 1 MiB. The largest key form, a create-key answer for
/// an 8192-bit key, is under 32 KiB; a larger file is
/// [`ErrorKind::KeyFileTooLarge`](crate::ErrorKind::KeyFileTooLarge), refused
/// unread.
pub const KEY_FILE_LIMIT: u64 = 1 << 20;

/// Whether a value that is not a key looks like a file name: one short
/// line, no blanks, and a path's start or a key file's ending.
fn looks_like_path(value: &str) -> bool {
    let v = value.trim();
    let starts = ["/", "./", "../", "~/", "~\\", ".\\"]
        .iter()
        .any(|p| v.starts_with(p))
        || v.as_bytes().get(1..3) == Some(b":\\");
    let ends = [".pem", ".json", ".der", ".key", ".jwk", ".txt"]
        .iter()
        .any(|e| v.to_ascii_lowercase().ends_with(e));
    v.len() <= 4096 && !v.chars().any(char::is_whitespace) && (starts || ends)
}

impl SigningKey {
    /// The key in `CF_STREAM_SIGNING_KEY` (its contents, any form
    /// [`SigningKey::parse`] reads, trimmed), or in the file
    /// `CF_STREAM_SIGNING_KEY_FILE` names (the Docker and Kubernetes
    /// secrets convention; read as [`SigningKey::from_file`] reads, at most
    /// 1 MiB), with the key id in `CF_STREAM_KEY_ID` when set (required for
    /// PEM and DER, which carry none; other forms must agree with it).
    ///
    /// # Errors
    /// [`ErrorKind::MissingConfig`] when neither variable is set (or both
    /// are blank); [`ErrorKind::ConflictingConfig`] when both are;
    /// [`ErrorKind::KeyFileUnreadable`] and [`ErrorKind::KeyFileTooLarge`]
    /// for the file; [`ErrorKind::InvalidKeyId`] for a bad `CF_STREAM_KEY_ID`;
    /// [`ErrorKind::KeyLooksLikePath`] when the value is not a key but looks
    /// like a file name (use [`SigningKey::from_file`]); otherwise the
    /// errors of [`SigningKey::parse`] ([`ErrorKind::KeyIdRequired`] for a
    /// PEM without `CF_STREAM_KEY_ID`).
    pub fn from_env() -> Result<Self, Error> {
        Self::from_env_with(|name| std::env::var(name).ok())
    }

    /// As [`SigningKey::from_env`], reading variables through `var` (for
    /// tests, or settings kept elsewhere).
    ///
    /// ```
    /// use cf_stream_token::{ErrorKind, SigningKey};
    /// let demo = include_str!("../../fixtures/demo/demo.jwk.json");
    /// let key = SigningKey::from_env_with(|name| {
    ///     (name == "CF_STREAM_SIGNING_KEY").then(|| demo.to_owned())
    /// })?;
    /// assert_eq!(key.bits(), 2048);
    /// let e = SigningKey::from_env_with(|name| {
    ///     (name == "CF_STREAM_SIGNING_KEY").then(|| "./stream-key.json".to_owned())
    /// })
    /// .unwrap_err();
    /// assert!(matches!(e.kind(), ErrorKind::KeyLooksLikePath { .. }));
    /// # Ok::<(), cf_stream_token::Error>(())
    /// ```
    ///
    /// # Errors
    /// As [`SigningKey::from_env`].
    pub fn from_env_with(var: impl Fn(&str) -> Option<String>) -> Result<Self, Error> {
        let set = |name: &str| {
            var(name)
                .map(Zeroizing::new)
                .filter(|v| !v.trim().is_empty())
        };
        let key = match (set(ENV_SIGNING_KEY), set(ENV_SIGNING_KEY_FILE)) {
            (Some(_), Some(_)) => {
                return Err(ErrorKind::ConflictingConfig {
                    first: ENV_SIGNING_KEY,
                    second: ENV_SIGNING_KEY_FILE,
                }
                .into());
            }
            (None, Some(path)) => {
                let kid = set(ENV_KEY_ID).map(|k| KeyId::new(k.trim())).transpose()?;
                return Self::from_file(path.trim(), kid);
            }
            (Some(key), None) => key,
            (None, None) => {
                return Err(ErrorKind::MissingConfig {
                    name: ENV_SIGNING_KEY,
                }
                .into());
            }
        };
        let kid = set(ENV_KEY_ID).map(|k| KeyId::new(k.trim())).transpose()?;
        // A value that does not load as a key and looks like a file name
        // was meant for `from_file`. (Such a value never gets as far as a
        // key id, so a `KeyIdMismatch` is never renamed.)
        SigningKey::parse(key.trim(), kid).map_err(|e| {
            if e.is_key() && looks_like_path(&key) {
                ErrorKind::KeyLooksLikePath {
                    name: ENV_SIGNING_KEY,
                }
                .into()
            } else {
                e
            }
        })
    }

    /// The key in the file at `path`, any form [`SigningKey::parse`] reads
    /// (text forms trimmed, DER as it is), with `kid` for the forms that
    /// carry none. The file is read into a buffer that is zeroized when
    /// dropped.
    ///
    /// ```
    /// use cf_stream_token::SigningKey;
    /// let key = SigningKey::from_file("fixtures/demo/demo_create_result.json", None)?;
    /// assert_eq!(key.bits(), 2048);
    /// # Ok::<(), cf_stream_token::Error>(())
    /// ```
    ///
    /// # Errors
    /// [`ErrorKind::KeyFileUnreadable`], [`ErrorKind::KeyFileTooLarge`], or
    /// those of [`SigningKey::parse`] ([`ErrorKind::KeyIdRequired`] for a
    /// PEM without `kid`).
    pub fn from_file(path: impl AsRef<Path>, kid: Option<KeyId>) -> Result<Self, Error> {
        let bytes = read_key_file(path.as_ref())?;
        SigningKey::parse(&*bytes, kid)
    }
}

/// Read a key file whole, at most [`KEY_FILE_LIMIT`], into a buffer that is
/// zeroized when dropped.
pub(crate) fn read_key_file(path: &Path) -> Result<Zeroizing<Vec<u8>>, Error> {
    read_secret_file(path, KEY_FILE_LIMIT).map_err(|e| match e {
        SecretFileError::TooLarge => ErrorKind::KeyFileTooLarge.into(),
        SecretFileError::Io(io) => ErrorKind::KeyFileUnreadable { io }.into(),
    })
}

/// Why [`read_secret_file`] failed: never the file's name or contents.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum SecretFileError {
    /// Opening or reading failed.
    Io(std::io::ErrorKind),
    /// The file holds more than the limit.
    TooLarge,
}

/// Read a secret file whole, at most `limit` bytes, into a buffer that is
/// zeroized when dropped.
pub(crate) fn read_secret_file(
    path: &Path,
    limit: u64,
) -> Result<Zeroizing<Vec<u8>>, SecretFileError> {
    let unreadable = |e: std::io::Error| SecretFileError::Io(e.kind());
    let file = std::fs::File::open(path).map_err(unreadable)?;
    // Sized up front so that the buffer never grows, which would leave an
    // unzeroized copy of the secret behind.
    let size = file.metadata().map_or(0, |m| m.len()).min(limit);
    let mut bytes = Zeroizing::new(Vec::with_capacity(usize::try_from(size).unwrap_or(0) + 1));
    file.take(limit + 1)
        .read_to_end(&mut bytes)
        .map_err(unreadable)?;
    if bytes.len() as u64 > limit {
        return Err(SecretFileError::TooLarge);
    }
    Ok(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_are_told_from_keys() {
        for path in [
            "/etc/keys/stream.pem",
            "./stream-key.json",
            "../k.json",
            "~/keys/k",
            "stream-key.json",
            "KEY.PEM",
            "C:\\keys\\k.pem",
        ] {
            assert!(looks_like_path(path), "{path}");
        }
        for not in [
            "LS0tLS1CRUdJTi",
            "eyJ1c2UiOiJzaWcifQ==",
            "-----BEGIN RSA PRIVATE KEY-----\nMII\n-----END RSA PRIVATE KEY-----",
            "{\"kty\":\"RSA\"}",
            "my key.pem and more",
        ] {
            assert!(!looks_like_path(not), "{not}");
        }
    }
}
