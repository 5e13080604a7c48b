//! Signing keys in every form Cloudflare hands out or users keep, and their
//! public halves.

// The signing backend: AWS-LC on native targets; on wasm32 the numbers
// WebCrypto imports (`backend_wasm.rs`, signing is in `crate::webcrypto`).
#[cfg_attr(target_arch = "wasm32", path = "backend_wasm.rs")]
mod backend;
mod crt;
mod der;
mod env;
// The CLI (feature `api`) and the reloading key (native) name them.
pub use self::env::KEY_FILE_LIMIT;
#[cfg(any(feature = "api", not(target_arch = "wasm32")))]
pub(crate) use self::env::{ENV_KEY_ID, ENV_SIGNING_KEY};
#[cfg(not(target_arch = "wasm32"))]
pub(crate) use self::env::{SecretFileError, read_secret_file};
#[cfg(feature = "emulator")]
pub(crate) mod export;
mod jwk;
mod load;
mod pem;
mod rsa;

use std::fmt;

use crate::error::{Error, ErrorKind};
use crate::ids::KeyId;

#[cfg(not(target_arch = "wasm32"))]
pub(crate) use self::backend::PublicVerifier;
use self::load::{Form, Loaded, load, load_as, resolve_kid};
pub(crate) use self::rsa::RsaPublic;
use self::rsa::{RsaKey, RsaPrivate};

/// The pure-Rust checks (the public numbers, then the private numbers'
/// consistency in `crt.rs`, the same on every target), then the backend's own
/// (see `backend.rs` for which is whose); a private key's public half is
/// trusted only once all pass.
fn backend_key(private: &RsaPrivate) -> Result<backend::PrivateKey, Error> {
    private.public.check()?;
    crt::check(private)?;
    backend::PrivateKey::from_numbers(private)
}

/// A Stream signing key: an RSA private key of at least 2048 bits and its key
/// id, parsed and checked once.
///
/// Not `Clone`: share it (or the [`Signer`](crate::Signer) built from it)
/// with `Arc`. Its `Debug` shows the key id only; it has no `Display`.
///
/// ```
/// use cf_stream_token::SigningKey;
/// // The create-key response as saved; the key id comes from it.
/// let key = SigningKey::parse(include_str!("../../fixtures/demo/demo_create_result.json"), None)?;
/// assert_eq!(key.kid().as_str(), "8f3c2a1b9d4e5f60718293a4b5c6d7e8");
/// # Ok::<(), cf_stream_token::Error>(())
/// ```
pub struct SigningKey {
    kid: KeyId,
    pair: backend::PrivateKey,
    public: PublicKey,
}

impl fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SigningKey")
            .field("kid", &self.kid.as_str())
            .finish_non_exhaustive()
    }
}

impl SigningKey {
    fn from_loaded(loaded: Loaded, kid: Option<KeyId>) -> Result<Self, Error> {
        let private: RsaPrivate = match loaded.key {
            RsaKey::Private(k) => k,
            RsaKey::Public(_) => return Err(ErrorKind::PublicKeyOnly.into()),
        };
        let kid = resolve_kid(kid, loaded.kid)?;
        let pair = backend_key(&private)?;
        Ok(SigningKey {
            kid,
            pair,
            public: PublicKey {
                kid: Some(kid),
                rsa: private.public.clone(),
            },
        })
    }

    /// Load a key in any supported form, detecting which:
    /// PKCS#1 or PKCS#8 PEM or DER, standard base64 of a PEM, a private JWK,
    /// base64 of a JWK, or a create-key response (the `result` object or the
    /// whole envelope). Whitespace around a text form and CRLF line ends are fine;
    /// DER is binary and read exactly as given. More than one PEM key block
    /// is [`ErrorKind::MultipleKeys`].
    ///
    /// `kid` is required for PEM and DER, which carry none; for forms that
    /// carry one it may be given and must then agree.
    ///
    /// # Errors
    /// A distinct [`ErrorKind`] for each way the input can be wrong (see the
    /// crate docs); messages never contain key material.
    pub fn parse(input: impl AsRef<[u8]>, kid: Option<KeyId>) -> Result<Self, Error> {
        Self::from_loaded(load(input.as_ref())?, kid)
    }

