//! Local decoding and verification of Stream tokens.

use std::fmt;
use std::sync::Arc;
#[cfg(not(target_arch = "wasm32"))]
use std::time::Duration;

use base64::Engine as _;
use serde::Deserialize;
use time::OffsetDateTime;

use crate::b64::URL_SAFE_NO_PAD;
use crate::claims::{Claims, MAX_TOKEN_LEN};
use crate::dangerous::Header;
#[cfg(not(target_arch = "wasm32"))]
use crate::error::echo;
use crate::error::{Error, ErrorKind};
use crate::ids::{KeyId, VideoId};
#[cfg(not(target_arch = "wasm32"))]
use crate::key::{PublicKey, PublicVerifier};
use crate::rules::AccessRule;

#[cfg(not(target_arch = "wasm32"))]
/// Verifies RS256 Stream tokens against one public key.
///
/// The algorithm is pinned: `none`, HS256 and everything but RS256 are
/// refused whatever the key. The signature is checked before the payload is
/// read; then the `kid` (header and payload) against the key's, and `exp` and
/// `nbf` against the given clock with an optional leeway.
///
/// ```
/// use cf_stream_token::{Signer, SigningKey, TokenOptions, Verifier, VideoId};
/// use time::macros::datetime;
///
/// let signer = Signer::new(SigningKey::parse(include_str!("../fixtures/demo/demo.jwk.json"), None)?);
/// let verifier = Verifier::parse(include_str!("../fixtures/demo/demo_public.jwk.json"), None)?;
/// let video: VideoId = "ea95132c15732412d22c1476fa83f27a".parse()?;
/// let now = datetime!(2026-11-22 12:00 UTC);
/// let token = signer.mint_at(now, &video, &TokenOptions::default())?;
/// let claims = verifier.verify_at(token.as_str(), now)?;
/// assert_eq!(claims.video(), &video);
/// # Ok::<(), cf_stream_token::Error>(())
/// ```
#[derive(Clone)]
pub struct Verifier {
    key: PublicKey,
    parsed: PublicVerifier,
    leeway: i64,
}

#[cfg(not(target_arch = "wasm32"))]
impl fmt::Debug for Verifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Verifier")
            .field("kid", &self.key.kid().map(KeyId::as_str))
            .field("leeway_secs", &self.leeway)
            .finish()
    }
}

/// Any JSON value, refused if an object anywhere in it repeats a member
/// name. serde_json keeps the last of duplicates and a derived struct
/// refuses only its own fields twice, so without this check one reader could
/// see `{"alg":"none","alg":"RS256"}` as RS256 and another as `none`.
/// Nesting is bounded by serde_json's recursion limit.
struct NoDuplicates;

impl<'de> Deserialize<'de> for NoDuplicates {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(NoDuplicatesVisitor)
    }
}

struct NoDuplicatesVisitor;

impl<'de> serde::de::Visitor<'de> for NoDuplicatesVisitor {
    type Value = NoDuplicates;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_bool<E>(self, _: bool) -> Result<NoDuplicates, E> {
        Ok(NoDuplicates)
    }
    fn visit_i64<E>(self, _: i64) -> Result<NoDuplicates, E> {
        Ok(NoDuplicates)
    }
    fn visit_u64<E>(self, _: u64) -> Result<NoDuplicates, E> {
        Ok(NoDuplicates)
    }
    fn visit_f64<E>(self, _: f64) -> Result<NoDuplicates, E> {
        Ok(NoDuplicates)
    }
    fn visit_str<E>(self, _: &str) -> Result<NoDuplicates, E> {
        Ok(NoDuplicates)
    }
    fn visit_unit<E>(self) -> Result<NoDuplicates, E> {
        Ok(NoDuplicates)
    }

    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<NoDuplicates, A::Error> {
        while seq.next_element::<NoDuplicates>()?.is_some() {}
        Ok(NoDuplicates)
    }

    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<NoDuplicates, A::Error> {
        let mut seen = std::collections::HashSet::new();
        while let Some(name) = map.next_key::<String>()? {
            if !seen.insert(name) {
                return Err(serde::de::Error::custom("duplicate member"));
            }
            map.next_value::<NoDuplicates>()?;
        }
        Ok(NoDuplicates)
    }
}

