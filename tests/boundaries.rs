//! Key loading at its edges: sizes one bit either side of the limits, the
//! largest exponent, trailing bytes, structure versions, and the exact
//! refusal for each odd input. Each test here pins a boundary that a
//! `cargo mutants` run found unguarded (issue 15, TESTING.md).

use base64::Engine as _;
use cf_stream_token::{ErrorKind, KeyId, PublicKey, SigningKey, Verifier};

use crate::common::*;

const STD: base64::engine::GeneralPurpose = base64::engine::general_purpose::STANDARD;
const URL: base64::engine::GeneralPurpose = base64::engine::general_purpose::URL_SAFE_NO_PAD;

// A tiny DER writer, enough to build RSA public keys with chosen numbers.

fn tlv(tag: u8, value: &[u8]) -> Vec<u8> {
    let mut out = vec![tag];
    let len = value.len();
    if len < 0x80 {
        out.push(len as u8);
    } else {
        let bytes = len.to_be_bytes();
        let skip = bytes.iter().take_while(|&&b| b == 0).count();
        out.push(0x80 | (bytes.len() - skip) as u8);
        out.extend_from_slice(&bytes[skip..]);
    }
    out.extend_from_slice(value);
    out
}

/// A non-negative INTEGER from a big-endian magnitude.
fn uint(magnitude: &[u8]) -> Vec<u8> {
    let m = &magnitude[magnitude.iter().take_while(|&&b| b == 0).count()..];
    let mut v = Vec::with_capacity(m.len() + 1);
    if m.is_empty() || m[0] & 0x80 != 0 {
        v.push(0);
    }
    v.extend_from_slice(m);
    tlv(0x02, &v)
}

fn seq(items: &[&[u8]]) -> Vec<u8> {
    tlv(0x30, &items.concat())
}

/// PKCS#1 `RSAPublicKey { n, e }`.
fn pkcs1_public(n: &[u8], e: &[u8]) -> Vec<u8> {
    seq(&[&uint(n), &uint(e)])
}

/// `SubjectPublicKeyInfo` around any BIT STRING content.
fn spki(pkcs1: &[u8]) -> Vec<u8> {
    let rsa_encryption = [0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01];
    let alg = seq(&[&tlv(0x06, &rsa_encryption), &tlv(0x05, &[])]);
    let bits = [&[0u8][..], pkcs1].concat();
    seq(&[&alg, &tlv(0x03, &bits)])
}

fn pem(label: &str, der: &[u8]) -> String {
    let body = STD.encode(der);
    let lines: Vec<&str> = body
        .as_bytes()
        .chunks(64)
        .map(|c| std::str::from_utf8(c).unwrap())
        .collect();
    format!(
        "-----BEGIN {label}-----\n{}\n-----END {label}-----\n",
        lines.join("\n")
    )
}

fn pem_der(rel: &str) -> Vec<u8> {
    let body: String = text(rel)
        .lines()
        .filter(|l| !l.starts_with("-----"))
        .collect();
    STD.decode(body).unwrap()
}

fn demo_n() -> Vec<u8> {
    URL.decode(json("demo/demo_public.jwk.json")["n"].as_str().unwrap())
        .unwrap()
}

fn public_kind(input: impl AsRef<[u8]>) -> ErrorKind {
    PublicKey::parse(input, None).unwrap_err().into_kind()
}

fn verifier_kind(input: impl AsRef<[u8]>) -> ErrorKind {
    Verifier::parse(input, None).unwrap_err().into_kind()
}

#[test]
fn a_modulus_one_bit_short_of_2048_is_refused_with_its_exact_size() {
    let small = ErrorKind::KeyTooSmall { bits: 2047 };
    assert_eq!(public_kind(bytes("sizes/rsa2047_public_spki.pem")), small);
    assert_eq!(verifier_kind(bytes("sizes/rsa2047_public_spki.pem")), small);
    assert_eq!(public_kind(bytes("sizes/rsa2047_pkcs8.pem")), small);
    assert_eq!(
        SigningKey::parse(bytes("sizes/rsa2047_pkcs8.pem"), Some(kid(DEMO_KID)))
            .unwrap_err()
            .kind(),
        &small
    );
}

