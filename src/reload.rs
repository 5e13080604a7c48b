//! Sources that reload their keys while they serve: [`ReloadingKeyring`]
//! and [`ReloadingKey`].
//!
//! # Why
//!
//! A fleet keeps its ring in a secret store (a Kubernetes Secret mounted as
//! files, AWS Secrets Manager, Vault) and rotates it there; every instance
//! has to notice the new document, load it, and go on signing with the old
//! one whenever the new one cannot be used. These types are that loop, once:
//!
//! - the value in force sits behind an atomic pointer swap (`arc-swap`): a
//!   mint reads it without a lock and never waits for a reload;
//! - a background thread (a plain `std` thread: this is a synchronous
//!   library and needs no async runtime) reads the source every interval;
//!   [`reload_now`](ReloadingKeyring::reload_now) does the same at once;
//! - a change is noticed by the document's content (its SHA-256), not by a
//!   file's mtime, which a Kubernetes `..data` swap, `mv` or a restore from
//!   backup need not change;
//! - a reload that fails (an unreadable or half-written file, an invalid
//!   document, another account, a document older than the one in force)
//!   keeps what is in force, is recorded ([`ReloadStatus::last_error`]) and
//!   is tried again at the next interval. Nothing here panics, and a source
//!   whose first load fails is never built, so it never serves nothing.
//!
//! # Files
//!
//! A file is opened by its path at every reload, so every way of replacing
//! it is seen: written in place, renamed over (editors, `mv`), or the
//! kubelet's Secret volume, where `ring.json` is a link to
//! `..data/ring.json` and `..data` a link to a timestamped directory that
//! is swapped for a new one with an atomic rename. A half-written file
//! fails to parse and is retried; the kubelet's and `mv`'s swaps are
//! atomic, so they never show one.

use std::fmt;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};
use std::sync::mpsc::{self, RecvTimeoutError};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use arc_swap::ArcSwap;
use time::OffsetDateTime;
use zeroize::Zeroizing;

use crate::claims::TokenOptions;
use crate::error::{Error, ErrorKind};
use crate::ids::{AccountId, KeyId, VideoId};
use crate::key::SigningKey;
use crate::keyring::{KEYRING_FILE_LIMIT, Keyring, KeyringSigner};
use crate::signer::Signer;
use crate::source::TokenSource;
use crate::token::Token;
use crate::verify::Verifier;

/// How often a reloading source reads its source by default: 60 seconds.
pub const DEFAULT_RELOAD_INTERVAL: Duration = Duration::from_secs(60);

/// The largest single key a [`ReloadingKey`] reads: 1 MiB (the largest key
/// form, a create-key answer for an 8192-bit key, is under 32 KiB).
const KEY_FILE_LIMIT: u64 = 1 << 20;

/// What a closure source returns: the document, or the caller's own error.
pub type SourceResult = Result<String, Box<dyn std::error::Error + Send + Sync + 'static>>;

type SourceFn = dyn Fn() -> SourceResult + Send + Sync;

/// Where a reloading source reads its document (or key) from, at every
/// reload.
///
/// ```
/// use cf_stream_token::SecretSource;
///
/// let file = SecretSource::file("/etc/stream/ring.json");
/// assert_eq!(file.name(), "file /etc/stream/ring.json");
///
/// // A secret store's client call, without this crate depending on its SDK.
/// let vault = SecretSource::from_fn("vault secret/stream/ring", || {
///     Ok(std::fs::read_to_string("/run/vault-agent/ring.json")?)
/// });
/// assert_eq!(vault.name(), "vault secret/stream/ring");
/// ```
pub struct SecretSource {
    inner: Inner,
    name: String,
}

enum Inner {
    File(PathBuf),
    Env(String),
    Fn(Box<SourceFn>),
}

impl fmt::Debug for SecretSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("SecretSource").field(&self.name).finish()
    }
}

impl SecretSource {
    /// A file, opened by its path at every reload (links followed, so a
    /// Kubernetes Secret volume's `..data` swap is seen).
    pub fn file(path: impl AsRef<Path>) -> SecretSource {
        let path = path.as_ref().to_path_buf();
        SecretSource {
            name: format!("file {}", path.display()),
            inner: Inner::File(path),
        }
    }

    /// An environment variable holding the document itself, read at every
    /// reload.
    pub fn env(var: impl Into<String>) -> SecretSource {
        let var = var.into();
        SecretSource {
            name: format!("env {var}"),
            inner: Inner::Env(var),
        }
    }

