//! The fallback minter: sign locally when a key is configured, otherwise ask
//! Cloudflare's token endpoint and cache what it returns.

use std::fmt;
use std::sync::Arc;

use moka::future::Cache;
use moka::ops::compute::Op;

use super::{Client, ClientBuilder};
use crate::claims::TokenOptions;
use crate::clock::{Clock, SystemClock};
use crate::error::{Error, ErrorKind, Result};
use crate::freshness::{
    DEFAULT_MAX_ENTRIES, DEFAULT_MIN_REMAINING_SHARE, Freshness, check_max_entries,
};
use crate::ids::VideoId;
use crate::key::SigningKey;
use crate::signer::Signer;
use crate::token::Token;

/// The one token source a web backend holds: it signs locally when a signing
/// key is configured, and otherwise has Cloudflare mint tokens through the
/// API ([`Client::create_token`]).
///
/// Remote tokens are cached per (video, options) and handed out again while
/// at least a share of their lifetime remains (default
/// [`DEFAULT_MIN_REMAINING_SHARE`], see
/// [`FallbackMinterBuilder::min_remaining_share`]: the rule and settings of
/// [`CachingSigner`](crate::CachingSigner)); concurrent requests for the same
/// entry wait for one API call instead of each making their own (the API
/// allows about 1,200 requests per 5 minutes), and share its token or its
/// error. A remote failure is returned as an error: there is no fallback to
/// anything weaker, and no cached token is served past its freshness.
///
/// Cheap to clone; `Send + Sync`. It mints asynchronously, so it is not a
/// [`TokenSource`](crate::TokenSource): for playback URLs, mint with
/// [`PlaybackUrls::token_options`](crate::PlaybackUrls::token_options) and
/// pass the token to [`PlaybackUrls::with_token`](crate::PlaybackUrls::with_token)
/// (or [`PlaybackTemplate::with_token`](crate::PlaybackTemplate::with_token)),
/// which checks it fits the URLs.
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
                .field("min_remaining_share", &remote.freshness.share())
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
            max_entries: DEFAULT_MAX_ENTRIES,
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
            Mode::Local(signer) => {
                crate::telemetry::fallback("local", video);
                signer.mint_at(clock.now(), video, opts)
            }
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
    max_entries: u64,
}

