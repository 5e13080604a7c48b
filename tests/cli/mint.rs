//! `mint`: every key form and source, the token options, and the keyless
//! fallback to the API's token endpoint.

use super::*;

#[test]
fn mint_prints_the_token_alone() {
    let before = now();
    let out = cli(&[
        "mint",
        "--key",
        &fixture("demo/demo_create_result.json"),
        "--video",
        VIDEO,
    ])
    .ok();
    let after = now();
    let claims = demo_verifier().verify(&out).unwrap();
    assert_eq!(claims.video(), &video());
    assert_eq!(claims.kid().as_str(), DEMO_KID);
    assert!((before + 3600..=after + 3600).contains(&claims.exp()));
    assert_eq!(claims.nbf(), None);
    assert!(!claims.downloadable());
    assert!(claims.access_rules().is_empty());
}

#[test]
fn mint_reads_every_key_form() {
    let needs_kid = [
        "demo/demo_pkcs1.pem",
        "demo/demo_pkcs8.pem",
        "demo/demo_pkcs1.pem.b64",
        "demo/demo_pkcs8.pem.b64",
        "demo/demo_pkcs1_crlf.pem",
        "demo/demo_pkcs1.der",
        "demo/demo_pkcs8.der",
    ];
    let carries_kid = [
        "demo/demo.jwk.json",
        "demo/demo.jwk.b64",
        "demo/demo_create_result.json",
        "demo/demo_create_response.json",
    ];
    for rel in needs_kid {
        let key = fixture(rel);
        let token = cli(&[
            "mint", "--key", &key, "--key-id", DEMO_KID, "--video", VIDEO,
        ])
        .ok();
        assert_eq!(
            demo_verifier().verify(&token).unwrap().kid().as_str(),
            DEMO_KID
        );
        assert_eq!(
            cli(&["mint", "--key", &key, "--video", VIDEO]).fails(1),
            format!(
                "key file {:?}: this key form (PEM or DER) carries no key id; give one with the key (CF_STREAM_KEY_ID beside CF_STREAM_SIGNING_KEY); or pass --key-id",
                key
            )
        );
    }
    for rel in carries_kid {
        let token = cli(&["mint", "--key", &fixture(rel), "--video", VIDEO]).ok();
        assert_eq!(
            demo_verifier().verify(&token).unwrap().kid().as_str(),
            DEMO_KID
        );
    }
}

#[test]
fn the_key_id_flag_beats_the_environment_and_must_agree_with_the_key() {
    let pem = fixture("demo/demo_pkcs1.pem");
    let jwk = fixture("demo/demo.jwk.json");
    let kid_of = |token: String| decode_unverified(&token).unwrap().claims.kid().to_string();

    // PEM: the flag, else the environment.
    let t = cli(&[
        "mint", "--key", &pem, "--key-id", DEMO_KID, "--video", VIDEO,
    ])
    .env("CF_STREAM_KEY_ID", OTHER_KID)
    .ok();
    assert_eq!(kid_of(t), DEMO_KID);
    let t = cli(&["mint", "--key", &pem, "--video", VIDEO])
        .env("CF_STREAM_KEY_ID", DEMO_KID)
        .ok();
    assert_eq!(kid_of(t), DEMO_KID);

    // A key that names its own kid: a different one given is an error, from
    // the flag or from the environment.
    let mismatch = format!(
        "key file {jwk:?}: key id mismatch: expected \"{OTHER_KID}\", the key says \"{DEMO_KID}\""
    );
    assert_eq!(
        cli(&[
            "mint", "--key", &jwk, "--key-id", OTHER_KID, "--video", VIDEO
        ])
        .fails(1),
        mismatch
    );
    assert_eq!(
        cli(&["mint", "--key", &jwk, "--video", VIDEO])
            .env("CF_STREAM_KEY_ID", OTHER_KID)
            .fails(1),
        mismatch
    );
    // The same one is fine.
    cli(&[
        "mint", "--key", &jwk, "--key-id", DEMO_KID, "--video", VIDEO,
    ])
    .ok();

    assert_eq!(
        cli(&[
            "mint",
            "--key",
            &jwk,
            "--key-id",
            "no/slashes",
            "--video",
            VIDEO
        ])
        .fails(2),
        "invalid value 'no/slashes' for '--key-id <KID>': invalid key id: expected 1 to 32 of A-Z, a-z, 0-9, '-' or '_'"
    );
}

