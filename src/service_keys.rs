//! [`ServiceKeys`]: the keys a service signs and verifies with, as its
//! environment names them, reloaded when they come from a file.

use std::fmt;
use std::io::Read as _;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use time::OffsetDateTime;
use zeroize::Zeroizing;

use crate::claims::{TokenOptions, TokenOptionsBuilder};
use crate::error::{Error, ErrorKind};
use crate::ids::{KeyId, VideoId};
use crate::key::SigningKey;
use crate::keyring::{KEYRING_ENV, KEYRING_FILE_ENV};
use crate::reload::{
    DEFAULT_RELOAD_INTERVAL, ReloadStatus, ReloadingKey, ReloadingKeyring, SecretSource,
};
use crate::signer::Signer;
use crate::source::TokenSource;
use crate::token::Token;
use crate::verify::Verifier;

const KEY_ENV: &str = "CF_STREAM_SIGNING_KEY";
const KEY_FILE_ENV: &str = "CF_STREAM_SIGNING_KEY_FILE";
const KEY_ID_ENV: &str = "CF_STREAM_KEY_ID";
/// The variable [`ServiceKeys::token_options_from_env_with`] reads.
const TOKEN_TTL_ENV: &str = "CF_STREAM_TOKEN_TTL";
/// The variable [`ServiceKeys::from_env`] reads the reload interval from.
pub const RELOAD_INTERVAL_ENV: &str = "CF_STREAM_RELOAD_INTERVAL";
/// The largest single key file read: 1 MiB, as [`ReloadingKey`] reads.
const KEY_FILE_LIMIT: u64 = 1 << 20;

/// The keys of one service instance, from its environment: the ring in
/// `CF_STREAM_KEYRING_FILE` (a path) or `CF_STREAM_KEYRING`, else one key in
/// `CF_STREAM_SIGNING_KEY_FILE` or `CF_STREAM_SIGNING_KEY` (with
/// `CF_STREAM_KEY_ID` for PEM). A file is read again every
/// `CF_STREAM_RELOAD_INTERVAL` (default 60 s) by a [`ReloadingKeyring`] or
/// [`ReloadingKey`]; a variable's value does not change under a running
/// process and is loaded once.
///
/// It signs ([`TokenSource`]) with the key in force, verifies with the
/// keys in force ([`verifier`](Self::verifier): the whole ring, so tokens
/// of the next and previous keys pass), and reports what it holds
/// ([`status`](Self::status)) for a health endpoint.
///
/// ```
/// use cf_stream_token::{ServiceKeys, TokenOptions, TokenSource, VideoId};
///
/// let key = include_str!("../fixtures/demo/demo_create_result.json");
/// let keys = ServiceKeys::from_env_with(|name| (name == "CF_STREAM_SIGNING_KEY").then(|| key.to_owned()))?;
/// let video: VideoId = "ea95132c15732412d22c1476fa83f27a".parse()?;
/// let token = keys.mint(&video, &TokenOptions::default())?;
/// assert_eq!(token.kid(), keys.status().kid());
/// assert!(keys.verifier().verify_for(&video, token.as_str()).is_ok());
/// # Ok::<(), cf_stream_token::Error>(())
/// ```
pub struct ServiceKeys {
    inner: Inner,
}

enum Inner {
    Ring(ReloadingKeyring),
    /// The key, the verifier of its first load, and the verifier of its
    /// latest read (kept by the source's reads beside the key).
    Key(ReloadingKey, Verifier, Arc<Mutex<Option<Verifier>>>),
}

impl fmt::Debug for ServiceKeys {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.inner {
            Inner::Ring(ring) => f.debug_tuple("ServiceKeys").field(ring).finish(),
            Inner::Key(key, ..) => f.debug_tuple("ServiceKeys").field(key).finish(),
        }
    }
}

impl ServiceKeys {
    /// The keys the process environment names (see the type).
    ///
    /// # Errors
    /// As [`from_env_with`](Self::from_env_with).
    pub fn from_env() -> Result<ServiceKeys, Error> {
        Self::from_env_with(|name| std::env::var(name).ok())
    }