    /// The file named by `{var}_FILE` when that is set (the Docker and
    /// Kubernetes convention for secrets), else the variable `var` itself:
    /// `SecretSource::env_or_file("CF_STREAM_KEYRING")` reads
    /// `CF_STREAM_KEYRING_FILE` or `CF_STREAM_KEYRING`. Which one is
    /// decided now, once.
    pub fn env_or_file(var: &str) -> SecretSource {
        Self::env_or_file_with(var, |name| std::env::var(name).ok())
    }

    /// [`env_or_file`](Self::env_or_file) with the environment given as a
    /// function; an unset or empty `{var}_FILE` means the variable itself.
    pub fn env_or_file_with(var: &str, env: impl Fn(&str) -> Option<String>) -> SecretSource {
        match env(&format!("{var}_FILE")).filter(|p| !p.trim().is_empty()) {
            Some(path) => SecretSource::file(path.trim()),
            None => SecretSource::env(var),
        }
    }

    /// Any call that returns the document: a Secrets Manager or Vault
    /// client, an HTTP fetch. `name` labels it in errors, status and
    /// telemetry (never put a secret in it). The closure's errors are kept
    /// as the [`source`](std::error::Error::source) of
    /// [`ErrorKind::SecretSourceFailed`]: keep secrets out of them too. A
    /// panic in it is caught and reported like an error.
    pub fn from_fn(
        name: impl Into<String>,
        f: impl Fn() -> SourceResult + Send + Sync + 'static,
    ) -> SecretSource {
        SecretSource {
            name: name.into(),
            inner: Inner::Fn(Box::new(f)),
        }
    }

    /// What the source is, for people: `file <path>`, `env <variable>` or
    /// the closure's label.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The source's kind: `"file"`, `"env"` or `"fn"`.
    pub fn kind(&self) -> &'static str {
        match self.inner {
            Inner::File(_) => "file",
            Inner::Env(_) => "env",
            Inner::Fn(_) => "fn",
        }
    }

    /// The bytes, at most `what`'s limit, a file's failures worded for
    /// what is read (key or keyring).
    fn read(&self, what: What) -> Result<Zeroizing<Vec<u8>>, Error> {
        let failed = || -> Error {
            ErrorKind::SecretSourceFailed {
                source_name: self.name.clone(),
            }
            .into()
        };
        let bytes = match &self.inner {
            Inner::File(path) => read_file(path, what.limit()).map_err(|e| what.file_error(&e))?,
            Inner::Env(var) => {
                let value = Zeroizing::new(std::env::var(var).map_err(|_| failed())?);
                Zeroizing::new(value.as_bytes().to_vec())
            }
            Inner::Fn(f) => match catch_unwind(AssertUnwindSafe(f)) {
                Ok(Ok(text)) => Zeroizing::new(text.into_bytes()),
                Ok(Err(e)) => {
                    return Err(Error::with_shared_source(
                        ErrorKind::SecretSourceFailed {
                            source_name: self.name.clone(),
                        },
                        Arc::from(e),
                    ));
                }
                Err(_) => return Err(failed()),
            },
        };
        if bytes.len() as u64 > what.limit() {
            return Err(what.too_large());
        }
        Ok(bytes)
    }
}

/// A whole file of at most `limit` bytes (one more is read, to tell a
/// file at the limit from a larger one), into a buffer sized up front that
/// is zeroized when dropped. `files::read_bounded` does the same, but lives
/// under feature `api`.
fn read_file(path: &Path, limit: u64) -> std::io::Result<Zeroizing<Vec<u8>>> {
    use std::io::Read as _;
    let file = std::fs::File::open(path)?;
    let size = file.metadata().map_or(0, |m| m.len()).min(limit);
    let mut bytes = Zeroizing::new(Vec::with_capacity(usize::try_from(size).unwrap_or(0) + 1));
    file.take(limit + 1).read_to_end(&mut bytes)?;
    Ok(bytes)
}

/// What a source holds: its bounds and the errors of its file.
#[derive(Clone, Copy)]
enum What {
    Keyring,
    Key,
}

impl What {
    fn limit(self) -> u64 {
        match self {
            What::Keyring => KEYRING_FILE_LIMIT,
            What::Key => KEY_FILE_LIMIT,
        }
    }

