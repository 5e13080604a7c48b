//! Signing keys in every form Cloudflare hands out or users keep, and their
//! public halves.

mod der;
mod env;
mod jwk;
mod pem;
mod rsa;

use std::fmt;

use aws_lc_rs::rsa::KeyPair;
use aws_lc_rs::signature::RSA_PKCS1_SHA256;
use base64::Engine as _;
use zeroize::Zeroizing;

use crate::b64::STANDARD_LENIENT;
use crate::error::{Error, ErrorKind};
use crate::ids::KeyId;

use self::jwk::KeyJson;
pub(crate) use self::rsa::RsaPublic;
use self::rsa::{RsaKey, RsaPrivate};

/// A key form, for the explicit constructors and for error messages.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Form {
    Any,
    Pkcs1Pem,
    Pkcs8Pem,
    Pkcs1Der,
    Pkcs8Der,
    Base64Pem,
    Jwk,
    Base64Jwk,
    CreateResponse,
}

/// What reading an input gave: the RSA numbers and the kid the input itself
/// names (JWK `kid`, response `id`), if any.
struct Loaded {
    key: RsaKey,
    kid: Option<KeyId>,
}

fn wrong_form(expected: &'static str) -> Error {
    ErrorKind::WrongKeyForm { expected }.into()
}

fn trim(input: &[u8]) -> &[u8] {
    input.trim_ascii()
}

fn as_text(input: &[u8]) -> Result<&str, Error> {
    std::str::from_utf8(input).map_err(|_| ErrorKind::NotAKey.into())
}

/// Does a trimmed input look like an attempt at base64 (as opposed to prose
/// or binary)? Used to tell "bad base64" from "not a key at all".
fn looks_like_base64(input: &[u8]) -> bool {
    // Counted in place: the input may be a wrapped private key, and a copy
    // would be freed unwiped.
    let (mut len, mut good) = (0usize, 0usize);
    for &b in input.iter().filter(|&&b| b != b'\n' && b != b'\r') {
        if b == b' ' {
            return false;
        }
        len += 1;
        if b.is_ascii_alphanumeric() || matches!(b, b'+' | b'/' | b'=') {
            good += 1;
        }
    }
    len >= 16 && good * 10 >= len * 9
}

fn decode_base64_wrapper(input: &[u8]) -> Result<Zeroizing<Vec<u8>>, Error> {
    let mut clean = Zeroizing::new(Vec::with_capacity(input.len()));
    clean.extend(input.iter().copied().filter(|b| !b.is_ascii_whitespace()));
    let mut out = Zeroizing::new(Vec::with_capacity(clean.len() / 4 * 3 + 3));
    STANDARD_LENIENT
        .decode_vec(&clean[..], &mut out)
        .map_err(|_| ErrorKind::InvalidBase64 {
            layer: "base64 wrapper",
        })?;
    Ok(out)
}

