//! The one key loader: recognise what an input is (once, in [`sniff`]),
//! then read it.
//!
//! [`load`] reads whatever form it finds. [`load_as`] serves the explicit
//! constructors: it sniffs the same way, compares what it found with the
//! form asked for, and refuses anything else with
//! [`ErrorKind::WrongKeyForm`], so that an explicit constructor accepts
//! exactly the inputs [`load`] reads as that form.

use base64::Engine as _;
use zeroize::Zeroizing;

use crate::b64::STANDARD_LENIENT;
use crate::error::{Error, ErrorKind};
use crate::ids::KeyId;

use super::der;
use super::jwk::{self, KeyJson};
use super::pem;
use super::rsa::{self, RsaKey};

/// What reading an input gave: the RSA numbers and the kid the input itself
/// names (JWK `kid`, response `id`), if any.
pub(super) struct Loaded {
    pub(super) key: RsaKey,
    pub(super) kid: Option<KeyId>,
}

impl Loaded {
    fn without_kid(key: RsaKey) -> Self {
        Loaded { key, kid: None }
    }
}

/// A form an explicit constructor asks for.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum Form {
    Pkcs1Pem,
    Pkcs8Pem,
    Pkcs1Der,
    Pkcs8Der,
    Base64Pem,
    Jwk,
    Base64Jwk,
    CreateResponse,
}

/// What an input looks like, judged from its first bytes.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Sniffed {
    /// Nothing but whitespace.
    Empty,
    /// Binary DER: a SEQUENCE tag as the very first byte. No text form
    /// starts with '0'.
    Der,
    /// A JSON object: a JWK or a create-key response.
    Json,
    /// Text holding a `-----BEGIN ` line.
    Pem,
    /// Something that reads as standard base64: possibly a wrapper.
    Base64,
    Unknown,
}

/// Text forms are trimmed; DER is binary and is judged (and read) exactly as
/// given: about 2% of keys end in a byte that is ASCII whitespace, and
/// trimming it would break them.
fn sniff(raw: &[u8]) -> Sniffed {
    if raw.first() == Some(&der::TAG_SEQUENCE) {
        return Sniffed::Der;
    }
    let text = raw.trim_ascii();
    if text.is_empty() {
        Sniffed::Empty
    } else if text.starts_with(b"{") {
        Sniffed::Json
    } else if pem::looks_like_pem(text) {
        Sniffed::Pem
    } else if looks_like_base64(text) {
        Sniffed::Base64
    } else {
        Sniffed::Unknown
    }
}

/// The key structures a PEM label names.
#[derive(Clone, Copy, PartialEq, Eq)]
enum PemKey {
    Pkcs1Private,
    Pkcs8Private,
    Spki,
    Pkcs1Public,
}

/// The one match on PEM labels: the structure a label names, or why it is
/// refused.
fn pem_key(label: &str) -> Result<PemKey, Error> {
    match label {
        "RSA PRIVATE KEY" => Ok(PemKey::Pkcs1Private),
        "PRIVATE KEY" => Ok(PemKey::Pkcs8Private),
        "PUBLIC KEY" => Ok(PemKey::Spki),
        "RSA PUBLIC KEY" => Ok(PemKey::Pkcs1Public),
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
    }
}

fn read_pem_key(kind: PemKey, der: &[u8]) -> Result<RsaKey, Error> {
    match kind {
        PemKey::Pkcs1Private => rsa::parse_pkcs1_private(der, true).map(RsaKey::Private),
        PemKey::Pkcs8Private => rsa::parse_pkcs8(der, true).map(RsaKey::Private),
        PemKey::Spki => rsa::parse_spki(der, true).map(RsaKey::Public),
        PemKey::Pkcs1Public => rsa::parse_pkcs1_public(der, true).map(RsaKey::Public),
    }
}

