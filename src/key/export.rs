//! Fresh signing keys in Cloudflare's create-key shapes, for the emulator
//! (feature `emulator`): real 2048-bit RSA keys from the backend.
//!
//! Every buffer that holds private material is a `Zeroizing` one sized up
//! front, so that no growing copy is left behind unwiped.

use aws_lc_rs::encoding::AsDer as _;
use aws_lc_rs::rsa::{KeyPair, KeySize};
use base64::Engine as _;
use zeroize::Zeroizing;

use crate::b64::URL_SAFE_NO_PAD;
use crate::error::{Error, ErrorKind};
use crate::ids::KeyId;

use super::PublicKey;
use super::der::{TAG_INTEGER, TAG_SEQUENCE};
use super::rsa::{RsaPrivate, parse_pkcs8};

/// A key just made: its public half and the three private forms the
/// create-key answer carries.
pub(crate) struct FreshKey {
    /// The public half, named by the new kid.
    pub(crate) public: PublicKey,
    /// Standard base64 of the PKCS#1 PEM (Cloudflare's `pem`).
    pub(crate) pem_b64: Zeroizing<String>,
    /// Standard base64 of the JWK JSON (Cloudflare's `jwk`).
    pub(crate) jwk_b64: Zeroizing<String>,
    /// The private JWK JSON itself.
    pub(crate) jwk_json: Zeroizing<String>,
}

/// Room for every private form of a key up to 4096 bits, so that no buffer
/// reallocates.
const ROOM: usize = 8 * 1024;

/// Make a 2048-bit RSA key named `kid`.
///
/// # Errors
/// [`ErrorKind::SigningFailed`] if the backend cannot make a key.
pub(crate) fn generate(kid: KeyId) -> Result<FreshKey, Error> {
    let pair = KeyPair::generate(KeySize::Rsa2048).map_err(|_| ErrorKind::SigningFailed)?;
    let pkcs8 = pair.as_der().map_err(|_| ErrorKind::SigningFailed)?;
    let private = parse_pkcs8(pkcs8.as_ref(), false)?;
    let jwk_json = private_jwk_json(&private, kid);
    let pem = pkcs1_pem(&private);
    let mut pem_b64 = Zeroizing::new(String::with_capacity(ROOM));
    base64::engine::general_purpose::STANDARD.encode_string(pem.as_bytes(), &mut pem_b64);
    let mut jwk_b64 = Zeroizing::new(String::with_capacity(ROOM));
    base64::engine::general_purpose::STANDARD.encode_string(jwk_json.as_bytes(), &mut jwk_b64);
    Ok(FreshKey {
        public: PublicKey {
            kid: Some(kid),
            rsa: private.public.clone(),
        },
        pem_b64,
        jwk_b64,
        jwk_json,
    })
}

