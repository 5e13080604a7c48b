//! Creating a signing key: an answer that cannot be used is kept, a
//! request that may have arrived is never sent again, the raw answer.

use super::*;

/// A create-key `result` whose key cannot be used, as Cloudflare's
/// answer would hold it, and what the client must say about it.
fn unusable_results() -> Vec<(Value, Option<&'static str>, ErrorKind)> {
    let b64 = |rel: &str| base64::engine::general_purpose::STANDARD.encode(bytes(rel));
    let demo = json("demo/demo_create_result.json");
    let mut no_id = demo.clone();
    no_id.as_object_mut().unwrap().remove("id");
    let mut bad_id = demo.clone();
    bad_id["id"] = json!("../../keys");
    let invalid = |what| ErrorKind::InvalidResponse { what };
    vec![
        // pem and jwk are different keys.
        (
            json("bad/response_pem_jwk_mismatch.json"),
            Some(OTHER_KID),
            ErrorKind::ResponseKeyMismatch,
        ),
        // The JWK's kid is not the id.
        (
            json("bad/response_id_mismatch.json"),
            Some("ffffffffffffffffffffffffffffffff"),
            ErrorKind::KeyIdMismatch {
                expected: "ffffffffffffffffffffffffffffffff".to_owned(),
                found: DEMO_KID.to_owned(),
            },
        ),
        // A 1024-bit key.
        (
            json!({"id": "10241024102410241024102410241024",
                   "jwk": b64("bad/rsa1024.jwk.json"),
                   "created": "2026-11-01T12:00:00Z"}),
            Some("10241024102410241024102410241024"),
            ErrorKind::KeyTooSmall { bits: 1024 },
        ),
        // Junk where the PEM belongs.
        (
            json!({"id": DEMO_KID, "pem": "c2VjcmV0LXBlbQ==", "created": "2026-11-01T12:00:00Z"}),
            Some(DEMO_KID),
            ErrorKind::WrongKeyForm {
                expected: "base64 of a PEM key",
            },
        ),
        (
            json!({"id": DEMO_KID, "created": "2026-11-01T12:00:00Z"}),
            Some(DEMO_KID),
            invalid("created key has neither pem nor jwk"),
        ),
        // Key material, but an id the crate refuses, or none.
        (bad_id, None, invalid("id is not a key id")),
        (no_id, None, invalid("created key has no id")),
        (
            json!("a string"),
            None,
            invalid("result is not of the documented shape"),
        ),
    ]
}

#[tokio::test]
async fn a_created_key_that_cannot_be_used_is_an_error_that_keeps_the_answer() {
    let server = MockServer::start().await;
    let client = client(&server);
    for (result, id, cause) in unusable_results() {
        server.reset().await;
        Mock::given(method("POST"))
            .respond_with(ok(result.clone()))
            .expect(1)
            .mount(&server)
            .await;
        let e = client.create_signing_key().await.unwrap_err();
        assert_eq!(
            e.kind(),
            &ErrorKind::CreatedKeyUnusable {
                id: id.map(str::to_owned),
                cause: Box::new(cause.clone()),
            },
            "{result}"
        );
        // The answer exactly as sent, for the caller to save.
        assert_eq!(
            e.secret_created_key_result(),
            Some(serde_json::to_string(&result).unwrap().as_str())
        );
        assert!(e.api_details().is_none());
        let shown = format!("{e} | {e:?} | {:?}", std::error::Error::source(&e));
        for secret in demo_secrets() {
            assert!(!shown.contains(&secret), "{shown}");
        }
        assert!(!shown.contains("c2VjcmV0"), "{shown}");
        match id {
            Some(id) => assert_eq!(
                e.to_string(),
                format!("Cloudflare created signing key {id}, but it is unusable: {cause}")
            ),
            None => assert!(e.to_string().starts_with(
                "Cloudflare answered the create-key request with success (a key was probably \
                 created; its id is unreadable), but the answer is unusable: "
            )),
        }
        // Sent once: a key exists, another request would make another.
        assert_eq!(requests(&server).await.len(), 1);
    }
}

#[tokio::test]
async fn a_success_answer_that_is_not_an_envelope_is_kept_whole() {
    let server = MockServer::start().await;
    let body = "<html>key: LS0tLS1CRUdJTiBSU0Eg</html>";
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(200).set_body_string(body))
        .mount(&server)
        .await;
    let e = client(&server).create_signing_key().await.unwrap_err();
    assert_eq!(
        e.kind(),
        &ErrorKind::CreatedKeyUnusable {
            id: None,
            cause: Box::new(ErrorKind::InvalidResponse {
                what: "body is not an API envelope"
            }),
        }
    );
    assert_eq!(e.secret_created_key_result(), Some(body));
    assert!(!format!("{e} {e:?}").contains("LS0tLS1"));

    // A refusal inside a 200 is a refusal: nothing was created.
    server.reset().await;
    Mock::given(method("POST"))
        .respond_with(failure(200, json!([{"code": 10010, "message": "no"}])))
        .mount(&server)
        .await;
    let e = client(&server).create_signing_key().await.unwrap_err();
    assert_eq!(e.kind(), &ErrorKind::ApiError { status: 200 });
    assert_eq!(e.secret_created_key_result(), None);
}

