//! The consistency of a private key's numbers, in pure Rust, on every target.
//!
//! AWS-LC checks this too (`RSA_check_key`, native only); WebCrypto does
//! not, and would sign with a wrong `dp` or `qi` and hand out tokens that
//! never verify. So this check runs before any backend is asked, the same
//! code on every target, and refuses what `RSA_check_key` refuses:
//!
//! - `n = p q`;
//! - `dp = d mod (p - 1)` and `dq = d mod (q - 1)`;
//! - `e dp = 1 (mod p - 1)` and `e dq = 1 (mod q - 1)` (so `d` inverts `e`
//!   modulo both, which is what signing needs);
//! - `qi < p` and `qi q = 1 (mod p)`.
//!
//! Arithmetic is RustCrypto's constant-time `BoxedUint` (`crypto-bigint`),
//! every intermediate wiped on drop. A key is loaded once, so this costs
//! nothing on the mint path.

use crypto_bigint::{BoxedUint, NonZero};
use zeroize::Zeroizing;

use crate::error::{Error, ErrorKind};

use super::rsa::RsaPrivate;

/// `p` and `q` are in `(1, n)`, so one working width fits every product
/// below: `p q` and `qi q` are under `2^(2 nbits)`, `e dp` under
/// `2^(nbits + 33)` (`e` is at most 33 bits, `dp` shorter than `n`).
fn width(n_len: usize) -> u32 {
    // n is at most 8192 bits (checked before), so this cannot overflow.
    u32::try_from(n_len * 16 + 64).unwrap_or(u32::MAX)
}

fn num(bytes: &[u8], bits: u32) -> Option<Zeroizing<BoxedUint>> {
    BoxedUint::from_be_slice(bytes, bits)
        .ok()
        .map(Zeroizing::new)
}

fn non_zero(x: &BoxedUint) -> Option<NonZero<BoxedUint>> {
    NonZero::new(x.clone()).into_option()
}

/// Check that `key`'s private numbers belong together. `key.public` has
/// passed [`RsaPublic::check`](super::rsa::RsaPublic::check).
///
/// # Errors
/// [`ErrorKind::InconsistentKey`] when any relation above fails.
pub(crate) fn check(key: &RsaPrivate) -> Result<(), Error> {
    if consistent(key) {
        Ok(())
    } else {
        Err(ErrorKind::InconsistentKey.into())
    }
}

fn consistent(key: &RsaPrivate) -> bool {
    let n_len = key.public.n.len();
    // No private number of a valid key is longer than n; refusing longer
    // ones here also bounds every product by the working width.
    let parts = [&key.d, &key.p, &key.q, &key.dp, &key.dq, &key.qi];
    if parts.iter().any(|x| x.len() > n_len) {
        return false;
    }
    let bits = width(n_len);
    let (Some(n), Some(e), Some(d), Some(p), Some(q), Some(dp), Some(dq), Some(qi)) = (
        num(&key.public.n, bits),
        num(&key.public.e, bits),
        num(&key.d, bits),
        num(&key.p, bits),
        num(&key.q, bits),
        num(&key.dp, bits),
        num(&key.dq, bits),
        num(&key.qi, bits),
    ) else {
        return false;
    };
    let one = BoxedUint::one_with_precision(bits);
    // p, q > 1, so p - 1 and q - 1 are non-zero moduli.
    if *p <= one || *q <= one {
        return false;
    }
    if *Zeroizing::new(p.wrapping_mul(&*q)) != *n {
        return false;
    }
    let (Some(p_nz), Some(p1), Some(q1)) = (
        non_zero(&p),
        non_zero(&p.wrapping_sub(&one)),
        non_zero(&q.wrapping_sub(&one)),
    ) else {
        return false;
    };
    let (p_nz, p1, q1) = (Zeroizing::new(p_nz), Zeroizing::new(p1), Zeroizing::new(q1));
    let checks = [
        *Zeroizing::new(d.rem(&*p1)) == *dp,
        *Zeroizing::new(d.rem(&*q1)) == *dq,
        *Zeroizing::new(e.wrapping_mul(&*dp).rem(&*p1)) == one,
        *Zeroizing::new(e.wrapping_mul(&*dq).rem(&*q1)) == one,
        *qi < *p,
        *Zeroizing::new(qi.wrapping_mul(&*q).rem(&*p_nz)) == one,
    ];
    // Every relation is evaluated, so the time taken does not say which failed.
    checks.iter().all(|&ok| ok)
}

#[cfg(test)]
mod tests {
    use super::super::load::load;
    use super::super::rsa::RsaKey;
    use super::*;

    fn private(text: &str) -> RsaPrivate {
        match load(text.as_bytes()).unwrap().key {
            RsaKey::Private(k) => k,
            RsaKey::Public(_) => panic!("public key"),
        }
    }

    #[test]
    fn demo_key_is_consistent() {
        let key = private(include_str!("../../fixtures/demo/demo.jwk.json"));
        assert!(check(&key).is_ok());
    }

    #[test]
    fn each_wrong_number_is_refused() {
        for text in [
            include_str!("../../fixtures/bad/jwk_wrong_d.json"),
            include_str!("../../fixtures/bad/jwk_wrong_dp.json"),
            include_str!("../../fixtures/bad/jwk_wrong_qi.json"),
            include_str!("../../fixtures/bad/pkcs1_wrong_dp.pem"),
        ] {
            let e = check(&private(text)).unwrap_err();
            assert!(matches!(e.kind(), ErrorKind::InconsistentKey), "{e:?}");
        }
    }

    /// Each relation on its own: swap one number of the demo key at a time.
    #[test]
    fn each_relation_is_checked() {
        type Pick = fn(&mut RsaPrivate) -> &mut Zeroizing<Vec<u8>>;
        let fields: [(&str, Pick); 6] = [
            ("d", |k| &mut k.d),
            ("p", |k| &mut k.p),
            ("q", |k| &mut k.q),
            ("dp", |k| &mut k.dp),
            ("dq", |k| &mut k.dq),
            ("qi", |k| &mut k.qi),
        ];
        for (name, pick) in fields {
            let mut key = private(include_str!("../../fixtures/demo/demo.jwk.json"));
            let x = pick(&mut key);
            let last = x.len() - 1;
            x[last] ^= 2;
            assert!(
                matches!(check(&key).unwrap_err().kind(), ErrorKind::InconsistentKey),
                "{name}"
            );
        }
        // p and q swapped without their CRT values: n = q p still holds, the rest does not.
        let mut key = private(include_str!("../../fixtures/demo/demo.jwk.json"));
        std::mem::swap(&mut key.p, &mut key.q);
        assert!(check(&key).is_err());
        // A number longer than n.
        let mut key = private(include_str!("../../fixtures/demo/demo.jwk.json"));
        key.d.insert(0, 1);
        assert!(check(&key).is_err());
    }
}
