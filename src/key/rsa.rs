//! RSA numbers as read from any key form, and the checks every key passes
//! whatever the backend (the backend's own are in `backend.rs`).

use zeroize::Zeroizing;

use crate::error::{Error, ErrorKind};

use super::der::{self, DerError, Reader};

/// The public half: big-endian magnitudes without leading zeros.
#[derive(Clone, PartialEq, Eq)]
pub(crate) struct RsaPublic {
    pub(crate) n: Vec<u8>,
    pub(crate) e: Vec<u8>,
}

/// A full two-prime private key. Every private number is wiped on drop.
pub(crate) struct RsaPrivate {
    pub(crate) public: RsaPublic,
    pub(crate) d: Zeroizing<Vec<u8>>,
    pub(crate) p: Zeroizing<Vec<u8>>,
    pub(crate) q: Zeroizing<Vec<u8>>,
    pub(crate) dp: Zeroizing<Vec<u8>>,
    pub(crate) dq: Zeroizing<Vec<u8>>,
    pub(crate) qi: Zeroizing<Vec<u8>>,
}

pub(crate) enum RsaKey {
    Private(RsaPrivate),
    Public(RsaPublic),
}

impl RsaKey {
    pub(crate) fn public(&self) -> &RsaPublic {
        match self {
            RsaKey::Private(k) => &k.public,
            RsaKey::Public(k) => k,
        }
    }
}

fn strip_zeros(b: &[u8]) -> &[u8] {
    let start = b.iter().take_while(|&&x| x == 0).count();
    &b[start..]
}

fn secret(b: &[u8]) -> Zeroizing<Vec<u8>> {
    Zeroizing::new(b.to_vec())
}

impl RsaPublic {
    pub(crate) fn new(n: &[u8], e: &[u8]) -> Self {
        RsaPublic {
            n: strip_zeros(n).to_vec(),
            e: strip_zeros(e).to_vec(),
        }
    }

    pub(crate) fn bits(&self) -> usize {
        match self.n.first() {
            None => 0,
            Some(&top) => self.n.len() * 8 - top.leading_zeros() as usize,
        }
    }

    /// The checks every key passes, public or private, before anything else.
    pub(crate) fn check(&self) -> Result<(), Error> {
        let bits = self.bits();
        if bits < 2048 {
            return Err(ErrorKind::KeyTooSmall { bits }.into());
        }
        if bits > 8192 {
            return Err(ErrorKind::KeyTooLarge { bits }.into());
        }
        // A product of two odd primes is odd. The backend refuses an even
        // modulus too, but only when a verifier is built, which cannot fail.
        if self.n.last().is_some_and(|b| b & 1 == 0) {
            return Err(ErrorKind::WeakKey {
                reason: "modulus is even",
            }
            .into());
        }
        // e must be odd, > 1, and fit the backend's 33-bit limit.
        let e_ok = match self.e.as_slice() {
            [] | [1] => false,
            e if e.len() > 5 || (e.len() == 5 && e[0] > 1) => false,
            e => e[e.len() - 1] & 1 == 1,
        };
        if !e_ok {
            return Err(ErrorKind::InvalidExponent.into());
        }
        if has_roca_fingerprint(&self.n) {
            return Err(ErrorKind::WeakKey {
                reason: "modulus has the ROCA fingerprint (CVE-2017-15361)",
            }
            .into());
        }
        Ok(())
    }
}

const OID_RSA_ENCRYPTION: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01];
const OID_RSASSA_PSS: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0a];
const OID_EC_PUBLIC_KEY: &[u8] = &[0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01];
const OID_X25519: &[u8] = &[0x2b, 0x65, 0x6e];
const OID_X448: &[u8] = &[0x2b, 0x65, 0x6f];
const OID_ED25519: &[u8] = &[0x2b, 0x65, 0x70];
const OID_ED448: &[u8] = &[0x2b, 0x65, 0x71];

/// Map an `AlgorithmIdentifier` OID to "RSA" or the refusal for it.
fn check_algorithm(oid: &[u8]) -> Result<(), Error> {
    let found = match oid {
        OID_RSA_ENCRYPTION => return Ok(()),
        OID_RSASSA_PSS => {
            return Err(ErrorKind::UnsupportedKey {
                what: "RSASSA-PSS-only key (RS256 needs an rsaEncryption key)",
            }
            .into());
        }
        OID_EC_PUBLIC_KEY => "EC".to_owned(),
        OID_ED25519 => "Ed25519".to_owned(),
        OID_ED448 => "Ed448".to_owned(),
        OID_X25519 => "X25519".to_owned(),
        OID_X448 => "X448".to_owned(),
        other => format!("OID {}", der::oid_to_string(other)),
    };
    Err(ErrorKind::NotRsa { found }.into())
}

