//! The wasm32 build (feature `webcrypto`): `WebCryptoSigner` under a real
//! JS runtime's WebCrypto. Run under Node by `wasm-bindgen-test-runner`:
//!
//! ```text
//! CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUNNER=wasm-bindgen-test-runner \
//!     cargo test --target wasm32-unknown-unknown --no-default-features --features webcrypto --test wasm
//! ```
//!
//! Fixtures are embedded (`include_str!`): there is no file system here.
#![cfg(all(target_arch = "wasm32", feature = "webcrypto"))]

use std::time::Duration;

use cf_stream_token::{
    AccessRule, Action, ErrorKind, Hls, KeyId, PlaybackUrls, PublicKey, SigningKey, StreamHost,
    Surface, TokenOptions, VideoId, WebCryptoSigner, WebCryptoVerifier,
};
use time::OffsetDateTime;
use wasm_bindgen_test::wasm_bindgen_test;

const NOW: i64 = 1_700_000_000;
const DEMO_KID: &str = "8f3c2a1b9d4e5f60718293a4b5c6d7e8";

fn at(secs: i64) -> OffsetDateTime {
    OffsetDateTime::from_unix_timestamp(secs).unwrap()
}

fn video() -> VideoId {
    "ea95132c15732412d22c1476fa83f27a".parse().unwrap()
}

fn kid() -> KeyId {
    DEMO_KID.parse().unwrap()
}

async fn demo() -> WebCryptoSigner {
    let key = SigningKey::parse(include_str!("../fixtures/demo/demo.jwk.json"), None).unwrap();
    WebCryptoSigner::new(key).await.unwrap()
}

/// The independent golden tokens (made with Python's `cryptography`), from
/// every key form: the same bytes as the native signer's.
#[wasm_bindgen_test]
async fn golden_tokens_from_every_key_form_are_byte_identical() {
    let golden_min = include_str!("../fixtures/golden/minimal.jwt");
    let golden_full = include_str!("../fixtures/golden/nbf_downloadable.jwt");
    let full_opts = TokenOptions::builder()
        .lifetime(Duration::from_secs(7200))
        .backdate_not_before(Duration::from_secs(3600))
        .downloadable(true)
        .build()
        .unwrap();
    let forms = [
        SigningKey::from_pkcs1_pem(include_str!("../fixtures/demo/demo_pkcs1.pem"), kid()),
        SigningKey::from_pkcs8_pem(include_str!("../fixtures/demo/demo_pkcs8.pem"), kid()),
        SigningKey::from_pkcs1_der(include_bytes!("../fixtures/demo/demo_pkcs1.der"), kid()),
        SigningKey::from_pkcs8_der(include_bytes!("../fixtures/demo/demo_pkcs8.der"), kid()),
        SigningKey::from_base64_pem(include_str!("../fixtures/demo/demo_pkcs1.pem.b64"), kid()),
        SigningKey::from_base64_pem(include_str!("../fixtures/demo/demo_pkcs8.pem.b64"), kid()),
        SigningKey::from_jwk(include_str!("../fixtures/demo/demo.jwk.json"), None),
        SigningKey::from_base64_jwk(include_str!("../fixtures/demo/demo.jwk.b64"), None),
        SigningKey::from_create_response(
            include_str!("../fixtures/demo/demo_create_response.json"),
            None,
        ),
        SigningKey::parse(
            include_str!("../fixtures/demo/demo_create_result.json"),
            None,
        ),
        SigningKey::parse(
            include_str!("../fixtures/demo/demo_pkcs1_crlf.pem"),
            Some(kid()),
        ),
    ];
    let mut n = 0;
    for key in forms {
        let signer = WebCryptoSigner::new(key.unwrap()).await.unwrap();
        assert_eq!(signer.kid().as_str(), DEMO_KID);
        let min = signer
            .mint_at(at(NOW), &video(), &TokenOptions::default())
            .await
            .unwrap();
        assert_eq!(min.as_str(), golden_min);
        assert_eq!(min.exp(), NOW + 3600);
        let full = signer.mint_at(at(NOW), &video(), &full_opts).await.unwrap();
        assert_eq!(full.as_str(), golden_full);
        assert_eq!(full.nbf(), Some(NOW - 3600));
        n += 1;
    }
    assert_eq!(n, 11);
}