/// One base64url part of a token as JSON with no repeated member name:
/// the one reading `verify_at` and `dangerous::decode_unverified` share.
fn json_part(part: &str, what: &'static str) -> Result<Vec<u8>, Error> {
    let bytes = URL_SAFE_NO_PAD.decode(part).map_err(|_| malformed(what))?;
    match serde_json::from_slice::<NoDuplicates>(&bytes) {
        Ok(NoDuplicates) => Ok(bytes),
        Err(e) if e.is_data() => Err(malformed("a member name is repeated")),
        Err(_) => Err(malformed(what)),
    }
}

/// The header, typed: a JSON object (not an array read by position) with
/// a string `alg` and a string (or `null`) `kid`, if any.
pub(crate) fn parse_header(h: &str) -> Result<Header, Error> {
    const WHAT: &str = "header is not a JWS header";
    let bytes = json_part(h, WHAT)?;
    let value: serde_json::Value = serde_json::from_slice(&bytes).map_err(|_| malformed(WHAT))?;
    value
        .as_object()
        .and_then(Header::from_json)
        .ok_or_else(|| malformed(WHAT))
}

/// The payload as claims.
pub(crate) fn parse_payload(p: &str) -> Result<Claims, Error> {
    const WHAT: &str = "payload is not a Stream claims object";
    let bytes = json_part(p, WHAT)?;
    let payload: Payload = serde_json::from_slice(&bytes).map_err(|_| malformed(WHAT))?;
    payload.into_claims()
}

/// `exp`/`nbf` as JSON numbers, or as decimal strings: Cloudflare's own token
/// endpoint has been seen to emit strings.
#[derive(Deserialize)]
#[serde(untagged)]
enum NumericDate {
    Int(i64),
    Str(String),
}

impl NumericDate {
    fn value(&self, claim: &'static str) -> Result<i64, Error> {
        let v = match self {
            NumericDate::Int(v) => Some(*v),
            // Plain ASCII digits only, in one spelling per value (no sign,
            // space, `+` or leading zero, as a JSON number is written).
            NumericDate::Str(s) => {
                let digits = !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
                let canonical = s == "0" || !s.starts_with('0');
                if digits && canonical {
                    s.parse().ok()
                } else {
                    None
                }
            }
        };
        v.filter(|v| OffsetDateTime::from_unix_timestamp(*v).is_ok())
            .ok_or_else(|| malformed(claim))
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Payload {
    sub: String,
    kid: String,
    exp: NumericDate,
    nbf: Option<NumericDate>,
    downloadable: Option<bool>,
    access_rules: Option<Vec<AccessRule>>,
}

impl Payload {
    fn into_claims(self) -> Result<Claims, Error> {
        Ok(Claims {
            video: VideoId::new(&self.sub).map_err(|_| malformed("sub is not a video id"))?,
            kid: KeyId::new(&self.kid).map_err(|_| malformed("kid is not a key id"))?,
            exp: self.exp.value("exp is not a valid time")?,
            nbf: self
                .nbf
                .as_ref()
                .map(|n| n.value("nbf is not a valid time"))
                .transpose()?,
            downloadable: self.downloadable.unwrap_or(false),
            access_rules: Arc::from(self.access_rules.unwrap_or_default()),
        })
    }
}

fn malformed(reason: &'static str) -> Error {
    ErrorKind::MalformedToken { reason }.into()
}

/// A compact JWS, trimmed, bounded and split: the signing input
/// (`header.payload`) and the three parts.
// On wasm32 only `dangerous` reads it, which ignores the signature.
#[cfg_attr(target_arch = "wasm32", allow(dead_code))]
pub(crate) struct Compact<'a> {
    pub(crate) signing_input: &'a str,
    pub(crate) header: &'a str,
    pub(crate) payload: &'a str,
    pub(crate) signature: &'a str,
}

pub(crate) fn split_compact(token: &str) -> Result<Compact<'_>, Error> {
    let token = token.trim();
    if token.len() > MAX_TOKEN_LEN {
        return Err(malformed("token is too long"));
    }
    // A line break pasted into a token would otherwise reach the signature
    // check, and be reported as a bad signature.
    if token
        .bytes()
        .any(|b| b.is_ascii_whitespace() || b.is_ascii_control())
    {
        return Err(malformed("the token holds a blank or a line break"));
    }
    let mut parts = token.split('.');
    match (parts.next(), parts.next(), parts.next(), parts.next()) {
        (Some(header), Some(payload), Some(signature), None) => Ok(Compact {
            signing_input: &token[..header.len() + 1 + payload.len()],
            header,
            payload,
            signature,
        }),
        _ => Err(malformed("expected three dot-separated parts")),
    }
}

