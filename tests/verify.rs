//! The verifier: each failure its own kind, algorithm pinned.

use std::time::Duration;

use base64::Engine as _;
use cf_stream_token::dangerous::decode_unverified;
use cf_stream_token::{ErrorKind, PublicKey, TokenOptions, Verifier, hazmat};

use crate::common::*;

fn b64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

/// A compact JWS over arbitrary header/payload JSON, signed by the demo key.
fn forge(header: &str, payload: &str) -> String {
    let signing_input = format!("{}.{}", b64(header.as_bytes()), b64(payload.as_bytes()));
    let sig = hazmat::sign_rs256(&demo_key(), signing_input.as_bytes()).unwrap();
    format!("{signing_input}.{}", b64(&sig))
}

fn demo_header() -> String {
    format!(r#"{{"alg":"RS256","kid":"{DEMO_KID}"}}"#)
}

fn kind(r: Result<cf_stream_token::Claims, cf_stream_token::Error>) -> ErrorKind {
    r.unwrap_err().into_kind()
}

#[test]
fn a_minted_token_verifies_inside_its_window_only() {
    let signer = demo_signer();
    let opts = TokenOptions::builder()
        .backdate_not_before(Duration::from_secs(60))
        .build()
        .unwrap();
    let t = signer.mint_at(at(NOW), &video(), &opts).unwrap();
    let v = signer.verifier();
    let claims = v.verify_at(t.as_str(), at(NOW)).unwrap();
    assert_eq!(&claims, t.claims());
    assert_eq!(
        v.verify_at(t.as_str(), at(NOW - 60)).unwrap().nbf(),
        Some(NOW - 60)
    );
    assert_eq!(
        v.verify_at(t.as_str(), at(NOW + 3599)).unwrap().exp(),
        NOW + 3600
    );
    assert_eq!(
        kind(v.verify_at(t.as_str(), at(NOW + 3600))),
        ErrorKind::Expired {
            exp: NOW + 3600,
            now: NOW + 3600
        }
    );
    assert_eq!(
        kind(v.verify_at(t.as_str(), at(NOW - 61))),
        ErrorKind::NotYetValid {
            nbf: NOW - 60,
            now: NOW - 61
        }
    );
    let lenient = v.clone().with_leeway(Duration::from_secs(30));
    assert!(lenient.verify_at(t.as_str(), at(NOW + 3629)).is_ok());
    assert!(lenient.verify_at(t.as_str(), at(NOW - 90)).is_ok());
    assert!(matches!(
        kind(lenient.verify_at(t.as_str(), at(NOW + 3630))),
        ErrorKind::Expired { .. }
    ));
}

#[test]
fn verifier_reads_public_and_private_forms() {
    let t = demo_signer()
        .mint_at(at(NOW), &video(), &TokenOptions::default())
        .unwrap();
    for (file, k) in [
        ("demo/demo_public_spki.pem", None),
        ("demo/demo_public_pkcs1.pem", Some(kid(DEMO_KID))),
        ("demo/demo_public.jwk.json", None),
        ("demo/demo_pkcs1.pem", Some(kid(DEMO_KID))),
        ("demo/demo_create_response.json", None),
    ] {
        let v = Verifier::parse(bytes(file), k).unwrap();
        assert_eq!(
            v.verify_at(t.as_str(), at(NOW)).unwrap().video(),
            &video(),
            "{file}"
        );
    }
}

#[test]
fn algorithm_is_pinned_to_rs256() {
    let v = demo_signer().verifier();
    let payload = format!(
        r#"{{"sub":"{VIDEO}","kid":"{DEMO_KID}","exp":{}}}"#,
        NOW + 60
    );
    let none = format!(
        "{}.{}.",
        b64(format!(r#"{{"alg":"none","kid":"{DEMO_KID}"}}"#).as_bytes()),
        b64(payload.as_bytes())
    );
    assert_eq!(
        kind(v.verify_at(&none, at(NOW))),
        ErrorKind::WrongAlgorithm { alg: "none".into() }
    );
    // The classic confusion: HS256 keyed with the public key's bytes.
    let hs_header = b64(format!(r#"{{"alg":"HS256","kid":"{DEMO_KID}"}}"#).as_bytes());
    let signing_input = format!("{hs_header}.{}", b64(payload.as_bytes()));
    let mac_key = aws_lc_rs::hmac::Key::new(
        aws_lc_rs::hmac::HMAC_SHA256,
        demo_key().public_key().to_spki_pem().as_bytes(),
    );
    let tag = aws_lc_rs::hmac::sign(&mac_key, signing_input.as_bytes());
    let hs = format!("{signing_input}.{}", b64(tag.as_ref()));
    assert_eq!(
        kind(v.verify_at(&hs, at(NOW))),
        ErrorKind::WrongAlgorithm {
            alg: "HS256".into()
        }
    );
    for alg in ["RS512", "PS256", "ES256", "rs256"] {
        let t = forge(
            &format!(r#"{{"alg":"{alg}","kid":"{DEMO_KID}"}}"#),
            &payload,
        );
        assert_eq!(
            kind(v.verify_at(&t, at(NOW))),
            ErrorKind::WrongAlgorithm { alg: alg.into() }
        );
    }
}

#[test]
fn wrong_key_and_bad_signature_are_told_apart() {
    let v = demo_signer().verifier();
    let other = other_signer()
        .mint_at(at(NOW), &video(), &TokenOptions::default())
        .unwrap();
    assert_eq!(
        kind(v.verify_at(other.as_str(), at(NOW))),
        ErrorKind::WrongKey {
            kid: OTHER_KID.into()
        }
    );

    // The other key claiming the demo kid: only the signature can tell.
    let payload = format!(
        r#"{{"sub":"{VIDEO}","kid":"{DEMO_KID}","exp":{}}}"#,
        NOW + 60
    );
    let input = format!(
        "{}.{}",
        b64(demo_header().as_bytes()),
        b64(payload.as_bytes())
    );
    let sig = hazmat::sign_rs256(other_signer().key(), input.as_bytes()).unwrap();
    assert_eq!(
        kind(v.verify_at(&format!("{input}.{}", b64(&sig)), at(NOW))),
        ErrorKind::BadSignature
    );

    // A kid-less verifier (bare SPKI PEM) relies on the signature alone.
    let bare = Verifier::parse(bytes("demo/demo_public_spki.pem"), None).unwrap();
    assert_eq!(
        kind(bare.verify_at(other.as_str(), at(NOW))),
        ErrorKind::BadSignature
    );

    // Payload kid disagreeing with the header kid.
    let t = forge(
        &demo_header(),
        &format!(
            r#"{{"sub":"{VIDEO}","kid":"{OTHER_KID}","exp":{}}}"#,
            NOW + 60
        ),
    );
    assert_eq!(
        kind(v.verify_at(&t, at(NOW))),
        ErrorKind::WrongKey {
            kid: OTHER_KID.into()
        }
    );
}

#[test]
fn tampering_breaks_the_signature() {
    let signer = demo_signer();
    let v = signer.verifier();
    let t = signer
        .mint_at(at(NOW), &video(), &TokenOptions::default())
        .unwrap();
    let parts: Vec<&str> = t.as_str().split('.').collect();
    let longer = format!(
        r#"{{"sub":"{VIDEO}","kid":"{DEMO_KID}","exp":{}}}"#,
        NOW + 86_400 * 30
    );
    let swapped = format!("{}.{}.{}", parts[0], b64(longer.as_bytes()), parts[2]);
    assert_eq!(
        kind(v.verify_at(&swapped, at(NOW))),
        ErrorKind::BadSignature
    );
    let mut sig = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(parts[2])
        .unwrap();
    sig[10] ^= 1;
    let flipped = format!("{}.{}.{}", parts[0], parts[1], b64(&sig));
    assert_eq!(
        kind(v.verify_at(&flipped, at(NOW))),
        ErrorKind::BadSignature
    );
    let short = format!("{}.{}.{}", parts[0], parts[1], b64(&sig[..255]));
    assert_eq!(kind(v.verify_at(&short, at(NOW))), ErrorKind::BadSignature);
}

#[test]
fn malformed_tokens() {
    let v = demo_signer().verifier();
    let valid_payload = format!(
        r#"{{"sub":"{VIDEO}","kid":"{DEMO_KID}","exp":{}}}"#,
        NOW + 60
    );
    let cases = [
        String::new(),
        "abc".into(),
        "a.b".into(),
        "a.b.c.d".into(),
        "!!.e30.AA".into(),
        format!("{}.e30.AA", b64(b"not json")),
        format!(
            "{}.e30.AA",
            b64(format!(r#"{{"kid":"{DEMO_KID}"}}"#).as_bytes())
        ),
        format!("{}.e30.A!", b64(demo_header().as_bytes())),
        forge(r#"{"alg":"RS256"}"#, &valid_payload),
        forge(
            &format!(r#"{{"alg":"RS256","kid":"{DEMO_KID}","crit":["exp"]}}"#),
            &valid_payload,
        ),
        forge(&demo_header(), "not json"),
        forge(
            &demo_header(),
            &format!(r#"{{"sub":"../x","kid":"{DEMO_KID}","exp":1}}"#),
        ),
        forge(
            &demo_header(),
            &format!(r#"{{"sub":"{VIDEO}","kid":"{DEMO_KID}"}}"#),
        ),
        forge(
            &demo_header(),
            &format!(r#"{{"sub":"{VIDEO}","kid":"{DEMO_KID}","exp":"soon"}}"#),
        ),
        forge(
            &demo_header(),
            &format!(r#"{{"sub":"{VIDEO}","kid":"{DEMO_KID}","exp":1e400}}"#),
        ),
        forge(
            &demo_header(),
            &format!(r#"{{"sub":"{VIDEO}","kid":"{DEMO_KID}","exp":99999999999999999}}"#),
        ),
        "x".repeat(70_000),
    ];
    for t in cases {
        let k = kind(v.verify_at(&t, at(NOW)));
        assert!(
            matches!(k, ErrorKind::MalformedToken { .. }),
            "{t:.60}: {k:?}"
        );
    }
}

#[test]
fn cloudflare_string_times_are_read() {
    // Cloudflare's token endpoint example carries exp/nbf as decimal strings.
    let t = forge(
        &demo_header(),
        &format!(
            r#"{{"sub":"{VIDEO}","kid":"{DEMO_KID}","exp":"{}","nbf":"{}"}}"#,
            NOW + 60,
            NOW - 60
        ),
    );
    let c = demo_signer().verifier().verify_at(&t, at(NOW)).unwrap();
    assert_eq!((c.exp(), c.nbf()), (NOW + 60, Some(NOW - 60)));
}

#[test]
fn decode_unverified_reads_without_checking() {
    let t = other_signer()
        .mint_at(at(NOW), &video(), &TokenOptions::default())
        .unwrap();
    let read = decode_unverified(t.as_str()).unwrap();
    assert_eq!(read.header.kid(), Some(OTHER_KID));
    assert_eq!(read.header.alg(), "RS256");
    assert_eq!(read.header.typ(), None);
    assert!(read.header.other_members().is_empty());
    assert!(!read.header.has_crit());
    assert_eq!(read.claims.exp(), NOW + 3600);
    assert!(matches!(
        decode_unverified("a.b").unwrap_err().kind(),
        ErrorKind::MalformedToken { .. }
    ));
}

#[test]
fn decode_unverified_types_the_header() {
    let payload = format!(
        r#"{{"sub":"{VIDEO}","kid":"{DEMO_KID}","exp":{}}}"#,
        NOW + 60
    );
    let header = format!(
        r#"{{"zip":"DEF","alg":"none","typ":"JWT","kid":"{DEMO_KID}","crit":null,"x5u":1}}"#
    );
    let read = decode_unverified(&forge(&header, &payload)).unwrap();
    assert_eq!(read.header.alg(), "none");
    assert_eq!(read.header.kid(), Some(DEMO_KID));
    assert_eq!(read.header.typ(), Some("JWT"));
    assert_eq!(read.header.other_members(), ["crit", "x5u", "zip"]);
    assert!(read.header.has_crit());
    assert_eq!(read.claims.exp(), NOW + 60);

    // No kid, a null kid, a typ that is not a string: read, not refused.
    let read =
        decode_unverified(&forge(r#"{"alg":"RS256","kid":null,"typ":7}"#, &payload)).unwrap();
    assert_eq!(read.header.kid(), None);
    assert_eq!(read.header.typ(), None);
    assert_eq!(read.header.other_members(), ["typ"]);
    assert!(!read.header.has_crit());

    // A header that is not an object is no header, for both readers; so is
    // one whose alg is missing or not a string, or whose kid is a number.
    let not_a_header = ErrorKind::MalformedToken {
        reason: "header is not a JWS header",
    };
    for header in [
        format!(r#"["RS256","{DEMO_KID}"]"#),
        format!(r#"{{"kid":"{DEMO_KID}"}}"#),
        format!(r#"{{"alg":256,"kid":"{DEMO_KID}"}}"#),
        r#"{"alg":"RS256","kid":7}"#.to_owned(),
        r#""RS256""#.to_owned(),
        // Not JSON at all: cut short, or a bare word (serde's syntax and
        // end-of-input errors, not the repeated-member one).
        format!(r#"{{"alg":"RS256","kid":"{DEMO_KID}""#),
        r#"{"alg":RS256}"#.to_owned(),
    ] {
        let t = forge(&header, &payload);
        assert_eq!(
            decode_unverified(&t).unwrap_err().into_kind(),
            not_a_header,
            "{header}"
        );
        assert_eq!(
            demo_signer()
                .verifier()
                .verify_at(&t, at(NOW))
                .unwrap_err()
                .into_kind(),
            not_a_header,
            "{header}"
        );
    }
}

#[test]
fn hazmat_signs_what_minting_signs() {
    let signer = demo_signer();
    let t = signer
        .mint_at(at(NOW), &video(), &TokenOptions::default())
        .unwrap();
    let (input, sig) = t.as_str().rsplit_once('.').unwrap();
    let raw = hazmat::sign_rs256(signer.key(), input.as_bytes()).unwrap();
    assert_eq!(b64(&raw), sig);
    assert_eq!(raw.len(), 256);
}

#[test]
fn a_kid_that_is_no_key_id_is_malformed_and_never_echoed() {
    // Found in review of the verifier fuzz targets, which fail on it
    // (fuzz/regressions/verifier*/review_unprintable_*): 32 unprintable
    // characters in a kid came back Debug-escaped, a 359-byte error.
    let v = demo_signer().verifier();
    let junk = "\u{10ffff}".repeat(32);
    let header = format!(r#"{{"alg":"RS256","kid":"{junk}"}}"#);
    let payload = format!(
        r#"{{"sub":"{VIDEO}","kid":"{DEMO_KID}","exp":{}}}"#,
        NOW + 60
    );
    let in_header = forge(&header, &payload);
    let err = v.verify_at(&in_header, at(NOW)).unwrap_err();
    assert!(!err.to_string().contains('\u{10ffff}'));
    assert_eq!(
        err.into_kind(),
        ErrorKind::MalformedToken {
            reason: "header kid is not a key id"
        }
    );

    let payload = format!(r#"{{"sub":"{VIDEO}","kid":"{junk}","exp":{}}}"#, NOW + 60);
    let in_payload = forge(&demo_header(), &payload);
    let err = v.verify_at(&in_payload, at(NOW)).unwrap_err();
    assert!(err.to_string().len() < 100, "{err}");
    assert_eq!(
        err.into_kind(),
        ErrorKind::MalformedToken {
            reason: "kid is not a key id"
        }
    );
}

#[test]
fn surrounding_whitespace_is_not_part_of_the_signed_input() {
    let signer = demo_signer();
    let t = signer
        .mint_at(at(NOW), &video(), &TokenOptions::default())
        .unwrap();
    let padded = format!("  {}\r\n", t.as_str());
    assert_eq!(
        signer.verifier().verify_at(&padded, at(NOW)).unwrap().exp(),
        NOW + 3600
    );
    assert_eq!(decode_unverified(&padded).unwrap().claims.exp(), NOW + 3600);
}

fn demo_public() -> PublicKey {
    demo_key().public_key().clone()
}

fn other_public() -> PublicKey {
    other_signer().key().public_key().clone()
}

#[test]
fn from_keys_verifies_a_token_of_each_key_by_kid() {
    let v = Verifier::from_keys([demo_public(), other_public()]).unwrap();
    assert_eq!(v.public_keys().len(), 2);
    assert_eq!(v.public_key(), &demo_public());
    for signer in [demo_signer(), other_signer()] {
        let t = signer
            .mint_at(at(NOW), &video(), &TokenOptions::default())
            .unwrap();
        let claims = v.verify_at(t.as_str(), at(NOW)).unwrap();
        assert_eq!(claims.kid(), signer.kid());
    }
    assert_eq!(
        format!("{v:?}"),
        format!(r#"Verifier {{ kids: ["{DEMO_KID}", "{OTHER_KID}"], leeway_secs: 0 }}"#)
    );
}

#[test]
fn from_keys_refuses_an_unknown_kid() {
    let v = Verifier::from_keys([demo_public()]).unwrap();
    let t = other_signer()
        .mint_at(at(NOW), &video(), &TokenOptions::default())
        .unwrap();
    assert_eq!(
        kind(v.verify_at(t.as_str(), at(NOW))),
        ErrorKind::UnknownKey {
            kid: OTHER_KID.to_owned()
        }
    );
    // No key at all: every token names an unknown key.
    let none = Verifier::from_keys([]).unwrap();
    assert_eq!(none.public_keys().len(), 0);
    assert_eq!(
        kind(none.verify_at(t.as_str(), at(NOW))),
        ErrorKind::UnknownKey {
            kid: OTHER_KID.to_owned()
        }
    );
    // The one-key verifier keeps its own kind for another kid.
    assert_eq!(
        kind(demo_signer().verifier().verify_at(t.as_str(), at(NOW))),
        ErrorKind::WrongKey {
            kid: OTHER_KID.to_owned()
        }
    );
}

#[test]
fn from_keys_needs_distinct_kids() {
    // A key without a kid could never be chosen.
    let pem = demo_key().public_key().to_spki_pem();
    let no_kid = PublicKey::parse(pem.as_bytes(), None).unwrap();
    assert_eq!(no_kid.kid(), None);
    assert_eq!(
        Verifier::from_keys([demo_public(), no_kid])
            .unwrap_err()
            .into_kind(),
        ErrorKind::KeyIdRequired
    );
    // Two different keys under one kid: which one is meant is a guess.
    let impostor = PublicKey::parse(
        other_signer().key().public_key().to_spki_pem().as_bytes(),
        Some(kid(DEMO_KID)),
    )
    .unwrap();
    assert!(matches!(
        Verifier::from_keys([demo_public(), impostor])
            .unwrap_err()
            .into_kind(),
        ErrorKind::InvalidKeyring { .. }
    ));
    // The same key twice is one key.
    let twice = Verifier::from_keys([demo_public(), demo_public()]).unwrap();
    assert_eq!(twice.public_keys().len(), 1);
    let t = demo_signer()
        .mint_at(at(NOW), &video(), &TokenOptions::default())
        .unwrap();
    assert!(twice.verify_at(t.as_str(), at(NOW)).is_ok());
}

#[test]
fn from_keys_reads_tokens_as_strictly_as_one_key() {
    let v = Verifier::from_keys([demo_public()]).unwrap();
    let exp = NOW + 3600;
    for (payload, why) in [
        (
            format!(r#"{{"sub":"{VIDEO}","kid":"{DEMO_KID}","exp":"+{exp}"}}"#),
            "exp is not a valid time",
        ),
        (
            format!(r#"{{"sub":"{VIDEO}","kid":"{DEMO_KID}","exp":{exp},"exp":{exp}}}"#),
            "a member name is repeated",
        ),
    ] {
        assert_eq!(
            kind(v.verify_at(&forge(&demo_header(), &payload), at(NOW))),
            ErrorKind::MalformedToken { reason: why }
        );
    }
    let crit = format!(r#"{{"alg":"RS256","kid":"{DEMO_KID}","crit":[]}}"#);
    let payload = format!(r#"{{"sub":"{VIDEO}","kid":"{DEMO_KID}","exp":{exp}}}"#);
    assert_eq!(
        kind(v.verify_at(&forge(&crit, &payload), at(NOW))),
        ErrorKind::MalformedToken {
            reason: "critical header extensions are not supported"
        }
    );
}

#[test]
fn verify_for_refuses_a_valid_token_of_another_video_on_every_verifier() {
    let other: cf_stream_token::VideoId = OTHER_KID.parse().unwrap();
    let mine = demo_signer()
        .mint_at(at(NOW), &video(), &TokenOptions::default())
        .unwrap();
    let theirs = demo_signer()
        .mint_at(at(NOW), &other, &TokenOptions::default())
        .unwrap();
    let ring =
        cf_stream_token::Keyring::start_at(at(NOW), &text("demo/demo_create_result.json")).unwrap();
    let verifiers = [
        ("new", Verifier::new(demo_public())),
        (
            "from_keys",
            Verifier::from_keys([other_public(), demo_public()]).unwrap(),
        ),
        ("keyring", ring.verifier()),
    ];
    for (name, v) in verifiers {
        let claims = v.verify_for_at(&video(), mine.as_str(), at(NOW)).unwrap();
        assert_eq!(claims.video(), &video(), "{name}");
        assert_eq!(
            kind(v.verify_for_at(&video(), theirs.as_str(), at(NOW))),
            ErrorKind::WrongVideo {
                expected: VIDEO.to_owned(),
                found: OTHER_KID.to_owned(),
            },
            "{name}"
        );
        // The token is checked before its video: an expired token of
        // another video is expired, not the wrong video.
        assert!(
            matches!(
                kind(v.verify_for_at(&video(), theirs.as_str(), at(NOW + 3600))),
                ErrorKind::Expired { .. }
            ),
            "{name}"
        );
        // The system-clock form reads the same token (minted at a fixed past
        // time, so it has expired by now).
        assert!(
            matches!(
                kind(v.verify_for(&video(), mine.as_str())),
                ErrorKind::Expired { .. }
            ),
            "{name}"
        );
    }
    let e = Verifier::new(demo_public())
        .verify_for_at(&video(), theirs.as_str(), at(NOW))
        .unwrap_err();
    assert!(e.is_verification());
    assert_eq!(e.http_status(), 401);
    assert_eq!(e.kind().name(), "wrong_video");
    assert_eq!(
        e.to_string(),
        format!("token is for video {OTHER_KID}, not for video {VIDEO}")
    );
}
