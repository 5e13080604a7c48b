//! Fuzz regressions on the stable toolchain: every committed input under
//! `fuzz/regressions/<target>/` replayed through the very code its libFuzzer
//! target runs (`fuzz/harness.rs`, included below), plus hand-made nasty
//! inputs of the kinds a fuzzer with a small `-max_len` cannot reach. Each
//! call must return (no panic) and every error's text must stay short.

use std::path::PathBuf;

use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use cf_stream_token::dangerous::decode_unverified;
use cf_stream_token::{ErrorKind, MAX_TOKEN_LEN, PublicKey, SigningKey, hazmat};

#[path = "../fuzz/harness.rs"]
mod harness;

use crate::common::*;

/// Replayed by `src/api/fuzzing.rs` and `src/bin/cf-stream-token/parse.rs`.
const REPLAYED_BY_UNIT_TESTS: [&str; 2] = ["api_envelope", "cli_parsers"];

fn regressions_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("fuzz/regressions")
}

#[test]
fn every_committed_fuzz_input_replays_cleanly() {
    let mut replayed = 0;
    for dir in std::fs::read_dir(regressions_dir()).expect("fuzz/regressions exists") {
        let dir = dir.unwrap().path();
        let target = dir.file_name().unwrap().to_str().unwrap().to_owned();
        // These two targets' bodies need `cfg(fuzzing)`-or-test code of the
        // library and the binary; their own unit tests replay their inputs.
        if REPLAYED_BY_UNIT_TESTS.contains(&target.as_str()) {
            continue;
        }
        assert!(
            harness::TARGETS.contains(&target.as_str()),
            "fuzz/regressions/{target} names no fuzz target"
        );
        for file in std::fs::read_dir(&dir).unwrap() {
            let file = file.unwrap().path();
            let data = std::fs::read(&file).unwrap();
            let outcome = std::panic::catch_unwind(|| harness::run(&target, &data));
            assert!(outcome.is_ok(), "{} panicked", file.display());
            replayed += 1;
        }
    }
    assert!(replayed > 0, "no regression inputs found");
}

/// Hand-made inputs: each through its target, then a specific expectation.
fn key(data: &[u8]) -> ErrorKind {
    harness::key_loader(data);
    SigningKey::parse(data, None).unwrap_err().into_kind()
}

fn der_len_4gib(tag: u8) -> Vec<u8> {
    let mut der = vec![tag, 0x84, 0xff, 0xff, 0xff, 0xff];
    der.extend_from_slice(&[0x02, 0x01, 0x00]);
    der
}

#[test]
fn a_4_gib_der_length_is_truncated_not_allocated() {
    let der = der_len_4gib(0x30);
    assert_eq!(key(&der), ErrorKind::InvalidDer { what: "key" });
    for label in [
        "RSA PRIVATE KEY",
        "PRIVATE KEY",
        "PUBLIC KEY",
        "RSA PUBLIC KEY",
    ] {
        let pem = format!(
            "-----BEGIN {label}-----\n{}\n-----END {label}-----\n",
            STANDARD.encode(&der)
        );
        assert_eq!(key(pem.as_bytes()), ErrorKind::TruncatedPem, "{label}");
    }
}