fn wrong_form(expected: &'static str) -> Error {
    ErrorKind::WrongKeyForm { expected }.into()
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

/// Read `raw` in whatever form it is. One base64 layer around a PEM, JWK or
/// DER (Cloudflare's `pem` and `jwk` fields) is read too, never two.
pub(super) fn load(raw: &[u8]) -> Result<Loaded, Error> {
    load_sniffed(raw, sniff(raw))
}

fn load_sniffed(raw: &[u8], sniffed: Sniffed) -> Result<Loaded, Error> {
    let text = raw.trim_ascii();
    match sniffed {
        Sniffed::Empty => Err(ErrorKind::EmptyInput.into()),
        Sniffed::Der => rsa::parse_der_any(raw, false).map(Loaded::without_kid),
        Sniffed::Json => {
            let json = jwk::parse_json(text)?;
            if json.is_jwk() {
                load_jwk(&json)
            } else {
                load_response(&json)
            }
        }
        Sniffed::Pem => {
            let block = pem::parse(as_text(text)?)?;
            read_pem_key(pem_key(block.label)?, &block.der).map(Loaded::without_kid)
        }
        Sniffed::Base64 => {
            let decoded = decode_base64_wrapper(text)?;
            // Sniffed untrimmed: a wrapped DER is binary too. Only a key
            // form is read inside the wrapper, so base64 in base64 is not
            // unwrapped again: one layer, never two.
            match sniff(&decoded) {
                inner @ (Sniffed::Der | Sniffed::Json | Sniffed::Pem) => {
                    load_sniffed(&decoded, inner)
                }
                _ => Err(ErrorKind::NotAKey.into()),
            }
        }
        Sniffed::Unknown => Err(ErrorKind::NotAKey.into()),
    }
}

/// Read `raw` as `form`, which the input must be.
pub(super) fn load_as(raw: &[u8], form: Form) -> Result<Loaded, Error> {
    let sniffed = sniff(raw);
    if sniffed == Sniffed::Empty {
        return Err(ErrorKind::EmptyInput.into());
    }
    let text = raw.trim_ascii();
    match form {
        Form::Pkcs1Pem | Form::Pkcs8Pem => {
            if sniffed != Sniffed::Pem {
                return Err(wrong_form("PEM"));
            }
            let (wanted, expected) = if form == Form::Pkcs1Pem {
                (PemKey::Pkcs1Private, "PKCS#1 PEM (BEGIN RSA PRIVATE KEY)")
            } else {
                (PemKey::Pkcs8Private, "PKCS#8 PEM (BEGIN PRIVATE KEY)")
            };
            let block = pem::parse(as_text(text)?)?;
            match pem_key(block.label) {
                Ok(found) if found == wanted => {
                    read_pem_key(found, &block.der).map(Loaded::without_kid)
                }
                _ => Err(wrong_form(expected)),
            }
        }
        // DER names its own structure: its reader is the comparison, and
        // anything else fails there as `InvalidDer` naming the structure.
        Form::Pkcs1Der => {
            rsa::parse_pkcs1_private(raw, false).map(|k| Loaded::without_kid(RsaKey::Private(k)))
        }
        Form::Pkcs8Der => {
            rsa::parse_pkcs8(raw, false).map(|k| Loaded::without_kid(RsaKey::Private(k)))
        }
        // The outer layer is decoded whatever it looks like, so that bad
        // base64 is named as such; the decoded text is what is compared.
        Form::Base64Pem => {
            let decoded = decode_base64_wrapper(text)?;
            let inner = decoded.trim_ascii();
            if sniff(inner) != Sniffed::Pem {
                return Err(wrong_form("base64 of a PEM key"));
            }
            load_sniffed(inner, Sniffed::Pem)
        }
        Form::Base64Jwk => {
            let decoded = decode_base64_wrapper(text)?;
            let inner = decoded.trim_ascii();
            // A JWK only: never a response, which could nest further.
            if sniff(inner) != Sniffed::Json {
                return Err(wrong_form("base64 of a JWK"));
            }
            let json = jwk::parse_json(inner)?;
            if !json.is_jwk() {
                return Err(wrong_form("base64 of a JWK"));
            }
            load_jwk(&json)
        }
        Form::Jwk => {
            if sniffed != Sniffed::Json {
                return Err(wrong_form("JWK JSON"));
            }
            let json = jwk::parse_json(text)?;
            if !json.is_jwk() {
                return Err(ErrorKind::MissingJwkMember { member: "kty" }.into());
            }
            load_jwk(&json)
        }
        Form::CreateResponse => {
            if sniffed != Sniffed::Json {
                return Err(wrong_form("create-key response JSON"));
            }
            load_response(&jwk::parse_json(text)?)
        }
    }
}

fn load_jwk(json: &KeyJson) -> Result<Loaded, Error> {
    let key = json.to_rsa()?;
    let kid = json.kid.as_deref().map(KeyId::new).transpose()?;
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
    let id = result.id.as_deref().map(KeyId::new).transpose()?;
    // Each field holds its own form, bare or in one base64 layer; never
    // another response (which could nest without end).
    let from_pem = result
        .pem
        .as_deref()
        .map(|pem| {
            let pem = pem.as_bytes().trim_ascii();
            if pem::looks_like_pem(pem) {
                load(pem)
            } else {
                load_as(pem, Form::Base64Pem)
            }
        })
        .transpose()?;
    let from_jwk = result
        .jwk
        .as_deref()
        .map(|jwk| {
            let jwk = jwk.as_bytes().trim_ascii();
            match sniff(jwk) {
                Sniffed::Json => load_as(jwk, Form::Jwk),
                _ => load_as(jwk, Form::Base64Jwk),
            }
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
pub(super) fn resolve_kid(given: Option<KeyId>, own: Option<KeyId>) -> Result<KeyId, Error> {
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