#[test]
fn a_2049_bit_key_loads_signs_and_verifies() {
    let public = PublicKey::parse(bytes("sizes/rsa2049_public_spki.pem"), None).unwrap();
    assert_eq!(public.bits(), 2049);
    let key = SigningKey::parse(bytes("sizes/rsa2049_pkcs8.pem"), Some(kid(DEMO_KID))).unwrap();
    assert_eq!(key.bits(), 2049);
    assert_eq!(key.public_key().bits(), 2049);
    assert_eq!(key.public_key().to_spki_der(), public.to_spki_der());
    let sig = cf_stream_token::hazmat::sign_rs256(&key, b"odd size").unwrap();
    // 2049 bits take 257 bytes.
    assert_eq!(sig.len(), 257);
    let verifier = Verifier::parse(bytes("sizes/rsa2049_public_spki.pem"), None).unwrap();
    assert_eq!(verifier.public_key().bits(), 2049);
    verifier.verify_rs256(b"odd size", &sig).unwrap();
    assert_eq!(
        verifier.verify_rs256(b"odd sizf", &sig).unwrap_err().kind(),
        &ErrorKind::BadSignature
    );
}

#[test]
fn exactly_8192_bits_is_accepted_and_8193_is_too_large() {
    let public = PublicKey::parse(bytes("sizes/rsa8192_public_spki.pem"), None).unwrap();
    assert_eq!(public.bits(), 8192);
    let verifier = Verifier::parse(bytes("sizes/rsa8192_public_spki.pem"), None).unwrap();
    assert_eq!(verifier.public_key().bits(), 8192);
    assert_eq!(
        verifier
            .verify_rs256(b"m", &[0u8; 1024])
            .unwrap_err()
            .kind(),
        &ErrorKind::BadSignature
    );
    let large = ErrorKind::KeyTooLarge { bits: 8193 };
    assert_eq!(public_kind(bytes("sizes/rsa8193_public_spki.pem")), large);
    assert_eq!(verifier_kind(bytes("sizes/rsa8193_public_spki.pem")), large);
}

#[test]
fn the_largest_exponent_is_accepted_and_one_byte_more_is_refused() {
    let n = demo_n();
    // 2^33 - 1: five bytes, the top one 1, odd. The backend's limit is 33 bits.
    let largest = [0x01, 0xff, 0xff, 0xff, 0xff];
    for der in [
        pkcs1_public(&n, &largest),
        spki(&pkcs1_public(&n, &largest)),
    ] {
        let public = PublicKey::parse(&der, None).unwrap();
        assert_eq!(public.bits(), 2048);
        let jwk: serde_json::Value = serde_json::from_str(&public.to_jwk_json()).unwrap();
        assert_eq!(jwk["e"], URL.encode(largest));
        let verifier = Verifier::parse(&der, None).unwrap();
        assert_eq!(
            verifier.verify_rs256(b"m", &[1u8; 256]).unwrap_err().kind(),
            &ErrorKind::BadSignature
        );
    }
    // Six bytes, odd, with a small top byte: refused before a verifier is built
    // (the backend would refuse it there, where nothing can fail).
    for e in [&[0x01, 0x00, 0x00, 0x00, 0x00, 0x01][..], &[0x01; 6]] {
        for der in [pkcs1_public(&n, e), spki(&pkcs1_public(&n, e))] {
            assert_eq!(public_kind(&der), ErrorKind::InvalidExponent, "{e:?}");
            assert_eq!(verifier_kind(&der), ErrorKind::InvalidExponent, "{e:?}");
        }
    }
    // The same two through a public JWK.
    let mut jwk = json("demo/demo_public.jwk.json");
    jwk["e"] = URL.encode(largest).into();
    assert_eq!(
        Verifier::parse(jwk.to_string(), None)
            .unwrap()
            .public_key()
            .bits(),
        2048
    );
    jwk["e"] = URL.encode([1u8, 0, 0, 0, 0, 1]).into();
    assert_eq!(verifier_kind(jwk.to_string()), ErrorKind::InvalidExponent);
}

