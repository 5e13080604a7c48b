//! `verify`: what a good token prints and why a bad one is refused.

use super::*;

#[test]
fn verify_prints_header_and_claims() {
    let opts = TokenOptions::builder()
        .access_rules(cf_stream_token::AccessRule::allow_only_countries(["GB"]).unwrap())
        .downloadable(true)
        .build()
        .unwrap();
    let token = minted_now(&opts);
    let exp = decode_unverified(&token).unwrap().claims.exp();
    let expected = format!(
        concat!(
            r#"{{"header":{{"alg":"RS256","kid":"{kid}"}},"claims":{{"sub":"{sub}","kid":"{kid}","exp":{exp},"nbf":null,"downloadable":true,"#,
            r#""accessRules":[{{"type":"ip.geoip.country","action":"allow","country":["GB"]}},{{"type":"any","action":"block"}}]}}}}"#
        ),
        kid = DEMO_KID,
        sub = VIDEO,
        exp = exp
    );
    for key in [
        "demo/demo_public_spki.pem",
        "demo/demo_public_pkcs1.pem",
        "demo/demo_public.jwk.json",
        "demo/demo_create_result.json",
        "demo/demo_pkcs1.pem",
    ] {
        assert_eq!(
            cli(&["verify", "--key", &fixture(key), &token]).ok(),
            expected,
            "{key}"
        );
    }
    // From standard input, which keeps the token out of the process list.
    assert_eq!(
        cli(&[
            "verify",
            "--key",
            &fixture("demo/demo_public_spki.pem"),
            "-"
        ])
        .stdin(&format!("{token}\n"))
        .ok(),
        expected
    );
}

#[test]
fn verify_refusals_say_why() {
    let public = fixture("demo/demo_public_spki.pem");
    let verify = |key: &str, token: &str| cli(&["verify", "--key", key, token]);

    // Expired: minted at a fixed clock long past.
    let old = demo_signer()
        .mint_at(at(NOW), &video(), &TokenOptions::default())
        .unwrap();
    let msg = verify(&public, old.as_str()).fails(1);
    assert!(
        msg.starts_with("token refused: token expired at 1700003600 (now "),
        "{msg}"
    );

    // Not yet valid.
    let t = now();
    let later = TokenOptions::builder()
        .not_before(at(t + 3600))
        .expires_at(at(t + 7200))
        .build()
        .unwrap();
    let msg = verify(&public, &minted_now(&later)).fails(1);
    assert!(
        msg.starts_with(&format!(
            "token refused: token is not valid before {}",
            t + 3600
        )),
        "{msg}"
    );

    // Another key's signature (a key file without a kid, so the signature
    // is what fails), and a tampered payload.
    let other = other_signer()
        .mint(&video(), &TokenOptions::default())
        .unwrap();
    assert_eq!(
        verify(&public, other.as_str()).fails(1),
        "token refused: token signature does not verify"
    );
    let good = minted_now(&TokenOptions::default());
    let (head, sig) = good.rsplit_once('.').unwrap();
    let (h, _) = head.split_once('.').unwrap();
    let forged_payload = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(format!(
        r#"{{"sub":"{VIDEO}","kid":"{DEMO_KID}","exp":{}}}"#,
        now() + 86_000
    ));
    assert_eq!(
        verify(&public, &format!("{h}.{forged_payload}.{sig}")).fails(1),
        "token refused: token signature does not verify"
    );

    // Wrong kid: the key file names its kid, or --key-id does.
    assert_eq!(
        verify(&fixture("demo/demo_public.jwk.json"), other.as_str()).fails(1),
        format!(
            "token refused: token was made for another key (kid \"{}\")",
            other.kid()
        )
    );
    assert_eq!(
        cli(&["verify", "--key", &public, "--key-id", OTHER_KID, &good]).fails(1),
        format!("token refused: token was made for another key (kid \"{DEMO_KID}\")")
    );

    // Malformed.
    assert_eq!(
        verify(&public, "abc").fails(1),
        "token refused: malformed token: expected three dot-separated parts"
    );
    assert_eq!(
        cli(&["verify", "--key", &public, "-"]).stdin("\n").fails(1),
        "no token on standard input"
    );

    // A missing key file is named.
    assert_eq!(
        verify("nope.pem", &good).fails(1),
        "key file \"nope.pem\": No such file or directory (os error 2)"
    );
    assert_eq!(
        cli(&["verify", &good]).fails(1),
        "no key: give --key FILE or --keyring FILE, or set CF_STREAM_SIGNING_KEY or CF_STREAM_KEYRING"
    );
}

