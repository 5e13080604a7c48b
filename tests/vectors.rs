//! Published vectors that no one here wrote: RFC 7515 A.2 and Project
//! Wycheproof (see `fixtures/README.md`).

use base64::Engine as _;
use cf_stream_token::{ErrorKind, SigningKey, Verifier, hazmat};

use crate::common::*;

fn b64url(s: &str) -> Vec<u8> {
    base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(s)
        .unwrap()
}

#[test]
fn rfc7515_a2_signature_is_reproduced_from_jwk_and_pem() {
    let a2 = json("rfc7515/a2.json");
    let input = a2["signing_input"].as_str().unwrap();
    let expected = b64url(a2["signature_b64url"].as_str().unwrap());
    assert!(
        a2["signature_b64url"]
            .as_str()
            .unwrap()
            .starts_with("cC4hiUPoj9Eetdgtv3hF")
    );
    let k = || Some(kid("rfc7515-a2"));
    let keys = [
        SigningKey::parse(bytes("rfc7515/a2.jwk.json"), None).unwrap(),
        SigningKey::from_jwk(&text("rfc7515/a2.jwk.json"), k()).unwrap(),
        SigningKey::parse(bytes("rfc7515/a2_pkcs1.pem"), k()).unwrap(),
        SigningKey::parse(bytes("rfc7515/a2_pkcs8.pem"), k()).unwrap(),
    ];
    for key in &keys {
        assert_eq!(hazmat::sign_rs256(key, input.as_bytes()).unwrap(), expected);
        Verifier::new(key.public_key().clone())
            .verify_rs256(input.as_bytes(), &expected)
            .unwrap();
    }
}

#[test]
fn wycheproof_sig_gen_sha256_is_reproduced_from_pkcs1_pkcs8_and_jwk() {
    let file = json("wycheproof/rsa_pkcs1_2048_sig_gen_test.json");
    let mut reproduced = 0;
    for group in file["testGroups"].as_array().unwrap() {
        if group["sha"] != "SHA-256" {
            continue;
        }
        let k = || kid("wycheproof");
        let pkcs1 = group["privateKeyPem"].as_str().unwrap();
        let pkcs8 = hex(group["privateKeyPkcs8"].as_str().unwrap());
        let mut jwk = group["privateKeyJwk"].clone();
        jwk.as_object_mut().unwrap().remove("kid");
        let keys = [
            SigningKey::from_pkcs1_pem(pkcs1, k()).unwrap(),
            SigningKey::from_pkcs8_der(&pkcs8, k()).unwrap(),
            SigningKey::parse(&pkcs8, Some(k())).unwrap(),
            SigningKey::from_jwk(&jwk.to_string(), Some(k())).unwrap(),
        ];
        for case in group["tests"].as_array().unwrap() {
            let msg = hex(case["msg"].as_str().unwrap());
            let sig = hex(case["sig"].as_str().unwrap());
            for key in &keys {
                assert_eq!(
                    hazmat::sign_rs256(key, &msg).unwrap(),
                    sig,
                    "tcId {}",
                    case["tcId"]
                );
            }
            reproduced += 1;
        }
    }
    // 8 cases with e = 65537 and 2 with e = 3 in this file version.
    assert_eq!(reproduced, 10);
}

#[test]
fn wycheproof_verify_accepts_valid_and_rejects_invalid() {
    let file = json("wycheproof/rsa_signature_2048_sha256_test.json");
    let (mut valid, mut invalid) = (0, 0);
    for group in file["testGroups"].as_array().unwrap() {
        let v = Verifier::parse(group["publicKeyPem"].as_str().unwrap(), None).unwrap();
        for case in group["tests"].as_array().unwrap() {
            let msg = hex(case["msg"].as_str().unwrap());
            let sig = hex(case["sig"].as_str().unwrap());
            let got = v.verify_rs256(&msg, &sig);
            match case["result"].as_str().unwrap() {
                "valid" => {
                    assert!(got.is_ok(), "tcId {} must verify", case["tcId"]);
                    valid += 1;
                }
                "invalid" => {
                    assert_eq!(
                        got.unwrap_err().kind(),
                        &ErrorKind::BadSignature,
                        "tcId {} must be refused",
                        case["tcId"]
                    );
                    invalid += 1;
                }
                _ => {} // "acceptable": either answer is allowed
            }
        }
    }
    assert_eq!((valid, invalid), (9, 249));
}