/// Read `raw` in `form`. Text forms are trimmed; DER is binary and is read
/// exactly as given: about 2% of keys end in a byte that is ASCII
/// whitespace, and trimming it would break them.
fn load(raw: &[u8], form: Form) -> Result<Loaded, Error> {
    let input = trim(raw);
    if input.is_empty() {
        return Err(ErrorKind::EmptyInput.into());
    }
    let no_kid = |key| Loaded { key, kid: None };
    match form {
        Form::Any => load_any(raw, true),
        Form::Pkcs1Pem | Form::Pkcs8Pem => {
            if !pem::looks_like_pem(input) {
                return Err(wrong_form("PEM"));
            }
            let block = pem::parse(as_text(input)?)?;
            match (form, block.label) {
                (Form::Pkcs1Pem, "RSA PRIVATE KEY") => {
                    rsa::parse_pkcs1_private(&block.der, true).map(|k| no_kid(RsaKey::Private(k)))
                }
                (Form::Pkcs8Pem, "PRIVATE KEY") => {
                    rsa::parse_pkcs8(&block.der, true).map(|k| no_kid(RsaKey::Private(k)))
                }
                (Form::Pkcs1Pem, _) => Err(wrong_form("PKCS#1 PEM (BEGIN RSA PRIVATE KEY)")),
                _ => Err(wrong_form("PKCS#8 PEM (BEGIN PRIVATE KEY)")),
            }
        }
        Form::Pkcs1Der => rsa::parse_pkcs1_private(raw, false).map(|k| no_kid(RsaKey::Private(k))),
        Form::Pkcs8Der => rsa::parse_pkcs8(raw, false).map(|k| no_kid(RsaKey::Private(k))),
        Form::Base64Pem | Form::Base64Jwk => {
            let decoded = decode_base64_wrapper(input)?;
            let inner = trim(&decoded);
            let want_pem = form == Form::Base64Pem;
            if want_pem && (inner.starts_with(b"{") || !pem::looks_like_pem(inner)) {
                return Err(wrong_form("base64 of a PEM key"));
            }
            if !want_pem {
                // A JWK only: never a response, which could nest further.
                if !inner.starts_with(b"{") {
                    return Err(wrong_form("base64 of a JWK"));
                }
                let json = jwk::parse_json(inner)?;
                if !json.is_jwk() {
                    return Err(wrong_form("base64 of a JWK"));
                }
                return load_jwk(&json);
            }
            load_any(inner, false)
        }
        Form::Jwk => {
            if !input.starts_with(b"{") {
                return Err(wrong_form("JWK JSON"));
            }
            let json = jwk::parse_json(input)?;
            if !json.is_jwk() {
                return Err(ErrorKind::MissingJwkMember { member: "kty" }.into());
            }
            load_jwk(&json)
        }
        Form::CreateResponse => {
            if !input.starts_with(b"{") {
                return Err(wrong_form("create-key response JSON"));
            }
            let json = jwk::parse_json(input)?;
            load_response(&json)
        }
    }
}

/// Detect the form of `raw` (untrimmed). `allow_wrapper` permits one base64
/// layer around a PEM, JWK or DER (Cloudflare's `pem` and `jwk` fields),
/// never two.
fn load_any(raw: &[u8], allow_wrapper: bool) -> Result<Loaded, Error> {
    let no_kid = |key| Loaded { key, kid: None };
    // DER is binary: recognised by its first byte and read untrimmed (its
    // last byte may well be 0x20, 0x0a, ...). No text form starts with '0'.
    if raw.first() == Some(&der::TAG_SEQUENCE) {
        return rsa::parse_der_any(raw, false).map(no_kid);
    }
    let input = trim(raw);
    if input.is_empty() {
        return Err(ErrorKind::EmptyInput.into());
    }
    if input.starts_with(b"{") {
        let json = jwk::parse_json(input)?;
        return if json.is_jwk() {
            load_jwk(&json)
        } else {
            load_response(&json)
        };
    }
    if pem::looks_like_pem(input) {
        let block = pem::parse(as_text(input)?)?;
        return match block.label {
            "RSA PRIVATE KEY" => {
                rsa::parse_pkcs1_private(&block.der, true).map(|k| no_kid(RsaKey::Private(k)))
            }
            "PRIVATE KEY" => rsa::parse_pkcs8(&block.der, true).map(|k| no_kid(RsaKey::Private(k))),
            "PUBLIC KEY" => rsa::parse_spki(&block.der, true).map(|k| no_kid(RsaKey::Public(k))),
            "RSA PUBLIC KEY" => {
                rsa::parse_pkcs1_public(&block.der, true).map(|k| no_kid(RsaKey::Public(k)))
            }
            "EC PRIVATE KEY" | "EC PARAMETERS" | "EC PUBLIC KEY" => Err(ErrorKind::NotRsa {
                found: "EC".to_owned(),
            }
            .into()),
            "OPENSSH PRIVATE KEY" => Err(ErrorKind::UnsupportedKey {
                what: "OpenSSH key format; convert it to PEM",
            }
            .into()),
            "CERTIFICATE" => Err(ErrorKind::UnsupportedKey {
                what: "X.509 certificate; give the key itself",
            }
            .into()),
            _ => Err(ErrorKind::NotAKey.into()),
        };
    }
    if allow_wrapper && looks_like_base64(input) {
        let decoded = decode_base64_wrapper(input)?;
        let inner = trim(&decoded);
        // Untrimmed on: a wrapped DER is binary too.
        if decoded.first() == Some(&der::TAG_SEQUENCE)
            || pem::looks_like_pem(inner)
            || inner.starts_with(b"{")
        {
            return load_any(&decoded, false);
        }
    }
    Err(ErrorKind::NotAKey.into())
}

