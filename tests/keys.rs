//! Key loading: every form in, every bad form refused with its own kind.

use cf_stream_token::{ErrorKind, PublicKey, SigningKey, Verifier};

use crate::common::*;

/// (fixture, whether the form needs a kid from the caller)
const DEMO_FORMS: &[(&str, bool)] = &[
    ("demo/demo_pkcs1.pem", true),
    ("demo/demo_pkcs8.pem", true),
    ("demo/demo_pkcs1.der", true),
    ("demo/demo_pkcs8.der", true),
    ("demo/demo_pkcs1.pem.b64", true),
    ("demo/demo_pkcs8.pem.b64", true),
    ("demo/demo_pkcs1_crlf.pem", true),
    ("demo/demo.jwk.json", false),
    ("demo/demo.jwk.b64", false),
    ("demo/demo_create_result.json", false),
    ("demo/demo_create_response.json", false),
];

#[test]
fn every_demo_form_loads_by_detection_to_the_same_key() {
    let reference = demo_key();
    for &(file, needs_kid) in DEMO_FORMS {
        let given = needs_kid.then(|| kid(DEMO_KID));
        let key = SigningKey::parse(bytes(file), given).unwrap_or_else(|e| panic!("{file}: {e}"));
        assert_eq!(key.kid().as_str(), DEMO_KID, "{file}");
        assert_eq!(key.bits(), 2048, "{file}");
        assert_eq!(key.public_key(), reference.public_key(), "{file}");
    }
}

#[test]
fn explicit_constructors_read_their_own_form() {
    let k = || kid(DEMO_KID);
    let keys = [
        SigningKey::from_pkcs1_pem(&text("demo/demo_pkcs1.pem"), k()).unwrap(),
        SigningKey::from_pkcs1_pem(&text("demo/demo_pkcs1_crlf.pem"), k()).unwrap(),
        SigningKey::from_pkcs8_pem(&text("demo/demo_pkcs8.pem"), k()).unwrap(),
        SigningKey::from_pkcs1_der(&bytes("demo/demo_pkcs1.der"), k()).unwrap(),
        SigningKey::from_pkcs8_der(&bytes("demo/demo_pkcs8.der"), k()).unwrap(),
        SigningKey::from_base64_pem(&text("demo/demo_pkcs1.pem.b64"), k()).unwrap(),
        SigningKey::from_base64_pem(&text("demo/demo_pkcs8.pem.b64"), k()).unwrap(),
        SigningKey::from_jwk(&text("demo/demo.jwk.json"), None).unwrap(),
        SigningKey::from_base64_jwk(&text("demo/demo.jwk.b64"), Some(k())).unwrap(),
        SigningKey::from_create_response(&text("demo/demo_create_result.json"), None).unwrap(),
        SigningKey::from_create_response(&text("demo/demo_create_response.json"), Some(k()))
            .unwrap(),
    ];
    for key in &keys {
        assert_eq!(key.public_key(), keys[0].public_key());
        assert_eq!(key.kid().as_str(), DEMO_KID);
    }
}

#[test]
fn explicit_constructors_refuse_other_forms() {
    let k = || kid(DEMO_KID);
    let wrong = |r: Result<SigningKey, cf_stream_token::Error>| {
        matches!(r.unwrap_err().kind(), ErrorKind::WrongKeyForm { .. })
    };
    assert!(wrong(SigningKey::from_pkcs1_pem(
        &text("demo/demo_pkcs8.pem"),
        k()
    )));
    assert!(wrong(SigningKey::from_pkcs8_pem(
        &text("demo/demo_pkcs1.pem"),
        k()
    )));
    assert!(wrong(SigningKey::from_jwk(
        &text("demo/demo_pkcs1.pem"),
        Some(k())
    )));
    assert!(wrong(SigningKey::from_base64_pem(
        &text("demo/demo.jwk.b64"),
        k()
    )));
    assert!(wrong(SigningKey::from_base64_jwk(
        &text("demo/demo_pkcs1.pem.b64"),
        Some(k())
    )));
    assert!(wrong(SigningKey::from_create_response(
        &text("demo/demo_pkcs1.pem"),
        Some(k())
    )));
    // A PKCS#8 DER handed to the PKCS#1 reader is refused as malformed, not misread.
    assert_eq!(
        SigningKey::from_pkcs1_der(&bytes("demo/demo_pkcs8.der"), k())
            .unwrap_err()
            .kind(),
        &ErrorKind::InvalidDer {
            what: "PKCS#1 RSAPrivateKey"
        }
    );
}

