//! Opt-in token reuse (feature `cache`): identical requests share one token.
//!
//! A backend that mints the same (video, options) for many viewers in the
//! same minute spends one RSA operation per viewer for byte-identical
//! authority. [`CachingSigner`] keeps minted tokens in a bounded concurrent
//! cache and hands the same token out while enough of its lifetime remains.

use std::fmt;
use std::time::Duration;

use moka::ops::compute::{CompResult, Op};
use moka::sync::Cache;
use time::OffsetDateTime;

use crate::claims::TokenOptions;
use crate::error::{Error, ErrorKind};
use crate::freshness::{
    DEFAULT_MAX_ENTRIES, DEFAULT_MIN_REMAINING_SHARE, Freshness, check_max_entries,
};
use crate::ids::VideoId;
use crate::signer::Signer;
use crate::source::TokenSource;
use crate::token::Token;

#[derive(Clone, PartialEq, Eq, Hash)]
struct Key {
    video: VideoId,
    opts: TokenOptions,
}

#[derive(Clone)]
struct Entry {
    token: Token,
    /// The signing clock the token was minted at (a bucket start).
    signed_at: i64,
}

/// A [`Signer`] with a cache in front: identical `(video, options)` requests
/// get the same token while at least a configurable share of its lifetime
/// remains, then a fresh one.
///
/// The freshness rule is the one of [`FallbackMinter`](crate::FallbackMinter)'s
/// remote cache, with the same settings ([`min_remaining_share`], default
/// [`CachingSigner::DEFAULT_MIN_REMAINING_SHARE`]; [`max_entries`], default
/// [`CachingSigner::DEFAULT_MAX_ENTRIES`]). It is a [`TokenSource`], so
/// [`PlaybackTemplate::mint`](crate::PlaybackTemplate::mint) takes it as it
/// takes a [`Signer`]; a hit hands out a clone of the cached [`Token`] (its
/// text shared, not copied).
///
/// - **Bucketed expiry.** On a miss, a token with a relative lifetime is
///   minted as of the start of the current bucket (default
///   [`CachingSigner::DEFAULT_BUCKET`]), so every replica of a service mints the
///   byte-identical token for the same request in the same bucket (RS256 is deterministic). The bucket start is never
///   after now, so the 24-hour cap still holds against the real clock.
/// - **Bounded memory.** At most `max_entries` tokens and `max_bytes` bytes
///   (least recently and least frequently used evicted first).
/// - **Per-viewer claims still work**: the options (rules included) are part
///   of the cache key, so a token with one viewer's `ip.src` rule is only ever
///   handed to requests with that same rule.
/// - Concurrent misses for one key make one signature; the others wait for it.
///
/// [`min_remaining_share`]: CachingSignerBuilder::min_remaining_share
/// [`max_entries`]: CachingSignerBuilder::max_entries
///
/// ```
/// use std::time::Duration;
/// use cf_stream_token::{CachingSigner, Signer, SigningKey, TokenOptions, VideoId};
/// use time::macros::datetime;
///
/// let signer = Signer::new(SigningKey::parse(include_str!("../fixtures/demo/demo.jwk.json"), None)?);
/// let cache = CachingSigner::builder(signer).min_remaining_share(0.5).build()?;
/// let video: VideoId = "ea95132c15732412d22c1476fa83f27a".parse()?;
/// let opts = TokenOptions::default(); // one hour
/// let a = cache.mint_at(datetime!(2026-11-22 12:00:10 UTC), &video, &opts)?;
/// let b = cache.mint_at(datetime!(2026-11-22 12:20:00 UTC), &video, &opts)?;
/// assert_eq!(a.as_str(), b.as_str()); // reused: 40 of 60 minutes left
/// let c = cache.mint_at(datetime!(2026-11-22 12:31:00 UTC), &video, &opts)?;
/// assert_ne!(a.as_str(), c.as_str()); // under half left: minted afresh
/// # Ok::<(), cf_stream_token::Error>(())
/// ```
#[cfg_attr(docsrs, doc(cfg(feature = "cache")))]
pub struct CachingSigner {
    signer: Signer,
    cache: Cache<Key, Entry>,
    freshness: Freshness,
    bucket: i64,
}

impl fmt::Debug for CachingSigner {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CachingSigner")
            .field("kid", &self.signer.kid().as_str())
            .field("min_remaining_share", &self.freshness.share())
            .field("bucket_secs", &self.bucket)
            .field("entries", &self.cache.entry_count())
            .finish_non_exhaustive()
    }
}