#[test]
fn raw_spki_der_round_trips() {
    let key = demo_key();
    let der = key.public_key().to_spki_der();
    let public = PublicKey::parse(&der, None).unwrap();
    assert_eq!(public.to_spki_der(), der);
    assert_eq!(public.kid(), None);
    assert_eq!(public.bits(), 2048);
    assert_eq!(
        &PublicKey::parse(&der, Some(kid(DEMO_KID))).unwrap(),
        key.public_key()
    );
    // It is the same DER as the published SPKI PEM's body.
    assert_eq!(der, pem_der("demo/demo_public_spki.pem"));
    // A public key is no signing key.
    assert_eq!(
        SigningKey::parse(&der, Some(kid(DEMO_KID)))
            .unwrap_err()
            .kind(),
        &ErrorKind::PublicKeyOnly
    );
}

#[test]
fn base64_of_a_der_key_loads() {
    let reference = demo_key();
    for file in ["demo/demo_pkcs8.der", "demo/demo_pkcs1.der"] {
        let wrapped = STD.encode(bytes(file));
        let key = SigningKey::parse(&wrapped, Some(kid(DEMO_KID))).unwrap();
        assert_eq!(key.public_key(), reference.public_key(), "{file}");
        assert_eq!(key.kid().as_str(), DEMO_KID);
    }
    // Base64 of public DER reads as a public key.
    let wrapped = STD.encode(reference.public_key().to_spki_der());
    assert_eq!(
        PublicKey::parse(&wrapped, None).unwrap().to_spki_der(),
        reference.public_key().to_spki_der()
    );
    // One layer only: base64 of the base64 of a key (DER, or the PEM that
    // Cloudflare's `pem` field already wraps once) is not read.
    for inner in [
        STD.encode(bytes("demo/demo_pkcs8.der")),
        STD.encode(text("demo/demo_pkcs1.pem")),
    ] {
        assert_eq!(
            SigningKey::parse(STD.encode(&inner), Some(kid(DEMO_KID)))
                .unwrap_err()
                .kind(),
            &ErrorKind::NotAKey
        );
        assert!(SigningKey::parse(&inner, Some(kid(DEMO_KID))).is_ok());
    }
    // Base64 of bytes that are neither PEM, JSON nor DER is not a key.
    assert_eq!(
        SigningKey::parse(STD.encode([0x31u8; 40]), Some(kid(DEMO_KID)))
            .unwrap_err()
            .kind(),
        &ErrorKind::NotAKey
    );
}

#[test]
fn trailing_bytes_after_a_pkcs1_public_key_are_refused() {
    let n = demo_n();
    let e = [1u8, 0, 1];
    let good = pkcs1_public(&n, &e);
    assert_eq!(PublicKey::parse(&good, None).unwrap().bits(), 2048);
    let invalid = ErrorKind::InvalidDer {
        what: "PKCS#1 RSAPublicKey",
    };
    // After the SEQUENCE, and inside it after `e`.
    let after = [good.clone(), vec![0x05, 0x00]].concat();
    let inside = seq(&[&uint(&n), &uint(&e), &uint(&[1])]);
    for der in [&after, &inside] {
        assert_eq!(public_kind(der), invalid);
        assert_eq!(public_kind(pem("RSA PUBLIC KEY", der)), invalid);
    }
    // Inside an SPKI, the BIT STRING holds the RSAPublicKey: the same rule.
    assert_eq!(public_kind(spki(&inside)), invalid);
    assert_eq!(
        public_kind(spki(&[good.clone(), vec![0x05, 0x00]].concat())),
        invalid
    );
    assert_eq!(PublicKey::parse(spki(&good), None).unwrap().bits(), 2048);
}

/// The demo PKCS#8 DER with its version INTEGER (`30 82 LL LL 02 01 VV`) set.
fn pkcs8_version(v: u8) -> Vec<u8> {
    let mut der = bytes("demo/demo_pkcs8.der");
    assert_eq!(&der[4..7], &[0x02, 0x01, 0x00]);
    der[6] = v;
    der
}

