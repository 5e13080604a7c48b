//! Signing on wasm32 through the JS runtime's WebCrypto (Cloudflare Workers,
//! Node, browsers), where AWS-LC does not build.

use std::fmt;
use std::time::Duration;

use js_sys::{Array, ArrayBuffer, JSON, Object, Reflect, Uint8Array};
use time::OffsetDateTime;
use wasm_bindgen::{JsCast as _, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::{CryptoKey, SubtleCrypto};

use crate::claims::{Claims, TokenOptions};
use crate::error::{Error, ErrorKind};
use crate::ids::{KeyId, VideoId};
use crate::jws;
use crate::key::{PublicKey, SigningKey};
use crate::token::{SigningInput, Token, header_b64, sig_b64_len};
use crate::verify::KeySet;

const ALGORITHM: &str = "RSASSA-PKCS1-v1_5";

/// Mints Stream tokens on `wasm32-unknown-unknown` (feature `webcrypto`),
/// signing with the runtime's WebCrypto: the same [`TokenOptions`], 24-hour
/// cap, errors and bytes as the native `Signer`, only asynchronous.
///
/// [`WebCryptoSigner::new`] checks nothing the [`SigningKey`] has not
/// already checked (the same pure-Rust code as on native targets, CRT
/// consistency included) and imports the private key into WebCrypto once,
/// as a non-extractable `RSASSA-PKCS1-v1_5`/`SHA-256` key; each mint is one
/// `crypto.subtle.sign`. Build it once per isolate (for a Worker: in a
/// `OnceCell`, not per request) and share it.
///
/// Cloning shares the imported key. It is neither `Send` nor `Sync` (it
/// holds JS handles; wasm32 has one thread).
///
/// # The clock
///
/// [`WebCryptoSigner::mint`] reads `Date.now()`. In Cloudflare Workers that
/// clock does not move while a request computes, only across I/O, so every
/// token of a request is minted at one instant (the request's start or its
/// last I/O) and `exp` is counted from there: never more than 24 hours after
/// the real signing time, possibly a few milliseconds less.
///
/// For playback URLs, mint with [`PlaybackUrls::token_options`] and hand
/// the token to [`PlaybackUrls::with_token`], which checks it is for the
/// URLs' video, downloadable when a surface is a download, and fits every URL:
///
/// ```ignore
/// let token = signer.mint(urls.video(), urls.token_options()).await?;
/// let signed = urls.with_token(token)?;
/// ```
///
/// Tokens are verified by [`WebCryptoVerifier`] (asynchronous too);
/// [`WebCryptoSigner::verifier`] makes one for this signer's key.
///
/// [`PlaybackUrls::token_options`]: crate::PlaybackUrls::token_options
/// [`PlaybackUrls::with_token`]: crate::PlaybackUrls::with_token
#[derive(Clone)]
pub struct WebCryptoSigner {
    kid: KeyId,
    public: PublicKey,
    header_b64: Box<str>,
    sig_len: usize,
    backend: Backend,
}

/// What makes each signature.
#[derive(Clone)]
enum Backend {
    /// `crypto.subtle.sign` with the imported key.
    Subtle {
        subtle: SubtleCrypto,
        key: CryptoKey,
    },
    /// A synchronous JS function, `sign(bytes) -> Uint8Array`
    /// ([`WebCryptoSigner::with_sign_function`]).
    Function(js_sys::Function),
}

impl fmt::Debug for WebCryptoSigner {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WebCryptoSigner")
            .field("kid", &self.kid.as_str())
            .finish_non_exhaustive()
    }
}

/// `globalThis.crypto.subtle`, found the same way in Node, workerd and
/// browsers (workerd has no `window`).
fn subtle() -> Result<SubtleCrypto, Error> {
    let crypto = Reflect::get(&js_sys::global(), &JsValue::from_str("crypto"))
        .ok()
        .filter(|c| c.is_object())
        .ok_or(ErrorKind::SigningFailed)?;
    let subtle = Reflect::get(&crypto, &JsValue::from_str("subtle"))
        .ok()
        .filter(|s| s.is_object())
        .ok_or(ErrorKind::SigningFailed)?;
    // Not `dyn_into`: the class is `SubtleCrypto` in every runtime, but an
    // `instanceof` check is all this would add, and some runtimes do not
    // expose the constructor on the global object.
    Ok(subtle.unchecked_into())
}

