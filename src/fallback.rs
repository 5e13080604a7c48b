//! The fallback minter: sign locally when a key is configured, otherwise ask
//! Cloudflare's token endpoint and cache what it returns.

use std::collections::HashMap;
use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

use zeroize::Zeroizing;

use crate::api::client::env_value;
use crate::api::{Client, ClientBuilder};
use crate::claims::TokenOptions;
use crate::clock::{Clock, SystemClock};
use crate::error::{Error, ErrorKind, Result};
use crate::ids::{KeyId, VideoId};
use crate::key::SigningKey;
use crate::signer::{Signer, Token};

/// Default share of a remote token's lifetime that must remain for it to be
/// handed out again.
pub const DEFAULT_MIN_REMAINING_SHARE: f64 = 0.5;

/// Default bound on cached remote tokens.
pub const DEFAULT_MAX_CACHED: usize = 10_000;

/// The one token source a web backend holds: it signs locally when a signing
/// key is configured, and otherwise has Cloudflare mint tokens through the
/// API ([`Client::create_token`]).
///
/// Remote tokens are cached per (video, options) and handed out again while
/// at least a share of their lifetime remains (default one half, see
/// [`FallbackMinterBuilder::min_remaining_share`]); concurrent requests for
/// the same entry wait for one API call instead of each making their own
/// (the API allows about 1,200 requests per 5 minutes). A remote failure is
/// returned as an error: there is no fallback to anything weaker, and no
/// cached token is served past its freshness.
///
/// Cheap to clone; `Send + Sync`.
///
/// ```no_run
/// use cf_stream_token::{FallbackMinter, TokenOptions, VideoId};
///
/// # async fn handler() -> Result<(), cf_stream_token::Error> {
/// // CF_STREAM_SIGNING_KEY (+ CF_STREAM_KEY_ID for PEM keys) to sign locally;
/// // else CLOUDFLARE_ACCOUNT_ID and CLOUDFLARE_API_TOKEN to mint remotely.
/// let minter = FallbackMinter::from_env()?;
/// let video: VideoId = "ea95132c15732412d22c1476fa83f27a".parse()?;
/// let token = minter.mint(&video, &TokenOptions::default()).await?;
/// println!("https://customer-abc123.cloudflarestream.com/{token}/iframe");
/// # Ok(())
/// # }
/// ```
#[derive(Clone)]
pub struct FallbackMinter {
    inner: Arc<Inner>,
}

struct Inner {
    mode: Mode,
    clock: Arc<dyn Clock>,
}

enum Mode {
    Local(Signer),
    Remote(Remote),
}

impl fmt::Debug for FallbackMinter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.inner.mode {
            Mode::Local(signer) => f
                .debug_struct("FallbackMinter")
                .field("local", signer)
                .finish_non_exhaustive(),
            Mode::Remote(remote) => f
                .debug_struct("FallbackMinter")
                .field("remote", &remote.client)
                .field("min_remaining_share", &remote.min_remaining_share)
                .finish_non_exhaustive(),
        }
    }
}

impl FallbackMinter {
    /// Configure a minter.
    pub fn builder() -> FallbackMinterBuilder {
        FallbackMinterBuilder {
            signer: None,
            client: None,
            clock: Arc::new(SystemClock),
            min_remaining_share: DEFAULT_MIN_REMAINING_SHARE,
            max_cached: DEFAULT_MAX_CACHED,
        }
    }

    /// A minter configured from the process environment; see
    /// [`FallbackMinterBuilder::from_env_with`].
    ///
    /// # Errors
    /// As [`FallbackMinterBuilder::from_env_with`].
    pub fn from_env() -> Result<Self> {
        FallbackMinterBuilder::from_env()?.build()
    }

    /// Whether tokens are signed locally (a key is configured).
    pub fn is_local(&self) -> bool {
        matches!(self.inner.mode, Mode::Local(_))
    }