#[test]
fn the_key_can_come_from_the_environment_and_the_flag_wins() {
    let t = cli(&["mint", "--video", VIDEO])
        .env(
            "CF_STREAM_SIGNING_KEY",
            &text("demo/demo_create_result.json"),
        )
        .ok();
    demo_verifier().verify(&t).unwrap();
    let t = cli(&["mint", "--video", VIDEO])
        .env("CF_STREAM_SIGNING_KEY", &text("demo/demo_pkcs8.pem"))
        .env("CF_STREAM_KEY_ID", DEMO_KID)
        .ok();
    demo_verifier().verify(&t).unwrap();
    let t = cli(&[
        "mint",
        "--key",
        &fixture("demo/demo.jwk.json"),
        "--video",
        VIDEO,
    ])
    .env("CF_STREAM_SIGNING_KEY", &text("other/other.jwk.json"))
    .ok();
    demo_verifier().verify(&t).unwrap();
    assert_eq!(
        cli(&["mint", "--video", VIDEO])
            .env("CF_STREAM_SIGNING_KEY", &text("demo/demo_pkcs1.pem"))
            .fails(1),
        "CF_STREAM_SIGNING_KEY: this key form (PEM or DER) carries no key id; give one with the key (CF_STREAM_KEY_ID beside CF_STREAM_SIGNING_KEY); or pass --key-id"
    );
    assert_eq!(
        cli(&["mint", "--video", VIDEO])
            .env("CF_STREAM_SIGNING_KEY", "not a key at all")
            .fails(1),
        "CF_STREAM_SIGNING_KEY: input is not a key: expected PEM, DER, base64 of PEM, a JWK or a create-key response"
    );
}

#[test]
fn unreadable_and_bad_key_files_are_named() {
    assert_eq!(
        cli(&["mint", "--key", "missing/stream-key.json", "--video", VIDEO]).fails(1),
        "key file \"missing/stream-key.json\": No such file or directory (os error 2)"
    );
    let cases = [
        (
            "bad/not_a_key.txt",
            "input is not a key: expected PEM, DER, base64 of PEM, a JWK or a create-key response",
        ),
        (
            "bad/truncated.pem",
            "PEM block is truncated: no matching END line",
        ),
        ("bad/oct.jwk.json", "not an RSA key (found oct)"),
        (
            "bad/jwk_wrong_dp.json",
            "RSA private key is inconsistent (its numbers do not belong together)",
        ),
        (
            "demo/demo_public_spki.pem",
            "a private key is required but only a public key was given",
        ),
    ];
    for (rel, why) in cases {
        let key = fixture(rel);
        assert_eq!(
            cli(&[
                "mint", "--key", &key, "--key-id", DEMO_KID, "--video", VIDEO
            ])
            .fails(1),
            format!("key file {key:?}: {why}")
        );
    }
    // Key contents pasted where a file name belongs are not echoed back,
    // whether clap takes them for an option (they start with `-`) or not.
    let pasted = text("demo/demo_pkcs1.pem");
    let msg = cli(&["mint", "--key", &pasted, "--video", VIDEO]).fails(2);
    assert!(msg.contains("characters, not shown"), "{msg}");
    let pasted = format!("--key={pasted}");
    let msg = cli(&["mint", &pasted, "--key-id", DEMO_KID, "--video", VIDEO]).fails(1);
    assert!(
        msg.starts_with("key file (not shown: it looks like key contents, not a file name): "),
        "{msg}"
    );
}