fn set(obj: &Object, name: &str, value: &JsValue) -> Result<(), Error> {
    Reflect::set(obj, &JsValue::from_str(name), value)
        .map(drop)
        .map_err(|_| ErrorKind::SigningFailed.into())
}

/// A JWK imported into WebCrypto as a non-extractable RSASSA-PKCS1-v1_5
/// SHA-256 key for `usage` (`"sign"` or `"verify"`). Any refusal is
/// [`ErrorKind::SigningFailed`], without the runtime's message.
async fn import_jwk(subtle: &SubtleCrypto, jwk: &str, usage: &str) -> Result<CryptoKey, Error> {
    let jwk: Object = JSON::parse(jwk)
        .map_err(|_| ErrorKind::SigningFailed)?
        .unchecked_into();
    let algorithm = Object::new();
    set(&algorithm, "name", &JsValue::from_str(ALGORITHM))?;
    set(&algorithm, "hash", &JsValue::from_str("SHA-256"))?;
    let usages = Array::of1(&JsValue::from_str(usage));
    let promise = subtle
        .import_key_with_object("jwk", &jwk, &algorithm, false, &usages)
        .map_err(|_| ErrorKind::SigningFailed)?;
    let imported = JsFuture::from(promise)
        .await
        .map_err(|_| ErrorKind::SigningFailed)?;
    Ok(imported.unchecked_into())
}

impl WebCryptoSigner {
    /// Import `key` into WebCrypto (once) and prepare the per-key parts of
    /// every token.
    ///
    /// # Errors
    /// [`ErrorKind::SigningFailed`] when the runtime has no WebCrypto or
    /// refuses the key; the runtime's message is not kept (it may quote the key).
    pub async fn new(key: SigningKey) -> Result<Self, Error> {
        let subtle = subtle()?;
        // The JWK crosses into the JS heap for the import; JS strings cannot
        // be wiped, so it lives there only until the garbage collector runs.
        let crypto_key = import_jwk(&subtle, key.backend().secret_jwk(), "sign").await?;
        Ok(Self::with_backend(
            &key,
            Backend::Subtle {
                subtle,
                key: crypto_key,
            },
        ))
    }

    /// Sign through a synchronous JS function instead of `crypto.subtle`:
    /// for Node, whose `node:crypto` signs on the calling thread where
    /// WebCrypto queues every signature on a thread pool.
    ///
    /// `import` is called once with the private key as a JWK object (what
    /// `crypto.subtle.importKey("jwk", …)` takes, and what Node's
    /// `createPrivateKey({key, format: "jwk"})` takes) and returns the
    /// function that signs: `sign(bytes: Uint8Array) -> Uint8Array`, the
    /// RSASSA-PKCS1-v1_5 SHA-256 signature of `bytes`. Everything else (the
    /// claims, the 24-hour cap, the header, the encoding) is this crate's,
    /// as with [`WebCryptoSigner::new`]; a signature of the wrong length is
    /// [`ErrorKind::SigningFailed`].
    ///
    /// # Errors
    /// [`ErrorKind::SigningFailed`] when `import` throws or returns no
    /// function; what it threw is not kept (it may quote the key).
    pub fn with_sign_function(key: SigningKey, import: &js_sys::Function) -> Result<Self, Error> {
        let jwk = JSON::parse(key.backend().secret_jwk()).map_err(|_| ErrorKind::SigningFailed)?;
        let sign: js_sys::Function = import
            .call1(&JsValue::NULL, &jwk)
            .map_err(|_| ErrorKind::SigningFailed)?
            .dyn_into()
            .map_err(|_| ErrorKind::SigningFailed)?;
        Ok(Self::with_backend(&key, Backend::Function(sign)))
    }

    fn with_backend(key: &SigningKey, backend: Backend) -> Self {
        WebCryptoSigner {
            kid: *key.kid(),
            public: key.public_key().clone(),
            header_b64: header_b64(key.kid()),
            sig_len: key.signature_len(),
            backend,
        }
    }

    /// The signing key's id.
    pub fn kid(&self) -> &KeyId {
        &self.kid
    }