    /// Load a PKCS#1 PEM key (`-----BEGIN RSA PRIVATE KEY-----`).
    ///
    /// # Errors
    /// As [`SigningKey::parse`], and [`ErrorKind::WrongKeyForm`] for another form.
    pub fn from_pkcs1_pem(pem: &str, kid: KeyId) -> Result<Self, Error> {
        Self::from_loaded(load_as(pem.as_bytes(), Form::Pkcs1Pem)?, Some(kid))
    }

    /// Load a PKCS#8 PEM key (`-----BEGIN PRIVATE KEY-----`).
    ///
    /// # Errors
    /// As [`SigningKey::parse`], and [`ErrorKind::WrongKeyForm`] for another form.
    pub fn from_pkcs8_pem(pem: &str, kid: KeyId) -> Result<Self, Error> {
        Self::from_loaded(load_as(pem.as_bytes(), Form::Pkcs8Pem)?, Some(kid))
    }

    /// Load a PKCS#1 DER `RSAPrivateKey`.
    ///
    /// # Errors
    /// As [`SigningKey::parse`].
    pub fn from_pkcs1_der(der: &[u8], kid: KeyId) -> Result<Self, Error> {
        Self::from_loaded(load_as(der, Form::Pkcs1Der)?, Some(kid))
    }

    /// Load a PKCS#8 DER `PrivateKeyInfo`.
    ///
    /// # Errors
    /// As [`SigningKey::parse`].
    pub fn from_pkcs8_der(der: &[u8], kid: KeyId) -> Result<Self, Error> {
        Self::from_loaded(load_as(der, Form::Pkcs8Der)?, Some(kid))
    }

    /// Load standard base64 of a PEM (PKCS#1 or PKCS#8), as in the `pem`
    /// field of Cloudflare's create-key response.
    ///
    /// # Errors
    /// As [`SigningKey::parse`], and [`ErrorKind::WrongKeyForm`] when the
    /// decoded text is not PEM.
    pub fn from_base64_pem(b64: &str, kid: KeyId) -> Result<Self, Error> {
        Self::from_loaded(load_as(b64.as_bytes(), Form::Base64Pem)?, Some(kid))
    }

    /// Load a private RSA JWK (JSON). The key id is the JWK's `kid` unless
    /// given; both given must agree.
    ///
    /// # Errors
    /// As [`SigningKey::parse`], and [`ErrorKind::WrongKeyForm`] for another form.
    pub fn from_jwk(json: &str, kid: Option<KeyId>) -> Result<Self, Error> {
        Self::from_loaded(load_as(json.as_bytes(), Form::Jwk)?, kid)
    }

    /// Load standard base64 of a JWK, as in the `jwk` field of Cloudflare's
    /// create-key response.
    ///
    /// # Errors
    /// As [`SigningKey::parse`], and [`ErrorKind::WrongKeyForm`] when the
    /// decoded text is not JSON.
    pub fn from_base64_jwk(b64: &str, kid: Option<KeyId>) -> Result<Self, Error> {
        Self::from_loaded(load_as(b64.as_bytes(), Form::Base64Jwk)?, kid)
    }

    /// Load a create-key response as saved: the `result` object
    /// `{id, pem, jwk, created}` or the whole envelope. Its `id`, the JWK's
    /// `kid` and a given `kid` must all agree, and `pem` and `jwk` must be the
    /// same key.
    ///
    /// # Errors
    /// As [`SigningKey::parse`], plus [`ErrorKind::KeyIdMismatch`] and
    /// [`ErrorKind::ResponseKeyMismatch`].
    pub fn from_create_response(json: &str, kid: Option<KeyId>) -> Result<Self, Error> {
        Self::from_loaded(load_as(json.as_bytes(), Form::CreateResponse)?, kid)
    }

