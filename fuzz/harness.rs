//! What each fuzz target does with one input, and what it asserts.
//!
//! Shared, file for file, by the libFuzzer targets (`fuzz/fuzz_targets/*.rs`,
//! nightly-free builds with cargo-fuzz) and by the root crate's stable
//! `cargo test` (`tests/fuzz_regressions.rs`), which replays every committed
//! input under `fuzz/regressions/<target>/` through the same function. Only
//! the crate's public API is used.

use std::sync::OnceLock;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use cf_stream_token::dangerous::decode_unverified;
use cf_stream_token::{Claims, Error, KeyId, PublicKey, SigningKey, Verifier, hazmat};
use time::OffsetDateTime;

/// An error's `Display` and `Debug` must each stay shorter than this: errors
/// name the problem and never echo (much of) the input.
pub(crate) const MAX_ERROR_TEXT: usize = 300;

/// The demo key (public test key, see fixtures/README.md).
const DEMO_JWK: &str = include_str!("../fixtures/demo/demo.jwk.json");

/// The verifier's fixed clock: inside the golden tokens' validity window.
pub(crate) const NOW: i64 = 1_700_000_060;

/// `verifier_signed` inputs without a newline are payloads under this header.
pub(crate) const DEMO_HEADER: &[u8] =
    br#"{"alg":"RS256","kid":"8f3c2a1b9d4e5f60718293a4b5c6d7e8"}"#;

/// The targets, by name (also the directory names under `fuzz/regressions/`).
pub(crate) const TARGETS: [&str; 3] = ["key_loader", "verifier", "verifier_signed"];

/// Run one input through the target called `name`.
pub(crate) fn run(name: &str, data: &[u8]) {
    match name {
        "key_loader" => key_loader(data),
        "verifier" => verifier(data),
        "verifier_signed" => verifier_signed(data),
        other => panic!("unknown fuzz target {other:?}"),
    }
}

/// Assert that an error's text is bounded.
pub(crate) fn check_error(e: &Error) {
    let display = e.to_string();
    assert!(
        display.len() < MAX_ERROR_TEXT,
        "error Display is {} bytes: {display}",
        display.len()
    );
    let debug = format!("{e:?}");
    assert!(
        debug.len() < MAX_ERROR_TEXT,
        "error Debug is {} bytes: {debug}",
        debug.len()
    );
}

fn demo_key() -> &'static SigningKey {
    static KEY: OnceLock<SigningKey> = OnceLock::new();
    KEY.get_or_init(|| SigningKey::parse(DEMO_JWK, None).expect("the demo key loads"))
}

fn demo_verifier() -> &'static Verifier {
    static VERIFIER: OnceLock<Verifier> = OnceLock::new();
    VERIFIER.get_or_init(|| Verifier::new(demo_key().public_key().clone()))
}

fn now() -> OffsetDateTime {
    OffsetDateTime::from_unix_timestamp(NOW).expect("a valid time")
}

/// Target `key_loader`: arbitrary bytes as a key, every form, auto-detected.
pub(crate) fn key_loader(data: &[u8]) {
    let fuzz_kid = KeyId::new("fuzz").expect("a valid key id");
    let own = SigningKey::parse(data, None);
    let given = SigningKey::parse(data, Some(fuzz_kid));
    let public = PublicKey::parse(data, None);

    for r in [
        own.as_ref().err(),
        given.as_ref().err(),
        public.as_ref().err(),
    ]
    .into_iter()
    .flatten()
    {
        check_error(r);
    }
    if let Ok(key) = &given {
        assert_eq!(key.kid(), &fuzz_kid);
        assert!(format!("{key:?}").len() < MAX_ERROR_TEXT);
    }
    // Every loadable public key makes a verifier (Verifier::new must not panic).
    if let Ok(public) = &public {
        assert_eq!(Verifier::new(public.clone()).public_key(), public);
    }
    // A loadable private key has a loadable public half, the same numbers.
    for key in [own.as_ref().ok(), given.as_ref().ok()]
        .into_iter()
        .flatten()
    {
        let public = public
            .as_ref()
            .expect("private key loads, public half must");
        assert_eq!(key.public_key().to_spki_der(), public.to_spki_der());
        assert_eq!(key.bits(), public.bits());
    }
    // The explicit constructors sniff as `parse` does: what one of them
    // reads, `parse` reads as the same key. (Not the base64 ones: they decode
    // whatever base64 they are handed, while `parse` takes a wrapper only
    // where it looks like one.)
    let explicit = [
        std::str::from_utf8(data)
            .ok()
            .and_then(|text| SigningKey::from_pkcs1_pem(text, fuzz_kid).ok()),
        std::str::from_utf8(data)
            .ok()
            .and_then(|text| SigningKey::from_pkcs8_pem(text, fuzz_kid).ok()),
        std::str::from_utf8(data)
            .ok()
            .and_then(|text| SigningKey::from_jwk(text, Some(fuzz_kid)).ok()),
        SigningKey::from_pkcs1_der(data, fuzz_kid).ok(),
        SigningKey::from_pkcs8_der(data, fuzz_kid).ok(),
    ];
    for key in explicit.iter().flatten() {
        let auto = given
            .as_ref()
            .expect("an explicit constructor read it, parse must");
        assert_eq!(key.public_key(), auto.public_key());
    }
    // With its own kid, a key given another kid is refused, never relabelled.
    if let Ok(key) = &own
        && key.kid() != &fuzz_kid
    {
        assert!(given.is_err(), "a key's own kid was overridden");
    }
}

/// Target `verifier`: arbitrary bytes as a compact token.
pub(crate) fn verifier(data: &[u8]) {
    let token = String::from_utf8_lossy(data);
    check_token(&token);
}

/// Target `verifier_signed`: the input is `header JSON \n payload JSON` (or
/// payload JSON alone under the demo header), signed with the demo key, so
/// that fuzzing reaches past the signature into claims parsing.
pub(crate) fn verifier_signed(data: &[u8]) {
    let (header, payload) = match data.iter().position(|&b| b == b'\n') {
        Some(i) => (&data[..i], &data[i + 1..]),
        None => (DEMO_HEADER, data),
    };
    let signing_input = format!(
        "{}.{}",
        URL_SAFE_NO_PAD.encode(header),
        URL_SAFE_NO_PAD.encode(payload)
    );
    let sig =
        hazmat::sign_rs256(demo_key(), signing_input.as_bytes()).expect("signing never fails");
    let token = format!("{signing_input}.{}", URL_SAFE_NO_PAD.encode(sig));
    check_token(&token);
}

fn check_token(token: &str) {
    let verified: Result<Claims, Error> = demo_verifier().verify_at(token, now());
    let decoded = decode_unverified(token);
    if let Err(e) = &verified {
        check_error(e);
    }
    if let Err(e) = &decoded {
        check_error(e);
    }
    // What verifies also decodes, to the same claims.
    if let Ok(claims) = &verified {
        let unverified = decoded.as_ref().expect("verified token must decode");
        assert_eq!(claims, &unverified.claims);
        assert!(claims.exp() > NOW);
    }
}