    /// The local signer, when a key is configured.
    pub fn signer(&self) -> Option<&Signer> {
        match &self.inner.mode {
            Mode::Local(signer) => Some(signer),
            Mode::Remote(_) => None,
        }
    }

    /// The API client, when tokens are minted remotely.
    pub fn client(&self) -> Option<&Client> {
        match &self.inner.mode {
            Mode::Local(_) => None,
            Mode::Remote(remote) => Some(&remote.client),
        }
    }

    /// A token for `video` as of the minter's clock: signed locally (one RSA
    /// signature, no I/O), or from the cache, or from Cloudflare.
    ///
    /// # Errors
    /// The policy errors of [`TokenOptions`] (the 24-hour cap, ...) in both
    /// modes, before any request; when remote, the errors of
    /// [`Client::create_token_at`]. Callers that waited for the same API
    /// call as a failing one get the same [`ErrorKind`] and API details.
    pub async fn mint(&self, video: &VideoId, opts: &TokenOptions) -> Result<Token> {
        let clock = &*self.inner.clock;
        match &self.inner.mode {
            Mode::Local(signer) => signer.mint_at(clock.now(), video, opts),
            Mode::Remote(remote) => remote.mint(clock, video, opts).await,
        }
    }
}

/// Configures a [`FallbackMinter`].
#[must_use]
pub struct FallbackMinterBuilder {
    signer: Option<Signer>,
    client: Option<Client>,
    clock: Arc<dyn Clock>,
    min_remaining_share: f64,
    max_cached: usize,
}

impl fmt::Debug for FallbackMinterBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FallbackMinterBuilder")
            .field("signer", &self.signer)
            .field("client", &self.client)
            .field("min_remaining_share", &self.min_remaining_share)
            .field("max_cached", &self.max_cached)
            .finish_non_exhaustive()
    }
}

impl FallbackMinterBuilder {
    /// From the process environment; see [`FallbackMinterBuilder::from_env_with`].
    ///
    /// # Errors
    /// As [`FallbackMinterBuilder::from_env_with`].
    pub fn from_env() -> Result<Self> {
        Self::from_env_with(|name| std::env::var(name).ok())
    }

    /// Read the configuration through `var`. When `CF_STREAM_SIGNING_KEY`
    /// is set (any form [`SigningKey::parse`] reads; `CF_STREAM_KEY_ID` gives
    /// the key id, required for PEM and DER), tokens are signed locally and
    /// no API variable is needed. Otherwise the API client is configured by
    /// [`ClientBuilder::from_env_with`] (`CLOUDFLARE_ACCOUNT_ID`,
    /// `CLOUDFLARE_API_TOKEN` or `CLOUDFLARE_EMAIL` + `CLOUDFLARE_API_KEY`,
    /// optional `CLOUDFLARE_BASE_URL`).
    ///
    /// A key that is set but unreadable is an error, not a reason to go
    /// remote.
    ///
    /// # Errors
    /// The key-loading errors of [`SigningKey::parse`],
    /// [`ErrorKind::InvalidKeyId`], or those of
    /// [`ClientBuilder::from_env_with`] and [`ClientBuilder::build`].
    pub fn from_env_with(var: impl Fn(&str) -> Option<String>) -> Result<Self> {
        let builder = FallbackMinter::builder();
        if let Some(key) = env_value(&var, "CF_STREAM_SIGNING_KEY").map(Zeroizing::new) {
            let kid = env_value(&var, "CF_STREAM_KEY_ID")
                .map(|k| KeyId::new(&k))
                .transpose()?;
            return Ok(builder.signing_key(SigningKey::parse(key.as_bytes(), kid)?));
        }
        Ok(builder.client(ClientBuilder::from_env_with(&var)?.build()?))
    }

    /// Sign locally with this signer. Takes precedence over any client.
    pub fn signer(mut self, signer: Signer) -> Self {
        self.signer = Some(signer);
        self
    }