    fn too_large(self) -> Error {
        match self {
            What::Keyring => ErrorKind::KeyringFileTooLarge.into(),
            What::Key => ErrorKind::KeyFileTooLarge.into(),
        }
    }

    fn file_error(self, e: &std::io::Error) -> Error {
        match self {
            What::Keyring => ErrorKind::KeyringFileUnreadable { io: e.kind() }.into(),
            What::Key => ErrorKind::KeyFileUnreadable { io: e.kind() }.into(),
        }
    }
}

/// The SHA-256 of a document (or key) as read: what tells one document
/// from another. `Display` and `Debug` show it in lowercase hex; it reveals
/// nothing of the keys.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct DocumentDigest([u8; 32]);

impl DocumentDigest {
    fn of(bytes: &[u8]) -> DocumentDigest {
        let d = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, bytes);
        let mut out = [0; 32];
        out.copy_from_slice(d.as_ref());
        DocumentDigest(out)
    }

    /// The digest of `document` (the bytes as the source holds them), to
    /// compare with [`ReloadStatus::digest`] after a publication.
    pub fn of_document(document: impl AsRef<[u8]>) -> DocumentDigest {
        DocumentDigest::of(document.as_ref())
    }

    /// The 32 bytes.
    pub fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }
}

impl fmt::Display for DocumentDigest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.iter().try_for_each(|b| write!(f, "{b:02x}"))
    }
}

impl fmt::Debug for DocumentDigest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "DocumentDigest({self})")
    }
}

/// A failed reload: when, and why (errors never show key material).
#[derive(Clone, Debug)]
pub struct ReloadFailure {
    at: OffsetDateTime,
    error: Error,
}

impl ReloadFailure {
    /// When the reload failed.
    pub fn at(&self) -> OffsetDateTime {
        self.at
    }

    /// Why.
    pub fn error(&self) -> &Error {
        &self.error
    }
}

/// What a reloading source holds, and how its reloads went.
#[derive(Clone, Debug)]
pub struct ReloadStatus {
    source: String,
    kid: KeyId,
    serial: Option<u64>,
    digest: DocumentDigest,
    loaded_at: OffsetDateTime,
    checked_at: OffsetDateTime,
    last_error: Option<ReloadFailure>,
    consecutive_failures: u32,
    reloads: u64,
}

impl ReloadStatus {
    /// The source's name ([`SecretSource::name`]).
    pub fn source(&self) -> &str {
        &self.source
    }

    /// The id of the key that signs now.
    pub fn kid(&self) -> &KeyId {
        &self.kid
    }

    /// The serial of the ring in force ([`Keyring::serial`]); `None` for a
    /// single key.
    pub fn serial(&self) -> Option<u64> {
        self.serial
    }

    /// The digest of the document (or key) in force.
    pub fn digest(&self) -> DocumentDigest {
        self.digest
    }

    /// When the value in force was loaded.
    pub fn loaded_at(&self) -> OffsetDateTime {
        self.loaded_at
    }

    /// When the source was last read, whatever came of it.
    pub fn checked_at(&self) -> OffsetDateTime {
        self.checked_at
    }

    /// The failure of the last reload, when it failed; `None` once a
    /// reload succeeds again (finding the document unchanged is a success).
    pub fn last_error(&self) -> Option<&ReloadFailure> {
        self.last_error.as_ref()
    }

    /// How many reloads in a row have failed.
    pub fn consecutive_failures(&self) -> u32 {
        self.consecutive_failures
    }

    /// How many times a new document (or key) was taken, the first load
    /// included.
    pub fn reloads(&self) -> u64 {
        self.reloads
    }
}

