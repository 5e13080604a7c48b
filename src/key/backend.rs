//! The signing backend: aws-lc-rs. The only file that names it.
//!
//! Everything else in `key/` reads key forms and checks numbers in pure Rust
//! and hands this file checked numbers; [`crate::verify`] asks it to check a
//! signature. A second backend (WebCrypto on wasm32, where AWS-LC does not
//! build) replaces this file and keeps its interface:
//!
//! - [`PrivateKey::from_numbers`]: a private key from checked RSA numbers;
//! - [`PrivateKey::sign_into`] and [`PrivateKey::signature_len`]: RS256 into a buffer;
//! - [`PublicVerifier`]: RS256 verification against public numbers;
//! - [`spki_der`]: the `SubjectPublicKeyInfo` encoding of public numbers.
//!
//! Which checks are whose. Pure Rust, before any backend is asked (and so
//! shared by every backend): the DER, PEM and JWK structure, the modulus size
//! (2048 to 8192 bits), an odd modulus, the exponent (odd, above 1, at most
//! 33 bits), the ROCA fingerprint ([`RsaPublic::check`]), and the
//! consistency of the private numbers (`crt.rs`: `n = p q`, `d e = 1` modulo
//! `p - 1` and `q - 1`, `dp`, `dq` and `qi` matching `d`, `p` and `q`), which
//! turns a wrong CRT value into [`ErrorKind::InconsistentKey`] rather than a
//! wrong signature. The backend's: AWS-LC's `RSA_check_key` inside
//! `KeyPair::from_components` checks the same relations again (kept: a second
//! opinion costs a fraction of a millisecond per key load, never per token).
//!
//! On wasm32 `backend_wasm.rs` takes this file's place (see there).

use std::sync::Arc;

use aws_lc_rs::encoding::{AsDer, PublicKeyX509Der};
use aws_lc_rs::rsa::{KeyPair, KeyPairComponents, PublicKeyComponents};
use aws_lc_rs::signature::{ParsedPublicKey, RSA_PKCS1_2048_8192_SHA256, RSA_PKCS1_SHA256};

use crate::error::{Error, ErrorKind};

use super::rsa::{RsaPrivate, RsaPublic};

fn components(public: &RsaPublic) -> PublicKeyComponents<&[u8]> {
    PublicKeyComponents {
        n: public.n.as_slice(),
        e: public.e.as_slice(),
    }
}

/// A private key the backend signs with.
pub(crate) struct PrivateKey(KeyPair);

impl PrivateKey {
    /// Build the backend key from numbers that passed [`RsaPublic::check`].
    ///
    /// # Errors
    /// [`ErrorKind::InconsistentKey`] when the numbers do not belong together.
    pub(crate) fn from_numbers(key: &RsaPrivate) -> Result<Self, Error> {
        let components = KeyPairComponents {
            public_key: components(&key.public),
            d: key.d.as_slice(),
            p: key.p.as_slice(),
            q: key.q.as_slice(),
            dP: key.dp.as_slice(),
            dQ: key.dq.as_slice(),
            qInv: key.qi.as_slice(),
        };
        KeyPair::from_components(&components)
            .map(PrivateKey)
            .map_err(|_| ErrorKind::InconsistentKey.into())
    }

    /// Length in bytes of every signature this key makes.
    pub(crate) fn signature_len(&self) -> usize {
        self.0.public_modulus_len()
    }

    /// RS256 (RSASSA-PKCS1-v1_5, SHA-256) of `message` into `sig`, which is
    /// [`PrivateKey::signature_len`] bytes long.
    pub(crate) fn sign_into(&self, message: &[u8], sig: &mut [u8]) -> Result<(), Error> {
        // PKCS#1 v1.5 takes no randomness; the backend ignores the RNG.
        let rng = aws_lc_rs::rand::SystemRandom::new();
        self.0
            .sign(&RSA_PKCS1_SHA256, &rng, message, sig)
            .map_err(|_| ErrorKind::SigningFailed.into())
    }
}

/// RS256 verification against one public key, parsed once. Cheap to clone.
#[derive(Clone)]
pub(crate) struct PublicVerifier(Arc<ParsedPublicKey>);

impl PublicVerifier {
    /// `public` has passed [`RsaPublic::check`] (every `PublicKey` has).
    pub(crate) fn new(public: &RsaPublic) -> Self {
        let parsed = components(public)
            .to_parsed_public_key(&RSA_PKCS1_2048_8192_SHA256)
            .expect("a checked 2048..=8192-bit RSA key always parses");
        PublicVerifier(Arc::new(parsed))
    }

    /// # Errors
    /// [`ErrorKind::BadSignature`] if `signature` is not RS256 of `message`.
    pub(crate) fn verify(&self, message: &[u8], signature: &[u8]) -> Result<(), Error> {
        self.0
            .verify_sig(message, signature)
            .map_err(|_| ErrorKind::BadSignature.into())
    }
}

/// X.509 `SubjectPublicKeyInfo` DER of `public` (what `BEGIN PUBLIC KEY`
/// holds), by the backend's own encoder.
pub(crate) fn spki_der(public: &RsaPublic) -> Vec<u8> {
    let der: PublicKeyX509Der<'static> = components(public)
        .as_der()
        .expect("numbers without leading zeros always encode");
    der.as_ref().to_vec()
}

#[cfg(test)]
mod tests {
    use super::super::der::{Reader, TAG_BIT_STRING, TAG_SEQUENCE};
    use super::super::rsa::{RsaKey, parse_der_any, parse_spki};
    use super::*;

    /// The backend's encoding reads back through the crate's own reader, and
    /// so does the PKCS#1 `RSAPublicKey` inside it.
    #[test]
    fn spki_round_trips() {
        let public = RsaPublic::new(&[0, 0xc5, 1, 2, 3], &[1, 0, 1]);
        let spki = spki_der(&public);
        assert!(parse_spki(&spki, false).unwrap() == public);
        let mut outer = Reader::new(&spki);
        let mut inner = Reader::new(outer.read(TAG_SEQUENCE).unwrap());
        inner.read(TAG_SEQUENCE).unwrap();
        let pkcs1 = &inner.read(TAG_BIT_STRING).unwrap()[1..];
        match parse_der_any(pkcs1, false).unwrap() {
            RsaKey::Public(p) => assert!(p == public),
            RsaKey::Private(_) => panic!("public key read as private"),
        }
    }
}