/// The JWK with Cloudflare's member order: `use, kty, kid, alg, n, e, d, p,
/// q, dp, dq, qi`.
fn private_jwk_json(k: &RsaPrivate, kid: KeyId) -> Zeroizing<String> {
    let mut out = Zeroizing::new(String::with_capacity(ROOM));
    out.push_str(r#"{"use":"sig","kty":"RSA","kid":""#);
    // Key ids are `A-Z a-z 0-9 - _`: nothing to escape.
    out.push_str(kid.as_str());
    out.push_str(r#"","alg":"RS256""#);
    for (name, value) in [
        ("n", &k.public.n[..]),
        ("e", &k.public.e[..]),
        ("d", &k.d[..]),
        ("p", &k.p[..]),
        ("q", &k.q[..]),
        ("dp", &k.dp[..]),
        ("dq", &k.dq[..]),
        ("qi", &k.qi[..]),
    ] {
        out.push_str(",\"");
        out.push_str(name);
        out.push_str("\":\"");
        URL_SAFE_NO_PAD.encode_string(value, &mut out);
        out.push('"');
    }
    out.push('}');
    out
}

/// `-----BEGIN RSA PRIVATE KEY-----` PEM, LF line ends, 64 columns.
fn pkcs1_pem(k: &RsaPrivate) -> Zeroizing<String> {
    let der = pkcs1_der(k);
    let mut body = Zeroizing::new(String::with_capacity(ROOM));
    base64::engine::general_purpose::STANDARD.encode_string(&der[..], &mut body);
    let mut out = Zeroizing::new(String::with_capacity(ROOM));
    out.push_str("-----BEGIN RSA PRIVATE KEY-----\n");
    for line in body.as_bytes().chunks(64) {
        // base64 output is ASCII.
        out.push_str(std::str::from_utf8(line).expect("base64 is ASCII"));
        out.push('\n');
    }
    out.push_str("-----END RSA PRIVATE KEY-----\n");
    out
}

/// PKCS#1 `RSAPrivateKey` DER (two-prime, version 0).
fn pkcs1_der(k: &RsaPrivate) -> Zeroizing<Vec<u8>> {
    let mut inner = Zeroizing::new(Vec::with_capacity(ROOM));
    write_integer(&mut inner, &[0]);
    for value in [
        &k.public.n[..],
        &k.public.e[..],
        &k.d[..],
        &k.p[..],
        &k.q[..],
        &k.dp[..],
        &k.dq[..],
        &k.qi[..],
    ] {
        write_integer(&mut inner, value);
    }
    let mut out = Zeroizing::new(Vec::with_capacity(ROOM));
    out.push(TAG_SEQUENCE);
    write_len(&mut out, inner.len());
    out.extend_from_slice(&inner);
    out
}

fn write_len(out: &mut Vec<u8>, len: usize) {
    if len < 0x80 {
        out.push(len as u8);
    } else {
        let bytes = len.to_be_bytes();
        let skip = bytes.iter().take_while(|&&b| b == 0).count();
        out.push(0x80 | (bytes.len() - skip) as u8);
        out.extend_from_slice(&bytes[skip..]);
    }
}

/// An unsigned magnitude as a DER INTEGER, written in place (the crate's
/// public-key writer copies through a temporary, which would leave private
/// numbers unwiped).
fn write_integer(out: &mut Vec<u8>, magnitude: &[u8]) {
    let start = magnitude.iter().take_while(|&&b| b == 0).count();
    let m = &magnitude[start..];
    let pad = m.is_empty() || m[0] & 0x80 != 0;
    out.push(TAG_INTEGER);
    write_len(out, m.len() + usize::from(pad));
    if pad {
        out.push(0);
    }
    out.extend_from_slice(m);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::key::SigningKey;

    #[test]
    fn a_fresh_key_loads_in_every_form_it_is_handed_out_in() {
        let kid = KeyId::new("0123456789abcdef0123456789abcdef").unwrap();
        let fresh = generate(kid).unwrap();
        assert_eq!(fresh.public.bits(), 2048);
        let order: Vec<&str> = fresh
            .jwk_json
            .split('"')
            .skip(1)
            .step_by(4)
            .take(12)
            .collect();
        assert_eq!(
            order,
            [
                "use", "kty", "kid", "alg", "n", "e", "d", "p", "q", "dp", "dq", "qi"
            ]
        );
        for form in [&*fresh.pem_b64, &*fresh.jwk_b64, &*fresh.jwk_json] {
            let key = SigningKey::parse(form, Some(kid)).unwrap();
            assert!(key.public_key() == &fresh.public);
        }
        let pem = base64::engine::general_purpose::STANDARD
            .decode(fresh.pem_b64.as_bytes())
            .unwrap();
        assert!(pem.starts_with(b"-----BEGIN RSA PRIVATE KEY-----\n"));
        assert!(pem.ends_with(b"-----END RSA PRIVATE KEY-----\n"));
    }

    #[test]
    fn no_private_buffer_grows() {
        // `Vec::with_capacity(n)` gives exactly n (std's documented
        // guarantee), so a buffer still at ROOM never reallocated and left
        // no unwiped copy behind.
        let kid = KeyId::new("0123456789abcdef0123456789abcdef").unwrap();
        let fresh = generate(kid).unwrap();
        for (name, buffer) in [
            ("pem_b64", &*fresh.pem_b64),
            ("jwk_b64", &*fresh.jwk_b64),
            ("jwk_json", &*fresh.jwk_json),
        ] {
            assert!(buffer.len() > 1500, "{name}");
            assert_eq!(buffer.capacity(), ROOM, "{name}");
        }
        // The intermediate PEM and DER too, on the demo key (whose PKCS#1
        // forms they must reproduce byte for byte).
        let demo =
            parse_pkcs8(include_bytes!("../../fixtures/demo/demo_pkcs8.der"), false).unwrap();
        let der = pkcs1_der(&demo);
        assert_eq!(
            &der[..],
            include_bytes!("../../fixtures/demo/demo_pkcs1.der")
        );
        assert_eq!(der.capacity(), ROOM);
        let pem = pkcs1_pem(&demo);
        assert_eq!(&*pem, include_str!("../../fixtures/demo/demo_pkcs1.pem"));
        assert_eq!(pem.capacity(), ROOM);
    }
}