/// A health endpoint's body: `{"kid", "serial", "digest", "loaded_at",
/// "checked_at", "reloads", "consecutive_failures", "last_error"}`, the
/// times in RFC 3339, the digest in hex, `serial` `null` for a single key
/// and `last_error` the failure's message or `null`. The source's name
/// (it may be a path) and key material are left out.
///
/// ```
/// # #[cfg(not(target_arch = "wasm32"))] {
/// use cf_stream_token::ServiceKeys;
///
/// let key = include_str!("../fixtures/demo/demo_create_result.json");
/// let keys = ServiceKeys::from_env_with(|name| (name == "CF_STREAM_SIGNING_KEY").then(|| key.to_owned()))?;
/// let health = serde_json::to_value(keys.status()).unwrap();
/// assert_eq!(health["kid"], keys.status().kid().as_str());
/// assert!(health["last_error"].is_null());
/// # }
/// # Ok::<(), cf_stream_token::Error>(())
/// ```
impl serde::Serialize for ReloadStatus {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::{Error as _, SerializeStruct as _};
        let rfc3339 = |t: OffsetDateTime| {
            t.format(&time::format_description::well_known::Rfc3339)
                .map_err(S::Error::custom)
        };
        let mut out = s.serialize_struct("ReloadStatus", 8)?;
        out.serialize_field("kid", self.kid.as_str())?;
        out.serialize_field("serial", &self.serial)?;
        out.serialize_field("digest", &self.digest.to_string())?;
        out.serialize_field("loaded_at", &rfc3339(self.loaded_at)?)?;
        out.serialize_field("checked_at", &rfc3339(self.checked_at)?)?;
        out.serialize_field("reloads", &self.reloads)?;
        out.serialize_field("consecutive_failures", &self.consecutive_failures)?;
        let last_error = self.last_error.as_ref().map(|f| f.error.to_string());
        out.serialize_field("last_error", &last_error)?;
        out.end()
    }
}

/// What one reload did.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub enum ReloadOutcome {
    /// The source holds what is in force already (same digest).
    Unchanged,
    /// A new document (or key) is in force.
    Replaced {
        /// The key that signed before.
        old_kid: KeyId,
        /// The key that signs now.
        kid: KeyId,
    },
    /// The reload failed; what was in force stays.
    Failed(Error),
}

impl ReloadOutcome {
    /// `"unchanged"`, `"replaced"` or `"failed"`.
    pub fn as_str(&self) -> &'static str {
        match self {
            ReloadOutcome::Unchanged => "unchanged",
            ReloadOutcome::Replaced { .. } => "replaced",
            ReloadOutcome::Failed(_) => "failed",
        }
    }
}

/// What is in force: the parsed value with the digest of its bytes.
struct Loaded<T> {
    value: T,
    digest: DocumentDigest,
    loaded_at: OffsetDateTime,
}

/// What differs between a ring and a single key.
trait Held: Send + Sync + Sized + 'static {
    type Config: Send + Sync + 'static;
    const WHAT: What;
    fn parse(bytes: &[u8], config: &Self::Config) -> Result<Self, Error>;
    /// Whether `new` may replace `old`.
    fn accept(old: &Self, new: &Self, config: &Self::Config) -> Result<(), Error>;
    fn kid(&self) -> KeyId;
    fn serial(&self) -> Option<u64>;
}

struct Bookkeeping {
    checked_at: OffsetDateTime,
    last_error: Option<ReloadFailure>,
    consecutive_failures: u32,
    reloads: u64,
}

struct Engine<T: Held> {
    source: SecretSource,
    config: T::Config,
    current: ArcSwap<Loaded<T>>,
    /// Held for the whole of a reload: two reloads never race (a slow one
    /// cannot store an older document after a quick one stored a newer).
    reloading: Mutex<()>,
    /// Held only to read or write the figures, never across a source's
    /// read: a hung secret-store call does not hang `status()`.
    book: Mutex<Bookkeeping>,
}

impl<T: Held> Engine<T> {
    fn start(source: SecretSource, config: T::Config) -> Result<Engine<T>, Error> {
        let now = crate::clock::system_now();
        let bytes = source.read(T::WHAT)?;
        let value = T::parse(&bytes, &config)?;
        crate::telemetry::loaded(source.name(), &value.kid(), value.serial());
        Ok(Engine {
            current: ArcSwap::from_pointee(Loaded {
                value,
                digest: DocumentDigest::of(&bytes),
                loaded_at: now,
            }),
            source,
            config,
            reloading: Mutex::new(()),
            book: Mutex::new(Bookkeeping {
                checked_at: now,
                last_error: None,
                consecutive_failures: 0,
                reloads: 1,
            }),
        })
    }

