//! Exact requests and their answers: each call's method, path, headers
//! and body, both auth forms, Cloudflare's times, the policy checked
//! before and after the token endpoint.

use super::*;

#[tokio::test]
async fn create_signing_key_sends_exactly_the_documented_request() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(keys_path()))
        .respond_with(ok(json("demo/demo_create_result.json")))
        .expect(1)
        .mount(&server)
        .await;

    let created = client(&server).create_signing_key().await.unwrap();

    let reqs = requests(&server).await;
    assert_eq!(reqs.len(), 1);
    let req = &reqs[0];
    assert_eq!(req.method.as_str(), "POST");
    assert_eq!(req.url.path(), keys_path());
    assert_eq!(req.url.query(), None);
    assert_common_headers(req);
    assert_bearer(req);
    assert_eq!(header(req, "content-type"), Some("application/json"));
    assert_eq!(req.body, b"{}");

    assert_eq!(created.id().as_str(), DEMO_KID);
    assert_eq!(
        created.created(),
        Some(time::macros::datetime!(2026-11-01 12:00 UTC))
    );
    let debug = format!("{created:?}");
    assert_eq!(
        debug,
        format!(
            r#"CreatedKey {{ id: "{DEMO_KID}", created: Some(2026-11-01 12:00:00.0 +00:00:00), .. }}"#
        )
    );
    for secret in demo_secrets() {
        assert!(!debug.contains(&secret));
    }

    // What is saved loads again, and is the same key.
    let saved = created.secret_result_json().to_owned();
    let saved_json: Value = serde_json::from_str(&saved).unwrap();
    assert_eq!(saved_json, json("demo/demo_create_result.json"));
    let reloaded = SigningKey::parse(&saved, None).unwrap();
    assert_eq!(reloaded.kid().as_str(), DEMO_KID);

    let key: SigningKey = created.try_into().unwrap();
    let token = cf_stream_token::Signer::new(key)
        .mint_at(at(NOW), &video(), &TokenOptions::default())
        .unwrap();
    assert_eq!(token.as_str(), text("golden/minimal.jwt"));
}

#[tokio::test]
async fn list_signing_keys_with_a_global_api_key() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(keys_path()))
        .respond_with(ok(json!([
            {"id": DEMO_KID, "created": "2014-01-02T02:20:00Z"},
            {"id": OTHER_KID, "created": "2024-05-06T07:08:09.123Z"}
        ])))
        .expect(1)
        .mount(&server)
        .await;
    let client = Client::builder(
        AccountId::new(ACCOUNT).unwrap(),
        Credentials::global_api_key(EMAIL, GLOBAL_KEY).unwrap(),
    )
    .base_url(server.uri())
    .build()
    .unwrap();

    let keys = client.list_signing_keys().await.unwrap();

    let req = &requests(&server).await[0];
    assert_eq!(req.method.as_str(), "GET");
    assert_eq!(req.url.path(), keys_path());
    assert_common_headers(req);
    assert_eq!(header(req, "x-auth-email"), Some(EMAIL));
    assert_eq!(header(req, "x-auth-key"), Some(GLOBAL_KEY));
    assert_eq!(header(req, "authorization"), None);
    assert_eq!(header(req, "content-type"), None);
    assert!(req.body.is_empty());

    assert_eq!(keys.len(), 2);
    assert_eq!(keys[0].id().as_str(), DEMO_KID);
    assert_eq!(
        keys[0].created(),
        Some(time::macros::datetime!(2014-01-02 02:20 UTC))
    );
    assert_eq!(keys[1].id().as_str(), OTHER_KID);
    assert_eq!(
        keys[1].created(),
        Some(time::macros::datetime!(2024-05-06 07:08:09.123 UTC))
    );
}

#[tokio::test]
async fn delete_signing_key() {
    let server = MockServer::start().await;
    let key_path = format!("/accounts/{ACCOUNT}/stream/keys/{DEMO_KID}");
    Mock::given(method("DELETE"))
        .and(path(key_path.as_str()))
        .respond_with(ok(json!("ok")))
        .expect(1)
        .mount(&server)
        .await;

    client(&server)
        .delete_signing_key(&kid(DEMO_KID))
        .await
        .unwrap();

    let req = &requests(&server).await[0];
    assert_eq!(req.method.as_str(), "DELETE");
    assert_eq!(req.url.path(), key_path);
    assert_common_headers(req);
    assert_bearer(req);
    assert!(req.body.is_empty());
}