#[test]
fn mint_json() {
    let out = cli(&[
        "mint",
        "--key",
        &fixture("demo/demo.jwk.json"),
        "--video",
        VIDEO,
        "--json",
    ])
    .ok();
    let v = json_of(&out);
    let token = v["token"].as_str().unwrap();
    let claims = demo_verifier().verify(token).unwrap();
    // Members in the documented order, `nbf` null when absent.
    assert_eq!(
        out,
        format!(
            r#"{{"token":"{token}","kid":"{DEMO_KID}","sub":"{VIDEO}","exp":{},"nbf":null}}"#,
            claims.exp()
        )
    );

    let out = cli(&[
        "mint",
        "--key",
        &fixture("demo/demo.jwk.json"),
        "--video",
        VIDEO,
        "--nbf",
        "1700000000",
        "--json",
    ])
    .ok();
    assert_eq!(json_of(&out)["nbf"], json!(1_700_000_000));
}

#[test]
fn ttl_exp_nbf_downloadable() {
    let key = fixture("demo/demo.jwk.json");
    let mint = |extra: &[&str]| {
        let mut args = vec!["mint", "--key", &key, "--video", VIDEO];
        args.extend_from_slice(extra);
        let before = now();
        let token = cli(&args).ok();
        let after = now();
        let claims = decode_unverified(&token).unwrap().claims;
        (before, claims, after)
    };
    for (ttl, secs) in [
        ("90", 90),
        ("90s", 90),
        ("30m", 1800),
        ("2h", 7200),
        ("1h30m", 5400),
        ("24h", 86_400),
    ] {
        let (before, claims, after) = mint(&["--ttl", ttl]);
        assert!(
            (before + secs..=after + secs).contains(&claims.exp()),
            "--ttl {ttl}"
        );
    }

    let exp = now() + 600;
    let nbf = now() - 60;
    let (_, claims, _) = mint(&[
        "--exp",
        &exp.to_string(),
        "--nbf",
        &nbf.to_string(),
        "--downloadable",
    ]);
    assert_eq!(claims.exp(), exp);
    assert_eq!(claims.nbf(), Some(nbf));
    assert!(claims.downloadable());

    let base = ["mint", "--key", key.as_str(), "--video", VIDEO];
    let with = |extra: &[&str]| {
        let mut args = base.to_vec();
        args.extend_from_slice(extra);
        cli(&args)
    };
    // Invalid by themselves: usage errors.
    assert_eq!(
        with(&["--ttl", "25h"]).fails(2),
        r#"invalid value '25h' for '--ttl <DUR>': invalid lifetime "25h": 90000 seconds exceeds the 24-hour cap"#
    );
    assert_eq!(
        with(&["--ttl", "0"]).fails(2),
        r#"invalid value '0' for '--ttl <DUR>': invalid lifetime "0": it must be more than zero"#
    );
    assert_eq!(
        with(&["--ttl", "2 hours"]).fails(2),
        "invalid value '2 hours' for '--ttl <DUR>': invalid duration \"2 hours\": expected whole seconds \
         (90) or whole numbers with the units h, m and s, largest first, each once (90s, 30m, 2h, \
         1h30m, 1m2s)"
    );
    assert_eq!(
        with(&["--ttl", "2h", "--exp", &exp.to_string()]).fails(2),
        "the argument '--ttl <DUR>' cannot be used with '--exp <UNIX>'"
    );
    assert_eq!(
        with(&["--exp", "100", "--nbf", "100"]).fails(2),
        "--nbf: nbf 1970-01-01T00:01:40Z is not before exp 1970-01-01T00:01:40Z (the same second)"
    );
    assert_eq!(
        with(&["--exp", "99999999999999"]).fails(2),
        "--exp 99999999999999 is out of range"
    );
    // Refused against the clock: failures.
    let msg = with(&["--exp", "1700000000"]).fails(1);
    assert!(
        msg.starts_with("exp 2023-11-14T22:13:20Z is not after the signing time "),
        "{msg}"
    );
    let far = now() + 86_400 + 120;
    let msg = with(&["--exp", &far.to_string()]).fails(1);
    assert!(
        msg.starts_with(&format!(
            "exp {} is 24h",
            time::OffsetDateTime::from_unix_timestamp(far)
                .unwrap()
                .format(&time::format_description::well_known::Rfc3339)
                .unwrap()
        )) && msg.contains("after signing, over the 24-hour cap (latest allowed "),
        "{msg}"
    );
    let msg = with(&["--nbf", &(now() + 7200).to_string()]).fails(1);
    assert!(msg.contains("is not before exp"), "{msg}");
}

