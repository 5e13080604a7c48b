//! The hot path: one RSA signature per token and next to nothing else.

use std::fmt::{self, Write as _};
use std::sync::Arc;

use base64::Engine as _;
use time::OffsetDateTime;

use crate::b64::URL_SAFE_NO_PAD;
use crate::claims::{Claims, TokenOptions};
use crate::error::Error;
use crate::ids::{KeyId, VideoId};
#[cfg(not(target_arch = "wasm32"))]
use crate::key::SigningKey;
#[cfg(not(target_arch = "wasm32"))]
use crate::source::TokenSource;
#[cfg(not(target_arch = "wasm32"))]
use crate::verify::Verifier;

#[cfg(not(target_arch = "wasm32"))]
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

#[cfg(not(target_arch = "wasm32"))]
struct Inner {
    key: SigningKey,
    /// base64url of `{"alg":"RS256","kid":"…"}`, made once.
    header_b64: Box<str>,
    /// Largest signature this key makes, in base64url characters.
    sig_b64_len: usize,
}

#[cfg(not(target_arch = "wasm32"))]
impl fmt::Debug for Signer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Signer")
            .field("kid", &self.inner.key.kid().as_str())
            .finish_non_exhaustive()
    }
}

#[cfg(not(target_arch = "wasm32"))]
impl From<SigningKey> for Signer {
    fn from(key: SigningKey) -> Self {
        Signer::new(key)
    }
}

#[cfg(not(target_arch = "wasm32"))]
/// Largest RSA modulus the backend accepts (8192 bits), in bytes.
const MAX_SIG_LEN: usize = 1024;

#[cfg(not(target_arch = "wasm32"))]
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
        Ok(input.finish(sig))
    }

    /// Mint a token as of the system clock: the one place this crate reads it.
    ///
    /// # Errors
    /// As [`Signer::mint_at`].
    pub fn mint(&self, video: &VideoId, opts: &TokenOptions) -> Result<Token, Error> {
        self.mint_at(crate::clock::system_now(), video, opts)
    }
}

#[cfg(not(target_arch = "wasm32"))]
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

/// base64url of `{"alg":"RS256","kid":"…"}`: made once per key.
pub(crate) fn header_b64(kid: &KeyId) -> Box<str> {
    // Key ids are restricted to `A-Z a-z 0-9 - _`, so no JSON escaping is needed.
    let header = format!(r#"{{"alg":"RS256","kid":"{kid}"}}"#);
    URL_SAFE_NO_PAD.encode(header).into_boxed_str()
}

/// Length in base64url characters of a signature of `signature_len` bytes.
pub(crate) fn sig_b64_len(signature_len: usize) -> usize {
    signature_len.div_ceil(3) * 4
}

/// Everything of a token but its signature: the policy applied, the claims
/// serialised, `header.payload` encoded. Shared by every signer (the native
/// [`Signer`] and, on wasm32, `WebCryptoSigner`), so their tokens are byte
/// for byte the same.
pub(crate) struct SigningInput {
    /// `header.payload`, with room for `.signature`.
    compact: String,
    claims: Claims,
}

impl SigningInput {
    /// # Errors
    /// The policy errors of [`TokenOptions`] against `now`.
    pub(crate) fn new(
        header_b64: &str,
        sig_b64_len: usize,
        now: OffsetDateTime,
        video: &VideoId,
        kid: &KeyId,
        opts: &TokenOptions,
    ) -> Result<Self, Error> {
        let times = opts.resolve(now.unix_timestamp())?;
        let rules_json = opts.access_rules_json();

        let mut payload = String::with_capacity(128 + rules_json.map_or(0, str::len));
        payload.push_str(r#"{"sub":""#);
        payload.push_str(video.as_str());
        payload.push_str(r#"","kid":""#);
        payload.push_str(kid.as_str());
        // Writing integers to a String cannot fail.
        let _ = write!(payload, r#"","exp":{}"#, times.exp);
        if let Some(nbf) = times.nbf {
            let _ = write!(payload, r#","nbf":{nbf}"#);
        }
        if opts.downloadable() {
            payload.push_str(r#","downloadable":true"#);
        }
        if let Some(rules) = rules_json {
            payload.push_str(r#","accessRules":"#);
            payload.push_str(rules);
        }
        payload.push('}');

        let mut compact = String::with_capacity(
            header_b64.len() + 2 + payload.len().div_ceil(3) * 4 + sig_b64_len,
        );
        compact.push_str(header_b64);
        compact.push('.');
        URL_SAFE_NO_PAD.encode_string(payload.as_bytes(), &mut compact);

        Ok(SigningInput {
            compact,
            claims: Claims {
                video: *video,
                kid: *kid,
                exp: times.exp,
                nbf: times.nbf,
                downloadable: opts.downloadable(),
                access_rules: opts.access_rules_arc().clone(),
            },
        })
    }

    /// The bytes RS256 signs: `header.payload`.
    pub(crate) fn as_bytes(&self) -> &[u8] {
        self.compact.as_bytes()
    }

    /// The token, with `signature` appended.
    pub(crate) fn finish(mut self, signature: &[u8]) -> Token {
        self.compact.push('.');
        URL_SAFE_NO_PAD.encode_string(signature, &mut self.compact);
        Token {
            // One copy of a few hundred bytes, against an RSA signature: so
            // that a cache, or a URL set, shares the token instead.
            compact: Arc::from(self.compact),
            claims: self.claims,
        }
    }
}

/// A minted token: a bearer credential for one video until `exp`.
///
/// `Display` (and [`Token::as_str`]) give the compact JWS to put in a URL;
/// `Debug` shows the claims and redacts the signature. Cloning is cheap:
/// the compact text is shared, not copied.
#[derive(Clone, PartialEq, Eq)]
pub struct Token {
    compact: Arc<str>,
    claims: Claims,
}

impl Token {
    /// A token minted elsewhere (Cloudflare's token endpoint), with the
    /// claims read from it.
    #[cfg(feature = "api")]
    pub(crate) fn from_parts(compact: String, claims: Claims) -> Token {
        Token {
            compact: Arc::from(compact),
            claims,
        }
    }

    /// The compact JWS (`header.payload.signature`).
    pub fn as_str(&self) -> &str {
        &self.compact
    }

    /// The compact JWS, owned.
    pub fn into_string(self) -> String {
        String::from(&*self.compact)
    }

    /// The token's claims.
    pub fn claims(&self) -> &Claims {
        &self.claims
    }

    /// `sub`: the video.
    pub fn video(&self) -> &VideoId {
        self.claims.video()
    }

    /// `kid`: the signing key's id.
    pub fn kid(&self) -> &KeyId {
        self.claims.kid()
    }

    /// `exp`, unix seconds.
    pub fn exp(&self) -> i64 {
        self.claims.exp()
    }

    /// `exp` as a date-time.
    pub fn expires_at(&self) -> OffsetDateTime {
        self.claims.expires_at()
    }

    /// `nbf`, unix seconds, if present.
    pub fn nbf(&self) -> Option<i64> {
        self.claims.nbf()
    }
}

/// The compact token string: a token in a JSON answer is the string a URL
/// carries.
impl serde::Serialize for Token {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl fmt::Display for Token {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.compact)
    }
}

impl fmt::Debug for Token {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let signed_part = self
            .compact
            .rsplit_once('.')
            .map_or("", |(signed, _)| signed);
        f.debug_struct("Token")
            .field("claims", &self.claims)
            .field("jws", &format_args!("{signed_part}.<redacted>"))
            .finish()
    }
}