#[test]
fn pkcs8_version_1_is_accepted_and_version_2_refused() {
    let k = || kid(DEMO_KID);
    let reference = demo_key();
    // Version 1 is RFC 5958's OneAsymmetricKey; the optional public key after
    // it may be absent.
    let v1 = pkcs8_version(1);
    let key = SigningKey::from_pkcs8_der(&v1, k()).unwrap();
    assert_eq!(key.public_key(), reference.public_key());
    let key = SigningKey::parse(&v1, Some(k())).unwrap();
    assert_eq!(key.public_key(), reference.public_key());
    let key = SigningKey::from_pkcs8_pem(&pem("PRIVATE KEY", &v1), k()).unwrap();
    assert_eq!(key.public_key(), reference.public_key());

    let v2 = pkcs8_version(2);
    let invalid = ErrorKind::InvalidDer {
        what: "PKCS#8 PrivateKeyInfo",
    };
    assert_eq!(
        SigningKey::from_pkcs8_der(&v2, k()).unwrap_err().kind(),
        &invalid
    );
    assert_eq!(
        SigningKey::from_pkcs8_pem(&pem("PRIVATE KEY", &v2), k())
            .unwrap_err()
            .kind(),
        &invalid
    );
    assert_eq!(
        SigningKey::parse(pem("PRIVATE KEY", &v2), Some(k()))
            .unwrap_err()
            .kind(),
        &invalid
    );
    // Detection does not take an unknown version for PKCS#8 at all.
    assert_eq!(
        SigningKey::parse(&v2, Some(k())).unwrap_err().kind(),
        &ErrorKind::InvalidDer { what: "key" }
    );
}

#[test]
fn each_explicit_pem_constructor_names_the_form_it_expected() {
    let k = || kid(DEMO_KID);
    assert_eq!(
        SigningKey::from_pkcs1_pem(&text("demo/demo_pkcs8.pem"), k())
            .unwrap_err()
            .kind(),
        &ErrorKind::WrongKeyForm {
            expected: "PKCS#1 PEM (BEGIN RSA PRIVATE KEY)"
        }
    );
    assert_eq!(
        SigningKey::from_pkcs8_pem(&text("demo/demo_pkcs1.pem"), k())
            .unwrap_err()
            .kind(),
        &ErrorKind::WrongKeyForm {
            expected: "PKCS#8 PEM (BEGIN PRIVATE KEY)"
        }
    );
    for not_pem in [text("demo/demo.jwk.json"), text("demo/demo_pkcs1.pem.b64")] {
        assert_eq!(
            SigningKey::from_pkcs1_pem(&not_pem, k())
                .unwrap_err()
                .kind(),
            &ErrorKind::WrongKeyForm { expected: "PEM" }
        );
        assert_eq!(
            SigningKey::from_pkcs8_pem(&not_pem, k())
                .unwrap_err()
                .kind(),
            &ErrorKind::WrongKeyForm { expected: "PEM" }
        );
    }
    // A public PEM given to a private constructor is the wrong form too.
    assert_eq!(
        SigningKey::from_pkcs1_pem(&text("demo/demo_public_pkcs1.pem"), k())
            .unwrap_err()
            .kind(),
        &ErrorKind::WrongKeyForm {
            expected: "PKCS#1 PEM (BEGIN RSA PRIVATE KEY)"
        }
    );
}

#[test]
fn openssh_keys_and_certificates_get_their_own_refusals() {
    // The bodies are valid base64; the label alone decides.
    let openssh = "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA\n-----END OPENSSH PRIVATE KEY-----\n";
    let certificate = "-----BEGIN CERTIFICATE-----\nMIIBAAAA\n-----END CERTIFICATE-----\n";
    let k = || Some(kid(DEMO_KID));
    assert_eq!(
        SigningKey::parse(openssh, k()).unwrap_err().kind(),
        &ErrorKind::UnsupportedKey {
            what: "OpenSSH key format; convert it to PEM"
        }
    );
    assert_eq!(
        PublicKey::parse(certificate, None).unwrap_err().kind(),
        &ErrorKind::UnsupportedKey {
            what: "X.509 certificate; give the key itself"
        }
    );
    assert_eq!(
        SigningKey::parse(certificate, k()).unwrap_err().kind(),
        &ErrorKind::UnsupportedKey {
            what: "X.509 certificate; give the key itself"
        }
    );
    // Through the create-key response's base64 `pem` wrapper too.
    assert_eq!(
        SigningKey::parse(STD.encode(openssh), k())
            .unwrap_err()
            .kind(),
        &ErrorKind::UnsupportedKey {
            what: "OpenSSH key format; convert it to PEM"
        }
    );
    // Other EC labels and unknown labels.
    for label in ["EC PARAMETERS", "EC PUBLIC KEY"] {
        assert_eq!(
            public_kind(pem(label, &[0x30, 0x00])),
            ErrorKind::NotRsa {
                found: "EC".to_owned()
            },
            "{label}"
        );
    }
    assert_eq!(
        public_kind(pem("DH PARAMETERS", &[0x30, 0x00])),
        ErrorKind::NotAKey
    );
}