    /// The key id.
    pub fn kid(&self) -> &KeyId {
        &self.kid
    }

    /// The public half, for verifiers elsewhere.
    pub fn public_key(&self) -> &PublicKey {
        &self.public
    }

    /// Modulus size in bits.
    pub fn bits(&self) -> usize {
        self.public.rsa.bits()
    }

    /// Length in bytes of every signature this key makes.
    pub(crate) fn signature_len(&self) -> usize {
        self.pair.signature_len()
    }

    /// RS256 of `message` into `sig` ([`SigningKey::signature_len`] bytes).
    #[cfg(not(target_arch = "wasm32"))]
    pub(crate) fn sign_into(&self, message: &[u8], sig: &mut [u8]) -> Result<(), Error> {
        self.pair.sign_into(message, sig)
    }

    /// The backend's key, for `crate::webcrypto` to import.
    #[cfg(all(target_arch = "wasm32", feature = "webcrypto"))]
    pub(crate) fn backend(&self) -> &backend::PrivateKey {
        &self.pair
    }
}

/// The public half of a signing key: what a verifier needs, and what can be
/// published (as a JWK or as SPKI PEM).
#[derive(Clone, PartialEq, Eq)]
pub struct PublicKey {
    kid: Option<KeyId>,
    rsa: RsaPublic,
}

impl fmt::Debug for PublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PublicKey")
            .field("kid", &self.kid.as_ref().map(KeyId::as_str))
            .field("bits", &self.rsa.bits())
            .finish()
    }
}

impl PublicKey {
    /// Read a public key from any form: SPKI PEM (`BEGIN PUBLIC KEY`), PKCS#1
    /// public PEM, a public JWK, DER, or any private form [`SigningKey::parse`]
    /// reads (only its public half is kept).
    ///
    /// # Errors
    /// As [`SigningKey::parse`], except that a public-only key is accepted,
    /// and a private key's numbers are still checked for consistency.
    pub fn parse(input: impl AsRef<[u8]>, kid: Option<KeyId>) -> Result<Self, Error> {
        let loaded = load(input.as_ref())?;
        let kid = match (kid, loaded.kid) {
            (None, None) => None,
            (g, o) => Some(resolve_kid(g, o)?),
        };
        let rsa = match loaded.key {
            RsaKey::Public(p) => {
                p.check()?;
                p
            }
            // A private key is validated in full before its public half is trusted.
            RsaKey::Private(k) => {
                backend_key(&k)?;
                k.public.clone()
            }
        };
        Ok(PublicKey { kid, rsa })
    }

    /// The key id, if the source carried or was given one.
    pub fn kid(&self) -> Option<&KeyId> {
        self.kid.as_ref()
    }

    /// Modulus size in bits.
    pub fn bits(&self) -> usize {
        self.rsa.bits()
    }

    /// The public JWK: `{"kty":"RSA","kid":…,"use":"sig","alg":"RS256","n":…,"e":…}`.
    pub fn to_jwk_json(&self) -> String {
        jwk::public_jwk_json(&self.rsa, self.kid.as_ref().map(KeyId::as_str))
    }

    /// X.509 `SubjectPublicKeyInfo` DER. Native targets only (the encoder is
    /// the backend's).
    #[cfg(not(target_arch = "wasm32"))]
    pub fn to_spki_der(&self) -> Vec<u8> {
        backend::spki_der(&self.rsa)
    }

    /// `-----BEGIN PUBLIC KEY-----` PEM (SPKI), LF line ends. Native targets
    /// only.
    #[cfg(not(target_arch = "wasm32"))]
    pub fn to_spki_pem(&self) -> String {
        pem::encode("PUBLIC KEY", &self.to_spki_der())
    }

    /// The backend's verifier for this key, as [`crate::Verifier`] holds it.
    #[cfg(not(target_arch = "wasm32"))]
    pub(crate) fn verifier(&self) -> PublicVerifier {
        PublicVerifier::new(&self.rsa)
    }
}