/// How a DER failure reads to the user; `in_pem` turns "ends early" into a
/// truncated PEM, which is what it almost always is.
pub(crate) fn der_error(e: DerError, what: &'static str, in_pem: bool) -> Error {
    match (e, in_pem) {
        (DerError::Truncated, true) => ErrorKind::TruncatedPem.into(),
        _ => ErrorKind::InvalidDer { what }.into(),
    }
}

/// PKCS#1 `RSAPrivateKey`.
pub(crate) fn parse_pkcs1_private(input: &[u8], in_pem: bool) -> Result<RsaPrivate, Error> {
    const WHAT: &str = "PKCS#1 RSAPrivateKey";
    let err = |e| der_error(e, WHAT, in_pem);
    let mut outer = Reader::new(input);
    let mut r = Reader::new(outer.read(der::TAG_SEQUENCE).map_err(err)?);
    if !outer.is_empty() {
        return Err(err(DerError::Malformed));
    }
    match r.read_small().map_err(err)? {
        0 => {}
        1 => {
            return Err(ErrorKind::UnsupportedKey {
                what: "multi-prime RSA key",
            }
            .into());
        }
        _ => return Err(err(DerError::Malformed)),
    }
    let mut next = || r.read_unsigned().map_err(err);
    let (n, e) = (next()?, next()?);
    let key = RsaPrivate {
        public: RsaPublic::new(n, e),
        d: secret(next()?),
        p: secret(next()?),
        q: secret(next()?),
        dp: secret(next()?),
        dq: secret(next()?),
        qi: secret(next()?),
    };
    if !r.is_empty() {
        return Err(err(DerError::Malformed));
    }
    Ok(key)
}

/// PKCS#1 `RSAPublicKey`.
pub(crate) fn parse_pkcs1_public(input: &[u8], in_pem: bool) -> Result<RsaPublic, Error> {
    const WHAT: &str = "PKCS#1 RSAPublicKey";
    let err = |e| der_error(e, WHAT, in_pem);
    let mut outer = Reader::new(input);
    let mut r = Reader::new(outer.read(der::TAG_SEQUENCE).map_err(err)?);
    let n = r.read_unsigned().map_err(err)?;
    let e = r.read_unsigned().map_err(err)?;
    if !r.is_empty() || !outer.is_empty() {
        return Err(err(DerError::Malformed));
    }
    Ok(RsaPublic::new(n, e))
}

/// Reads an `AlgorithmIdentifier` and returns its OID.
fn read_algorithm<'a>(r: &mut Reader<'a>) -> Result<&'a [u8], DerError> {
    let mut alg = Reader::new(r.read(der::TAG_SEQUENCE)?);
    let oid = alg.read(der::TAG_OID)?;
    if !alg.is_empty() {
        alg.read_any()?; // parameters: NULL for RSA, a curve OID for EC
    }
    Ok(oid)
}

/// PKCS#8 `PrivateKeyInfo` / `OneAsymmetricKey`.
pub(crate) fn parse_pkcs8(input: &[u8], in_pem: bool) -> Result<RsaPrivate, Error> {
    const WHAT: &str = "PKCS#8 PrivateKeyInfo";
    let err = |e| der_error(e, WHAT, in_pem);
    let mut outer = Reader::new(input);
    let mut r = Reader::new(outer.read(der::TAG_SEQUENCE).map_err(err)?);
    if !outer.is_empty() {
        return Err(err(DerError::Malformed));
    }
    if r.read_small().map_err(err)? > 1 {
        return Err(err(DerError::Malformed));
    }
    let oid = read_algorithm(&mut r).map_err(err)?;
    check_algorithm(oid)?;
    let inner = r.read(der::TAG_OCTET_STRING).map_err(err)?;
    // Optional [0] attributes and [1] public key may follow; neither matters here.
    parse_pkcs1_private(inner, in_pem)
}

/// X.509 `SubjectPublicKeyInfo`.
pub(crate) fn parse_spki(input: &[u8], in_pem: bool) -> Result<RsaPublic, Error> {
    const WHAT: &str = "SubjectPublicKeyInfo";
    let err = |e| der_error(e, WHAT, in_pem);
    let mut outer = Reader::new(input);
    let mut r = Reader::new(outer.read(der::TAG_SEQUENCE).map_err(err)?);
    if !outer.is_empty() {
        return Err(err(DerError::Malformed));
    }
    let oid = read_algorithm(&mut r).map_err(err)?;
    check_algorithm(oid)?;
    let bits = r.read(der::TAG_BIT_STRING).map_err(err)?;
    match bits.split_first() {
        Some((0, key)) => parse_pkcs1_public(key, in_pem),
        _ => Err(err(DerError::Malformed)),
    }
}