    /// Sign locally with this key. Takes precedence over any client.
    pub fn signing_key(self, key: SigningKey) -> Self {
        self.signer(Signer::new(key))
    }

    /// Mint remotely through this client when no key is configured.
    pub fn client(mut self, client: Client) -> Self {
        self.client = Some(client);
        self
    }

    /// The clock for minting and for cache freshness (default the system
    /// clock). Remote tokens are requested as of this clock.
    pub fn clock(mut self, clock: impl Clock + 'static) -> Self {
        self.clock = Arc::new(clock);
        self
    }

    /// A cached remote token is handed out again while the time it has left
    /// is at least this share of its lifetime (from 0.0: until it expires,
    /// to 1.0: never reused). Default 0.5.
    pub fn min_remaining_share(mut self, share: f64) -> Self {
        self.min_remaining_share = share;
        self
    }

    /// Most (video, options) entries kept; past it, expired and then idle
    /// entries are dropped (default 10,000).
    pub fn max_cached(mut self, entries: usize) -> Self {
        self.max_cached = entries;
        self
    }

    /// Make the minter.
    ///
    /// # Errors
    /// [`ErrorKind::InvalidConfig`] when neither a key nor a client was
    /// given, or for a share outside `0.0..=1.0` or a zero cache size.
    pub fn build(self) -> Result<FallbackMinter> {
        let bad = |what| Error::from(ErrorKind::InvalidConfig { what });
        let mode = match (self.signer, self.client) {
            (Some(signer), _) => Mode::Local(signer),
            (None, Some(client)) => {
                if !(0.0..=1.0).contains(&self.min_remaining_share) {
                    return Err(bad("the remaining-lifetime share must be within 0.0..=1.0"));
                }
                if self.max_cached == 0 {
                    return Err(bad("the token cache must hold at least one entry"));
                }
                Mode::Remote(Remote {
                    client,
                    min_remaining_share: self.min_remaining_share,
                    max_cached: self.max_cached,
                    cache: Mutex::new(HashMap::new()),
                })
            }
            (None, None) => {
                return Err(bad("neither a signing key nor an API client was given"));
            }
        };
        Ok(FallbackMinter {
            inner: Arc::new(Inner {
                mode,
                clock: self.clock,
            }),
        })
    }
}

struct Remote {
    client: Client,
    min_remaining_share: f64,
    max_cached: usize,
    cache: Mutex<HashMap<(VideoId, TokenOptions), Arc<Entry>>>,
}

/// One (video, options) entry. The async mutex makes callers queue behind
/// the one API call in flight; `finished` lets a queued caller tell that a
/// call completed while it waited, and take that call's outcome.
struct Entry {
    finished: AtomicU64,
    slot: tokio::sync::Mutex<Slot>,
}

struct Slot {
    finished: u64,
    last: Option<Result<Cached>>,
}

struct Cached {
    token: Token,
    /// The clock reading the token was requested at: its lifetime starts here.
    issued: i64,
}

impl Remote {
    fn fresh(&self, cached: &Cached, now: i64) -> bool {
        let remaining = cached.token.exp() - now;
        let lifetime = cached.token.exp() - cached.issued;
        remaining > 0 && remaining as f64 >= self.min_remaining_share * lifetime as f64
    }

