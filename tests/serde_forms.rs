//! serde forms (options from a config file, claims, tokens, URLs), the
//! text forms (rules, durations), keys from the environment and files with
//! their hints, and the URL template.

use std::time::Duration;

use cf_stream_token::time::macros::datetime;
use cf_stream_token::{
    AccessRule, Action, Dash, Download, ErrorKind, Hls, PlaybackTemplate, PlaybackUrls, SigningKey,
    StreamHost, Surface, Thumbnail, TokenOptions, parse_duration,
};
use serde_json::json;

use crate::common::*;

fn options(v: serde_json::Value) -> Result<TokenOptions, String> {
    serde_json::from_value(v).map_err(|e| e.to_string())
}

#[test]
fn options_from_a_config_file_keep_every_check() {
    let o = options(json!({
        "lifetime": "2h", "backdate": "60s", "downloadable": false,
        "accessRules": [{"type": "ip.geoip.country", "action": "allow", "country": ["GB"]},
                        {"type": "any", "action": "block"}]
    }))
    .unwrap();
    let built = TokenOptions::builder()
        .lifetime(Duration::from_secs(7200))
        .backdate_not_before(Duration::from_secs(60))
        .access_rules(AccessRule::allow_only_countries(["GB"]).unwrap())
        .build()
        .unwrap();
    assert_eq!(o, built);
    // Every member optional: the builder's defaults.
    assert_eq!(options(json!({})).unwrap(), TokenOptions::default());
    assert_eq!(
        options(json!({"lifetime": 90})).unwrap().lifetime_secs(),
        Some(90)
    );
    assert_eq!(
        options(json!({"lifetime": "1h30m"}))
            .unwrap()
            .lifetime_secs(),
        Some(5400)
    );
    assert!(
        options(json!({"downloadable": true}))
            .unwrap()
            .downloadable()
    );

    // The policy, while deserialising.
    assert_eq!(
        options(json!({"lifetime": "25h"})).unwrap_err(),
        "token lifetime of 25h exceeds the 24-hour cap"
    );
    assert_eq!(
        options(json!({"lifetime": 90_000})).unwrap_err(),
        "token lifetime of 25h exceeds the 24-hour cap"
    );
    assert_eq!(
        options(json!({"lifetime": 0})).unwrap_err(),
        "token lifetime must be a positive whole number of seconds"
    );
    assert_eq!(
        options(json!({"accessRules": [{"type": "any", "action": "block"}, {"type": "any", "action": "allow"}]}))
            .unwrap_err(),
        "access rule 2 follows an `any` rule and could never match"
    );
    let six = vec![json!({"type": "ip.geoip.country", "action": "block", "country": ["US"]}); 6];
    assert_eq!(
        options(json!({"accessRules": six})).unwrap_err(),
        "6 access rules given; at most 5 are allowed"
    );
    // Unknown members and bad forms.
    let e = options(json!({"lifetme": "2h"})).unwrap_err();
    assert!(e.starts_with("unknown field `lifetme`"), "{e}");
    let e = options(json!({"lifetime": "1.5h"})).unwrap_err();
    assert!(
        e.starts_with(r#"invalid duration "1.5h": expected whole seconds (90)"#),
        "{e}"
    );
    let e = options(json!({"lifetime": -5})).unwrap_err();
    assert!(e.contains("whole seconds, or a duration"), "{e}");
    let e = options(json!({"accessRules": [{"type": "ip.geoip.country", "action": "allow", "country": ["UK"]}]}))
        .unwrap_err();
    assert!(
        e.contains("\"UK\" is not an ISO 3166-1 alpha-2 country code"),
        "{e}"
    );
}

#[test]
fn claims_tokens_and_urls_serialise_and_round_trip() {
    let o = options(json!({
        "lifetime": 3600, "backdate": 60,
        "accessRules": [{"type": "ip.src", "action": "allow", "ip": ["1.2.3.0/24"]}, {"type": "any", "action": "block"}]
    }))
    .unwrap();
    let token = demo_signer().mint_at(at(NOW), &video(), &o).unwrap();
    assert_eq!(serde_json::to_value(&token).unwrap(), json!(token.as_str()));
    let claims = serde_json::to_value(token.claims()).unwrap();
    assert_eq!(
        claims,
        json!({"sub": VIDEO, "kid": DEMO_KID, "exp": NOW + 3600, "nbf": NOW - 60, "downloadable": false,
               "accessRules": [{"type": "ip.src", "action": "allow", "ip": ["1.2.3.0/24"]}, {"type": "any", "action": "block"}]})
    );
    // The claims' rules read back as options' rules: the same token.
    let back =
        options(json!({"lifetime": 3600, "backdate": 60, "accessRules": claims["accessRules"]}))
            .unwrap();
    assert_eq!(back, o);
    assert_eq!(
        demo_signer()
            .mint_at(at(NOW), &video(), &back)
            .unwrap()
            .as_str(),
        token.as_str()
    );
    // The verifier's claims serialise the same as the minted ones.
    let verified = demo_signer()
        .verifier()
        .verify_at(token.as_str(), at(NOW))
        .unwrap();
    assert_eq!(serde_json::to_value(&verified).unwrap(), claims);

    let urls = PlaybackUrls::builder(StreamHost::customer_code("abc").unwrap(), video())
        .surfaces([
            Surface::Hls(Hls::new()),
            Surface::Thumbnail(Thumbnail::new()),
            Surface::Thumbnail(Thumbnail::new().width(320)),
            Surface::Mp4Download(Download::new()),
        ])
        .build()
        .unwrap()
        .mint_at(at(NOW), &demo_signer())
        .unwrap();
    let t = urls.token().as_str();
    let base = format!("https://customer-abc.cloudflarestream.com/{t}");
    assert_eq!(
        serde_json::to_string(&urls).unwrap(),
        format!(
            r#"{{"hls":"{base}/manifest/video.m3u8","thumbnail":"{base}/thumbnails/thumbnail.jpg","thumbnail_2":"{base}/thumbnails/thumbnail.jpg?width=320","mp4":"{base}/downloads/default.mp4","expires_at":"2023-11-14T23:13:20Z"}}"#
        )
    );
}

#[test]
fn rules_and_durations_in_the_command_lines_syntax() {
    let rule = |s: &str| s.parse::<AccessRule>();
    assert_eq!(rule("block:any").unwrap(), AccessRule::any(Action::Block));
    assert_eq!(
        rule("allow:country=gb, US").unwrap(),
        AccessRule::countries(Action::Allow, ["GB", "US"]).unwrap()
    );
    assert_eq!(
        rule("allow:ip=1.2.3.0/24,2400:cb00::/32").unwrap(),
        AccessRule::networks(Action::Allow, ["1.2.3.0/24", "2400:cb00::/32"]).unwrap()
    );
    for (bad, reason) in [
        (
            "allow",
            "expected ACTION:TARGET, e.g. allow:country=GB or block:any",
        ),
        ("deny:any", "the action must be `allow` or `block`"),
        (
            "allow:all",
            "the target must be `any`, `country=CC[,CC..]` or `ip=ADDR[,..]`",
        ),
        (
            "allow:asn=1",
            "the target must be `any`, `country=...` or `ip=...`",
        ),
        ("allow:country=GB,", "the list has an empty item"),
    ] {
        let e = rule(bad).unwrap_err();
        assert_eq!(
            e.kind(),
            &ErrorKind::InvalidSyntax {
                what: "rule",
                value: bad.to_owned(),
                reason
            },
            "{bad}"
        );
        assert_eq!(e.http_status(), 400);
    }
    assert_eq!(
        rule("allow:country=UK").unwrap_err().kind(),
        &ErrorKind::InvalidCountryCode {
            value: "UK".to_owned()
        }
    );
    assert_eq!(
        rule("block:ip=1.2.3.4/33").unwrap_err().kind(),
        &ErrorKind::InvalidIpNetwork {
            value: "1.2.3.4/33".to_owned()
        }
    );
    assert_eq!(parse_duration("1h30m").unwrap(), Duration::from_secs(5400));
    assert_eq!(
        parse_duration("1.5h").unwrap_err().to_string(),
        "invalid duration \"1.5h\": expected whole seconds (90) or whole numbers with the units h, m and s, \
         largest first, each once (90s, 30m, 2h, 1h30m, 1m2s)"
    );
}

fn env_of(pairs: &[(&str, String)]) -> impl Fn(&str) -> Option<String> + use<> {
    let pairs: Vec<(String, String)> = pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), v.clone()))
        .collect();
    move |name| {
        pairs
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
    }
}