/// Builder for [`CachingSigner`].
#[derive(Debug)]
#[must_use]
#[cfg_attr(docsrs, doc(cfg(feature = "cache")))]
pub struct CachingSignerBuilder {
    signer: Signer,
    share: f64,
    bucket: Duration,
    max_entries: u64,
    max_bytes: u64,
}

fn invalid(what: &'static str) -> Error {
    ErrorKind::InvalidConfig { what }.into()
}

impl CachingSignerBuilder {
    /// Reuse a token while at least this share of its lifetime remains
    /// (default [`CachingSigner::DEFAULT_MIN_REMAINING_SHARE`]; in (0, 1]: 1.0 reuses a
    /// token only within the second it was minted at).
    pub fn min_remaining_share(mut self, share: f64) -> Self {
        self.share = share;
        self
    }

    /// Expiry bucket (default [`CachingSigner::DEFAULT_BUCKET`]; whole seconds, at least one).
    pub fn bucket(mut self, bucket: Duration) -> Self {
        self.bucket = bucket;
        self
    }

    /// Most tokens kept (default [`CachingSigner::DEFAULT_MAX_ENTRIES`]; at least one).
    pub fn max_entries(mut self, n: u64) -> Self {
        self.max_entries = n;
        self
    }

    /// Most bytes kept, counting each token's text and bookkeeping
    /// (default [`CachingSigner::DEFAULT_MAX_BYTES`]; at least one).
    pub fn max_bytes(mut self, n: u64) -> Self {
        self.max_bytes = n;
        self
    }

    /// Check the settings and build.
    ///
    /// # Errors
    /// [`ErrorKind::InvalidConfig`] for a share outside (0, 1], a zero or
    /// fractional bucket, or zero entries or bytes.
    pub fn build(self) -> Result<CachingSigner, Error> {
        let freshness = Freshness::new(self.share)?;
        if self.bucket.is_zero() || self.bucket.subsec_nanos() != 0 {
            return Err(invalid("bucket must be a positive whole number of seconds"));
        }
        check_max_entries(self.max_entries)?;
        if self.max_bytes == 0 {
            return Err(invalid("max_bytes must be positive"));
        }
        // One capacity bounds both: every entry weighs at least
        // max_bytes / max_entries, so no more than max_entries fit, and at
        // least its real size, so no more than max_bytes do.
        let floor = (self.max_bytes / self.max_entries).max(1);
        let cache = Cache::builder()
            .max_capacity(self.max_bytes)
            .weigher(move |key: &Key, entry: &Entry| {
                let size = entry_size(key, entry);
                u32::try_from(size.max(floor)).unwrap_or(u32::MAX)
            })
            .build();
        Ok(CachingSigner {
            signer: self.signer,
            cache,
            freshness,
            bucket: i64::try_from(self.bucket.as_secs()).unwrap_or(i64::MAX),
        })
    }
}

fn entry_size(key: &Key, entry: &Entry) -> u64 {
    let rules: usize = key.opts.access_rules_json().map_or(0, str::len);
    (std::mem::size_of::<Key>()
        + std::mem::size_of::<Entry>()
        + std::mem::size_of::<Token>()
        + entry.token.as_str().len()
        // The rules are shared through Arcs; count them per entry to stay on
        // the safe side of the bound.
        + 2 * rules) as u64
}

impl CachingSigner {
    /// Default expiry bucket.
    pub const DEFAULT_BUCKET: Duration = Duration::from_secs(60);

    /// Default bound on the bytes kept (128 MiB).
    pub const DEFAULT_MAX_BYTES: u64 = 128 * 1024 * 1024;

    /// Default share of a token's lifetime that must remain for it to be
    /// handed out again (the one of [`FallbackMinter`](crate::FallbackMinter) too).
    pub const DEFAULT_MIN_REMAINING_SHARE: f64 = DEFAULT_MIN_REMAINING_SHARE;

    /// Default bound on the tokens kept.
    pub const DEFAULT_MAX_ENTRIES: u64 = DEFAULT_MAX_ENTRIES;