#[test]
fn a_multi_prime_pkcs1_key_is_unsupported_not_malformed() {
    // RSAPrivateKey version 1 ("multi"): the demo numbers with that version and
    // an otherPrimeInfos SEQUENCE after them.
    let der = bytes("demo/demo_pkcs1.der");
    assert_eq!(&der[4..7], &[0x02, 0x01, 0x00]);
    let content = &der[7..];
    let other_prime = seq(&[&uint(&[7]), &uint(&[3]), &uint(&[5])]);
    let multi = seq(&[&uint(&[1]), content, &seq(&[&other_prime])]);
    let unsupported = ErrorKind::UnsupportedKey {
        what: "multi-prime RSA key",
    };
    let k = || kid(DEMO_KID);
    assert_eq!(
        SigningKey::parse(&multi, Some(k())).unwrap_err().kind(),
        &unsupported
    );
    assert_eq!(
        SigningKey::from_pkcs1_der(&multi, k()).unwrap_err().kind(),
        &unsupported
    );
    assert_eq!(
        SigningKey::parse(pem("RSA PRIVATE KEY", &multi), Some(k()))
            .unwrap_err()
            .kind(),
        &unsupported
    );
    // Any other version is malformed.
    let mut v2 = der.clone();
    v2[6] = 2;
    assert_eq!(
        SigningKey::from_pkcs1_der(&v2, k()).unwrap_err().kind(),
        &ErrorKind::InvalidDer {
            what: "PKCS#1 RSAPrivateKey"
        }
    );
}

#[test]
fn an_ec_key_as_raw_der_is_not_rsa() {
    let sec1 = pem_der("bad/ec_sec1.pem");
    let not_rsa = ErrorKind::NotRsa {
        found: "EC".to_owned(),
    };
    assert_eq!(
        SigningKey::parse(&sec1, Some(kid(DEMO_KID)))
            .unwrap_err()
            .kind(),
        &not_rsa
    );
    assert_eq!(public_kind(&sec1), not_rsa);
    assert_eq!(public_kind(STD.encode(&sec1)), not_rsa);
    // PKCS#8 of an EC key as raw DER: named from its algorithm OID.
    assert_eq!(public_kind(pem_der("bad/ec_pkcs8.pem")), not_rsa);
    assert_eq!(
        public_kind(pem_der("bad/ed25519_pkcs8.pem")),
        ErrorKind::NotRsa {
            found: "Ed25519".to_owned()
        }
    );
}

#[test]
fn space_free_junk_is_not_a_key_and_near_base64_is_bad_base64() {
    let kind = |s: &str| {
        SigningKey::parse(s, Some(kid(DEMO_KID)))
            .unwrap_err()
            .into_kind()
    };
    let bad_base64 = ErrorKind::InvalidBase64 {
        layer: "base64 wrapper",
    };
    // No base64 characters at all, 16 and more bytes.
    assert_eq!(kind(&"~".repeat(16)), ErrorKind::NotAKey);
    assert_eq!(kind(&"~!~@".repeat(10)), ErrorKind::NotAKey);
    // 15 bytes are too short to be taken for base64, whatever they are.
    assert_eq!(kind("QUFBQUFBQUFBQU!"), ErrorKind::NotAKey);
    // 16 bytes, 15 of them base64: an attempt at base64 that fails.
    assert_eq!(kind("QUFBQUFBQUFBQUF!"), bad_base64);
    // The threshold is 90% base64 characters: 18 of 20 is enough, 17 not.
    assert_eq!(kind("QUFBQUFBQUFBQUFBQU!!"), bad_base64);
    assert_eq!(kind("QUFBQUFBQUFBQUFBQ!!!"), ErrorKind::NotAKey);
    // Line breaks are not counted (base64 is often wrapped) ...
    assert_eq!(kind("QUFBQUFB\r\n\r\nQUFBQUFBQU!"), bad_base64);
    assert_eq!(kind("QUFBQUFB\n\n\nQUFBQUFBQU!"), bad_base64);
    // ... but a space means prose, not base64.
    assert_eq!(
        kind("QUFBQUFBQUFBQUFB QUFBQUFBQUFBQUF!"),
        ErrorKind::NotAKey
    );
    // Valid base64 of something that is no key.
    assert_eq!(
        kind(&STD.encode("hello, this is not a key")),
        ErrorKind::NotAKey
    );
}