#[test]
fn keys_from_the_environment_and_files_with_hints() {
    let key = SigningKey::from_env_with(env_of(&[(
        "CF_STREAM_SIGNING_KEY",
        format!("\n{}\n", text("demo/demo_create_result.json")),
    )]))
    .unwrap();
    assert_eq!(key.kid().as_str(), DEMO_KID);
    let pem = SigningKey::from_env_with(env_of(&[
        ("CF_STREAM_SIGNING_KEY", text("other/other_pkcs1.pem")),
        ("CF_STREAM_KEY_ID", format!(" {OTHER_KID} ")),
    ]))
    .unwrap();
    assert_eq!(pem.kid().as_str(), OTHER_KID);

    let e = SigningKey::from_env_with(env_of(&[])).unwrap_err();
    assert_eq!(
        e.kind(),
        &ErrorKind::MissingConfig {
            name: "CF_STREAM_SIGNING_KEY"
        }
    );
    let e = SigningKey::from_env_with(env_of(&[("CF_STREAM_SIGNING_KEY", "  ".to_owned())]))
        .unwrap_err();
    assert_eq!(
        e.kind(),
        &ErrorKind::MissingConfig {
            name: "CF_STREAM_SIGNING_KEY"
        }
    );

    // A path where the contents belong.
    for path in [
        "/etc/stream/key.pem",
        "./stream-key.json",
        "stream-key.json",
    ] {
        let e = SigningKey::from_env_with(env_of(&[("CF_STREAM_SIGNING_KEY", path.to_owned())]))
            .unwrap_err();
        assert_eq!(
            e.kind(),
            &ErrorKind::KeyLooksLikePath {
                name: "CF_STREAM_SIGNING_KEY"
            }
        );
        assert_eq!(
            e.to_string(),
            "CF_STREAM_SIGNING_KEY looks like a path, not a key: set it to the key's contents, or read the file with SigningKey::from_file"
        );
        assert!(e.is_key());
        assert_eq!(e.http_status(), 500);
    }
    // Not a path, not a key: the parser's own answer.
    let e = SigningKey::from_env_with(env_of(&[("CF_STREAM_SIGNING_KEY", "hello".to_owned())]))
        .unwrap_err();
    assert_eq!(e.kind(), &ErrorKind::NotAKey);
    // A key id that the key's own contradicts is that error, not a path.
    let e = SigningKey::from_env_with(env_of(&[
        (
            "CF_STREAM_SIGNING_KEY",
            text("demo/demo_create_result.json"),
        ),
        ("CF_STREAM_KEY_ID", OTHER_KID.to_owned()),
    ]))
    .unwrap_err();
    assert_eq!(
        e.kind(),
        &ErrorKind::KeyIdMismatch {
            expected: OTHER_KID.to_owned(),
            found: DEMO_KID.to_owned()
        }
    );

    // A PEM without a key id names both places to give one.
    let e = SigningKey::from_env_with(env_of(&[(
        "CF_STREAM_SIGNING_KEY",
        text("other/other_pkcs1.pem"),
    )]))
    .unwrap_err();
    assert_eq!(e.kind(), &ErrorKind::KeyIdRequired);
    assert_eq!(
        e.to_string(),
        "this key form (PEM or DER) carries no key id; give one with the key (CF_STREAM_KEY_ID beside CF_STREAM_SIGNING_KEY)"
    );
    let e = SigningKey::from_file(path("other/other_pkcs1.pem"), None).unwrap_err();
    assert_eq!(e.kind(), &ErrorKind::KeyIdRequired);

    // Files.
    let k = SigningKey::from_file(path("other/other_pkcs1.pem"), Some(kid(OTHER_KID))).unwrap();
    assert_eq!(k.kid().as_str(), OTHER_KID);
    let e = SigningKey::from_file(path("no/such/file.pem"), None).unwrap_err();
    assert_eq!(
        e.kind(),
        &ErrorKind::KeyFileUnreadable {
            io: std::io::ErrorKind::NotFound
        }
    );
    assert_eq!(e.to_string(), "cannot read the key file: entity not found");
    // The size cap is 1 MiB, inclusive: a PEM padded with trailing blank
    // lines to exactly 1 MiB loads (text forms are trimmed), one byte more
    // is refused unread.
    let dir = crate::common::Scratch::new("cf-stream-token-big");
    let big = dir.join("big.pem");
    let mut padded = text("other/other_pkcs1.pem").into_bytes();
    assert_eq!(cf_stream_token::KEY_FILE_LIMIT, 1 << 20);
    padded.resize(cf_stream_token::KEY_FILE_LIMIT as usize, b'\n');
    std::fs::write(&big, &padded).unwrap();
    let at_cap = SigningKey::from_file(&big, Some(kid(OTHER_KID)));
    padded.push(b'\n');
    std::fs::write(&big, &padded).unwrap();
    let over = SigningKey::from_file(&big, Some(kid(OTHER_KID)));
    std::fs::remove_file(&big).unwrap();
    assert_eq!(at_cap.unwrap().kid().as_str(), OTHER_KID);
    assert_eq!(over.unwrap_err().kind(), &ErrorKind::KeyFileTooLarge);

    // A customer code with its prefix.
    let e = StreamHost::customer_code("customer-f33zs165nr7gyfy4").unwrap_err();
    assert_eq!(
        e.to_string(),
        "invalid customer code: \"customer-f33zs165nr7gyfy4\" (give the code without its `customer-` prefix)"
    );
    assert_eq!(
        StreamHost::customer_code("F33").unwrap_err().to_string(),
        "invalid customer code: \"F33\""
    );
}