/// Tokens the native signer made (fixtures/golden/native/): access rules at
/// the 24-hour cap, a second key, a playback URL.
#[wasm_bindgen_test]
async fn tokens_match_the_native_signer_byte_for_byte() {
    let rules = TokenOptions::builder()
        .lifetime(Duration::from_secs(86_400))
        .backdate_not_before(Duration::from_secs(3600))
        .access_rules(vec![
            AccessRule::countries(Action::Allow, ["GB", "MX"]).unwrap(),
            AccessRule::networks(Action::Block, ["93.184.216.0/24", "2400:cb00::/32"]).unwrap(),
            AccessRule::any(Action::Block),
        ])
        .build()
        .unwrap();
    let demo = demo().await;
    let token = demo.mint_at(at(NOW), &video(), &rules).await.unwrap();
    assert_eq!(
        token.as_str(),
        include_str!("../fixtures/golden/native/demo_rules_24h.jwt")
    );
    assert_eq!(token.claims().access_rules().len(), 3);

    let other = SigningKey::parse(include_str!("../fixtures/other/other.jwk.json"), None).unwrap();
    let other = WebCryptoSigner::new(other).await.unwrap();
    assert_eq!(
        other
            .mint_at(at(NOW), &video(), &TokenOptions::default())
            .await
            .unwrap()
            .as_str(),
        include_str!("../fixtures/golden/native/other_minimal.jwt")
    );

    let urls = PlaybackUrls::builder(StreamHost::customer_code("abc123").unwrap(), video())
        .surface(Surface::Hls(Hls::default()))
        .build()
        .unwrap();
    let token = demo
        .mint_at(at(NOW), urls.video(), urls.token_options())
        .await
        .unwrap();
    let signed = urls.with_token(token).unwrap();
    assert_eq!(
        signed.urls()[0],
        include_str!("../fixtures/golden/native/demo_hls_url.txt")
    );
}

/// The 24-hour cap, against the signing clock, before WebCrypto is asked.
#[wasm_bindgen_test]
async fn the_24_hour_cap_holds() {
    let s = demo().await;
    let ok = TokenOptions::builder()
        .expires_at(at(NOW + 86_400))
        .build()
        .unwrap();
    assert_eq!(
        s.mint_at(at(NOW), &video(), &ok).await.unwrap().exp(),
        NOW + 86_400
    );
    let far = TokenOptions::builder()
        .expires_at(at(NOW + 86_401))
        .build()
        .unwrap();
    assert_eq!(
        s.mint_at(at(NOW), &video(), &far).await.unwrap_err().kind(),
        &ErrorKind::ExpiryTooFar {
            exp: NOW + 86_401,
            max: NOW + 86_400
        }
    );
    // Options built ahead cannot smuggle a long expiry in.
    assert_eq!(
        s.mint_at(at(NOW - 10), &video(), &ok)
            .await
            .unwrap_err()
            .kind(),
        &ErrorKind::ExpiryTooFar {
            exp: NOW + 86_400,
            max: NOW - 10 + 86_400
        }
    );
    assert_eq!(
        TokenOptions::builder()
            .lifetime(Duration::from_secs(86_401))
            .build()
            .unwrap_err()
            .kind(),
        &ErrorKind::LifetimeTooLong { seconds: 86_401 }
    );
}

/// The pure-Rust CRT check runs here too (WebCrypto has none): a wrong
/// `d`, `dp` or `qi` is refused when the key is loaded.
#[wasm_bindgen_test]
fn inconsistent_keys_are_refused() {
    for text in [
        include_str!("../fixtures/bad/jwk_wrong_d.json"),
        include_str!("../fixtures/bad/jwk_wrong_dp.json"),
        include_str!("../fixtures/bad/jwk_wrong_qi.json"),
    ] {
        let e = SigningKey::parse(text, None).unwrap_err();
        assert_eq!(e.kind(), &ErrorKind::InconsistentKey);
    }
    let e = SigningKey::parse(
        include_str!("../fixtures/bad/pkcs1_wrong_dp.pem"),
        Some(kid()),
    )
    .unwrap_err();
    assert_eq!(e.kind(), &ErrorKind::InconsistentKey);
    let e = SigningKey::parse(include_str!("../fixtures/bad/rsa1024.jwk.json"), None).unwrap_err();
    assert_eq!(e.kind(), &ErrorKind::KeyTooSmall { bits: 1024 });
}