#[test]
fn rules_in_order() {
    let key = fixture("demo/demo.jwk.json");
    let mint = |rules: &[&str]| {
        let mut args = vec!["mint", "--key", &key, "--video", VIDEO];
        for r in rules {
            args.extend_from_slice(&["--rule", r]);
        }
        cli(&args)
    };
    let token = mint(&["allow:country=GB", "block:any"]).ok();
    let claims = demo_verifier().verify(&token).unwrap();
    assert_eq!(
        serde_json::to_string(claims.access_rules()).unwrap(),
        r#"[{"type":"ip.geoip.country","action":"allow","country":["GB"]},{"type":"any","action":"block"}]"#
    );
    let token = mint(&[
        "block:ip=93.184.216.0/24,2400:cb00::/32",
        "block:country=T1",
        "allow:country=gb,us",
        "allow:ip=1.2.3.4",
        "block:any",
    ])
    .ok();
    let claims = demo_verifier().verify(&token).unwrap();
    assert_eq!(
        serde_json::to_string(claims.access_rules()).unwrap(),
        concat!(
            r#"[{"type":"ip.src","action":"block","ip":["93.184.216.0/24","2400:cb00::/32"]},"#,
            r#"{"type":"ip.geoip.country","action":"block","country":["T1"]},"#,
            r#"{"type":"ip.geoip.country","action":"allow","country":["GB","US"]},"#,
            r#"{"type":"ip.src","action":"allow","ip":["1.2.3.4"]},"#,
            r#"{"type":"any","action":"block"}]"#
        )
    );

    assert_eq!(
        mint(&["allow:country=UK"]).fails(2),
        r#"invalid value 'allow:country=UK' for '--rule <SPEC>': invalid rule "allow:country=UK": "UK" is not an ISO 3166-1 alpha-2 country code (the United Kingdom is GB)"#
    );
    assert_eq!(
        mint(&["permit:any"]).fails(2),
        r#"invalid value 'permit:any' for '--rule <SPEC>': invalid rule "permit:any": the action must be `allow` or `block`"#
    );
    assert_eq!(
        mint(&["block:any", "allow:country=GB"]).fails(2),
        "--rule: access rule 2 follows an `any` rule and could never match"
    );
    assert_eq!(
        mint(&["block:country=FR"; 6]).fails(2),
        "--rule: 6 access rules given; at most 5 are allowed"
    );
}

#[test]
fn mint_without_any_key_names_both_ways_to_give_one() {
    let expected = "no signing key: give --key FILE or set CF_STREAM_SIGNING_KEY; \
        or, to have Cloudflare mint the token, give --account-id and set \
        CLOUDFLARE_API_TOKEN (or CLOUDFLARE_EMAIL and CLOUDFLARE_API_KEY)";
    assert_eq!(cli(&["mint", "--video", VIDEO]).fails(1), expected);
    // An account but no credentials, or credentials but no account.
    assert_eq!(
        cli(&["mint", "--video", VIDEO, "--account-id", ACCOUNT]).fails(1),
        expected
    );
    assert_eq!(
        cli(&["mint", "--video", VIDEO])
            .env("CLOUDFLARE_API_TOKEN", API_TOKEN)
            .fails(1),
        expected
    );
    // Blank counts as unset.
    assert_eq!(
        cli(&["mint", "--video", VIDEO])
            .env("CF_STREAM_SIGNING_KEY", "  ")
            .fails(1),
        expected
    );
}