#[test]
fn a_given_kid_is_kept_on_a_public_key() {
    let public = PublicKey::parse(
        bytes("demo/demo_public_spki.pem"),
        Some(KeyId::new("given").unwrap()),
    )
    .unwrap();
    assert_eq!(public.kid().map(KeyId::as_str), Some("given"));
}

#[test]
fn a_public_key_with_a_modulus_of_0_or_1_is_read_as_public_and_refused_for_size() {
    // `RSAPublicKey { n, e }` with n = 0 or 1 starts like a private key's
    // version INTEGER; it is two INTEGERs only, so it is read as public.
    for (n, bits) in [(&[1u8][..], 1), (&[0u8][..], 0)] {
        let der = pkcs1_public(n, &[1, 0, 1]);
        assert_eq!(public_kind(&der), ErrorKind::KeyTooSmall { bits }, "{n:?}");
        assert_eq!(
            SigningKey::parse(&der, Some(kid(DEMO_KID)))
                .unwrap_err()
                .kind(),
            &ErrorKind::PublicKeyOnly
        );
    }
    // Three INTEGERs after a leading 0 are a (truncated) private key.
    let three = seq(&[&uint(&[0]), &uint(&demo_n()), &uint(&[1, 0, 1])]);
    assert_eq!(
        public_kind(&three),
        ErrorKind::InvalidDer {
            what: "PKCS#1 RSAPrivateKey"
        }
    );
}

/// An SPKI with a chosen algorithm OID and raw parameter bytes.
fn spki_with(oid: &[u8], params: &[u8], pkcs1: &[u8]) -> Vec<u8> {
    let alg = seq(&[&tlv(0x06, oid), params]);
    let bits = [&[0u8][..], pkcs1].concat();
    seq(&[&alg, &tlv(0x03, &bits)])
}

const RSA_ENCRYPTION: [u8; 9] = [0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01];

#[test]
fn a_multi_byte_tag_is_refused_even_where_any_value_may_stand() {
    let key = pkcs1_public(&demo_n(), &[1, 0, 1]);
    // The algorithm's parameters are read as any one value: NULL is fine ...
    let null = spki_with(&RSA_ENCRYPTION, &[0x05, 0x00], &key);
    assert_eq!(PublicKey::parse(&null, None).unwrap().bits(), 2048);
    // ... a high-tag-number form (low five bits all set) is not DER a key has.
    let high_tag = spki_with(&RSA_ENCRYPTION, &[0x1f, 0x00], &key);
    assert_eq!(
        public_kind(&high_tag),
        ErrorKind::InvalidDer {
            what: "SubjectPublicKeyInfo"
        }
    );
}

#[test]
fn a_structure_version_must_be_a_small_integer_0_or_1() {
    let der = bytes("demo/demo_pkcs1.der");
    let content = &der[7..];
    let k = || kid(DEMO_KID);
    // 256 and 2^32 end in zero bytes: read as anything but their value they
    // would pass for version 0.
    for version in [&[0x01, 0x00][..], &[0x01, 0x00, 0x00, 0x00, 0x00]] {
        let pkcs1 = seq(&[&uint(version), content]);
        assert_eq!(
            SigningKey::from_pkcs1_der(&pkcs1, k()).unwrap_err().kind(),
            &ErrorKind::InvalidDer {
                what: "PKCS#1 RSAPrivateKey"
            },
            "{version:?}"
        );
        let mut pkcs8 = bytes("demo/demo_pkcs8.der");
        let body = pkcs8.split_off(7);
        let pkcs8 = seq(&[&uint(version), &body]);
        assert_eq!(
            SigningKey::from_pkcs8_der(&pkcs8, k()).unwrap_err().kind(),
            &ErrorKind::InvalidDer {
                what: "PKCS#8 PrivateKeyInfo"
            },
            "{version:?}"
        );
    }
}