#[tokio::test]
async fn a_created_key_whose_created_is_not_rfc_3339_is_still_the_key() {
    let server = MockServer::start().await;
    let mut result = json("demo/demo_create_result.json");
    result["created"] = json!("yesterday");
    Mock::given(method("POST"))
        .respond_with(ok(result.clone()))
        .mount(&server)
        .await;
    let created = client(&server).create_signing_key().await.unwrap();
    assert_eq!(created.id().as_str(), DEMO_KID);
    assert_eq!(created.created(), None);
    assert_eq!(created.created_raw(), Some("yesterday"));
    assert_eq!(
        created.secret_result_json(),
        serde_json::to_string(&result).unwrap()
    );
    let key = created.into_signing_key().unwrap();
    assert_eq!(key.kid().as_str(), DEMO_KID);
}

#[tokio::test]
async fn create_key_answered_500_is_sent_exactly_once() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(keys_path()))
        .respond_with(failure(
            500,
            json!([{"code": 10002, "message": "internal"}]),
        ))
        .expect(1)
        .mount(&server)
        .await;
    let e = client(&server).create_signing_key().await.unwrap_err();
    assert_eq!(
        e.kind(),
        &ErrorKind::ServerError {
            status: 500,
            retry_after: None
        }
    );
    assert_eq!(requests(&server).await.len(), 1);
}

#[tokio::test]
async fn create_key_is_never_resent_once_it_may_have_arrived() {
    let server = MockServer::start().await;
    let client = builder(&server)
        .timeout(Duration::from_millis(200))
        .build()
        .unwrap();
    type KindCheck = fn(&ErrorKind) -> bool;
    let cases: [(ResponseTemplate, KindCheck); 3] = [
        // The answer is lost to a timeout: a key may exist.
        (
            ok(json("demo/demo_create_result.json")).set_delay(Duration::from_secs(2)),
            |k| k == &ErrorKind::CreateOutcomeUnknown { timed_out: true },
        ),
        (ResponseTemplate::new(503), |k| {
            matches!(k, ErrorKind::ServerError { status: 503, .. })
        }),
        (
            ResponseTemplate::new(502).insert_header("retry-after", "0"),
            |k| matches!(k, ErrorKind::ServerError { status: 502, .. }),
        ),
    ];
    for (response, expected) in cases {
        server.reset().await;
        Mock::given(method("POST"))
            .respond_with(response)
            .expect(1)
            .mount(&server)
            .await;
        let e = client.create_signing_key().await.unwrap_err();
        assert!(expected(e.kind()), "{e:?}");
        assert_eq!(requests(&server).await.len(), 1);
    }
}

#[tokio::test]
async fn a_create_whose_answer_is_lost_says_a_key_may_exist() {
    // Timed out.
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ok(json("demo/demo_create_result.json")).set_delay(Duration::from_secs(2)))
        .expect(1)
        .mount(&server)
        .await;
    let e = builder(&server)
        .timeout(Duration::from_millis(150))
        .build()
        .unwrap()
        .create_signing_key()
        .await
        .unwrap_err();
    assert_eq!(
        e.kind(),
        &ErrorKind::CreateOutcomeUnknown { timed_out: true }
    );
    assert_eq!(
        e.to_string(),
        "Cloudflare API: the create-key request timed out after it was sent: a signing key may \
         have been created; listing the keys shows it"
    );
    assert!(e.secret_created_key_result().is_none());

    // The connection closes once the request has arrived, without an answer.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let accepted = tokio::spawn(async move {
        let mut count = 0;
        while let Ok(Ok((mut socket, _))) =
            tokio::time::timeout(Duration::from_millis(500), listener.accept()).await
        {
            count += 1;
            let mut buf = vec![0u8; 4096];
            let _ = tokio::io::AsyncReadExt::read(&mut socket, &mut buf).await;
            drop(socket);
        }
        count
    });
    let client = Client::builder(
        AccountId::new(ACCOUNT).unwrap(),
        Credentials::api_token(API_TOKEN).unwrap(),
    )
    .base_url(format!("http://{addr}"))
    .backoff(Duration::from_millis(1), Duration::from_millis(2))
    .build()
    .unwrap();
    let e = client.create_signing_key().await.unwrap_err();
    assert_eq!(
        e.kind(),
        &ErrorKind::CreateOutcomeUnknown { timed_out: false }
    );
    assert_eq!(
        e.to_string(),
        "Cloudflare API: the create-key request lost its connection after it was sent: a \
         signing key may have been created; listing the keys shows it"
    );
    no_secret_in(&e);
    assert_eq!(accepted.await.unwrap(), 1, "sent exactly once");
}