#[tokio::test]
async fn mint_falls_back_to_the_api_without_a_key() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(token_path()))
        .respond_with(MintFromBody)
        .expect(2)
        .mount(&server)
        .await;

    let token = cli(&[
        "mint",
        "--video",
        VIDEO,
        "--account-id",
        ACCOUNT,
        "--ttl",
        "2h",
    ])
    .api(&server)
    .ok();
    demo_verifier().verify(&token).unwrap();
    // The account may come from the environment too.
    let out = cli(&["mint", "--video", VIDEO, "--json"])
        .api(&server)
        .env("CLOUDFLARE_ACCOUNT_ID", ACCOUNT)
        .ok();
    assert_eq!(json_of(&out)["kid"], json!(DEMO_KID));

    let reqs = requests(&server).await;
    assert_eq!(
        reqs[0].headers.get("authorization").unwrap(),
        &format!("Bearer {API_TOKEN}")
    );
    let body: Value = serde_json::from_slice(&reqs[0].body).unwrap();
    let exp = decode_unverified(&token).unwrap().claims.exp();
    assert_eq!(body, json!({ "exp": exp }));
}

#[tokio::test]
async fn a_local_key_means_no_request() {
    let server = MockServer::start().await;
    let token = cli(&[
        "mint",
        "--key",
        &fixture("demo/demo.jwk.json"),
        "--video",
        VIDEO,
        "--account-id",
        ACCOUNT,
    ])
    .api(&server)
    .ok();
    demo_verifier().verify(&token).unwrap();
    assert!(requests(&server).await.is_empty());
}

#[test]
fn mint_refuses_rules_too_long_for_a_url() {
    let ips: Vec<String> = (0..2000)
        .map(|i| format!("10.0.{}.{}", i / 250, i % 250))
        .collect();
    let rule = format!("block:ip={}", ips.join(","));
    let bound = match TokenOptions::builder()
        .access_rule(
            cf_stream_token::AccessRule::networks(cf_stream_token::Action::Block, &ips).unwrap(),
        )
        .build()
        .unwrap_err()
        .into_kind()
    {
        cf_stream_token::ErrorKind::TokenTooLong { len, max: 16_128 } => len,
        other => panic!("{other:?}"),
    };
    let key = fixture("demo/demo.jwk.json");
    assert_eq!(
        cli(&["mint", "--key", &key, "--video", VIDEO, "--rule", &rule]).fails(2),
        format!(
            "--rule: tokens with these options could be {bound} bytes long; at most 16128 fit a playback URL"
        )
    );
}

#[tokio::test]
async fn keyless_mint_takes_timeout_and_retries() {
    let help = cli(&["mint", "--help"]).ok();
    assert!(help.contains("--timeout <DUR>"), "{help}");
    assert!(help.contains("[default: 30s]"), "{help}");
    assert!(help.contains("--retries <N>"), "{help}");
    assert!(help.contains("[default: 2]"), "{help}");

    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(token_path()))
        .respond_with(ResponseTemplate::new(503))
        .mount(&server)
        .await;
    let mint = |extra: &[&str]| {
        let mut args = vec!["mint", "--video", VIDEO, "--account-id", ACCOUNT];
        args.extend_from_slice(extra);
        cli(&args).api(&server)
    };
    mint(&["--retries", "3"]).fails(1);
    assert_eq!(requests(&server).await.len(), 4);

    server.reset().await;
    Mock::given(method("POST"))
        .and(path(token_path()))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({"success": true, "result": {"token": "x"}}))
                .set_delay(std::time::Duration::from_secs(5)),
        )
        .mount(&server)
        .await;
    let started = std::time::Instant::now();
    let msg = mint(&["--timeout", "1", "--retries", "0"]).fails(1);
    assert!(started.elapsed() < std::time::Duration::from_secs(4));
    assert!(
        msg.starts_with("Cloudflare API: request timed out"),
        "{msg}"
    );
    assert_eq!(requests(&server).await.len(), 1);

    // A 403 names the permission, as for `token`.
    server.reset().await;
    Mock::given(method("POST"))
        .respond_with(failure(
            403,
            json!([{"code": 10000, "message": "Authentication error"}]),
        ))
        .mount(&server)
        .await;
    let msg = mint(&[]).fails(1);
    assert!(
        msg.starts_with(
            "the credentials are valid but lack the \"Stream Write\" permission for this account"
        ),
        "{msg}"
    );
}