    async fn mint(&self, clock: &dyn Clock, video: &VideoId, opts: &TokenOptions) -> Result<Token> {
        // Options the policy refuses are refused before the cache is consulted.
        opts.resolve_at(clock.now())?;
        let entry = self.entry(video, opts, clock.now().unix_timestamp());
        let ticket = entry.finished.load(Ordering::Acquire);
        let mut slot = entry.slot.lock().await;
        let now = clock.now();
        let now_secs = now.unix_timestamp();
        if slot.finished != ticket {
            // A call finished while this caller waited for it: share it.
            match &slot.last {
                Some(Ok(cached)) if cached.token.exp() > now_secs => {
                    return Ok(cached.token.clone());
                }
                Some(Err(e)) => return Err(e.clone()),
                _ => {}
            }
        }
        if let Some(Ok(cached)) = &slot.last
            && self.fresh(cached, now_secs)
        {
            return Ok(cached.token.clone());
        }
        // If this future is dropped here, the lock is released with
        // `finished` unchanged and the next caller makes the call.
        let result = self.client.create_token_at(now, video, opts).await;
        slot.finished += 1;
        entry.finished.store(slot.finished, Ordering::Release);
        match result {
            Ok(token) => {
                slot.last = Some(Ok(Cached {
                    token: token.clone(),
                    issued: now_secs,
                }));
                Ok(token)
            }
            Err(e) => {
                slot.last = Some(Err(e.clone()));
                Err(e)
            }
        }
    }

    fn entry(&self, video: &VideoId, opts: &TokenOptions, now: i64) -> Arc<Entry> {
        let mut cache = self.cache.lock().unwrap_or_else(PoisonError::into_inner);
        let key = (*video, opts.clone());
        if let Some(entry) = cache.get(&key) {
            return entry.clone();
        }
        if cache.len() >= self.max_cached {
            // An entry is in use while someone else holds its `Arc`.
            let idle = |e: &Arc<Entry>| Arc::strong_count(e) == 1 && e.slot.try_lock().is_ok();
            cache.retain(|_, e| {
                !idle(e)
                    || e.slot
                        .try_lock()
                        .is_ok_and(|s| matches!(&s.last, Some(Ok(c)) if c.token.exp() > now))
            });
            if cache.len() >= self.max_cached {
                cache.retain(|_, e| !idle(e));
            }
        }
        cache
            .entry(key)
            .or_insert_with(|| {
                Arc::new(Entry {
                    finished: AtomicU64::new(0),
                    slot: tokio::sync::Mutex::new(Slot {
                        finished: 0,
                        last: None,
                    }),
                })
            })
            .clone()
    }

    #[cfg(test)]
    fn cached_entries(&self) -> usize {
        self.cache
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::AccountId;

    fn remote(max_cached: usize) -> FallbackMinter {
        let client = Client::builder(
            AccountId::new("acct").unwrap(),
            crate::api::Credentials::api_token("t").unwrap(),
        )
        .base_url("http://127.0.0.1:9")
        .build()
        .unwrap();
        FallbackMinter::builder()
            .client(client)
            .max_cached(max_cached)
            .build()
            .unwrap()
    }

    #[test]
    fn build_refuses_nonsense() {
        let kind = |b: FallbackMinterBuilder| b.build().unwrap_err().into_kind();
        assert!(matches!(
            kind(FallbackMinter::builder()),
            ErrorKind::InvalidConfig { .. }
        ));
        let client = remote(1).client().unwrap().clone();
        for share in [-0.1, 1.1, f64::NAN] {
            assert!(matches!(
                kind(
                    FallbackMinter::builder()
                        .client(client.clone())
                        .min_remaining_share(share)
                ),
                ErrorKind::InvalidConfig { .. }
            ));
        }
    }

    #[test]
    fn cache_is_bounded_by_dropping_idle_entries() {
        let m = remote(3);
        let Mode::Remote(r) = &m.inner.mode else {
            unreachable!()
        };
        let opts = TokenOptions::default();
        for i in 0..10u8 {
            let v = VideoId::new(&format!("{:032x}", i)).unwrap();
            drop(r.entry(&v, &opts, 0));
            assert!(r.cached_entries() <= 3);
        }
        // Entries in use are never dropped.
        let held: Vec<_> = (0..5u8)
            .map(|i| {
                r.entry(
                    &VideoId::new(&format!("{:032x}", 100 + i)).unwrap(),
                    &opts,
                    0,
                )
            })
            .collect();
        assert_eq!(r.cached_entries(), 5);
        drop(held);
    }
}
