//! Reading a token without checking it: for inspection and debugging only.
//!
//! Nothing here checks a signature, an algorithm, a key or a time. What
//! [`decode_unverified`] returns may have been written by anyone: never
//! base an access decision on it. [`Verifier`](crate::Verifier) is the way
//! to read a token that is to be trusted.

use std::collections::BTreeSet;

use crate::claims::Claims;
use crate::error::Error;
use crate::verify::{parse_header, parse_payload, split_compact};

/// A token's JOSE header, typed. The members this crate knows are read;
/// the names of the others are kept, their values are not.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Header {
    pub(crate) alg: String,
    pub(crate) kid: Option<String>,
    pub(crate) typ: Option<String>,
    pub(crate) other: Vec<String>,
}

impl Header {
    /// `alg`, as written (Stream tokens say `RS256`; the verifier refuses
    /// every other value).
    pub fn alg(&self) -> &str {
        &self.alg
    }

    /// `kid`, as written, when present and not `null`. It need not be a
    /// valid [`KeyId`](crate::KeyId): the verifier checks that.
    pub fn kid(&self) -> Option<&str> {
        self.kid.as_deref()
    }

    /// `typ`, when present and a string (Cloudflare's tokens carry none).
    pub fn typ(&self) -> Option<&str> {
        self.typ.as_deref()
    }

    /// Whether the header has a `crit` member, whatever its value (`null`
    /// included). The verifier refuses every such token: this crate
    /// understands no extension.
    pub fn has_crit(&self) -> bool {
        self.other.iter().any(|m| m == "crit")
    }

    /// The names of the members besides `alg`, `kid` and a string `typ`,
    /// sorted (`crit` among them when present).
    pub fn other_members(&self) -> &[String] {
        &self.other
    }

    /// The typed header of a JSON object that has a string `alg` and a
    /// string or `null` `kid` (what [`parse_header`] has checked).
    pub(crate) fn from_json(object: &serde_json::Map<String, serde_json::Value>) -> Option<Self> {
        let alg = object.get("alg")?.as_str()?.to_owned();
        let kid = match object.get("kid") {
            None | Some(serde_json::Value::Null) => None,
            Some(k) => Some(k.as_str()?.to_owned()),
        };
        let typ = object
            .get("typ")
            .and_then(serde_json::Value::as_str)
            .map(str::to_owned);
        let known: BTreeSet<&str> = if typ.is_some() {
            ["alg", "kid", "typ"].into()
        } else {
            ["alg", "kid"].into()
        };
        let mut other: Vec<String> = object
            .keys()
            .filter(|k| !known.contains(k.as_str()))
            .cloned()
            .collect();
        other.sort_unstable();
        Some(Header {
            alg,
            kid,
            typ,
            other,
        })
    }
}

/// A token's header and claims, read without checking anything.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Unverified {
    /// The JOSE header.
    pub header: Header,
    /// The payload, read as the verifier reads it.
    pub claims: Claims,
}

/// Decode a token's header and claims **without verifying anything**: for
/// inspection and debugging only, never for access decisions.
///
/// The header and payload are read exactly as
/// [`Verifier::verify_at`](crate::Verifier::verify_at) reads them, so what
/// one refuses as malformed (a repeated member name, a length over
/// [`MAX_TOKEN_LEN`](crate::MAX_TOKEN_LEN), a time that is not plain digits)
/// the other refuses too. The algorithm, `crit` and the signature are not
/// checked.
///
/// ```
/// use cf_stream_token::{Signer, SigningKey, TokenOptions, VideoId};
/// use cf_stream_token::dangerous::decode_unverified;
/// use time::macros::datetime;
///
/// let signer = Signer::new(SigningKey::parse(include_str!("../fixtures/demo/demo.jwk.json"), None)?);
/// let video: VideoId = "ea95132c15732412d22c1476fa83f27a".parse()?;
/// let now = datetime!(2026-11-22 12:00 UTC);
/// let token = signer.mint_at(now, &video, &TokenOptions::default())?;
///
/// let read = decode_unverified(token.as_str())?;
/// assert_eq!(read.header.alg(), "RS256");
/// assert_eq!(read.header.kid(), Some(signer.key().kid().as_str()));
/// assert_eq!(read.claims.video(), &video);
/// # Ok::<(), cf_stream_token::Error>(())
/// ```
///
/// # Errors
/// [`ErrorKind::MalformedToken`](crate::ErrorKind::MalformedToken) when it
/// is not a JWS with Stream claims.
pub fn decode_unverified(token: &str) -> Result<Unverified, Error> {
    let compact = split_compact(token)?;
    let header = parse_header(compact.header)?;
    let claims = parse_payload(compact.payload)?;
    Ok(Unverified { header, claims })
}