    /// The keys the environment `var` names (see the type); blank values
    /// count as unset.
    ///
    /// # Errors
    /// [`ErrorKind::MissingConfig`] when no key or ring is set;
    /// [`ErrorKind::ConflictingConfig`] for a variable and its `_FILE` form,
    /// or a ring and a key, both set; [`ErrorKind::InvalidConfig`] for a
    /// reload interval that is not a duration of at least one second;
    /// [`ErrorKind::InvalidKeyId`] for a malformed `CF_STREAM_KEY_ID`;
    /// [`ErrorKind::SecretSourceFailed`] for a key file that cannot be read,
    /// is over 1 MiB or is not UTF-8 (the reason as its
    /// [`source`](std::error::Error::source)); and those of the first load ([`ReloadingKeyringBuilder::start`](crate::ReloadingKeyringBuilder::start),
    /// [`ReloadingKeyBuilder::start`](crate::ReloadingKeyBuilder::start)).
    pub fn from_env_with(var: impl Fn(&str) -> Option<String>) -> Result<ServiceKeys, Error> {
        let set = |name: &str| {
            var(name)
                .filter(|v| !v.trim().is_empty())
                .map(Zeroizing::new)
        };
        let one = |inline: &'static str, file: &'static str| match (set(inline), set(file)) {
            (Some(_), Some(_)) => Err(Error::from(ErrorKind::ConflictingConfig {
                first: inline,
                second: file,
            })),
            (value, path) => Ok((value, path)),
        };
        let ring = one(KEYRING_ENV, KEYRING_FILE_ENV)?;
        let key = one(KEY_ENV, KEY_FILE_ENV)?;
        let interval = match set(RELOAD_INTERVAL_ENV) {
            None => DEFAULT_RELOAD_INTERVAL,
            Some(text) => crate::duration::parse_duration(text.trim())
                .ok()
                .filter(|d| !d.is_zero())
                .ok_or(ErrorKind::InvalidConfig {
                    what: "CF_STREAM_RELOAD_INTERVAL: a duration of at least 1s (90, 30s, 1m)",
                })?,
        };
        let inline = |name: &'static str, value: Zeroizing<String>| {
            SecretSource::from_fn(format!("env {name}"), move || Ok(value.to_string()))
        };
        match (ring, key) {
            ((Some(_), _) | (_, Some(_)), (Some(_), _) | (_, Some(_))) => {
                Err(ErrorKind::ConflictingConfig {
                    first: KEYRING_ENV,
                    second: KEY_ENV,
                }
                .into())
            }
            ((Some(doc), None), _) => Ok(Self::ring(inline(KEYRING_ENV, doc), None)?),
            ((None, Some(path)), _) => {
                Ok(Self::ring(SecretSource::file(path.trim()), Some(interval))?)
            }
            (_, (Some(key), None)) => Self::key(KeyFrom::Inline(key), None, set(KEY_ID_ENV)),
            (_, (None, Some(path))) => Self::key(
                KeyFrom::File(PathBuf::from(path.trim())),
                Some(interval),
                set(KEY_ID_ENV),
            ),
            _ => Err(ErrorKind::MissingConfig {
                name: "CF_STREAM_SIGNING_KEY or CF_STREAM_KEYRING",
            }
            .into()),
        }
    }

    fn ring(source: SecretSource, interval: Option<Duration>) -> Result<ServiceKeys, Error> {
        let ring = ReloadingKeyring::builder(source)
            .interval(interval.unwrap_or(DEFAULT_RELOAD_INTERVAL))
            .background(interval.is_some())
            .start()?;
        Ok(ServiceKeys {
            inner: Inner::Ring(ring),
        })
    }

    fn key(
        from: KeyFrom,
        interval: Option<Duration>,
        kid: Option<Zeroizing<String>>,
    ) -> Result<ServiceKeys, Error> {
        let kid = kid.map(|k| KeyId::new(k.trim())).transpose()?;
        let name = match &from {
            KeyFrom::Inline(_) => format!("env {KEY_ENV}"),
            KeyFrom::File(path) => format!("file {}", path.display()),
        };
        // The verifier follows the reads: every read that yields a key
        // replaces it, a moment before the reloading key replaces its
        // signer with the same key (a single key has no overlap: tokens of
        // the old one fail the check from then on, as they would at
        // Cloudflare once it is deleted).
        let mirror: Arc<Mutex<Option<Verifier>>> = Arc::default();
        let slot = Arc::clone(&mirror);
        let source = SecretSource::from_fn(name, move || {
            let text = from.read()?;
            if let Ok(key) = SigningKey::parse(text.trim(), kid) {
                *slot.lock().unwrap_or_else(PoisonError::into_inner) =
                    Some(Signer::new(key).verifier());
            }
            Ok(text.to_string())
        });
        let mut builder = ReloadingKey::builder(source)
            .interval(interval.unwrap_or(DEFAULT_RELOAD_INTERVAL))
            .background(interval.is_some());
        if let Some(kid) = kid {
            builder = builder.kid(kid);
        }
        let key = builder.start()?;
        let first = mirror
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
            .ok_or(ErrorKind::NotAKey)?;
        Ok(ServiceKeys {
            inner: Inner::Key(key, first, mirror),
        })
    }

    /// What is in force and how the reloads went: the kid, the ring's
    /// serial, the document's digest, when it was loaded and last read, and
    /// the last reload error.
    pub fn status(&self) -> ReloadStatus {
        match &self.inner {
            Inner::Ring(ring) => ring.status(),
            Inner::Key(key, ..) => key.status(),
        }
    }

    /// A verifier of the keys in force: every key of the ring (current,
    /// next and previous), or the one key.
    pub fn verifier(&self) -> Verifier {
        match &self.inner {
            Inner::Ring(ring) => ring.snapshot().verifier().clone(),
            Inner::Key(_, first, latest) => latest
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .clone()
                .unwrap_or_else(|| first.clone()),
        }
    }

    /// Token options with the lifetime in `CF_STREAM_TOKEN_TTL` as `var`
    /// gives it (a duration: `2h`, `90m`, `7200`), or `default` when it is
    /// unset or blank, checked now against the ring's
    /// [`max_token_lifetime`](Self::max_token_lifetime); add rules and the
    /// rest, then [`build`](TokenOptionsBuilder::build) (which refuses a
    /// zero or fractional lifetime).
    ///
    /// ```
    /// use std::time::Duration;
    /// use cf_stream_token::ServiceKeys;
    ///
    /// let key = include_str!("../fixtures/demo/demo_create_result.json");
    /// let env = |name: &str| match name {
    ///     "CF_STREAM_SIGNING_KEY" => Some(key.to_owned()),
    ///     "CF_STREAM_TOKEN_TTL" => Some("90m".to_owned()),
    ///     _ => None,
    /// };
    /// let keys = ServiceKeys::from_env_with(env)?;
    /// let opts = keys.token_options_from_env_with(env, Duration::from_secs(7200))?.build()?;
    /// assert_eq!(opts.lifetime_secs(), Some(5400));
    /// # Ok::<(), cf_stream_token::Error>(())
    /// ```
    ///
    /// # Errors
    /// [`ErrorKind::InvalidConfig`] naming `CF_STREAM_TOKEN_TTL` for a value
    /// that is not a duration, or a lifetime (given or `default`) longer
    /// than the ring's maximum.
    pub fn token_options_from_env_with(
        &self,
        var: impl Fn(&str) -> Option<String>,
        default: Duration,
    ) -> Result<TokenOptionsBuilder, Error> {
        let lifetime = match var(TOKEN_TTL_ENV).filter(|v| !v.trim().is_empty()) {
            None => default,
            Some(text) => crate::duration::parse_duration(text.trim()).map_err(|_| {
                ErrorKind::InvalidConfig {
                    what: "CF_STREAM_TOKEN_TTL: a duration (2h, 90m, 7200)",
                }
            })?,
        };
        if self.max_token_lifetime().is_some_and(|max| lifetime > max) {
            let what = "CF_STREAM_TOKEN_TTL: at most the ring's maximum token lifetime";
            return Err(ErrorKind::InvalidConfig { what }.into());
        }
        Ok(TokenOptions::builder().lifetime(lifetime))
    }

    /// The ring's maximum token lifetime; `None` for a single key.
    pub fn max_token_lifetime(&self) -> Option<Duration> {
        match &self.inner {
            Inner::Ring(ring) => Some(ring.snapshot().ring().max_token_lifetime()),
            Inner::Key(..) => None,
        }
    }
}