#[test]
fn the_template_mints_any_video_with_one_signature() {
    let o = TokenOptions::builder()
        .lifetime(Duration::from_secs(7200))
        .build()
        .unwrap();
    let surfaces = [
        Surface::Iframe,
        Surface::Watch,
        Surface::Hls(Hls::new().low_latency(true)),
        Surface::Dash(Dash::new()),
        Surface::Thumbnail(Thumbnail::new().height(270)),
        Surface::Mp4Download(Download::new().filename("talk")),
    ];
    let host = StreamHost::customer_code("abc").unwrap();
    let template = PlaybackTemplate::builder(host.clone())
        .options(o.clone())
        .surfaces(surfaces.clone())
        .build()
        .unwrap();
    assert!(template.token_options().downloadable());
    let now = datetime!(2023-11-14 22:13:20 UTC);
    let signed = template.mint_at(now, &demo_signer(), &video()).unwrap();
    // The same token, and URLs, as the one-video builder.
    let same = PlaybackUrls::builder(host, video())
        .options(o)
        .surfaces(surfaces)
        .build()
        .unwrap()
        .mint_at(now, &demo_signer())
        .unwrap();
    assert_eq!(signed.urls(), same.urls());
    let base = format!(
        "https://customer-abc.cloudflarestream.com/{}",
        signed.token()
    );
    assert_eq!(signed.iframe(), Some(&*format!("{base}/iframe")));
    assert_eq!(signed.watch(), Some(&*format!("{base}/watch")));
    assert_eq!(
        signed.hls(),
        Some(&*format!("{base}/manifest/video.m3u8?protocol=llhls"))
    );
    assert_eq!(signed.dash(), Some(&*format!("{base}/manifest/video.mpd")));
    assert_eq!(
        signed.thumbnail(),
        Some(&*format!("{base}/thumbnails/thumbnail.jpg?height=270"))
    );
    assert_eq!(
        signed.mp4(),
        Some(&*format!("{base}/downloads/default.mp4?filename=talk"))
    );
    assert_eq!(
        (signed.gif(), signed.m4a(), signed.webrtc()),
        (None, None, None)
    );
    assert!(signed.token().claims().downloadable());

    // Another video, options from the request: still downloadable.
    let other = "0123456789abcdef0123456789abcdef".parse().unwrap();
    let rules = TokenOptions::builder()
        .access_rules(AccessRule::allow_only_countries(["GB"]).unwrap())
        .build()
        .unwrap();
    let s = template
        .mint_with_at(now, &demo_signer(), &other, &rules)
        .unwrap();
    assert_eq!(s.token().video(), &other);
    assert!(s.token().claims().downloadable());
    assert_eq!(s.token().claims().access_rules().len(), 2);
    assert_eq!(s.token().exp(), now.unix_timestamp() + 3600);
}

#[test]
fn a_line_break_inside_a_token_is_malformed_and_blanks_around_it_are_trimmed() {
    let token = demo_signer()
        .mint_at(at(NOW), &video(), &TokenOptions::default())
        .unwrap();
    let t = token.as_str();
    let v = demo_signer().verifier();
    assert!(v.verify_at(&format!("  {t}\n"), at(NOW)).is_ok());
    let broken = format!("{}\n{}", &t[..40], &t[40..]);
    let e = v.verify_at(&broken, at(NOW)).unwrap_err();
    assert_eq!(
        e.kind(),
        &ErrorKind::MalformedToken {
            reason: "the token holds a blank or a line break"
        }
    );
    assert_eq!(e.http_status(), 400);
    // A space (a blank, not a control) and a control that is not a blank
    // are refused the same way, before the base64 is read.
    for inner in [" ", "\u{1}", "\u{7f}"] {
        let broken = format!("{}{inner}{}", &t[..40], &t[40..]);
        assert_eq!(
            v.verify_at(&broken, at(NOW)).unwrap_err().kind(),
            &ErrorKind::MalformedToken {
                reason: "the token holds a blank or a line break"
            },
            "{inner:?}"
        );
    }
}