    fn reload(&self) -> ReloadOutcome {
        let _one_at_a_time = self
            .reloading
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        let now = crate::clock::system_now();
        let result = self.try_reload(now);
        let mut book = self.book.lock().unwrap_or_else(PoisonError::into_inner);
        book.checked_at = now;
        let outcome = match result {
            Ok(outcome) => {
                book.last_error = None;
                book.consecutive_failures = 0;
                if matches!(outcome, ReloadOutcome::Replaced { .. }) {
                    book.reloads += 1;
                }
                outcome
            }
            Err(error) => {
                book.consecutive_failures = book.consecutive_failures.saturating_add(1);
                book.last_error = Some(ReloadFailure {
                    at: now,
                    error: error.clone(),
                });
                ReloadOutcome::Failed(error)
            }
        };
        // A subscriber may ask for the status: the figures are free again.
        drop(book);
        let held = self.current.load();
        crate::telemetry::reload(
            self.source.name(),
            outcome.as_str(),
            &held.value.kid(),
            held.value.serial(),
            match &outcome {
                ReloadOutcome::Failed(e) => Some(e),
                _ => None,
            },
        );
        outcome
    }

    fn try_reload(&self, now: OffsetDateTime) -> Result<ReloadOutcome, Error> {
        let bytes = self.source.read(T::WHAT)?;
        let digest = DocumentDigest::of(&bytes);
        let old = self.current.load_full();
        if old.digest == digest {
            return Ok(ReloadOutcome::Unchanged);
        }
        let value = T::parse(&bytes, &self.config)?;
        T::accept(&old.value, &value, &self.config)?;
        let outcome = ReloadOutcome::Replaced {
            old_kid: old.value.kid(),
            kid: value.kid(),
        };
        self.current.store(Arc::new(Loaded {
            value,
            digest,
            loaded_at: now,
        }));
        Ok(outcome)
    }

    fn status(&self) -> ReloadStatus {
        let book = self.book.lock().unwrap_or_else(PoisonError::into_inner);
        let held = self.current.load();
        ReloadStatus {
            source: self.source.name().to_owned(),
            kid: held.value.kid(),
            serial: held.value.serial(),
            digest: held.digest,
            loaded_at: held.loaded_at,
            checked_at: book.checked_at,
            last_error: book.last_error.clone(),
            consecutive_failures: book.consecutive_failures,
            reloads: book.reloads,
        }
    }
}

/// The first load of `source`, then (with `background`) the thread that
/// reloads it every `interval`: how both reloading sources start.
fn launch<T: Held>(
    source: SecretSource,
    config: T::Config,
    interval: Duration,
    background: bool,
) -> Result<(Arc<Engine<T>>, Option<Worker>), Error> {
    if interval.is_zero() {
        return Err(ErrorKind::InvalidConfig {
            what: "reload interval: more than zero",
        }
        .into());
    }
    let engine = Arc::new(Engine::<T>::start(source, config)?);
    let worker = background
        .then(|| Worker::spawn(&engine, interval))
        .transpose()?;
    Ok((engine, worker))
}

/// The background reloader: a thread that reloads every interval and ends
/// when its owner is dropped (the channel's sender with it).
struct Worker {
    _stop: mpsc::Sender<()>,
}

impl Worker {
    fn spawn<T: Held>(engine: &Arc<Engine<T>>, interval: Duration) -> Result<Worker, Error> {
        let (stop, stopped) = mpsc::channel::<()>();
        // Weak: the thread must not keep the ring alive after its owner is gone.
        let engine = Arc::downgrade(engine);
        std::thread::Builder::new()
            .name("cf-stream-token-reload".into())
            .spawn(move || {
                loop {
                    match stopped.recv_timeout(interval) {
                        Err(RecvTimeoutError::Timeout) => {}
                        Ok(()) | Err(RecvTimeoutError::Disconnected) => return,
                    }
                    let Some(engine) = engine.upgrade() else {
                        return;
                    };
                    engine.reload();
                }
            })
            .map_err(|_| Error::from(ErrorKind::ReloadThreadUnavailable))?;
        Ok(Worker { _stop: stop })
    }
}

/// The ring in force and what is derived from it once per load.
struct Ring {
    ring: Keyring,
    signer: KeyringSigner,
    verifier: Verifier,
}

impl Held for Ring {
    type Config = Option<AccountId>;
    const WHAT: What = What::Keyring;

    fn parse(bytes: &[u8], account: &Option<AccountId>) -> Result<Ring, Error> {
        let text = std::str::from_utf8(bytes).map_err(|_| ErrorKind::InvalidKeyring {
            reason: "the document is not UTF-8",
        })?;
        if text.trim().is_empty() {
            return Err(ErrorKind::InvalidKeyring {
                reason: "the document is empty",
            }
            .into());
        }
        let ring = Keyring::from_document(text)?;
        if let (Some(account), Some(_)) = (account, ring.account_id()) {
            ring.check_account(account)?;
        }
        Ok(Ring {
            signer: ring.signer(),
            verifier: ring.verifier(),
            ring,
        })
    }

