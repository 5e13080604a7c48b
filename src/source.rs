//! The one seam between whatever mints tokens and whatever uses them.

use std::fmt;
use std::sync::Arc;

use time::OffsetDateTime;

use crate::claims::TokenOptions;
use crate::error::Error;
use crate::ids::VideoId;
use crate::token::Token;

/// Anything that mints a token synchronously: [`Signer`](crate::Signer),
/// [`CachingSigner`](crate::CachingSigner) (feature `cache`) and the
/// keyring's [`KeyringSigner`](crate::KeyringSigner).
///
/// [`PlaybackTemplate::mint`](crate::PlaybackTemplate::mint) and
/// [`PlaybackUrls::mint`](crate::PlaybackUrls::mint) take any of them, so a
/// service can swap a plain signer for a cache or a ring without touching its
/// handlers. A policy a source must keep (the ring's maximum token lifetime,
/// the 24-hour cap) is kept inside [`mint_at`](TokenSource::mint_at): there is
/// nothing a caller has to check first.
///
/// The trait is object safe (`&dyn TokenSource`, `Arc<dyn TokenSource>`) and
/// implemented for references, `Box` and `Arc` of any source. Sources are
/// `Send + Sync` so that one instance serves every request thread. The async
/// sources ([`FallbackMinter`](crate::FallbackMinter), and `WebCryptoSigner`
/// on wasm32) mint first and hand the finished token to
/// [`PlaybackUrls::with_token`](crate::PlaybackUrls::with_token) or
/// [`PlaybackTemplate::with_token`](crate::PlaybackTemplate::with_token).
///
/// ```
/// use std::sync::Arc;
/// use cf_stream_token::{Signer, SigningKey, TokenOptions, TokenSource, VideoId};
/// use time::macros::datetime;
///
/// let signer = Signer::new(SigningKey::parse(include_str!("../fixtures/demo/demo.jwk.json"), None)?);
/// let source: Arc<dyn TokenSource> = Arc::new(signer);
/// let video: VideoId = "ea95132c15732412d22c1476fa83f27a".parse()?;
/// let token = source.mint_at(datetime!(2023-11-14 22:13:20 UTC), &video, &TokenOptions::default())?;
/// assert_eq!(token.exp(), 1_700_003_600);
/// # Ok::<(), cf_stream_token::Error>(())
/// ```
pub trait TokenSource: fmt::Debug + Send + Sync {
    /// Mint a token for `video` with `opts` as of `now` (the signing clock).
    ///
    /// # Errors
    /// The policy errors of [`TokenOptions`] against `now` (24-hour cap,
    /// `exp` in the future, `nbf < exp`), those of the source's own policy
    /// (a keyring's [`ErrorKind::TokenOutlivesRing`](crate::ErrorKind::TokenOutlivesRing)),
    /// or [`ErrorKind::SigningFailed`](crate::ErrorKind::SigningFailed).
    fn mint_at(
        &self,
        now: OffsetDateTime,
        video: &VideoId,
        opts: &TokenOptions,
    ) -> Result<Token, Error>;

    /// Mint as of the system clock: [`mint_at`](TokenSource::mint_at) with
    /// the one reading of the clock this crate makes.
    ///
    /// # Errors
    /// As [`TokenSource::mint_at`].
    fn mint(&self, video: &VideoId, opts: &TokenOptions) -> Result<Token, Error> {
        self.mint_at(crate::clock::system_now(), video, opts)
    }
}

impl<T: TokenSource + ?Sized> TokenSource for &T {
    fn mint_at(
        &self,
        now: OffsetDateTime,
        video: &VideoId,
        opts: &TokenOptions,
    ) -> Result<Token, Error> {
        (**self).mint_at(now, video, opts)
    }
}

impl<T: TokenSource + ?Sized> TokenSource for Box<T> {
    fn mint_at(
        &self,
        now: OffsetDateTime,
        video: &VideoId,
        opts: &TokenOptions,
    ) -> Result<Token, Error> {
        (**self).mint_at(now, video, opts)
    }
}

impl<T: TokenSource + ?Sized> TokenSource for Arc<T> {
    fn mint_at(
        &self,
        now: OffsetDateTime,
        video: &VideoId,
        opts: &TokenOptions,
    ) -> Result<Token, Error> {
        (**self).mint_at(now, video, opts)
    }
}