#[test]
fn wycheproof_jwk_rsa_keys_that_must_be_rejected_are() {
    let file = json("wycheproof/json_web_key_test.json");
    let mut checked = Vec::new();
    for group in file["testGroups"].as_array().unwrap() {
        let key = &group["private"]["keys"][0];
        if key["kty"] != "RSA" {
            continue;
        }
        let tc = group["tests"][0]["tcId"].as_u64().unwrap();
        let result = group["tests"][0]["result"].as_str().unwrap();
        let loaded = SigningKey::parse(key.to_string(), Some(kid(key["kid"].as_str().unwrap())));
        let public = Verifier::parse(group["public"]["keys"][0].to_string(), None);
        match (tc, result) {
            (5, "valid") => {
                loaded.unwrap();
                public.unwrap();
            }
            (6, "invalid") => {
                let expected = ErrorKind::KeyUseMismatch {
                    member: "use",
                    value: "enc".into(),
                };
                assert_eq!(loaded.unwrap_err().kind(), &expected);
                assert_eq!(public.unwrap_err().kind(), &expected);
            }
            (7, "invalid") => {
                assert!(matches!(
                    loaded.unwrap_err().kind(),
                    ErrorKind::WeakKey { .. }
                ));
                assert!(matches!(
                    public.unwrap_err().kind(),
                    ErrorKind::WeakKey { .. }
                ));
            }
            (8, "invalid") => {
                assert_eq!(
                    loaded.unwrap_err().kind(),
                    &ErrorKind::KeyTooSmall { bits: 1024 }
                );
                assert_eq!(
                    public.unwrap_err().kind(),
                    &ErrorKind::KeyTooSmall { bits: 1024 }
                );
            }
            (9, "invalid") => {
                assert_eq!(loaded.unwrap_err().kind(), &ErrorKind::InvalidExponent);
                assert_eq!(public.unwrap_err().kind(), &ErrorKind::InvalidExponent);
            }
            // An EC key labelled `kty: RSA`: refused on its declared algorithm.
            (24, "invalid") => {
                let expected = ErrorKind::KeyUseMismatch {
                    member: "alg",
                    value: "ES256".into(),
                };
                assert_eq!(loaded.unwrap_err().kind(), &expected);
                assert_eq!(public.unwrap_err().kind(), &expected);
            }
            other => panic!("unexpected RSA case {other:?}: update this test"),
        }
        checked.push(tc);
    }
    assert_eq!(checked, [5, 6, 7, 8, 9, 24]);
}

#[test]
fn wycheproof_jws_rs256_cases_are_reproduced_and_verified() {
    let file = json("wycheproof/json_web_signature_test.json");
    let mut seen = Vec::new();
    for group in file["testGroups"].as_array().unwrap() {
        for case in group["tests"].as_array().unwrap() {
            let tc = case["tcId"].as_u64().unwrap();
            if ![259, 260, 261, 262, 263, 345].contains(&tc) {
                continue;
            }
            assert_eq!(case["result"], "valid");
            let mut jwk = group["private"].clone();
            if jwk.get("keys").is_some() {
                jwk = jwk["keys"][0].clone();
            }
            jwk.as_object_mut().unwrap().remove("kid"); // e.g. an e-mail address
            let key = SigningKey::parse(jwk.to_string(), Some(kid("jws"))).unwrap();
            let jws = case["jws"].as_str().unwrap();
            let (input, sig) = jws.rsplit_once('.').unwrap();
            assert_eq!(
                hazmat::sign_rs256(&key, input.as_bytes()).unwrap(),
                b64url(sig),
                "tcId {tc}"
            );
            Verifier::new(key.public_key().clone())
                .verify_rs256(input.as_bytes(), &b64url(sig))
                .unwrap();
            seen.push(tc);
        }
    }
    seen.sort_unstable();
    assert_eq!(seen, [259, 260, 261, 262, 263, 345]);
}