    fn accept(old: &Ring, new: &Ring, _: &Option<AccountId>) -> Result<(), Error> {
        if new.ring.serial() < old.ring.serial() {
            return Err(ErrorKind::KeyringOlderThanInForce {
                in_force: old.ring.serial(),
                offered: new.ring.serial(),
            }
            .into());
        }
        if let Some(account) = old.ring.account_id() {
            new.ring.check_account(account).map_err(|_| {
                Error::from(ErrorKind::KeyringAccountMismatch {
                    ring: new
                        .ring
                        .account_id()
                        .map(ToString::to_string)
                        .unwrap_or_default(),
                    given: account.to_string(),
                })
            })?;
        }
        Ok(())
    }

    fn kid(&self) -> KeyId {
        *self.signer.kid()
    }

    fn serial(&self) -> Option<u64> {
        Some(self.ring.serial())
    }
}

/// A keyring that reloads itself: a [`TokenSource`] that signs with the
/// current key of the ring in force, keeping that ring's maximum token
/// lifetime, while a background thread reads the document again every
/// interval (see [the module](crate::reload)).
///
/// A reload is refused, and the ring in force kept, when the document
/// cannot be read, does not parse or breaks a ring's invariants, names
/// another account than the ring in force (or than
/// [`ReloadingKeyringBuilder::account`]), or has a lower
/// [`serial`](Keyring::serial) than the ring in force.
///
/// ```
/// use std::time::Duration;
/// use cf_stream_token::{ReloadingKeyring, SecretSource, TokenOptions, TokenSource, VideoId};
///
/// # let dir = std::env::temp_dir().join(format!("cfst-doc-{}", std::process::id()));
/// # std::fs::create_dir_all(&dir).unwrap();
/// # let path = dir.join("ring.json");
/// # let ring = cf_stream_token::Keyring::start_at(
/// #     cf_stream_token::time::macros::datetime!(2026-11-22 12:00 UTC),
/// #     include_str!("../fixtures/demo/demo_create_result.json"))?;
/// # std::fs::write(&path, ring.secret_document()?.as_bytes()).unwrap();
/// let ring = ReloadingKeyring::builder(SecretSource::file(&path))
///     .interval(Duration::from_secs(30))
///     .start()?;
/// let video: VideoId = "ea95132c15732412d22c1476fa83f27a".parse()?;
/// let token = ring.mint(&video, &TokenOptions::default())?;
/// assert_eq!(token.kid(), ring.status().kid());
/// # std::fs::remove_dir_all(&dir).unwrap();
/// # Ok::<(), cf_stream_token::Error>(())
/// ```
pub struct ReloadingKeyring {
    engine: Arc<Engine<Ring>>,
    _worker: Option<Worker>,
}

impl fmt::Debug for ReloadingKeyring {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let held = self.engine.current.load();
        f.debug_struct("ReloadingKeyring")
            .field("source", &self.engine.source.name())
            .field("kid", &held.value.signer.kid().as_str())
            .field("serial", &held.value.ring.serial())
            .finish_non_exhaustive()
    }
}

/// Builds a [`ReloadingKeyring`].
#[derive(Debug)]
pub struct ReloadingKeyringBuilder {
    source: SecretSource,
    interval: Duration,
    account: Option<AccountId>,
    background: bool,
}

impl ReloadingKeyringBuilder {
    /// How often the source is read (default
    /// [`DEFAULT_RELOAD_INTERVAL`], 60 s). The fleet's reload bound
    /// ([`Keyring::set_reload_bound`]) is at least this plus any cache in
    /// front of the source.
    pub fn interval(mut self, interval: Duration) -> Self {
        self.interval = interval;
        self
    }

    /// The Cloudflare account the ring must hold keys of: a document that
    /// records another is refused (at the first load too).
    pub fn account(mut self, account: AccountId) -> Self {
        self.account = Some(account);
        self
    }

    /// Whether a background thread reloads every interval (default: yes).
    /// Without it, the ring changes only on
    /// [`reload_now`](ReloadingKeyring::reload_now): for tests, or for a
    /// service that drives reloads from its own scheduler.
    pub fn background(mut self, background: bool) -> Self {
        self.background = background;
        self
    }