    /// The signing key's public half.
    pub fn public_key(&self) -> &PublicKey {
        &self.public
    }

    /// A verifier for this signer's tokens.
    ///
    /// # Errors
    /// As [`WebCryptoVerifier::new`].
    pub async fn verifier(&self) -> Result<WebCryptoVerifier, Error> {
        WebCryptoVerifier::new(self.public.clone()).await
    }

    async fn sign(&self, input: SigningInput) -> Result<Token, Error> {
        let sig = match &self.backend {
            Backend::Subtle { subtle, key } => {
                let promise = subtle
                    .sign_with_str_and_u8_array(ALGORITHM, key, input.as_bytes())
                    .map_err(|_| ErrorKind::SigningFailed)?;
                let buffer: ArrayBuffer = JsFuture::from(promise)
                    .await
                    .map_err(|_| ErrorKind::SigningFailed)?
                    .dyn_into()
                    .map_err(|_| ErrorKind::SigningFailed)?;
                Uint8Array::new(&buffer).to_vec()
            }
            Backend::Function(sign) => {
                let message = Uint8Array::from(input.as_bytes());
                let signature: Uint8Array = sign
                    .call1(&JsValue::NULL, &message)
                    .map_err(|_| ErrorKind::SigningFailed)?
                    .dyn_into()
                    .map_err(|_| ErrorKind::SigningFailed)?;
                signature.to_vec()
            }
        };
        if sig.len() != self.sig_len {
            return Err(ErrorKind::SigningFailed.into());
        }
        Ok(input.finish(&sig))
    }

    /// Mint a token for `video` as of `now` (the signing clock).
    ///
    /// # Errors
    /// The policy errors of [`TokenOptions`] against `now` (24-hour cap,
    /// `exp` in the future, `nbf < exp`), checked before WebCrypto is
    /// asked, or [`ErrorKind::SigningFailed`].
    pub async fn mint_at(
        &self,
        now: OffsetDateTime,
        video: &VideoId,
        opts: &TokenOptions,
    ) -> Result<Token, Error> {
        let input = SigningInput::new(
            &self.header_b64,
            sig_b64_len(self.sig_len),
            now,
            video,
            &self.kid,
            opts,
        )?;
        self.sign(input).await
    }

    /// Mint a token as of the JS runtime's clock (`Date.now()`; see the
    /// [type docs](WebCryptoSigner#the-clock) for what Workers' clock means).
    ///
    /// # Errors
    /// As [`WebCryptoSigner::mint_at`].
    pub async fn mint(&self, video: &VideoId, opts: &TokenOptions) -> Result<Token, Error> {
        self.mint_at(crate::clock::system_now(), video, opts).await
    }
}

/// Verifies RS256 Stream tokens on `wasm32-unknown-unknown` (feature
/// `webcrypto`) with the runtime's WebCrypto: the checks, errors and order
/// of the native `Verifier` (RS256 pinned, the signature before the payload
/// is read, the `kid` of header and payload, `exp` and `nbf` with an optional
/// leeway), only asynchronous. Every check but the signature's is the same
/// code as the native one.
///
/// Each public key is imported into WebCrypto once, by
/// [`WebCryptoVerifier::new`] or [`WebCryptoVerifier::from_keys`]; each
/// token is one `crypto.subtle.verify`. Cloning shares the imported keys.
#[derive(Clone)]
pub struct WebCryptoVerifier {
    set: KeySet<CryptoKey>,
    subtle: SubtleCrypto,
}

impl fmt::Debug for WebCryptoVerifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.set.debug("WebCryptoVerifier", f)
    }
}

/// `key` imported for `crypto.subtle.verify`.
async fn import_public(subtle: &SubtleCrypto, key: &PublicKey) -> Result<CryptoKey, Error> {
    import_jwk(subtle, &key.to_jwk_json(), "verify").await
}

impl WebCryptoVerifier {
    /// A verifier for `key`, imported into WebCrypto. Its kid, if any, is
    /// required of every token.
    ///
    /// # Errors
    /// [`ErrorKind::SigningFailed`] when the runtime has no WebCrypto or
    /// refuses the key.
    pub async fn new(key: PublicKey) -> Result<Self, Error> {
        let subtle = subtle()?;
        let check = import_public(&subtle, &key).await?;
        Ok(WebCryptoVerifier {
            set: KeySet::one(key, check),
            subtle,
        })
    }

