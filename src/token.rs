//! A minted token, and everything of one but its signature: shared by
//! every signer (the native [`Signer`](crate::Signer) and, on wasm32,
//! `WebCryptoSigner`), so their tokens are byte for byte the same.

use std::fmt::{self, Write as _};
use std::sync::Arc;

use base64::Engine as _;
use time::OffsetDateTime;

use crate::b64::URL_SAFE_NO_PAD;
use crate::claims::{Claims, TokenOptions};
use crate::error::Error;
use crate::ids::{KeyId, VideoId};

/// base64url of `{"alg":"RS256","kid":"…"}`: the header every signer of
/// this crate writes (the emulator's token endpoint too), made once per
/// key. A verifier that meets these exact bytes knows what they read as
/// without reading them again.
pub(crate) fn header_b64(kid: &KeyId) -> Box<str> {
    // Key ids are restricted to `A-Z a-z 0-9 - _`, so no JSON escaping is needed.
    let header = format!(r#"{{"alg":"RS256","kid":"{kid}"}}"#);
    URL_SAFE_NO_PAD.encode(header).into_boxed_str()
}

/// The JWS signing input `header_b64 || '.' || base64url(payload)`, with
/// `extra` bytes of capacity left for the `.signature` that follows: what
/// every signer of this crate signs.
#[inline]
pub(crate) fn signing_input(header_b64: &str, payload: &[u8], extra: usize) -> String {
    let mut out =
        String::with_capacity(header_b64.len() + 1 + payload.len().div_ceil(3) * 4 + extra);
    out.push_str(header_b64);
    out.push('.');
    URL_SAFE_NO_PAD.encode_string(payload, &mut out);
    out
}

/// Length in base64url characters of a signature of `signature_len` bytes.
pub(crate) fn sig_b64_len(signature_len: usize) -> usize {
    signature_len.div_ceil(3) * 4
}

/// Everything of a token but its signature: the policy applied, the claims
/// serialised, `header.payload` encoded. Shared by every signer (the native
/// [`Signer`](crate::Signer) and, on wasm32, `WebCryptoSigner`), so their tokens are byte
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

        let compact = signing_input(header_b64, payload.as_bytes(), 1 + sig_b64_len);

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

#[cfg(test)]
mod tests {
    use super::*;

    const KID: &str = "8f926b2ee7e2b1a1e2b4d3f6a9c0e1f2";

    #[test]
    fn the_signers_header_reads_as_its_kid() {
        let kid = KeyId::new(KID).unwrap();
        let h = header_b64(&kid);
        let read = crate::jws::header(&h).unwrap();
        assert_eq!((read.alg(), read.kid()), ("RS256", Some(KID)));
        assert!(read.other_members().is_empty());
    }

    #[test]
    fn signing_input_is_the_header_and_the_payload_encoded() {
        let s = signing_input("aGk", b"{}", 0);
        assert_eq!(s, format!("aGk.{}", URL_SAFE_NO_PAD.encode("{}")));
        let with_room = signing_input("aGk", b"{}", 100);
        assert!(with_room.capacity() >= s.len() + 100);
    }
}