#[tokio::test]
async fn create_key_refused_with_429_waits_its_retry_after_and_is_sent_again() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(
            failure(429, json!([{"code": 971, "message": "rate limited"}]))
                .insert_header("retry-after", "1"),
        )
        .up_to_n_times(1)
        .with_priority(1)
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .respond_with(ok(json("demo/demo_create_result.json")))
        .expect(1)
        .mount(&server)
        .await;
    let started = Instant::now();
    let created = client(&server).create_signing_key().await.unwrap();
    assert!(started.elapsed() >= Duration::from_secs(1));
    assert_eq!(created.id().as_str(), DEMO_KID);
    let reqs = requests(&server).await;
    assert_eq!(reqs.len(), 2);
    assert!(reqs.iter().all(|r| r.body == b"{}"));

    // Over the cap: returned at once, not sent again.
    server.reset().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(429).insert_header("retry-after", "300"))
        .expect(1)
        .mount(&server)
        .await;
    let started = Instant::now();
    let e = client(&server).create_signing_key().await.unwrap_err();
    assert!(started.elapsed() < Duration::from_secs(1));
    assert_eq!(
        e.kind(),
        &ErrorKind::RateLimited {
            retry_after: Some(Duration::from_secs(300))
        }
    );
    assert_eq!(requests(&server).await.len(), 1);

    // Without Retry-After: the backoff, as many times as retries allow.
    server.reset().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(429))
        .expect(3)
        .mount(&server)
        .await;
    let e = client(&server).create_signing_key().await.unwrap_err();
    assert_eq!(e.kind(), &ErrorKind::RateLimited { retry_after: None });
    assert_eq!(requests(&server).await.len(), 3);
}

#[tokio::test]
async fn one_odd_created_never_hides_the_other_keys() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ok(json!([
            {"id": DEMO_KID, "created": "2014-01-02T02:20:00Z"},
            {"id": OTHER_KID, "created": "yesterday"},
            {"id": "abc", "created": 1_700_000_000},
            {"id": "def"},
            {"id": "ghi", "created": null},
            {"id": "jkl", "created": format!("{}\n{}", "x".repeat(70), API_TOKEN)}
        ])))
        .mount(&server)
        .await;
    let keys = client(&server).list_signing_keys().await.unwrap();
    let got: Vec<_> = keys
        .iter()
        .map(|k| (k.id().as_str(), k.created(), k.created_raw()))
        .collect();
    assert_eq!(
        got,
        [
            (
                DEMO_KID,
                Some(time::macros::datetime!(2014-01-02 02:20 UTC)),
                Some("2014-01-02T02:20:00Z")
            ),
            (OTHER_KID, None, Some("yesterday")),
            ("abc", None, Some("1700000000")),
            ("def", None, None),
            ("ghi", None, None),
            ("jkl", None, Some(format!("{}…", "x".repeat(64)).as_str())),
        ]
    );
}

#[tokio::test]
async fn create_key_on_a_refused_connection_is_a_transport_error() {
    // Nothing listens on this port: the connection is refused, so the
    // request cannot have reached a server.
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let client = Client::builder(
        AccountId::new(ACCOUNT).unwrap(),
        Credentials::api_token(API_TOKEN).unwrap(),
    )
    .base_url(format!("http://127.0.0.1:{port}"))
    .backoff(Duration::from_millis(1), Duration::from_millis(2))
    .build()
    .unwrap();
    let e = client.create_signing_key().await.unwrap_err();
    assert_eq!(e.kind(), &ErrorKind::Transport);
    assert!(e.api_details().is_none());
    assert!(std::error::Error::source(&e).is_some());
    no_secret_in(&e);
}

// ---- issue 10: the account given, the raw create answer ----