    /// A verifier for several keys, each token checked with the one its
    /// header's `kid` names (a JWKS, or a keyring's keys).
    ///
    /// # Errors
    /// As the native `Verifier::from_keys` ([`ErrorKind::KeyIdRequired`],
    /// [`ErrorKind::InvalidKeyring`]), and as [`WebCryptoVerifier::new`].
    pub async fn from_keys(keys: impl IntoIterator<Item = PublicKey>) -> Result<Self, Error> {
        let subtle = subtle()?;
        let set = KeySet::by_kid(keys)?;
        let mut checks = Vec::with_capacity(set.public_keys().len());
        for key in set.public_keys() {
            checks.push(import_public(&subtle, key).await?);
        }
        Ok(WebCryptoVerifier {
            set: set.with_checks(checks),
            subtle,
        })
    }

    /// Allow this much clock difference when checking `exp` and `nbf`
    /// (whole seconds; fractions are dropped).
    #[must_use]
    pub fn with_leeway(mut self, leeway: Duration) -> Self {
        self.set.set_leeway(leeway);
        self
    }

    /// Every key this verifier checks against, in the order given.
    pub fn public_keys(&self) -> impl ExactSizeIterator<Item = &PublicKey> {
        self.set.public_keys()
    }

    /// Verify a compact token as of `now` and return its claims.
    ///
    /// # Errors
    /// As the native `Verifier::verify_at`: [`ErrorKind::MalformedToken`],
    /// [`ErrorKind::WrongAlgorithm`], [`ErrorKind::WrongKey`],
    /// [`ErrorKind::UnknownKey`], [`ErrorKind::BadSignature`],
    /// [`ErrorKind::Expired`], [`ErrorKind::NotYetValid`]; and
    /// [`ErrorKind::SigningFailed`] if WebCrypto itself fails.
    pub async fn verify_at(&self, token: &str, now: OffsetDateTime) -> Result<Claims, Error> {
        let chosen = self.set.choose(token)?;
        // The decoded signature is copied into JS by the call itself, from
        // the stack buffer: no allocation of its own.
        let promise = jws::with_decoded(chosen.signature, "signature is not base64url", |sig| {
            self.subtle
                .verify_with_str_and_u8_array_and_u8_array(
                    ALGORITHM,
                    chosen.check,
                    sig,
                    chosen.signing_input.as_bytes(),
                )
                .map_err(|_| ErrorKind::SigningFailed.into())
        })?;
        let valid = JsFuture::from(promise)
            .await
            .map_err(|_| ErrorKind::SigningFailed)?;
        if valid.as_bool() != Some(true) {
            return Err(ErrorKind::BadSignature.into());
        }
        self.set.accept(&chosen, now)
    }

    /// Verify as of the JS runtime's clock (`Date.now()`).
    ///
    /// # Errors
    /// As [`WebCryptoVerifier::verify_at`].
    pub async fn verify(&self, token: &str) -> Result<Claims, Error> {
        self.verify_at(token, crate::clock::system_now()).await
    }

    /// Verify a token for `video` as of `now`: as
    /// [`verify_at`](Self::verify_at), and then its video (`sub`) must be
    /// `video`.
    ///
    /// # Errors
    /// As [`verify_at`](Self::verify_at), and [`ErrorKind::WrongVideo`] for
    /// a valid token of another video.
    pub async fn verify_for_at(
        &self,
        video: &VideoId,
        token: &str,
        now: OffsetDateTime,
    ) -> Result<Claims, Error> {
        let claims = self.verify_at(token, now).await?;
        claims.check_video(video)?;
        Ok(claims)
    }

    /// [`verify_for_at`](Self::verify_for_at) as of the JS runtime's clock.
    ///
    /// # Errors
    /// As [`WebCryptoVerifier::verify_for_at`].
    pub async fn verify_for(&self, video: &VideoId, token: &str) -> Result<Claims, Error> {
        self.verify_for_at(video, token, crate::clock::system_now())
            .await
    }
}