    /// Start configuring a cache in front of `signer`.
    pub fn builder(signer: Signer) -> CachingSignerBuilder {
        CachingSignerBuilder {
            signer,
            share: DEFAULT_MIN_REMAINING_SHARE,
            bucket: Self::DEFAULT_BUCKET,
            max_entries: Self::DEFAULT_MAX_ENTRIES,
            max_bytes: Self::DEFAULT_MAX_BYTES,
        }
    }

    /// The signer underneath.
    pub fn signer(&self) -> &Signer {
        &self.signer
    }

    /// Tokens currently held (approximate while evictions are pending).
    pub fn entry_count(&self) -> u64 {
        self.cache.run_pending_tasks();
        self.cache.entry_count()
    }

    /// Bytes currently held, as weighed against `max_bytes` (each entry
    /// counts at least `max_bytes / max_entries`).
    pub fn weighted_bytes(&self) -> u64 {
        self.cache.run_pending_tasks();
        self.cache.weighted_size()
    }

    /// Is `e` still good to hand out at `now`? The rule of
    /// [`crate::freshness`], the 24-hour cap for this caller's clock included.
    fn fresh(&self, e: &Entry, now: i64) -> bool {
        self.freshness.is_fresh(e.signed_at, e.token.exp(), now)
    }

    /// A token for `video` with `opts` as of `now`: the cached one while at
    /// least the configured share of its lifetime remains, else a new one.
    ///
    /// # Errors
    /// As [`Signer::mint_at`].
    pub fn mint_at(
        &self,
        now: OffsetDateTime,
        video: &VideoId,
        opts: &TokenOptions,
    ) -> Result<Token, Error> {
        let now_s = now.unix_timestamp();
        let key = Key {
            video: *video,
            opts: opts.clone(),
        };
        if let Some(e) = self.cache.get(&key)
            && self.fresh(&e, now_s)
        {
            crate::telemetry::cache("hit", video);
            return Ok(e.token);
        }
        let mut failure = None;
        let result = self.cache.entry(key).and_compute_with(|existing| {
            // Another caller may have refreshed it while this one waited.
            if let Some(e) = existing
                && self.fresh(e.value(), now_s)
            {
                return Op::Nop;
            }
            match self.mint_fresh(now, now_s, video, opts) {
                Ok(entry) => Op::Put(entry),
                Err(e) => {
                    failure = Some(e);
                    Op::Nop
                }
            }
        });
        if let Some(e) = failure {
            return Err(e);
        }
        let decision = match &result {
            CompResult::Inserted(_) => "miss",
            CompResult::ReplacedWith(_) => "stale",
            // Another caller minted it while this one waited.
            _ => "coalesced",
        };
        crate::telemetry::cache(decision, video);
        match result {
            CompResult::Inserted(e) | CompResult::ReplacedWith(e) | CompResult::Unchanged(e) => {
                Ok(e.into_value().token)
            }
            CompResult::StillNone(_) | CompResult::Removed(_) => {
                unreachable!("the closure either keeps a fresh entry or puts one")
            }
        }
    }

    /// As [`CachingSigner::mint_at`], as of the system clock.
    ///
    /// # Errors
    /// As [`Signer::mint_at`].
    pub fn mint(&self, video: &VideoId, opts: &TokenOptions) -> Result<Token, Error> {
        self.mint_at(crate::clock::system_now(), video, opts)
    }

    fn mint_fresh(
        &self,
        now: OffsetDateTime,
        now_s: i64,
        video: &VideoId,
        opts: &TokenOptions,
    ) -> Result<Entry, Error> {
        if opts.lifetime_secs().is_some() {
            let start = now_s - now_s.rem_euclid(self.bucket);
            let at = OffsetDateTime::from_unix_timestamp(start)
                .map_err(|_| ErrorKind::TimeOutOfRange)?;
            let token = self.signer.mint_at(at, video, opts)?;
            let entry = Entry {
                token,
                signed_at: start,
            };
            // A bucket as long as the lifetime could yield a token already
            // past its reuse window; then sign at the real clock instead.
            if self.fresh(&entry, now_s) {
                return Ok(entry);
            }
        }
        let token = self.signer.mint_at(now, video, opts)?;
        Ok(Entry {
            token,
            signed_at: now_s,
        })
    }
}

impl TokenSource for CachingSigner {
    fn mint_at(
        &self,
        now: OffsetDateTime,
        video: &VideoId,
        opts: &TokenOptions,
    ) -> Result<Token, Error> {
        CachingSigner::mint_at(self, now, video, opts)
    }
}