/// Where a single key comes from.
enum KeyFrom {
    Inline(Zeroizing<String>),
    File(PathBuf),
}

type SourceError = Box<dyn std::error::Error + Send + Sync>;

impl KeyFrom {
    /// The key's text, now: a file read bounded, at most 1 MiB.
    fn read(&self) -> Result<Zeroizing<String>, SourceError> {
        let path = match self {
            KeyFrom::Inline(text) => return Ok(text.clone()),
            KeyFrom::File(path) => path,
        };
        let mut bytes = Zeroizing::new(Vec::new());
        std::fs::File::open(path)?
            .take(KEY_FILE_LIMIT + 1)
            .read_to_end(&mut bytes)?;
        if bytes.len() as u64 > KEY_FILE_LIMIT {
            return Err("the key file is larger than 1 MiB".into());
        }
        let text = std::str::from_utf8(&bytes).map_err(|_| "the key file is not UTF-8")?;
        Ok(Zeroizing::new(text.to_owned()))
    }
}

impl TokenSource for ServiceKeys {
    fn mint_at(
        &self,
        now: OffsetDateTime,
        video: &VideoId,
        opts: &TokenOptions,
    ) -> Result<Token, Error> {
        match &self.inner {
            Inner::Ring(ring) => ring.mint_at(now, video, opts),
            Inner::Key(key, ..) => key.mint_at(now, video, opts),
        }
    }
}