    /// Load the ring now and start reloading it.
    ///
    /// # Errors
    /// Those of the first load (a reloading source never starts empty):
    /// the file's ([`ErrorKind::KeyringFileUnreadable`],
    /// [`ErrorKind::KeyringFileTooLarge`]), a source's
    /// ([`ErrorKind::SecretSourceFailed`]), the document's
    /// ([`Keyring::from_document`]), [`ErrorKind::KeyringAccountMismatch`],
    /// [`ErrorKind::InvalidConfig`] for a zero interval and
    /// [`ErrorKind::ReloadThreadUnavailable`].
    pub fn start(self) -> Result<ReloadingKeyring, Error> {
        let (engine, worker) =
            launch::<Ring>(self.source, self.account, self.interval, self.background)?;
        Ok(ReloadingKeyring {
            engine,
            _worker: worker,
        })
    }
}

impl ReloadingKeyring {
    /// A builder reading `source`.
    pub fn builder(source: SecretSource) -> ReloadingKeyringBuilder {
        ReloadingKeyringBuilder {
            source,
            interval: DEFAULT_RELOAD_INTERVAL,
            account: None,
            background: true,
        }
    }

    /// The ring from `CF_STREAM_KEYRING_FILE` (a path) or, when that is
    /// unset, `CF_STREAM_KEYRING` (the document), reloaded every
    /// `interval`.
    ///
    /// # Errors
    /// As [`ReloadingKeyringBuilder::start`].
    pub fn from_env(interval: Duration) -> Result<ReloadingKeyring, Error> {
        Self::builder(SecretSource::env_or_file(crate::keyring::KEYRING_ENV))
            .interval(interval)
            .start()
    }

    /// Read the source now, and take its document if it is new and valid.
    /// Never fails: a failure is the outcome, and is kept in
    /// [`status`](Self::status) until a reload succeeds.
    pub fn reload_now(&self) -> ReloadOutcome {
        self.engine.reload()
    }

    /// What is in force and how the reloads went.
    pub fn status(&self) -> ReloadStatus {
        self.engine.status()
    }

    /// The ring in force, as loaded: read it, verify with it, sign with it
    /// (the snapshot stays as it is while reloads go on).
    pub fn snapshot(&self) -> RingSnapshot {
        RingSnapshot(self.engine.current.load_full())
    }
}

impl TokenSource for ReloadingKeyring {
    fn mint_at(
        &self,
        now: OffsetDateTime,
        video: &VideoId,
        opts: &TokenOptions,
    ) -> Result<Token, Error> {
        self.engine
            .current
            .load()
            .value
            .signer
            .mint_at(now, video, opts)
    }
}

/// One ring as a [`ReloadingKeyring`] loaded it.
pub struct RingSnapshot(Arc<Loaded<Ring>>);

impl fmt::Debug for RingSnapshot {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RingSnapshot")
            .field("ring", &self.0.value.ring)
            .field("digest", &self.0.digest)
            .finish_non_exhaustive()
    }
}

impl RingSnapshot {
    /// The ring.
    pub fn ring(&self) -> &Keyring {
        &self.0.value.ring
    }

    /// Its signer (cheap to clone).
    pub fn signer(&self) -> &KeyringSigner {
        &self.0.value.signer
    }

    /// Its verifier: accepts a token of any key of this ring.
    pub fn verifier(&self) -> &Verifier {
        &self.0.value.verifier
    }

    /// The digest of its document.
    pub fn digest(&self) -> DocumentDigest {
        self.0.digest
    }

    /// When it was loaded.
    pub fn loaded_at(&self) -> OffsetDateTime {
        self.0.loaded_at
    }
}

impl Held for Signer {
    type Config = Option<KeyId>;
    const WHAT: What = What::Key;

    fn parse(bytes: &[u8], kid: &Option<KeyId>) -> Result<Signer, Error> {
        let text = std::str::from_utf8(bytes).map_err(|_| ErrorKind::NotAKey)?;
        Ok(Signer::new(SigningKey::parse(text.trim(), *kid)?))
    }

    fn accept(_: &Signer, _: &Signer, _: &Option<KeyId>) -> Result<(), Error> {
        Ok(())
    }

    fn kid(&self) -> KeyId {
        *Signer::kid(self)
    }

    fn serial(&self) -> Option<u64> {
        None
    }
}

