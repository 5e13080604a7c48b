//! Minting: golden tokens, exact claim shapes, the 24-hour cap.

use std::time::Duration;

use base64::Engine as _;
use cf_stream_token::{ErrorKind, Signer, SigningKey, TokenOptions};

use crate::common::*;

fn b64url_json(part: &str) -> String {
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(part)
        .unwrap();
    String::from_utf8(bytes).unwrap()
}

#[test]
fn golden_tokens_from_every_key_form_are_byte_identical() {
    let golden_min = text("golden/minimal.jwt");
    let golden_full = text("golden/nbf_downloadable.jwt");
    let full_opts = TokenOptions::builder()
        .lifetime(Duration::from_secs(7200))
        .backdate_not_before(Duration::from_secs(3600))
        .downloadable(true)
        .build()
        .unwrap();
    let forms = [
        SigningKey::from_pkcs1_pem(&text("demo/demo_pkcs1.pem"), kid(DEMO_KID)),
        SigningKey::from_pkcs8_pem(&text("demo/demo_pkcs8.pem"), kid(DEMO_KID)),
        SigningKey::from_pkcs1_der(&bytes("demo/demo_pkcs1.der"), kid(DEMO_KID)),
        SigningKey::from_base64_pem(&text("demo/demo_pkcs1.pem.b64"), kid(DEMO_KID)),
        SigningKey::from_jwk(&text("demo/demo.jwk.json"), None),
        SigningKey::from_base64_jwk(&text("demo/demo.jwk.b64"), None),
        SigningKey::from_create_response(&text("demo/demo_create_response.json"), None),
    ];
    for key in forms {
        let signer = Signer::new(key.unwrap());
        let min = signer
            .mint_at(at(NOW), &video(), &TokenOptions::default())
            .unwrap();
        assert_eq!(min.as_str(), golden_min);
        let full = signer.mint_at(at(NOW), &video(), &full_opts).unwrap();
        assert_eq!(full.as_str(), golden_full);
    }
}