#[test]
fn verify_accepts_rs256_only_whatever_the_key_file_holds() {
    let public_pem = text("demo/demo_public_spki.pem");
    let claims = format!(
        r#"{{"sub":"{VIDEO}","kid":"{DEMO_KID}","exp":{}}}"#,
        now() + 600
    );
    // HS256 keyed with the public key's PEM: the classic confusion attack.
    let hs256 = forge(
        &format!(r#"{{"alg":"HS256","kid":"{DEMO_KID}"}}"#),
        &claims,
        |input| {
            let key =
                aws_lc_rs::hmac::Key::new(aws_lc_rs::hmac::HMAC_SHA256, public_pem.as_bytes());
            aws_lc_rs::hmac::sign(&key, input).as_ref().to_vec()
        },
    );
    let none = forge(
        &format!(r#"{{"alg":"none","kid":"{DEMO_KID}"}}"#),
        &claims,
        |_| Vec::new(),
    );
    let rs512 = forge(
        &format!(r#"{{"alg":"RS512","kid":"{DEMO_KID}"}}"#),
        &claims,
        |input| hazmat::sign_rs256(&demo_key(), input).unwrap(),
    );
    for key in [
        "demo/demo_public_spki.pem",
        "demo/demo_public.jwk.json",
        "demo/demo.jwk.json",
    ] {
        let key = fixture(key);
        for (token, alg) in [(&hs256, "HS256"), (&none, "none"), (&rs512, "RS512")] {
            assert_eq!(
                cli(&["verify", "--key", &key, token]).fails(1),
                format!("token refused: token algorithm \"{alg}\" refused; only RS256 is accepted")
            );
        }
    }
    // A key file holding an HMAC secret is no key for verify at all.
    let oct = fixture("bad/oct.jwk.json");
    assert_eq!(
        cli(&["verify", "--key", &oct, &hs256]).fails(1),
        format!("key file {oct:?}: not an RSA key (found oct)")
    );
}

#[test]
fn der_keys_ending_in_whitespace_mint_and_verify() {
    // fixtures/der_ws/: valid keys whose DER ends in 0x20, 0x0a, ... that a
    // loader trimming binary input refused.
    let kid = "0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a";
    for byte in ["20", "0a", "09", "0d", "0c"] {
        for form in ["pkcs1", "pkcs8"] {
            let key = fixture(&format!("der_ws/ends_0x{byte}_{form}.der"));
            let token = cli(&["mint", "--key", &key, "--key-id", kid, "--video", VIDEO]).ok();
            assert_eq!(
                decode_unverified(&token).unwrap().claims.kid().as_str(),
                kid
            );
            let out = json_of(&cli(&["verify", "--key", &key, "--key-id", kid, &token]).ok());
            assert_eq!(out["claims"]["sub"], VIDEO, "0x{byte} {form}");
        }
    }
}

#[test]
fn standard_input_over_1_mib_is_refused_not_cut() {
    const MIB: usize = 1 << 20;
    let token = minted_now(&TokenOptions::default());
    let spki = fixture("demo/demo_public_spki.pem");
    // Exactly 1 MiB: the token and newlines; still read whole.
    let exact = format!("{token}{}", "\n".repeat(MIB - token.len()));
    assert_eq!(exact.len(), MIB);
    let out = json_of(&cli(&["verify", "--key", &spki, "-"]).stdin(&exact).ok());
    assert_eq!(out["claims"]["sub"], VIDEO);
    // The attack: a token, 1 MiB of newlines, then garbage. Cut at 1 MiB it
    // used to verify; now it is refused, for verify and inspect alike.
    let over = format!("{token}{}garbage", "\n".repeat(MIB));
    for args in [&["verify", "--key", &spki, "-"][..], &["inspect", "-"]] {
        assert_eq!(
            cli(args).stdin(&over).fails(1),
            "standard input is larger than 1 MiB: not a token"
        );
        let one_more = format!("{exact}x");
        assert_eq!(
            cli(args).stdin(&one_more).fails(1),
            "standard input is larger than 1 MiB: not a token"
        );
    }
}

#[test]
fn verify_video_refuses_another_videos_token() {
    let public = fixture("demo/demo_public_spki.pem");
    let mine = minted_now(&TokenOptions::default());
    let other_video = OTHER_KID;
    let theirs = demo_signer()
        .mint(&other_video.parse().unwrap(), &TokenOptions::default())
        .unwrap();
    let out = json_of(&cli(&["verify", "--key", &public, "--video", VIDEO, &mine]).ok());
    assert_eq!(out["claims"]["sub"], VIDEO);
    assert_eq!(
        cli(&[
            "verify",
            "--key",
            &public,
            "--video",
            VIDEO,
            theirs.as_str()
        ])
        .fails(1),
        format!("token refused: token is for video {other_video}, not for video {VIDEO}")
    );
    // Without --video any video's valid token passes, as before.
    let out = json_of(&cli(&["verify", "--key", &public, theirs.as_str()]).ok());
    assert_eq!(out["claims"]["sub"], other_video);
    // A ring's verifier checks the video too.
    let ring = cf_stream_token::Keyring::start_at(at(now()), &text("demo/demo_create_result.json"))
        .unwrap();
    let doc = ring.secret_document().unwrap();
    assert_eq!(
        cli(&["verify", "--video", VIDEO, theirs.as_str()])
            .env("CF_STREAM_KEYRING", &doc)
            .fails(1),
        format!("token refused: token is for video {other_video}, not for video {VIDEO}")
    );
    // A malformed id is a usage error.
    let msg = cli(&["verify", "--key", &public, "--video", "nope", &mine]).fails(2);
    assert!(msg.contains("--video"), "{msg}");
}

#[test]
fn keys_and_rings_come_from_files_named_by_the_file_variables() {
    let dir = TempDir::new();
    let key_file = dir.path("key.json");
    std::fs::write(&key_file, text("demo/demo.jwk.json")).unwrap();
    let ring = cf_stream_token::Keyring::start_at(at(now()), &text("demo/demo_create_result.json"))
        .unwrap();
    let ring_file = dir.path("ring.json");
    std::fs::write(&ring_file, ring.secret_document().unwrap().as_bytes()).unwrap();
    let token = minted_now(&TokenOptions::default());

    // Signing (url) and verifying with the key in a file.
    let url = cli(&[
        "url",
        "--video",
        VIDEO,
        "--customer-code",
        "abc",
        "--kind",
        "iframe",
    ])
    .env("CF_STREAM_SIGNING_KEY_FILE", path_str(&key_file))
    .ok();
    let minted = url
        .strip_prefix("https://customer-abc.cloudflarestream.com/")
        .and_then(|rest| rest.strip_suffix("/iframe"))
        .unwrap_or_else(|| panic!("{url}"));
    assert_eq!(demo_verifier().verify(minted).unwrap().video(), &video());
    let out = json_of(
        &cli(&["verify", &token])
            .env("CF_STREAM_SIGNING_KEY_FILE", path_str(&key_file))
            .ok(),
    );
    assert_eq!(out["claims"]["kid"], DEMO_KID);
    // And with the ring in a file.
    let out = json_of(
        &cli(&["verify", "--video", VIDEO, &token])
            .env("CF_STREAM_KEYRING_FILE", path_str(&ring_file))
            .ok(),
    );
    assert_eq!(out["claims"]["sub"], VIDEO);

    // A variable and its file form both set: refused, naming both.
    let msg = cli(&["verify", &token])
        .env("CF_STREAM_SIGNING_KEY", &text("demo/demo.jwk.json"))
        .env("CF_STREAM_SIGNING_KEY_FILE", path_str(&key_file))
        .fails(1);
    assert_eq!(
        msg,
        "both CF_STREAM_SIGNING_KEY and CF_STREAM_SIGNING_KEY_FILE are set: set only one"
    );
    let doc = ring.secret_document().unwrap();
    let msg = cli(&["verify", &token])
        .env("CF_STREAM_KEYRING", &doc)
        .env("CF_STREAM_KEYRING_FILE", path_str(&ring_file))
        .fails(1);
    assert!(
        msg.contains("both CF_STREAM_KEYRING and CF_STREAM_KEYRING_FILE are set"),
        "{msg}"
    );
    // A file that is missing is named by its variable, not by its contents.
    let msg = cli(&["verify", &token])
        .env(
            "CF_STREAM_SIGNING_KEY_FILE",
            path_str(&dir.path("nope.json")),
        )
        .fails(1);
    assert!(msg.starts_with("CF_STREAM_SIGNING_KEY_FILE: "), "{msg}");
    for secret in demo_secrets() {
        assert!(!msg.contains(&secret), "{msg}");
    }
    // --key-id does not go with a ring from the file variable either.
    let msg = cli(&["verify", "--key-id", DEMO_KID, &token])
        .env("CF_STREAM_KEYRING_FILE", path_str(&ring_file))
        .fails(2);
    assert!(msg.contains("CF_STREAM_KEYRING_FILE"), "{msg}");
}
