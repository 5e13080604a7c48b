//! Signing without the token policy: for custom JWS and test vectors only.
//!
//! Everything else in this crate signs only Stream tokens it has built
//! itself, from [`TokenOptions`](crate::TokenOptions) checked against the
//! signing clock. The function here signs **any bytes** it is given, so it
//! bypasses every promise those paths keep:
//!
//! - the 24-hour cap (`exp` at most 24 hours after the signing clock's now),
//!   `exp` in the future and `nbf < exp`;
//! - the header (`{"alg":"RS256","kid":…}` naming this key) and the claims'
//!   `kid` matching it;
//! - the access-rule checks and the [`MAX_TOKEN_LEN`](crate::MAX_TOKEN_LEN)
//!   bound.
//!
//! A signature made here over a hand-written token is accepted by
//! Cloudflare's edge like any other: whoever calls it carries the policy.

#[cfg(not(target_arch = "wasm32"))]
use crate::error::Error;
#[cfg(not(target_arch = "wasm32"))]
use crate::key::SigningKey;

/// Raw RS256 (RSASSA-PKCS1-v1_5 with SHA-256) signature of `message` with
/// `key`: the primitive under every token, for custom JWS use and for
/// checking against published test vectors. **Bypasses the token policy**
/// (see the [module docs](self)).
///
/// ```
/// use cf_stream_token::{SigningKey, Verifier, hazmat};
///
/// let key = SigningKey::parse(include_str!("../fixtures/demo/demo.jwk.json"), None)?;
/// let sig = hazmat::sign_rs256(&key, b"any bytes at all")?;
/// assert_eq!(sig.len(), key.bits() / 8);
/// Verifier::new(key.public_key().clone()).verify_rs256(b"any bytes at all", &sig)?;
/// # Ok::<(), cf_stream_token::Error>(())
/// ```
///
/// # Errors
/// [`ErrorKind::SigningFailed`](crate::ErrorKind::SigningFailed) if the
/// backend fails.
#[cfg(not(target_arch = "wasm32"))]
pub fn sign_rs256(key: &SigningKey, message: &[u8]) -> Result<Vec<u8>, Error> {
    let mut sig = vec![0u8; key.signature_len()];
    key.sign_into(message, &mut sig)?;
    Ok(sig)
}
