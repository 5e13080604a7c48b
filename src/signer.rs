//! The hot path: one RSA signature per token and next to nothing else
//! (native targets; wasm32 signs through WebCrypto).

use std::fmt;
use std::sync::Arc;

use time::OffsetDateTime;

use crate::claims::TokenOptions;
use crate::error::Error;
use crate::ids::{KeyId, VideoId};
use crate::key::SigningKey;
use crate::source::TokenSource;
use crate::token::{SigningInput, Token, header_b64, sig_b64_len};
use crate::verify::Verifier;

/// Mints Stream tokens from one signing key.
///
/// Everything that does not depend on the token (key parsing, the encoded
/// header) is done once in [`Signer::new`]; a mint serialises the claims,
/// base64url-encodes them and makes exactly one RS256 signature. `Signer` is
/// `Send + Sync`, and cloning it shares the key (an `Arc`), so one instance
/// serves every request thread.
///
/// ```
/// use cf_stream_token::{Signer, SigningKey, TokenOptions, VideoId};
/// use time::macros::datetime;
///
/// let key = SigningKey::parse(include_str!("../fixtures/demo/demo.jwk.json"), None)?;
/// let signer = Signer::new(key);
/// let video: VideoId = "ea95132c15732412d22c1476fa83f27a".parse()?;
/// let token = signer.mint_at(datetime!(2023-11-14 22:13:20 UTC), &video, &TokenOptions::default())?;
/// assert_eq!(token.claims().exp(), 1_700_003_600);
/// # Ok::<(), cf_stream_token::Error>(())
/// ```
#[derive(Clone)]
pub struct Signer {
    inner: Arc<Inner>,
}

struct Inner {
    key: SigningKey,
    /// base64url of `{"alg":"RS256","kid":"…"}`, made once.
    header_b64: Box<str>,
    /// Largest signature this key makes, in base64url characters.
    sig_b64_len: usize,
}

impl fmt::Debug for Signer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Signer")
            .field("kid", &self.inner.key.kid().as_str())
            .finish_non_exhaustive()
    }
}

impl From<SigningKey> for Signer {
    fn from(key: SigningKey) -> Self {
        Signer::new(key)
    }
}

/// Largest RSA modulus the backend accepts (8192 bits), in bytes.
const MAX_SIG_LEN: usize = 1024;

impl Signer {
    /// Take ownership of a parsed key and prepare the per-key parts of every
    /// token.
    pub fn new(key: SigningKey) -> Self {
        let header_b64 = header_b64(key.kid());
        let sig_b64_len = sig_b64_len(key.signature_len());
        Signer {
            inner: Arc::new(Inner {
                key,
                header_b64,
                sig_b64_len,
            }),
        }
    }

    /// The signing key's id.
    pub fn kid(&self) -> &KeyId {
        self.inner.key.kid()
    }

    /// The signing key (for its public half, or raw signatures).
    pub fn key(&self) -> &SigningKey {
        &self.inner.key
    }

    /// A verifier for this signer's tokens.
    pub fn verifier(&self) -> Verifier {
        Verifier::new(self.inner.key.public_key().clone())
    }

    /// Mint a token for `video` as of `now` (the signing clock).
    ///
    /// # Errors
    /// The policy errors of [`TokenOptions`] against `now` (24-hour cap,
    /// `exp` in the future, `nbf < exp`), or [`ErrorKind::SigningFailed`](crate::ErrorKind::SigningFailed).
    pub fn mint_at(
        &self,
        now: OffsetDateTime,
        video: &VideoId,
        opts: &TokenOptions,
    ) -> Result<Token, Error> {
        let inner = &*self.inner;
        let input = SigningInput::new(
            &inner.header_b64,
            inner.sig_b64_len,
            now,
            video,
            inner.key.kid(),
            opts,
        )?;
        let mut sig_buf = [0u8; MAX_SIG_LEN];
        let sig = &mut sig_buf[..inner.key.signature_len()];
        inner.key.sign_into(input.as_bytes(), sig)?;
        let token = input.finish(sig);
        crate::telemetry::mint(
            inner.key.kid(),
            video,
            token.exp() - now.unix_timestamp(),
            opts.access_rules().len(),
        );
        Ok(token)
    }

    /// Mint a token as of the system clock: the one place this crate reads it.
    ///
    /// # Errors
    /// As [`Signer::mint_at`].
    pub fn mint(&self, video: &VideoId, opts: &TokenOptions) -> Result<Token, Error> {
        self.mint_at(crate::clock::system_now(), video, opts)
    }
}

impl TokenSource for Signer {
    fn mint_at(
        &self,
        now: OffsetDateTime,
        video: &VideoId,
        opts: &TokenOptions,
    ) -> Result<Token, Error> {
        Signer::mint_at(self, now, video, opts)
    }
}
