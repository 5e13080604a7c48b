//! Signing on wasm32 through the JS runtime's WebCrypto (Cloudflare Workers,
//! Node, browsers), where AWS-LC does not build.

use std::fmt;

use js_sys::{Array, ArrayBuffer, JSON, Object, Reflect, Uint8Array};
use time::OffsetDateTime;
use wasm_bindgen::{JsCast as _, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::{CryptoKey, SubtleCrypto};

use crate::claims::TokenOptions;
use crate::error::{Error, ErrorKind};
use crate::ids::{KeyId, VideoId};
use crate::key::{PublicKey, SigningKey};
use crate::token::{SigningInput, Token, header_b64, sig_b64_len};

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
/// Verification is native-only (`Verifier` needs a synchronous backend).
///
/// [`PlaybackUrls::token_options`]: crate::PlaybackUrls::token_options
/// [`PlaybackUrls::with_token`]: crate::PlaybackUrls::with_token
#[derive(Clone)]
pub struct WebCryptoSigner {
    kid: KeyId,
    public: PublicKey,
    header_b64: Box<str>,
    sig_len: usize,
    subtle: SubtleCrypto,
    key: CryptoKey,
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
        let jwk: Object = JSON::parse(key.backend().secret_jwk())
            .map_err(|_| ErrorKind::SigningFailed)?
            .unchecked_into();
        let algorithm = Object::new();
        set(&algorithm, "name", &JsValue::from_str(ALGORITHM))?;
        set(&algorithm, "hash", &JsValue::from_str("SHA-256"))?;
        let usages = Array::of1(&JsValue::from_str("sign"));
        let promise = subtle
            .import_key_with_object("jwk", &jwk, &algorithm, false, &usages)
            .map_err(|_| ErrorKind::SigningFailed)?;
        let imported = JsFuture::from(promise)
            .await
            .map_err(|_| ErrorKind::SigningFailed)?;
        let crypto_key: CryptoKey = imported.unchecked_into();
        Ok(WebCryptoSigner {
            kid: *key.kid(),
            public: key.public_key().clone(),
            header_b64: header_b64(key.kid()),
            sig_len: key.signature_len(),
            subtle,
            key: crypto_key,
        })
    }

    /// The signing key's id.
    pub fn kid(&self) -> &KeyId {
        &self.kid
    }

    /// The signing key's public half.
    pub fn public_key(&self) -> &PublicKey {
        &self.public
    }

    async fn sign(&self, input: SigningInput) -> Result<Token, Error> {
        let promise = self
            .subtle
            .sign_with_str_and_u8_array(ALGORITHM, &self.key, input.as_bytes())
            .map_err(|_| ErrorKind::SigningFailed)?;
        let buffer: ArrayBuffer = JsFuture::from(promise)
            .await
            .map_err(|_| ErrorKind::SigningFailed)?
            .dyn_into()
            .map_err(|_| ErrorKind::SigningFailed)?;
        let sig = Uint8Array::new(&buffer).to_vec();
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