#[test]
fn deeply_nested_json_is_refused_without_overflowing_the_stack() {
    let depth = 100_000;
    let arrays = format!(r#"{{"x":{}{}}}"#, "[".repeat(depth), "]".repeat(depth));
    // Skipped iteratively by serde_json (an unknown member), so no key: no
    // overflow either way.
    let k = key(arrays.as_bytes());
    assert!(matches!(k, ErrorKind::UnexpectedJson { .. }), "{k:?}");
    let results = format!("{}{}", r#"{"result":"#.repeat(depth), "}".repeat(depth));
    assert!(matches!(
        key(results.as_bytes()),
        ErrorKind::InvalidJson { .. }
    ));

    // The same nesting as a token's header and payload, signed.
    let payload = format!(r#"{{"sub":{}{}}}"#, "[".repeat(depth), "]".repeat(depth));
    harness::verifier_signed(payload.as_bytes());
    harness::verifier_signed(format!("{arrays}\n{payload}").as_bytes());
}

#[test]
fn a_token_of_ten_thousand_dots_is_malformed() {
    let dots = ".".repeat(10_000);
    harness::verifier(dots.as_bytes());
    let v = demo_signer().verifier();
    let kind = v.verify_at(&dots, at(NOW)).unwrap_err().into_kind();
    assert!(matches!(kind, ErrorKind::MalformedToken { .. }));
    assert!(decode_unverified(&dots).is_err());

    // Just over the length guard, and a huge but well-formed-looking token.
    let long = format!("a.b.{}", "A".repeat(MAX_TOKEN_LEN));
    harness::verifier(long.as_bytes());
    let part = URL_SAFE_NO_PAD.encode(vec![b' '; 40_000]);
    harness::verifier(format!("{part}.{part}.{part}").as_bytes());
}

#[test]
fn invalid_utf8_and_control_bytes_are_not_a_key() {
    harness::key_loader(&[0xff, 0xfe, 0x00, 0x30]);
    harness::key_loader(b"-----BEGIN \xff\xfe-----\n-----END \xff\xfe-----");
    assert_eq!(key(b"\0\0\0\0\0\0\0\0"), ErrorKind::NotAKey);
    harness::verifier(b"\xff.\xfe.\x00");
}

fn regression(rel: &str) -> Vec<u8> {
    std::fs::read(regressions_dir().join(rel)).unwrap_or_else(|e| panic!("{rel}: {e}"))
}

/// The `verifier_signed` input `rel` as the token that target makes of it.
fn signed_regression(rel: &str) -> String {
    let data = regression(rel);
    let (header, payload) = match data.iter().position(|&b| b == b'\n') {
        Some(i) => (data[..i].to_vec(), data[i + 1..].to_vec()),
        None => (harness::DEMO_HEADER.to_vec(), data),
    };
    let input = format!(
        "{}.{}",
        URL_SAFE_NO_PAD.encode(header),
        URL_SAFE_NO_PAD.encode(payload)
    );
    let sig = hazmat::sign_rs256(&demo_key(), input.as_bytes()).unwrap();
    format!("{input}.{}", URL_SAFE_NO_PAD.encode(sig))
}

#[test]
fn issue_9_inputs_in_the_corpus_get_their_exact_answers() {
    // Keys: DER ending in whitespace loads (with a kid; DER carries none).
    for rel in [
        "key_loader/issue9_der_ending_in_space_pkcs1.der",
        "key_loader/issue9_der_ending_in_newline_pkcs8.der",
    ] {
        let der = regression(rel);
        assert!(matches!(der.last(), Some(b' ' | b'\n')), "{rel}");
        assert_eq!(
            SigningKey::parse(&der, None).unwrap_err().into_kind(),
            ErrorKind::KeyIdRequired,
            "{rel}"
        );
        assert_eq!(
            SigningKey::parse(&der, Some(kid(DEMO_KID))).unwrap().bits(),
            2048
        );
        assert_eq!(PublicKey::parse(&der, None).unwrap().bits(), 2048);
    }
    let two = regression("key_loader/issue9_two_private_key_blocks.pem");
    assert_eq!(
        SigningKey::parse(&two, Some(kid(DEMO_KID)))
            .unwrap_err()
            .into_kind(),
        ErrorKind::MultipleKeys { count: 2 }
    );
    let bag = regression("key_loader/issue9_bag_attributes_then_one_key.pem");
    assert_eq!(
        SigningKey::parse(&bag, Some(kid(DEMO_KID)))
            .unwrap()
            .public_key(),
        demo_key().public_key()
    );

    // Tokens, as of the harness's clock.
    let v = demo_signer().verifier();
    let now = at(harness::NOW);
    let malformed = |reason| ErrorKind::MalformedToken { reason };
    let repeated = malformed("a member name is repeated");
    let unsigned =
        String::from_utf8(regression("verifier/issue9_duplicate_alg_unsigned.jwt")).unwrap();
    assert_eq!(
        v.verify_at(&unsigned, now).unwrap_err().into_kind(),
        repeated
    );
    assert_eq!(
        decode_unverified(&unsigned).unwrap_err().into_kind(),
        repeated
    );
    for (rel, want) in [
        (
            "verifier_signed/issue9_crit_null.txt",
            malformed("critical header extensions are not supported"),
        ),
        ("verifier_signed/issue9_duplicate_alg.txt", repeated.clone()),
        ("verifier_signed/issue9_duplicate_exp.txt", repeated.clone()),
        (
            "verifier_signed/issue9_exp_plus_sign.txt",
            malformed("exp is not a valid time"),
        ),
    ] {
        let token = signed_regression(rel);
        assert_eq!(
            v.verify_at(&token, now).unwrap_err().into_kind(),
            want,
            "{rel}"
        );
    }
}