#[tokio::test]
async fn from_env_for_takes_the_account_given_and_the_rest_from_the_environment() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(keys_path()))
        .respond_with(ok(json!([])))
        .expect(1)
        .mount(&server)
        .await;
    let uri = server.uri();
    let env = |name: &str| match name {
        // Not read: the account is the one given.
        "CLOUDFLARE_ACCOUNT_ID" => Some("ffffffffffffffffffffffffffffffff".to_owned()),
        "CLOUDFLARE_API_TOKEN" => Some(format!(" {API_TOKEN}\n")),
        "CLOUDFLARE_BASE_URL" => Some(uri.clone()),
        _ => None,
    };
    let client = ClientBuilder::from_env_for_with(AccountId::new(ACCOUNT).unwrap(), env)
        .unwrap()
        .build()
        .unwrap();
    assert_eq!(client.account().as_str(), ACCOUNT);
    assert_eq!(client.base_url(), uri);
    client.list_signing_keys().await.unwrap();
    assert_bearer(&requests(&server).await[0]);

    // Without CLOUDFLARE_BASE_URL: Cloudflare's.
    let client = ClientBuilder::from_env_for_with(AccountId::new(ACCOUNT).unwrap(), |n| {
        (n == "CLOUDFLARE_API_TOKEN").then(|| API_TOKEN.to_owned())
    })
    .unwrap()
    .build()
    .unwrap();
    assert_eq!(client.base_url(), "https://api.cloudflare.com/client/v4");
    // No account is needed from the environment, credentials are.
    assert_eq!(
        ClientBuilder::from_env_for_with(AccountId::new(ACCOUNT).unwrap(), |_| None)
            .unwrap_err()
            .into_kind(),
        ErrorKind::MissingCredentials
    );
}

/// A create-key answer whose `result` is `raw`, byte for byte.
fn raw_answer(raw: &str) -> ResponseTemplate {
    let body = format!(r#"{{"success":true,"errors":[],"messages":[],"result":  {raw}  }}"#);
    ResponseTemplate::new(200).set_body_raw(body.into_bytes(), "application/json")
}

#[tokio::test]
async fn create_signing_key_raw_hands_over_the_result_as_sent_before_any_check() {
    let server = MockServer::start().await;
    // The fixture as it is on disk (indented, members in its order), not
    // as a JSON library would write it again.
    let good = text("demo/demo_create_result.json").trim().to_owned();
    let pem_1024 = base64::engine::general_purpose::STANDARD.encode(bytes("bad/rsa1024_pkcs1.pem"));
    let small = format!("{{ \"id\" : \"{OTHER_KID}\",\n  \"pem\" : \"{pem_1024}\" }}");
    let junk = format!("{{\"id\":\"{OTHER_KID}\", \"pem\":\"bm90IGEga2V5\"}}");
    for raw in [&good, &small, &junk] {
        server.reset().await;
        Mock::given(method("POST"))
            .and(path(keys_path()))
            .respond_with(raw_answer(raw))
            .expect(1)
            .mount(&server)
            .await;
        let answer = client(&server).create_signing_key_raw().await.unwrap();
        assert_eq!(answer.secret_raw(), raw.as_str());
        assert_eq!(format!("{answer:?}"), "CreatedKeyAnswer { .. }");
        let checked = answer.check();
        if raw == &good {
            let created = checked.unwrap();
            assert_eq!(created.id().as_str(), DEMO_KID);
            assert_eq!(created.secret_result_json(), good);
            continue;
        }
        let e = checked.unwrap_err();
        let cause = match e.kind() {
            ErrorKind::CreatedKeyUnusable { id, cause } => {
                assert_eq!(id.as_deref(), Some(OTHER_KID));
                (**cause).clone()
            }
            other => panic!("{other:?}"),
        };
        if raw == &small {
            assert_eq!(cause, ErrorKind::KeyTooSmall { bits: 1024 });
        } else {
            assert_eq!(
                cause,
                ErrorKind::WrongKeyForm {
                    expected: "base64 of a PEM key"
                }
            );
        }
        // The error keeps the same text, and shows none of it.
        assert_eq!(e.secret_created_key_result(), Some(raw.as_str()));
        assert!(!format!("{e} {e:?}").contains("bm90IGEga2V5"));
        assert!(!format!("{e} {e:?}").contains(&pem_1024[..40]));
    }

    // No `result`: the whole body is what there is to keep.
    server.reset().await;
    let body = r#"{"success":true,"errors":[],"messages":[]}"#;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(200).set_body_raw(body, "application/json"))
        .mount(&server)
        .await;
    let answer = client(&server).create_signing_key_raw().await.unwrap();
    assert_eq!(answer.secret_raw(), body);
    assert_eq!(
        answer.check().unwrap_err().into_kind(),
        ErrorKind::CreatedKeyUnusable {
            id: None,
            cause: Box::new(ErrorKind::InvalidResponse {
                what: "success without a result"
            }),
        }
    );

    // A refusal is an error at once: there is no answer to keep.
    server.reset().await;
    Mock::given(method("POST"))
        .respond_with(failure(403, json!([{"code": 10000, "message": "no"}])))
        .mount(&server)
        .await;
    let e = client(&server).create_signing_key_raw().await.unwrap_err();
    assert_eq!(e.kind(), &ErrorKind::Forbidden);
    assert_eq!(e.secret_created_key_result(), None);
}
