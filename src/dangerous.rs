//! Reading a token without checking it: for inspection and debugging only.
//!
//! Nothing here checks a signature, an algorithm, a key or a time. What
//! [`decode_unverified`] returns may have been written by anyone: never
//! base an access decision on it. [`Verifier`](crate::Verifier) is the way
//! to read a token that is to be trusted.

use crate::claims::Claims;
use crate::error::Error;
use crate::jws;

pub use crate::jws::Header;

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
    let compact = jws::split(token)?;
    let header = jws::header(compact.header)?;
    let claims = jws::claims(compact.payload)?;
    Ok(Unverified { header, claims })
}