#[tokio::test]
async fn create_token_sends_the_resolved_options_and_never_a_key() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(token_path()))
        .respond_with(MintFromBody)
        .expect(2)
        .mount(&server)
        .await;
    let client = client(&server);

    let token = client
        .create_token(&video(), &TokenOptions::default())
        .await
        .unwrap();
    assert_eq!(token.exp(), NOW + 3600);
    assert_eq!(token.nbf(), None);
    assert_eq!(token.video(), &video());

    let opts = TokenOptions::builder()
        .lifetime(Duration::from_secs(7200))
        .backdate_not_before(Duration::from_secs(3600))
        .downloadable(true)
        .access_rules([
            AccessRule::countries(Action::Allow, ["GB"]).unwrap(),
            AccessRule::networks(Action::Allow, ["93.184.216.0/24"]).unwrap(),
            AccessRule::any(Action::Block),
        ])
        .build()
        .unwrap();
    let full = client.create_token(&video(), &opts).await.unwrap();
    assert_eq!(full.exp(), NOW + 7200);
    assert_eq!(full.nbf(), Some(NOW - 3600));
    assert!(full.claims().downloadable());

    let reqs = requests(&server).await;
    for req in &reqs {
        assert_eq!(req.method.as_str(), "POST");
        assert_eq!(req.url.path(), token_path());
        assert_common_headers(req);
        assert_bearer(req);
        assert_eq!(header(req, "content-type"), Some("application/json"));
        let body = String::from_utf8(req.body.clone()).unwrap();
        assert!(!body.contains("pem") && !body.contains("\"id\""), "{body}");
    }
    assert_eq!(
        String::from_utf8(reqs[0].body.clone()).unwrap(),
        format!(r#"{{"exp":{}}}"#, NOW + 3600)
    );
    assert_eq!(
        String::from_utf8(reqs[1].body.clone()).unwrap(),
        format!(
            concat!(
                r#"{{"exp":{},"nbf":{},"downloadable":true,"accessRules":["#,
                r#"{{"type":"ip.geoip.country","action":"allow","country":["GB"]}},"#,
                r#"{{"type":"ip.src","action":"allow","ip":["93.184.216.0/24"]}},"#,
                r#"{{"type":"any","action":"block"}}]}}"#
            ),
            NOW + 7200,
            NOW - 3600
        )
    );
}

#[tokio::test]
async fn create_token_reads_cloudflares_string_times() {
    // Cloudflare's own endpoint has been seen to emit exp/nbf as strings.
    let b64 = |s: String| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(s);
    let compact = format!(
        "{}.{}.{}",
        b64(r#"{"alg":"RS256","kid":"e9db990a82666dd571c77f944a5c5c8d"}"#.to_owned()),
        b64(format!(
            r#"{{"sub":"{VIDEO}","kid":"e9db990a82666dd571c77f944a5c5c8d","exp":"{}","nbf":"{}"}}"#,
            NOW + 3600,
            NOW - 3600
        )),
        b64("s".repeat(256))
    );
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(token_path()))
        .respond_with(ok(json!({ "token": compact })))
        .expect(1)
        .mount(&server)
        .await;

    let token = client(&server)
        .create_token(&video(), &TokenOptions::default())
        .await
        .unwrap();
    assert_eq!(token.as_str(), compact);
    assert_eq!(token.exp(), NOW + 3600);
    assert_eq!(token.nbf(), Some(NOW - 3600));
    assert_eq!(token.kid().as_str(), "e9db990a82666dd571c77f944a5c5c8d");
}

#[tokio::test]
async fn create_token_checks_the_policy_before_any_request() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(MintFromBody)
        .expect(0)
        .mount(&server)
        .await;
    let client = client(&server);
    let too_far = TokenOptions::builder()
        .expires_at(at(NOW + 86_401))
        .build()
        .unwrap();
    let e = client.create_token(&video(), &too_far).await.unwrap_err();
    assert_eq!(
        e.kind(),
        &ErrorKind::ExpiryTooFar {
            exp: NOW + 86_401,
            max: NOW + 86_400
        }
    );
    let past = TokenOptions::builder().expires_at(at(NOW)).build().unwrap();
    let e = client.create_token(&video(), &past).await.unwrap_err();
    assert!(matches!(e.kind(), ErrorKind::ExpiryNotInFuture { .. }));
}

#[tokio::test]
async fn create_token_refuses_an_answer_that_breaks_the_policy() {
    let server = MockServer::start().await;
    // A token for another video, then one that lives longer than 24 hours.
    let other = VideoId::new("00000000000000000000000000000001").unwrap();
    let day_and_more = TokenOptions::builder()
        .expires_at(at(NOW + 86_401))
        .build()
        .unwrap();
    let wrong_video = demo_signer()
        .mint_at(at(NOW), &other, &TokenOptions::default())
        .unwrap();
    let too_long = demo_signer()
        .mint_at(at(NOW + 10), &video(), &day_and_more)
        .unwrap();
    for (token, what) in [
        (wrong_video.as_str(), "token is for another video"),
        (too_long.as_str(), "token expires more than 24 hours ahead"),
        ("not-a-token", "result is not a Stream token"),
    ] {
        server.reset().await;
        Mock::given(method("POST"))
            .respond_with(ok(json!({ "token": token })))
            .mount(&server)
            .await;
        let e = client(&server)
            .create_token(&video(), &TokenOptions::default())
            .await
            .unwrap_err();
        assert_eq!(e.kind(), &ErrorKind::InvalidResponse { what });
        assert!(!format!("{e:?}").contains(token));
    }
}