/// Any DER key structure this crate knows, told apart by shape.
pub(crate) fn parse_der_any(input: &[u8], in_pem: bool) -> Result<RsaKey, Error> {
    let err = |e| der_error(e, "key", in_pem);
    let mut outer = Reader::new(input);
    let mut r = Reader::new(outer.read(der::TAG_SEQUENCE).map_err(err)?);
    match r.peek_tag() {
        // SubjectPublicKeyInfo starts with its AlgorithmIdentifier.
        Some(der::TAG_SEQUENCE) => parse_spki(input, in_pem).map(RsaKey::Public),
        Some(der::TAG_INTEGER) => {
            let first = r.read_unsigned().map_err(err)?;
            match (first, r.peek_tag()) {
                ([0] | [1], Some(der::TAG_SEQUENCE)) => {
                    parse_pkcs8(input, in_pem).map(RsaKey::Private)
                }
                ([1], Some(der::TAG_OCTET_STRING)) => Err(ErrorKind::NotRsa {
                    found: "EC".to_owned(),
                }
                .into()),
                ([0] | [1], Some(der::TAG_INTEGER)) if looks_private(r) => {
                    parse_pkcs1_private(input, in_pem).map(RsaKey::Private)
                }
                (_, Some(der::TAG_INTEGER)) => {
                    parse_pkcs1_public(input, in_pem).map(RsaKey::Public)
                }
                _ => Err(err(DerError::Malformed)),
            }
        }
        _ => Err(err(DerError::Malformed)),
    }
}

/// After a leading small INTEGER: does more than one INTEGER follow? (An
/// `RSAPublicKey` is exactly two INTEGERs, the first being the modulus.)
fn looks_private(mut r: Reader<'_>) -> bool {
    r.read_any().is_ok() && !r.is_empty()
}

/// The ROCA fingerprint (Nemec et al., CCS 2017): moduli from the affected
/// generator satisfy `n mod r` in the subgroup generated by 65537 for every
/// small prime `r` below. A random modulus passes all of them with negligible
/// probability.
fn has_roca_fingerprint(n: &[u8]) -> bool {
    const PRIMES: [u32; 38] = [
        3, 5, 7, 11, 13, 17, 19, 23, 29, 31, 37, 41, 43, 47, 53, 59, 61, 67, 71, 73, 79, 83, 89,
        97, 101, 103, 107, 109, 113, 127, 131, 137, 139, 149, 151, 157, 163, 167,
    ];
    PRIMES.iter().all(|&r| {
        let residue = n
            .iter()
            .fold(0u32, |acc, &b| (acc * 256 + u32::from(b)) % r);
        let g = 65537 % r;
        let mut x = 1u32;
        loop {
            if x == residue {
                return true;
            }
            x = x * g % r;
            if x == 1 {
                return false;
            }
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exponent_rules() {
        let n = {
            let mut n = vec![0xff; 256];
            n[255] = 0xfb;
            n
        };
        let check = |e: &[u8]| RsaPublic::new(&n, e).check().err().map(Error::into_kind);
        assert_eq!(check(&[1]), Some(ErrorKind::InvalidExponent));
        assert_eq!(check(&[]), Some(ErrorKind::InvalidExponent));
        assert_eq!(check(&[0, 1]), Some(ErrorKind::InvalidExponent));
        assert_eq!(check(&[1, 0, 0]), Some(ErrorKind::InvalidExponent));
        assert_eq!(check(&[2, 0, 0, 0, 1]), Some(ErrorKind::InvalidExponent));
    }

    #[test]
    fn even_modulus_is_refused() {
        let mut n = vec![0xff; 256];
        n[255] = 0xfe;
        assert_eq!(
            RsaPublic::new(&n, &[1, 0, 1])
                .check()
                .err()
                .map(Error::into_kind),
            Some(ErrorKind::WeakKey {
                reason: "modulus is even"
            })
        );
        n[255] = 0xfb;
        assert!(RsaPublic::new(&n, &[1, 0, 1]).check().is_ok());
    }

    #[test]
    fn size_rules() {
        let check = |bytes: usize| {
            RsaPublic::new(&vec![0x80; bytes], &[1, 0, 1])
                .check()
                .err()
                .map(Error::into_kind)
        };
        assert_eq!(check(255), Some(ErrorKind::KeyTooSmall { bits: 2040 }));
        assert_eq!(check(1025), Some(ErrorKind::KeyTooLarge { bits: 8200 }));
    }
}