fn parse_kid(s: &str) -> Result<KeyId, Error> {
    KeyId::new(s)
}

fn load_jwk(json: &KeyJson) -> Result<Loaded, Error> {
    let key = json.to_rsa()?;
    let kid = json.kid.as_deref().map(parse_kid).transpose()?;
    Ok(Loaded { key, kid })
}

/// The create-key `result` object or the whole envelope around it.
fn load_response(json: &KeyJson) -> Result<Loaded, Error> {
    let result = match &json.result {
        Some(inner) => {
            if json.success == Some(false) {
                return Err(ErrorKind::UnexpectedJson {
                    expected: "a successful create-key response",
                }
                .into());
            }
            inner.as_ref()
        }
        None => json,
    };
    if result.pem.is_none() && result.jwk.is_none() {
        return Err(ErrorKind::UnexpectedJson {
            expected: "a JWK (kty) or a create-key response (id, pem, jwk)",
        }
        .into());
    }
    let id = result.id.as_deref().map(parse_kid).transpose()?;
    // Each field holds its own form, bare or in one base64 layer; never
    // another response (which could nest without end).
    let from_pem = result
        .pem
        .as_deref()
        .map(|pem| {
            let pem = trim(pem.as_bytes());
            load(
                pem,
                if pem::looks_like_pem(pem) {
                    Form::Any
                } else {
                    Form::Base64Pem
                },
            )
        })
        .transpose()?;
    let from_jwk = result
        .jwk
        .as_deref()
        .map(|jwk| {
            let jwk = trim(jwk.as_bytes());
            load(
                jwk,
                if jwk.starts_with(b"{") {
                    Form::Jwk
                } else {
                    Form::Base64Jwk
                },
            )
        })
        .transpose()?;

    let jwk_kid = from_jwk.as_ref().and_then(|l| l.kid);
    if let (Some(id), Some(jwk_kid)) = (id, jwk_kid)
        && id != jwk_kid
    {
        return Err(ErrorKind::KeyIdMismatch {
            expected: id.to_string(),
            found: jwk_kid.to_string(),
        }
        .into());
    }
    let kid = id.or(jwk_kid);
    match (from_pem, from_jwk) {
        (Some(p), Some(j)) => {
            if p.key.public() != j.key.public() {
                return Err(ErrorKind::ResponseKeyMismatch.into());
            }
            // Prefer the PEM: it is what Cloudflare documents first; the JWK
            // holds the very same numbers.
            Ok(Loaded { key: p.key, kid })
        }
        (Some(only), None) | (None, Some(only)) => Ok(Loaded { key: only.key, kid }),
        (None, None) => unreachable!("checked above"),
    }
}