/// One sniffer: text that `parse` reads as DER (first byte `0`) or as JSON
/// (first byte `{`) is not PEM to the PEM constructors either, even with a
/// PEM block further down.
#[test]
fn explicit_constructors_see_the_form_parse_sees() {
    let k = || kid(DEMO_KID);
    let pem = text("demo/demo_pkcs1.pem");
    let as_pem = ErrorKind::WrongKeyForm { expected: "PEM" };
    let zero = format!("0\n{pem}");
    assert_eq!(
        SigningKey::parse(&zero, Some(k())).unwrap_err().kind(),
        &ErrorKind::InvalidDer { what: "key" }
    );
    assert_eq!(
        SigningKey::from_pkcs1_pem(&zero, k()).unwrap_err().kind(),
        &as_pem
    );
    let brace = format!("{{\n{pem}");
    assert_eq!(
        SigningKey::parse(&brace, Some(k())).unwrap_err().kind(),
        &ErrorKind::InvalidJson { line: 2, column: 1 }
    );
    assert_eq!(
        SigningKey::from_pkcs8_pem(&brace, k()).unwrap_err().kind(),
        &as_pem
    );
    // Explanatory text before the block that starts otherwise is fine for both.
    let prose = format!("Bag Attributes\n{pem}");
    assert_eq!(
        SigningKey::from_pkcs1_pem(&prose, k())
            .unwrap()
            .public_key(),
        SigningKey::parse(&prose, Some(k())).unwrap().public_key()
    );
}

fn refusal(file: &str) -> ErrorKind {
    // A kid is given so that kid-less forms fail for their real fault.
    match SigningKey::parse(bytes(file), Some(kid(DEMO_KID))) {
        Ok(_) => panic!("{file} loaded but must be refused"),
        Err(e) => e.into_kind(),
    }
}

#[test]
fn every_bad_fixture_is_refused_with_its_own_kind() {
    let not_rsa = |found: &str| ErrorKind::NotRsa {
        found: found.to_owned(),
    };
    let cases: Vec<(&str, ErrorKind)> = vec![
        ("bad/empty.txt", ErrorKind::EmptyInput),
        ("bad/whitespace.txt", ErrorKind::EmptyInput),
        ("bad/not_a_key.txt", ErrorKind::NotAKey),
        (
            "bad/bad_base64_outer.b64",
            ErrorKind::InvalidBase64 {
                layer: "base64 wrapper",
            },
        ),
        (
            "bad/bad_base64_inner.pem",
            ErrorKind::InvalidBase64 { layer: "PEM body" },
        ),
        (
            "bad/bad_base64_inner.pem.b64",
            ErrorKind::InvalidBase64 { layer: "PEM body" },
        ),
        ("bad/truncated.pem", ErrorKind::TruncatedPem),
        ("bad/truncated_body.pem", ErrorKind::TruncatedPem),
        ("bad/ec_sec1.pem", not_rsa("EC")),
        ("bad/ec_pkcs8.pem", not_rsa("EC")),
        ("bad/ed25519_pkcs8.pem", not_rsa("Ed25519")),
        ("bad/ec.jwk.json", not_rsa("EC")),
        ("bad/oct.jwk.json", not_rsa("oct")),
        (
            "bad/rsa1024_pkcs1.pem",
            ErrorKind::KeyTooSmall { bits: 1024 },
        ),
        (
            "bad/rsa1024_pkcs8.pem",
            ErrorKind::KeyTooSmall { bits: 1024 },
        ),
        ("bad/jwk_wrong_dp.json", ErrorKind::InconsistentKey),
        ("bad/jwk_wrong_qi.json", ErrorKind::InconsistentKey),
        ("bad/jwk_wrong_d.json", ErrorKind::InconsistentKey),
        ("bad/pkcs1_wrong_dp.pem", ErrorKind::InconsistentKey),
        ("bad/rsa_e1_pkcs1.pem", ErrorKind::InvalidExponent),
        (
            "bad/response_pem_jwk_mismatch.json",
            ErrorKind::ResponseKeyMismatch,
        ),
        (
            "bad/jwk_use_enc.json",
            ErrorKind::KeyUseMismatch {
                member: "use",
                value: "enc".into(),
            },
        ),
        (
            "bad/jwk_alg_rs512.json",
            ErrorKind::KeyUseMismatch {
                member: "alg",
                value: "RS512".into(),
            },
        ),
        ("demo/demo_public_spki.pem", ErrorKind::PublicKeyOnly),
        ("demo/demo_public_pkcs1.pem", ErrorKind::PublicKeyOnly),
        ("demo/demo_public.jwk.json", ErrorKind::PublicKeyOnly),
    ];
    for (file, expected) in cases {
        assert_eq!(refusal(file), expected, "{file}");
    }
    // These name their own kid, which differs from the demo kid given above.
    let rsa1024 = SigningKey::parse(bytes("bad/rsa1024.jwk.json"), None).unwrap_err();
    assert_eq!(rsa1024.kind(), &ErrorKind::KeyTooSmall { bits: 1024 });
    let e1 = SigningKey::parse(bytes("bad/rsa_e1.jwk.json"), None).unwrap_err();
    assert_eq!(e1.kind(), &ErrorKind::InvalidExponent);
    let id = SigningKey::parse(bytes("bad/response_id_mismatch.json"), None).unwrap_err();
    assert_eq!(
        id.kind(),
        &ErrorKind::KeyIdMismatch {
            expected: "ffffffffffffffffffffffffffffffff".into(),
            found: DEMO_KID.into()
        }
    );
}