/// `mint` reads `Date.now()` (not `SystemTime::now`, which panics here).
#[wasm_bindgen_test]
async fn mint_reads_the_js_clock() {
    let s = demo().await;
    #[allow(clippy::cast_possible_truncation)]
    let before = (js_sys::Date::now() / 1000.0).floor() as i64;
    let token = s.mint(&video(), &TokenOptions::default()).await.unwrap();
    #[allow(clippy::cast_possible_truncation)]
    let after = (js_sys::Date::now() / 1000.0).floor() as i64;
    assert!(
        (before + 3600..=after + 3600).contains(&token.exp()),
        "{}",
        token.exp()
    );
    assert!(before > 1_700_000_000);
}

/// Debug shows the key id only.
#[wasm_bindgen_test]
async fn debug_shows_the_kid_only() {
    assert_eq!(
        format!("{:?}", demo().await),
        format!(r#"WebCryptoSigner {{ kid: "{DEMO_KID}", .. }}"#)
    );
}

/// `WebCryptoVerifier` accepts the golden tokens (made independently), and
/// refuses with the native verifier's kinds: a changed payload or signature,
/// another video, expiry, `nbf`, another key's kid, and a non-RS256 header.
#[wasm_bindgen_test]
async fn the_webcrypto_verifier_checks_what_the_native_one_checks() {
    let public =
        PublicKey::parse(include_str!("../fixtures/demo/demo_public.jwk.json"), None).unwrap();
    let v = WebCryptoVerifier::new(public).await.unwrap();
    let golden = include_str!("../fixtures/golden/minimal.jwt").trim();
    let claims = v.verify_at(golden, at(NOW)).await.unwrap();
    assert_eq!(claims.video(), &video());
    assert_eq!(claims.kid(), &kid());
    let full = include_str!("../fixtures/golden/nbf_downloadable.jwt").trim();
    assert!(
        v.verify_for_at(&video(), full, at(NOW))
            .await
            .unwrap()
            .downloadable()
    );

    let kind = |r: Result<_, cf_stream_token::Error>| r.unwrap_err().kind().clone();
    let (head, sig) = golden.rsplit_once('.').unwrap();
    // One bit of the signature flipped (its first character: no padding bits).
    let flipped = if sig.starts_with('A') { "B" } else { "A" };
    let bad_sig = format!("{head}.{flipped}{}", &sig[1..]);
    assert_eq!(
        kind(v.verify_at(&bad_sig, at(NOW)).await),
        ErrorKind::BadSignature
    );
    let other_signer = demo().await;
    let other = other_signer
        .mint_at(
            at(NOW),
            &video(),
            &TokenOptions::builder().downloadable(true).build().unwrap(),
        )
        .await
        .unwrap();
    let (_, other_sig) = other.as_str().rsplit_once('.').unwrap();
    assert_eq!(
        kind(v.verify_at(&format!("{head}.{other_sig}"), at(NOW)).await),
        ErrorKind::BadSignature
    );
    let another: VideoId = "0123456789abcdef0123456789abcdef".parse().unwrap();
    assert!(matches!(
        kind(v.verify_for_at(&another, golden, at(NOW)).await),
        ErrorKind::WrongVideo { .. }
    ));
    let exp = claims.exp();
    assert_eq!(
        kind(v.verify_at(golden, at(exp)).await),
        ErrorKind::Expired { exp, now: exp }
    );
    let lenient = v.clone().with_leeway(Duration::from_secs(60));
    assert!(lenient.verify_at(golden, at(exp + 59)).await.is_ok());
    assert!(matches!(
        kind(v.verify_at(full, at(NOW - 7200)).await),
        ErrorKind::NotYetValid { .. }
    ));
    let hs256 = format!(
        "eyJhbGciOiJIUzI1NiIsImtpZCI6IjhmM2MyYTFiOWQ0ZTVmNjA3MTgyOTNhNGI1YzZkN2U4In0.{}",
        &golden[golden.find('.').unwrap() + 1..]
    );
    assert!(matches!(
        kind(v.verify_at(&hs256, at(NOW)).await),
        ErrorKind::WrongAlgorithm { .. }
    ));
    assert!(matches!(
        kind(v.verify_at("a.b", at(NOW)).await),
        ErrorKind::MalformedToken { .. }
    ));
    assert_eq!(
        format!("{v:?}"),
        format!(r#"WebCryptoVerifier {{ kid: Some("{DEMO_KID}"), leeway_secs: 0 }}"#)
    );
}

/// A signer's own verifier, and a verifier of several keys choosing by kid.
#[wasm_bindgen_test]
async fn verifiers_from_a_signer_and_from_several_keys() {
    let s = demo().await;
    let token = s
        .mint_at(at(NOW), &video(), &TokenOptions::default())
        .await
        .unwrap();
    let own = s.verifier().await.unwrap();
    assert_eq!(
        own.verify_at(token.as_str(), at(NOW)).await.unwrap().kid(),
        &kid()
    );

    let other_key =
        SigningKey::parse(include_str!("../fixtures/other/other.jwk.json"), None).unwrap();
    let other_kid = *other_key.kid();
    assert_ne!(other_kid, kid());
    let other = WebCryptoSigner::new(other_key).await.unwrap();
    let other_token = other
        .mint_at(at(NOW), &video(), &TokenOptions::default())
        .await
        .unwrap();
    assert_eq!(
        own.verify_at(other_token.as_str(), at(NOW))
            .await
            .unwrap_err()
            .kind(),
        &ErrorKind::WrongKey {
            kid: other_kid.to_string()
        }
    );

    let ring = WebCryptoVerifier::from_keys([s.public_key().clone(), other.public_key().clone()])
        .await
        .unwrap();
    assert_eq!(ring.public_keys().len(), 2);
    assert_eq!(
        ring.verify_at(token.as_str(), at(NOW)).await.unwrap().kid(),
        &kid()
    );
    assert_eq!(
        ring.verify_at(other_token.as_str(), at(NOW))
            .await
            .unwrap()
            .kid(),
        &other_kid
    );
    let only_other = WebCryptoVerifier::from_keys([other.public_key().clone()])
        .await
        .unwrap();
    assert_eq!(
        only_other
            .verify_at(token.as_str(), at(NOW))
            .await
            .unwrap_err()
            .kind(),
        &ErrorKind::UnknownKey {
            kid: DEMO_KID.to_string()
        }
    );
    let no_kid =
        PublicKey::parse(include_str!("../fixtures/demo/demo_public_spki.pem"), None).unwrap();
    assert_eq!(
        WebCryptoVerifier::from_keys([no_kid])
            .await
            .unwrap_err()
            .kind(),
        &ErrorKind::KeyIdRequired
    );
}

/// `with_sign_function` with Node's `node:crypto` (what the JS package does
/// in Node): the golden tokens byte for byte; an importer that throws or
/// returns no function, and a signature of the wrong length, are
/// `SigningFailed`.
#[wasm_bindgen_test]
async fn a_synchronous_sign_function_makes_the_same_tokens() {
    let key = || SigningKey::parse(include_str!("../fixtures/demo/demo.jwk.json"), None).unwrap();
    let node = js_sys::Function::new_with_args(
        "jwk",
        "const c = process.getBuiltinModule('node:crypto');
         const k = c.createPrivateKey({ key: jwk, format: 'jwk' });
         return (m) => c.sign('sha256', m, k);",
    );
    let s = WebCryptoSigner::with_sign_function(key(), &node).unwrap();
    let token = s
        .mint_at(at(NOW), &video(), &TokenOptions::default())
        .await
        .unwrap();
    assert_eq!(
        token.as_str(),
        include_str!("../fixtures/golden/minimal.jwt").trim()
    );
    assert_eq!(s.kid(), &kid());

    let throws = js_sys::Function::new_with_args("jwk", "throw new Error('no')");
    let none = js_sys::Function::new_with_args("jwk", "return 42");
    for import in [throws, none] {
        let e = WebCryptoSigner::with_sign_function(key(), &import).unwrap_err();
        assert_eq!(e.kind(), &ErrorKind::SigningFailed);
    }
    let short = js_sys::Function::new_with_args("jwk", "return (m) => new Uint8Array(255)");
    let s = WebCryptoSigner::with_sign_function(key(), &short).unwrap();
    let e = s
        .mint_at(at(NOW), &video(), &TokenOptions::default())
        .await
        .unwrap_err();
    assert_eq!(e.kind(), &ErrorKind::SigningFailed);
}