/// Settle the key id from what the caller gave and what the key says.
fn resolve_kid(given: Option<KeyId>, own: Option<KeyId>) -> Result<KeyId, Error> {
    match (given, own) {
        (Some(g), Some(o)) if g != o => Err(ErrorKind::KeyIdMismatch {
            expected: g.to_string(),
            found: o.to_string(),
        }
        .into()),
        (Some(k), _) | (None, Some(k)) => Ok(k),
        (None, None) => Err(ErrorKind::KeyIdRequired.into()),
    }
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
    pair: KeyPair,
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
        let public_numbers = private.public.clone();
        let pair = private.into_key_pair()?;
        Ok(SigningKey {
            kid,
            pair,
            public: PublicKey {
                kid: Some(kid),
                rsa: public_numbers,
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
        Self::from_loaded(load(input.as_ref(), Form::Any)?, kid)
    }

    /// Load a PKCS#1 PEM key (`-----BEGIN RSA PRIVATE KEY-----`).
    ///
    /// # Errors
    /// As [`SigningKey::parse`], and [`ErrorKind::WrongKeyForm`] for another form.
    pub fn from_pkcs1_pem(pem: &str, kid: KeyId) -> Result<Self, Error> {
        Self::from_loaded(load(pem.as_bytes(), Form::Pkcs1Pem)?, Some(kid))
    }

    /// Load a PKCS#8 PEM key (`-----BEGIN PRIVATE KEY-----`).
    ///
    /// # Errors
    /// As [`SigningKey::parse`], and [`ErrorKind::WrongKeyForm`] for another form.
    pub fn from_pkcs8_pem(pem: &str, kid: KeyId) -> Result<Self, Error> {
        Self::from_loaded(load(pem.as_bytes(), Form::Pkcs8Pem)?, Some(kid))
    }

    /// Load a PKCS#1 DER `RSAPrivateKey`.
    ///
    /// # Errors
    /// As [`SigningKey::parse`].
    pub fn from_pkcs1_der(der: &[u8], kid: KeyId) -> Result<Self, Error> {
        Self::from_loaded(load(der, Form::Pkcs1Der)?, Some(kid))
    }

    /// Load a PKCS#8 DER `PrivateKeyInfo`.
    ///
    /// # Errors
    /// As [`SigningKey::parse`].
    pub fn from_pkcs8_der(der: &[u8], kid: KeyId) -> Result<Self, Error> {
        Self::from_loaded(load(der, Form::Pkcs8Der)?, Some(kid))
    }

    /// Load standard base64 of a PEM (PKCS#1 or PKCS#8), as in the `pem`
    /// field of Cloudflare's create-key response.
    ///
    /// # Errors
    /// As [`SigningKey::parse`], and [`ErrorKind::WrongKeyForm`] when the
    /// decoded text is not PEM.
    pub fn from_base64_pem(b64: &str, kid: KeyId) -> Result<Self, Error> {
        Self::from_loaded(load(b64.as_bytes(), Form::Base64Pem)?, Some(kid))
    }

    /// Load a private RSA JWK (JSON). The key id is the JWK's `kid` unless
    /// given; both given must agree.
    ///
    /// # Errors
    /// As [`SigningKey::parse`], and [`ErrorKind::WrongKeyForm`] for another form.
    pub fn from_jwk(json: &str, kid: Option<KeyId>) -> Result<Self, Error> {
        Self::from_loaded(load(json.as_bytes(), Form::Jwk)?, kid)
    }

    /// Load standard base64 of a JWK, as in the `jwk` field of Cloudflare's
    /// create-key response.
    ///
    /// # Errors
    /// As [`SigningKey::parse`], and [`ErrorKind::WrongKeyForm`] when the
    /// decoded text is not JSON.
    pub fn from_base64_jwk(b64: &str, kid: Option<KeyId>) -> Result<Self, Error> {
        Self::from_loaded(load(b64.as_bytes(), Form::Base64Jwk)?, kid)
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
        Self::from_loaded(load(json.as_bytes(), Form::CreateResponse)?, kid)
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
        self.pair.public_modulus_len()
    }

    pub(crate) fn sign_into(&self, message: &[u8], sig: &mut [u8]) -> Result<(), Error> {
        // PKCS#1 v1.5 takes no randomness; the backend ignores the RNG.
        let rng = aws_lc_rs::rand::SystemRandom::new();
        self.pair
            .sign(&RSA_PKCS1_SHA256, &rng, message, sig)
            .map_err(|_| ErrorKind::SigningFailed.into())
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
        let loaded = load(input.as_ref(), Form::Any)?;
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
                let public = k.public.clone();
                k.into_key_pair()?;
                public
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

    /// X.509 `SubjectPublicKeyInfo` DER.
    pub fn to_spki_der(&self) -> Vec<u8> {
        self.rsa.to_spki_der()
    }

    /// `-----BEGIN PUBLIC KEY-----` PEM (SPKI), LF line ends.
    pub fn to_spki_pem(&self) -> String {
        let block = ::pem::Pem::new("PUBLIC KEY", self.rsa.to_spki_der());
        ::pem::encode_config(
            &block,
            ::pem::EncodeConfig::new().set_line_ending(::pem::LineEnding::LF),
        )
    }

    /// PKCS#1 `RSAPublicKey` DER, as the verifier consumes it.
    pub(crate) fn pkcs1_der(&self) -> Vec<u8> {
        self.rsa.to_pkcs1_der()
    }
}