#[test]
fn a_private_jwk_missing_any_member_is_refused_by_name() {
    let jwk = json("demo/demo.jwk.json");
    for member in ["n", "e", "d", "p", "q", "dp", "dq", "qi"] {
        let mut j = jwk.clone();
        j.as_object_mut().unwrap().remove(member);
        let err = SigningKey::parse(j.to_string(), None).unwrap_err();
        assert_eq!(
            err.kind(),
            &ErrorKind::MissingJwkMember { member },
            "{member}"
        );
    }
    let mut j = jwk.clone();
    j.as_object_mut().unwrap().remove("kty");
    assert_eq!(
        SigningKey::from_jwk(&j.to_string(), None)
            .unwrap_err()
            .kind(),
        &ErrorKind::MissingJwkMember { member: "kty" }
    );
}

#[test]
fn bad_base64_in_a_jwk_member_names_the_member() {
    let mut j = json("demo/demo.jwk.json");
    j["dq"] = "not*base64".into();
    assert_eq!(
        SigningKey::parse(j.to_string(), None).unwrap_err().kind(),
        &ErrorKind::InvalidBase64 { layer: "dq" }
    );
}

#[test]
fn malformed_json_reports_position_only() {
    let err = SigningKey::parse(r#"{"kty":"RSA","n":"#, None).unwrap_err();
    assert!(
        matches!(err.kind(), ErrorKind::InvalidJson { line: 1, .. }),
        "{err:?}"
    );
    let err = SigningKey::parse(r#"{"kty":"RSA","n":5}"#, None).unwrap_err();
    assert!(
        matches!(err.kind(), ErrorKind::UnexpectedJson { .. }),
        "{err:?}"
    );
    let err = SigningKey::parse(r#"{"hello":"world"}"#, None).unwrap_err();
    assert!(
        matches!(err.kind(), ErrorKind::UnexpectedJson { .. }),
        "{err:?}"
    );
}

#[test]
fn kid_rules() {
    let pem = text("demo/demo_pkcs1.pem");
    assert_eq!(
        SigningKey::parse(&pem, None).unwrap_err().kind(),
        &ErrorKind::KeyIdRequired
    );
    let jwk = text("demo/demo.jwk.json");
    assert_eq!(
        SigningKey::parse(&jwk, Some(kid(OTHER_KID)))
            .unwrap_err()
            .kind(),
        &ErrorKind::KeyIdMismatch {
            expected: OTHER_KID.into(),
            found: DEMO_KID.into()
        }
    );
    assert_eq!(
        SigningKey::parse(text("demo/demo_create_response.json"), Some(kid(OTHER_KID)))
            .unwrap_err()
            .kind(),
        &ErrorKind::KeyIdMismatch {
            expected: OTHER_KID.into(),
            found: DEMO_KID.into()
        }
    );
    // A JWK without its own kid takes the given one.
    let mut j = json("demo/demo.jwk.json");
    j.as_object_mut().unwrap().remove("kid");
    let key = SigningKey::parse(j.to_string(), Some(kid("given"))).unwrap();
    assert_eq!(key.kid().as_str(), "given");
    assert_eq!(
        SigningKey::parse(j.to_string(), None).unwrap_err().kind(),
        &ErrorKind::KeyIdRequired
    );
    // A kid that could leave a URL path segment is refused wherever it comes from.
    j["kid"] = "../x".into();
    assert_eq!(
        SigningKey::parse(j.to_string(), None).unwrap_err().kind(),
        &ErrorKind::InvalidKeyId
    );
}

#[test]
fn a_failed_envelope_is_not_a_key() {
    let mut env = json("demo/demo_create_response.json");
    env["success"] = false.into();
    assert!(matches!(
        SigningKey::parse(env.to_string(), None).unwrap_err().kind(),
        ErrorKind::UnexpectedJson { .. }
    ));
}

#[test]
fn only_one_base64_layer_is_unwrapped() {
    use base64::Engine as _;
    let twice = base64::engine::general_purpose::STANDARD.encode(text("demo/demo_pkcs1.pem.b64"));
    assert_eq!(
        SigningKey::parse(twice, Some(kid(DEMO_KID)))
            .unwrap_err()
            .kind(),
        &ErrorKind::NotAKey
    );
}

#[test]
fn public_halves_match_the_published_forms() {
    let key = demo_key();
    let public = key.public_key();
    assert_eq!(public.to_spki_pem(), text("demo/demo_public_spki.pem"));
    let ours: serde_json::Value = serde_json::from_str(&public.to_jwk_json()).unwrap();
    let theirs = json("demo/demo_public.jwk.json");
    for m in ["kty", "kid", "use", "alg", "n", "e"] {
        assert_eq!(ours[m], theirs[m], "{m}");
    }
    // Every public and private form reads to the same public key.
    for file in [
        "demo/demo_public_spki.pem",
        "demo/demo_public_pkcs1.pem",
        "demo/demo_public.jwk.json",
        "demo/demo_pkcs8.pem",
        "demo/demo_create_response.json",
    ] {
        let p = PublicKey::parse(bytes(file), Some(kid(DEMO_KID))).unwrap();
        assert_eq!(p.to_spki_der(), public.to_spki_der(), "{file}");
    }
    // The public JWK is one that an independent JOSE library accepts.
    let jwk: jsonwebtoken::jwk::Jwk = serde_json::from_str(&public.to_jwk_json()).unwrap();
    jsonwebtoken::DecodingKey::from_jwk(&jwk).unwrap();
}

#[test]
fn a_public_key_parse_still_checks_private_numbers() {
    assert_eq!(
        PublicKey::parse(bytes("bad/jwk_wrong_dp.json"), None)
            .unwrap_err()
            .kind(),
        &ErrorKind::InconsistentKey
    );
    assert_eq!(
        PublicKey::parse(bytes("bad/rsa1024.jwk.json"), None)
            .unwrap_err()
            .kind(),
        &ErrorKind::KeyTooSmall { bits: 1024 }
    );
}

#[test]
fn an_even_modulus_is_refused_before_a_verifier_is_built() {
    // Found by the key_loader fuzz target: `Verifier::parse` panicked on it.
    use base64::Engine as _;
    let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let mut jwk = json("demo/demo_public.jwk.json");
    let mut n = b64.decode(jwk["n"].as_str().unwrap()).unwrap();
    *n.last_mut().unwrap() ^= 1;
    jwk["n"] = b64.encode(&n).into();
    let even = jwk.to_string();
    let weak = ErrorKind::WeakKey {
        reason: "modulus is even",
    };
    assert_eq!(PublicKey::parse(&even, None).unwrap_err().kind(), &weak);
    assert_eq!(Verifier::parse(&even, None).unwrap_err().kind(), &weak);
}

#[test]
fn debug_shows_the_kid_only() {
    let key = demo_key();
    assert_eq!(
        format!("{key:?}"),
        format!("SigningKey {{ kid: \"{DEMO_KID}\", .. }}")
    );
    assert_eq!(
        format!("{:?}", demo_signer()),
        format!("Signer {{ kid: \"{DEMO_KID}\", .. }}")
    );
}

#[test]
fn a_response_field_never_holds_another_response() {
    use base64::Engine as _;
    let b64 = |s: &str| base64::engine::general_purpose::STANDARD.encode(s);
    let inner = text("demo/demo_create_result.json");
    // A `pem` field holding (base64 of) a whole response, not a PEM.
    let nested = format!(r#"{{"id":"{DEMO_KID}","pem":"{}"}}"#, b64(&inner));
    assert_eq!(
        SigningKey::parse(&nested, None).unwrap_err().kind(),
        &ErrorKind::WrongKeyForm {
            expected: "base64 of a PEM key"
        }
    );
    // A `jwk` field holding a response rather than a JWK.
    let nested = format!(r#"{{"id":"{DEMO_KID}","jwk":"{}"}}"#, b64(&inner));
    assert_eq!(
        SigningKey::parse(&nested, None).unwrap_err().kind(),
        &ErrorKind::WrongKeyForm {
            expected: "base64 of a JWK"
        }
    );
    // Bare forms in the fields still load.
    let bare = serde_json::json!({
        "id": DEMO_KID,
        "pem": text("demo/demo_pkcs1.pem"),
        "jwk": text("demo/demo.jwk.json"),
    });
    assert_eq!(
        SigningKey::parse(bare.to_string(), None)
            .unwrap()
            .kid()
            .as_str(),
        DEMO_KID
    );
}