#[test]
fn header_and_claims_have_cloudflares_exact_shape() {
    let token = demo_signer()
        .mint_at(at(NOW), &video(), &TokenOptions::default())
        .unwrap();
    let parts: Vec<&str> = token.as_str().split('.').collect();
    assert_eq!(parts.len(), 3);
    assert_eq!(
        b64url_json(parts[0]),
        format!(r#"{{"alg":"RS256","kid":"{DEMO_KID}"}}"#)
    );
    assert_eq!(
        b64url_json(parts[1]),
        format!(
            r#"{{"sub":"{VIDEO}","kid":"{DEMO_KID}","exp":{}}}"#,
            NOW + 3600
        )
    );
    assert_eq!(
        parts[2].len(),
        342,
        "2048-bit signature, base64url unpadded"
    );
    assert_eq!(token.to_string(), token.as_str());
    assert_eq!(token.video(), &video());
    assert_eq!(token.kid().as_str(), DEMO_KID);
    assert_eq!(token.exp(), NOW + 3600);
    assert_eq!(token.expires_at(), at(NOW + 3600));
    assert_eq!(token.nbf(), None);
    assert!(!token.claims().downloadable());
    assert!(token.claims().access_rules().is_empty());
}

#[test]
fn fractional_signing_clock_never_stretches_the_cap() {
    // 0.9 s past a whole second: exp counts from the floor, so it stays within 24 h.
    let now = at(NOW) + time::Duration::milliseconds(900);
    let opts = TokenOptions::builder()
        .lifetime(Duration::from_secs(86_400))
        .build()
        .unwrap();
    let t = demo_signer().mint_at(now, &video(), &opts).unwrap();
    assert_eq!(t.exp(), NOW + 86_400);
    assert!(t.expires_at() - now <= time::Duration::hours(24));
}

#[test]
fn the_cap_holds_at_mint_for_every_way_of_setting_exp() {
    let s = demo_signer();
    let ok = TokenOptions::builder()
        .expires_at(at(NOW + 86_400))
        .build()
        .unwrap();
    assert_eq!(
        s.mint_at(at(NOW), &video(), &ok).unwrap().exp(),
        NOW + 86_400
    );
    let far = TokenOptions::builder()
        .expires_at(at(NOW + 86_401))
        .build()
        .unwrap();
    assert_eq!(
        s.mint_at(at(NOW), &video(), &far).unwrap_err().kind(),
        &ErrorKind::ExpiryTooFar {
            exp: NOW + 86_401,
            max: NOW + 86_400
        }
    );
    // Options built well ahead cannot smuggle a long expiry: the cap is
    // checked against the clock at mint time.
    assert_eq!(
        s.mint_at(at(NOW - 10), &video(), &ok).unwrap_err().kind(),
        &ErrorKind::ExpiryTooFar {
            exp: NOW + 86_400,
            max: NOW + 86_390
        }
    );
    assert_eq!(
        s.mint_at(at(NOW + 86_400), &video(), &ok)
            .unwrap_err()
            .kind(),
        &ErrorKind::ExpiryNotInFuture {
            exp: NOW + 86_400,
            now: NOW + 86_400
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

#[test]
fn absolute_nbf_is_emitted_as_given() {
    let opts = TokenOptions::builder()
        .not_before(at(NOW - 5))
        .build()
        .unwrap();
    let t = demo_signer().mint_at(at(NOW), &video(), &opts).unwrap();
    let payload = b64url_json(t.as_str().split('.').nth(1).unwrap());
    assert_eq!(
        payload,
        format!(
            r#"{{"sub":"{VIDEO}","kid":"{DEMO_KID}","exp":{},"nbf":{}}}"#,
            NOW + 3600,
            NOW - 5
        )
    );
}

#[test]
fn debug_redacts_the_signature() {
    let t = demo_signer()
        .mint_at(at(NOW), &video(), &TokenOptions::default())
        .unwrap();
    let sig = t.as_str().rsplit('.').next().unwrap();
    let shown = format!("{t:?}");
    assert!(!shown.contains(sig), "{shown}");
    assert!(shown.contains(".<redacted>"), "{shown}");
    assert!(shown.contains(VIDEO), "{shown}");
}

#[test]
fn signer_is_shareable_across_threads() {
    fn assert_send_sync<T: Send + Sync + Clone + 'static>() {}
    assert_send_sync::<Signer>();
    let signer = demo_signer();
    let handles: Vec<_> = (0..4)
        .map(|i| {
            let s = signer.clone();
            std::thread::spawn(move || s.mint_at(at(NOW + i), &video(), &TokenOptions::default()))
        })
        .collect();
    let verifier = signer.verifier();
    for (i, h) in handles.into_iter().enumerate() {
        let t = h.join().unwrap().unwrap();
        assert_eq!(
            verifier.verify_at(t.as_str(), at(NOW)).unwrap().exp(),
            NOW + i as i64 + 3600
        );
    }
}

#[test]
fn an_independent_jose_library_accepts_our_tokens() {
    let signer = demo_signer();
    let t = signer
        .mint_at(at(NOW), &video(), &TokenOptions::default())
        .unwrap();
    let key =
        jsonwebtoken::DecodingKey::from_rsa_pem(signer.key().public_key().to_spki_pem().as_bytes())
            .unwrap();
    let mut v = jsonwebtoken::Validation::new(jsonwebtoken::Algorithm::RS256);
    v.validate_exp = false; // its clock is the system's; ours is fixed
    v.required_spec_claims.clear();
    let data = jsonwebtoken::decode::<serde_json::Value>(t.as_str(), &key, &v).unwrap();
    assert_eq!(data.header.kid.as_deref(), Some(DEMO_KID));
    assert_eq!(data.header.typ, None);
    assert_eq!(data.claims["sub"], VIDEO);
    assert_eq!(data.claims["exp"], NOW + 3600);
}

/// `fixtures/golden/native/` holds tokens this native signer made, which
/// `tests/wasm.rs` compares the WebCryptoSigner's against: they must stay
/// what the native signer makes today.
#[test]
fn native_tokens_for_the_wasm_tests_are_current() {
    use cf_stream_token::{AccessRule, Action, Hls, PlaybackUrls, StreamHost, Surface};
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
    let demo = demo_signer();
    assert_eq!(
        demo.mint_at(at(NOW), &video(), &rules).unwrap().as_str(),
        text("golden/native/demo_rules_24h.jwt")
    );
    let other = Signer::new(SigningKey::parse(text("other/other.jwk.json"), None).unwrap());
    assert_eq!(
        other
            .mint_at(at(NOW), &video(), &TokenOptions::default())
            .unwrap()
            .as_str(),
        text("golden/native/other_minimal.jwt")
    );
    let urls = PlaybackUrls::builder(StreamHost::customer_code("abc123").unwrap(), video())
        .surface(Surface::Hls(Hls::default()))
        .build()
        .unwrap();
    assert_eq!(
        urls.mint_at(at(NOW), &demo).unwrap().urls()[0],
        text("golden/native/demo_hls_url.txt")
    );
}