#[test]
fn an_unknown_algorithm_is_named_by_its_oid_up_to_48_characters() {
    let key = pkcs1_public(&demo_n(), &[1, 0, 1]);
    // "1.2.10" and 21 times ".5": exactly 48 characters, shown whole.
    let oid = [&[0x2a, 0x0a][..], &[0x05; 21]].concat();
    let exact = format!("OID 1.2.10{}", ".5".repeat(21));
    assert_eq!(exact.len(), 4 + 48);
    assert_eq!(
        public_kind(spki_with(&oid, &[0x05, 0x00], &key)),
        ErrorKind::NotRsa { found: exact }
    );
    // One arc more: cut at 48 and marked.
    let longer = [&oid[..], &[0x05]].concat();
    assert_eq!(
        public_kind(spki_with(&longer, &[0x05, 0x00], &key)),
        ErrorKind::NotRsa {
            found: format!("OID 1.2.10{}.", ".5".repeat(21))[..52].to_owned() + "..."
        }
    );
}

#[test]
fn jwk_key_ops_must_allow_signing_or_verifying() {
    let mut jwk = json("demo/demo.jwk.json");
    for ops in [
        serde_json::json!(["sign"]),
        serde_json::json!(["verify"]),
        serde_json::json!(["encrypt", "sign"]),
        serde_json::json!(["verify", "decrypt"]),
    ] {
        jwk["key_ops"] = ops.clone();
        let key = SigningKey::parse(jwk.to_string(), None).unwrap_or_else(|e| panic!("{ops}: {e}"));
        assert_eq!(key.kid().as_str(), DEMO_KID);
    }
    jwk["key_ops"] = serde_json::json!(["encrypt", "wrapKey"]);
    assert_eq!(
        SigningKey::parse(jwk.to_string(), None).unwrap_err().kind(),
        &ErrorKind::KeyUseMismatch {
            member: "key_ops",
            value: "encrypt,wrapKey".into()
        }
    );
    jwk["key_ops"] = serde_json::json!([]);
    assert_eq!(
        SigningKey::parse(jwk.to_string(), None).unwrap_err().kind(),
        &ErrorKind::KeyUseMismatch {
            member: "key_ops",
            value: String::new()
        }
    );
}

#[test]
fn jwk_private_members_with_leading_zero_bytes_load_to_the_same_key() {
    let reference = demo_key();
    let jwk = json("demo/demo.jwk.json");
    for member in ["d", "p", "q", "dp", "dq", "qi"] {
        let mut j = jwk.clone();
        let value = URL.decode(j[member].as_str().unwrap()).unwrap();
        j[member] = URL.encode([&[0u8, 0][..], &value].concat()).into();
        let key =
            SigningKey::parse(j.to_string(), None).unwrap_or_else(|e| panic!("{member}: {e}"));
        assert_eq!(key.public_key(), reference.public_key(), "{member}");
        assert_eq!(
            cf_stream_token::hazmat::sign_rs256(&key, b"m").unwrap(),
            cf_stream_token::hazmat::sign_rs256(&reference, b"m").unwrap(),
            "{member}"
        );
    }
    // A member that is all zero bytes is kept as zero, and refused.
    let mut j = jwk.clone();
    j["qi"] = URL.encode([0u8; 4]).into();
    assert_eq!(
        SigningKey::parse(j.to_string(), None).unwrap_err().kind(),
        &ErrorKind::InconsistentKey
    );
}

#[test]
fn a_pem_label_must_be_one_line_of_1_to_64_characters() {
    // Without an END line: a label that passes is then refused as truncated,
    // one that does not is not taken for PEM at all.
    let no_end = |label: &str| public_kind(format!("-----BEGIN {label}-----\nAQID\n"));
    assert_eq!(no_end(&"K".repeat(64)), ErrorKind::TruncatedPem);
    assert_eq!(no_end("K"), ErrorKind::TruncatedPem);
    assert_eq!(no_end(&"K".repeat(65)), ErrorKind::NotAKey);
    assert_eq!(no_end(""), ErrorKind::NotAKey);
    assert_eq!(no_end("RSA\nPRIVATE KEY"), ErrorKind::NotAKey);
    assert_eq!(no_end("RSA\rPRIVATE KEY"), ErrorKind::NotAKey);
}