impl fmt::Debug for FallbackMinterBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FallbackMinterBuilder")
            .field("signer", &self.signer)
            .field("client", &self.client)
            .field("min_remaining_share", &self.min_remaining_share)
            .field("max_entries", &self.max_entries)
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
        // The key is read where every key from the environment is read; only
        // its absence sends the minter to the API.
        match SigningKey::from_env_with(&var) {
            Ok(key) => Ok(builder.signing_key(key)),
            Err(e) if matches!(e.kind(), ErrorKind::MissingConfig { name } if *name == crate::key::ENV_SIGNING_KEY) => {
                Ok(builder.client(ClientBuilder::from_env_with(&var)?.build()?))
            }
            Err(e) => Err(e),
        }
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
    /// is at least this share of its lifetime (default
    /// [`DEFAULT_MIN_REMAINING_SHARE`]; in (0, 1]: 1.0 reuses a token only
    /// within the second it was requested at). A caller that waited for an
    /// API call gets that call's token while it is valid.
    pub fn min_remaining_share(mut self, share: f64) -> Self {
        self.min_remaining_share = share;
        self
    }

    /// Most (video, options) entries kept (default [`DEFAULT_MAX_ENTRIES`];
    /// at least one); past it, the least recently and least frequently used
    /// are evicted.
    pub fn max_entries(mut self, n: u64) -> Self {
        self.max_entries = n;
        self
    }

    /// Make the minter.
    ///
    /// # Errors
    /// [`ErrorKind::InvalidConfig`] when neither a key nor a client was
    /// given, or for a share outside (0, 1] or zero entries.
    pub fn build(self) -> Result<FallbackMinter> {
        let bad = |what| Error::from(ErrorKind::InvalidConfig { what });
        let mode = match (self.signer, self.client) {
            (Some(signer), _) => Mode::Local(signer),
            (None, Some(client)) => Mode::Remote(Remote {
                client,
                freshness: Freshness::new(self.min_remaining_share)?,
                cache: Cache::new(check_max_entries(self.max_entries)?),
            }),
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

/// The remote cache: a (video, options) pair to the token Cloudflare gave
/// for it. moka's `try_get_with` runs one API call per missing entry and
/// hands its token, or its error, to every caller waiting for that entry.
struct Remote {
    client: Client,
    freshness: Freshness,
    cache: Cache<(VideoId, TokenOptions), Arc<Cached>>,
}

struct Cached {
    token: Token,
    /// The clock reading the token was requested at: its lifetime starts here.
    issued: i64,
}

/// A waiter's copy of a shared failure. The one place an `Arc<Error>` from
/// the cache becomes an `Error` again.
fn shared_error(e: Arc<Error>) -> Error {
    Arc::try_unwrap(e).unwrap_or_else(|e| (*e).clone())
}

impl Remote {
    async fn mint(&self, clock: &dyn Clock, video: &VideoId, opts: &TokenOptions) -> Result<Token> {
        // Options the policy refuses are refused before the cache is consulted.
        opts.resolve_at(clock.now())?;
        let key = (*video, opts.clone());
        let (cached, requested) = self.get(clock, &key).await?;
        let (exp, now) = (cached.token.exp(), clock.now().unix_timestamp());
        // A token this caller requested itself is the newest it can have:
        // served while valid even if the call took more than the share
        // allows (else a slow API and a share near 1 would serve nothing).
        if requested && Freshness::is_valid(exp, now)
            || self.freshness.is_fresh(cached.issued, exp, now)
        {
            return Ok(cached.token.clone());
        }
        crate::telemetry::fallback("stale", video);
        self.forget(&key, &cached).await;
        // Whatever is there now was requested after this caller found the
        // stale entry (only a request makes an entry, and only when there is
        // none), so it counts as requested for this caller.
        let (fetched, _) = self.get(clock, &key).await?;
        if Freshness::is_valid(fetched.token.exp(), clock.now().unix_timestamp()) {
            return Ok(fetched.token.clone());
        }
        // Only a clock that jumped by more than a lifetime during the call
        // gets here: ask once more, outside the cache.
        crate::telemetry::fallback("uncached", video);
        self.client.create_token_at(clock.now(), video, opts).await
    }

    /// Drop the stale entry `stale` only if it is still the entry: a caller
    /// that saw the same stale entry a moment earlier may have replaced it
    /// already, and then this one takes the replacement (or waits for the
    /// call in flight) instead of making a second call.
    async fn forget(&self, key: &(VideoId, TokenOptions), stale: &Arc<Cached>) {
        self.cache
            .entry_by_ref(key)
            .and_compute_with(|current| {
                std::future::ready(match current {
                    Some(e) if Arc::ptr_eq(e.value(), stale) => Op::Remove,
                    _ => Op::Nop,
                })
            })
            .await;
    }

    /// The entry for `key`, requested from Cloudflare (once for all
    /// concurrent callers) when there is none; `true` when this caller's
    /// request made it.
    async fn get(
        &self,
        clock: &dyn Clock,
        key: &(VideoId, TokenOptions),
    ) -> Result<(Arc<Cached>, bool)> {
        let (video, opts) = key;
        let mut requested = false;
        let present = self.cache.contains_key(key);
        let cached = self
            .cache
            .try_get_with_by_ref(key, async {
                requested = true;
                let now = clock.now();
                let token = self.client.create_token_at(now, video, opts).await?;
                Ok(Arc::new(Cached {
                    token,
                    issued: now.unix_timestamp(),
                }))
            })
            .await
            .map_err(shared_error)?;
        // Present before the call: a hit; else this caller's request, or
        // another caller's that this one waited for.
        crate::telemetry::fallback(
            match (present, requested) {
                (_, true) => "remote",
                (true, false) => "hit",
                (false, false) => "coalesced",
            },
            video,
        );
        Ok((cached, requested))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::AccountId;

    fn remote(max_entries: u64) -> FallbackMinter {
        let client = Client::builder(
            AccountId::new("acct").unwrap(),
            crate::api::Credentials::api_token("t").unwrap(),
        )
        .base_url("http://127.0.0.1:9")
        .build()
        .unwrap();
        FallbackMinter::builder()
            .client(client)
            .max_entries(max_entries)
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
        for share in [-0.1, 0.0, 1.1, f64::NAN] {
            assert!(matches!(
                kind(
                    FallbackMinter::builder()
                        .client(client.clone())
                        .min_remaining_share(share)
                ),
                ErrorKind::InvalidConfig { .. }
            ));
        }
        assert!(matches!(
            kind(
                FallbackMinter::builder()
                    .client(client.clone())
                    .max_entries(0)
            ),
            ErrorKind::InvalidConfig { .. }
        ));
        // The bounds are those of the caching signer: 1.0 is a share.
        let one = FallbackMinter::builder()
            .client(client)
            .min_remaining_share(1.0)
            .build()
            .unwrap();
        assert!(format!("{one:?}").contains("min_remaining_share: 1.0"));
    }

    fn demo_token(video: &VideoId) -> Arc<Cached> {
        let signer = Signer::new(
            SigningKey::parse(include_str!("../../fixtures/demo/demo.jwk.json"), None).unwrap(),
        );
        let now = time::OffsetDateTime::from_unix_timestamp(1_700_000_000).unwrap();
        Arc::new(Cached {
            token: signer
                .mint_at(now, video, &TokenOptions::default())
                .unwrap(),
            issued: now.unix_timestamp(),
        })
    }

    #[tokio::test]
    async fn a_stale_entry_is_dropped_only_while_it_is_still_the_entry() {
        let m = remote(10);
        let Mode::Remote(r) = &m.inner.mode else {
            unreachable!()
        };
        let key = (
            VideoId::new(&"a".repeat(32)).unwrap(),
            TokenOptions::default(),
        );
        let stale = demo_token(&key.0);
        let replacement = demo_token(&key.0);
        // A slow caller still holds the stale entry after another caller
        // replaced it: its drop must leave the replacement alone.
        r.cache.insert(key.clone(), replacement.clone()).await;
        r.forget(&key, &stale).await;
        let kept = r.cache.get(&key).await.expect("the replacement is kept");
        assert!(Arc::ptr_eq(&kept, &replacement));
        // The caller that holds the current entry does drop it.
        r.forget(&key, &replacement).await;
        assert!(r.cache.get(&key).await.is_none());
    }

    #[tokio::test]
    async fn cache_is_bounded_by_max_entries() {
        let m = remote(3);
        let Mode::Remote(r) = &m.inner.mode else {
            unreachable!()
        };
        for i in 0..10u8 {
            let v = VideoId::new(&format!("{i:032x}")).unwrap();
            r.cache
                .insert((v, TokenOptions::default()), demo_token(&v))
                .await;
            r.cache.run_pending_tasks().await;
            assert!(r.cache.entry_count() <= 3, "{}", r.cache.entry_count());
        }
        assert!(r.cache.entry_count() >= 1);
    }
}