#[cfg(not(target_arch = "wasm32"))]
impl Verifier {
    /// A verifier for `key`. Its kid, if any, is required of every token.
    pub fn new(key: PublicKey) -> Self {
        Verifier {
            parsed: key.verifier(),
            key,
            leeway: 0,
        }
    }

    /// Read the key from any public or private form (see [`PublicKey::parse`]).
    ///
    /// # Errors
    /// As [`PublicKey::parse`].
    pub fn parse(input: impl AsRef<[u8]>, kid: Option<KeyId>) -> Result<Self, Error> {
        PublicKey::parse(input, kid).map(Verifier::new)
    }

    /// Allow this much clock difference when checking `exp` and `nbf`
    /// (whole seconds; fractions are dropped).
    #[must_use]
    pub fn with_leeway(mut self, leeway: Duration) -> Self {
        self.leeway = i64::try_from(leeway.as_secs()).unwrap_or(i64::MAX);
        self
    }

    /// The key this verifier checks against.
    pub fn public_key(&self) -> &PublicKey {
        &self.key
    }

    /// Check a raw RS256 signature over `message`.
    ///
    /// # Errors
    /// [`ErrorKind::BadSignature`] if it does not verify.
    pub fn verify_rs256(&self, message: &[u8], signature: &[u8]) -> Result<(), Error> {
        self.parsed.verify(message, signature)
    }

    /// Verify a compact token as of `now` and return its claims.
    ///
    /// # Errors
    /// [`ErrorKind::MalformedToken`], [`ErrorKind::WrongAlgorithm`],
    /// [`ErrorKind::WrongKey`], [`ErrorKind::BadSignature`],
    /// [`ErrorKind::Expired`], [`ErrorKind::NotYetValid`].
    pub fn verify_at(&self, token: &str, now: OffsetDateTime) -> Result<Claims, Error> {
        let Compact {
            signing_input,
            header: h,
            payload: p,
            signature: s,
        } = split_compact(token)?;

        let header = parse_header(h)?;
        if header.alg() != "RS256" {
            return Err(ErrorKind::WrongAlgorithm {
                alg: echo(header.alg(), 16),
            }
            .into());
        }
        // RFC 7515 4.1.11: no extension is understood here, so any `crit`
        // member, `null` or empty included, is refused.
        if header.has_crit() {
            return Err(malformed("critical header extensions are not supported"));
        }
        let header_kid = header.kid().ok_or_else(|| malformed("header has no kid"))?;
        // Only a valid key id is ever echoed in an error (never raw token text).
        let header_kid =
            KeyId::new(header_kid).map_err(|_| malformed("header kid is not a key id"))?;
        self.check_kid(&header_kid)?;

        let signature = URL_SAFE_NO_PAD
            .decode(s)
            .map_err(|_| malformed("signature is not base64url"))?;
        self.verify_rs256(signing_input.as_bytes(), &signature)?;

        // Authentic from here on.
        let claims = parse_payload(p)?;
        if claims.kid != header_kid {
            return Err(ErrorKind::WrongKey {
                kid: claims.kid.to_string(),
            }
            .into());
        }

        let now = now.unix_timestamp();
        if now >= claims.exp.saturating_add(self.leeway) {
            return Err(ErrorKind::Expired {
                exp: claims.exp,
                now,
            }
            .into());
        }
        if let Some(nbf) = claims.nbf
            && now.saturating_add(self.leeway) < nbf
        {
            return Err(ErrorKind::NotYetValid { nbf, now }.into());
        }
        Ok(claims)
    }

    /// Verify as of the system clock.
    ///
    /// # Errors
    /// As [`Verifier::verify_at`].
    pub fn verify(&self, token: &str) -> Result<Claims, Error> {
        self.verify_at(token, crate::clock::system_now())
    }

    fn check_kid(&self, kid: &KeyId) -> Result<(), Error> {
        match self.key.kid() {
            Some(own) if own != kid => Err(ErrorKind::WrongKey {
                kid: kid.to_string(),
            }
            .into()),
            _ => Ok(()),
        }
    }
}
