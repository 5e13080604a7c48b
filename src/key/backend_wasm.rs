//! The signing backend on wasm32: the numbers WebCrypto imports.
//!
//! AWS-LC does not build for `wasm32-unknown-unknown`, so this file takes
//! `backend.rs`'s place there. It signs nothing itself: WebCrypto is
//! asynchronous, and `crate::webcrypto::WebCryptoSigner` imports the key
//! once (`crypto.subtle.importKey("jwk", …)`, non-extractable) and signs each
//! token with `crypto.subtle.sign`. What it holds is the private JWK that
//! import takes, built from numbers that passed every pure-Rust check
//! (`RsaPublic::check` and `crt.rs`, the same code as on native targets):
//! WebCrypto does not check CRT consistency itself.
//!
//! Verification is native-only (it needs a synchronous backend).

use base64::Engine as _;
use zeroize::Zeroizing;

use crate::b64::URL_SAFE_NO_PAD;
use crate::error::Error;

use super::rsa::RsaPrivate;

/// A private key as WebCrypto imports it.
pub(crate) struct PrivateKey {
    /// `{"kty":"RSA","alg":"RS256","n":…,"e":…,"d":…,…}`, wiped on drop.
    jwk: Zeroizing<String>,
    signature_len: usize,
}

fn minimal(b: &[u8]) -> &[u8] {
    let start = b.iter().take_while(|&&x| x == 0).count();
    &b[start..]
}

impl PrivateKey {
    /// Build the import form from numbers that passed every pure-Rust check.
    ///
    /// # Errors
    /// None today; the signature matches `backend.rs`'s.
    pub(crate) fn from_numbers(key: &RsaPrivate) -> Result<Self, Error> {
        let mut jwk = Zeroizing::new(String::with_capacity(5 * key.public.n.len()));
        jwk.push_str(r#"{"kty":"RSA","alg":"RS256""#);
        let members: [(&str, &[u8]); 8] = [
            ("n", &key.public.n),
            ("e", &key.public.e),
            ("d", &key.d),
            ("p", &key.p),
            ("q", &key.q),
            ("dp", &key.dp),
            ("dq", &key.dq),
            ("qi", &key.qi),
        ];
        for (name, value) in members {
            jwk.push_str(",\"");
            jwk.push_str(name);
            jwk.push_str("\":\"");
            // RFC 7518 section 6.3: each member in the fewest octets.
            URL_SAFE_NO_PAD.encode_string(minimal(value), &mut jwk);
            jwk.push('"');
        }
        jwk.push('}');
        Ok(PrivateKey {
            jwk,
            signature_len: key.public.n.len(),
        })
    }

    /// Length in bytes of every signature this key makes.
    pub(crate) fn signature_len(&self) -> usize {
        self.signature_len
    }

    /// The private JWK for `importKey`. A secret: never log it.
    #[cfg(feature = "webcrypto")]
    pub(crate) fn secret_jwk(&self) -> &str {
        &self.jwk
    }
}