/// One signing key that reloads itself: a [`TokenSource`] over the key a
/// file (`CF_STREAM_SIGNING_KEY_FILE`), a variable or a closure holds,
/// read again every interval, as [`ReloadingKeyring`] reads a ring. A key
/// that does not load keeps the one in force.
///
/// A single key has no next state: a fleet changing it signs with the new
/// key on some instances while Cloudflare already has it, and the old one
/// must stay at Cloudflare until its tokens expire. The ring does that
/// bookkeeping; this type is for the simpler setups.
pub struct ReloadingKey {
    engine: Arc<Engine<Signer>>,
    _worker: Option<Worker>,
}

impl fmt::Debug for ReloadingKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let held = self.engine.current.load();
        f.debug_struct("ReloadingKey")
            .field("source", &self.engine.source.name())
            .field("kid", &held.value.kid().as_str())
            .finish_non_exhaustive()
    }
}

/// Builds a [`ReloadingKey`].
#[derive(Debug)]
pub struct ReloadingKeyBuilder {
    source: SecretSource,
    interval: Duration,
    kid: Option<KeyId>,
    background: bool,
}

impl ReloadingKeyBuilder {
    /// How often the source is read (default 60 s).
    pub fn interval(mut self, interval: Duration) -> Self {
        self.interval = interval;
        self
    }

    /// The key id, for the forms that carry none (PEM, DER).
    pub fn kid(mut self, kid: KeyId) -> Self {
        self.kid = Some(kid);
        self
    }

    /// Whether a background thread reloads every interval (default: yes).
    pub fn background(mut self, background: bool) -> Self {
        self.background = background;
        self
    }

    /// Load the key now and start reloading it.
    ///
    /// # Errors
    /// Those of the first load (the file's, the source's,
    /// [`SigningKey::parse`]'s), [`ErrorKind::InvalidConfig`] for a zero
    /// interval and [`ErrorKind::ReloadThreadUnavailable`].
    pub fn start(self) -> Result<ReloadingKey, Error> {
        let (engine, worker) =
            launch::<Signer>(self.source, self.kid, self.interval, self.background)?;
        Ok(ReloadingKey {
            engine,
            _worker: worker,
        })
    }
}

impl ReloadingKey {
    /// The key from `CF_STREAM_SIGNING_KEY_FILE` (a path) or, when that is
    /// unset, `CF_STREAM_SIGNING_KEY` (the key itself), with the key id in
    /// `CF_STREAM_KEY_ID` when set (PEM and DER carry none), reloaded every
    /// `interval`.
    ///
    /// # Errors
    /// [`ErrorKind::InvalidKeyId`] for a malformed `CF_STREAM_KEY_ID`, and
    /// as [`ReloadingKeyBuilder::start`].
    pub fn from_env(interval: Duration) -> Result<ReloadingKey, Error> {
        Self::from_env_with(interval, |name| std::env::var(name).ok())
    }

    /// [`from_env`](Self::from_env) with the environment given as a
    /// function (the file's name and the key id are read from it once; a
    /// key in the variable itself is read from the process environment at
    /// every reload).
    ///
    /// # Errors
    /// As [`from_env`](Self::from_env).
    pub fn from_env_with(
        interval: Duration,
        var: impl Fn(&str) -> Option<String>,
    ) -> Result<ReloadingKey, Error> {
        let mut builder = Self::builder(SecretSource::env_or_file_with(
            crate::key::ENV_SIGNING_KEY,
            &var,
        ))
        .interval(interval);
        if let Some(kid) = var(crate::key::ENV_KEY_ID).filter(|k| !k.trim().is_empty()) {
            builder = builder.kid(KeyId::new(kid.trim())?);
        }
        builder.start()
    }

    /// A builder reading `source`.
    pub fn builder(source: SecretSource) -> ReloadingKeyBuilder {
        ReloadingKeyBuilder {
            source,
            interval: DEFAULT_RELOAD_INTERVAL,
            kid: None,
            background: true,
        }
    }

    /// Read the source now, and take its key if it is new and loads.
    pub fn reload_now(&self) -> ReloadOutcome {
        self.engine.reload()
    }

    /// What is in force and how the reloads went.
    pub fn status(&self) -> ReloadStatus {
        self.engine.status()
    }
}

impl TokenSource for ReloadingKey {
    fn mint_at(
        &self,
        now: OffsetDateTime,
        video: &VideoId,
        opts: &TokenOptions,
    ) -> Result<Token, Error> {
        self.engine.current.load().value.mint_at(now, video, opts)
    }
}
