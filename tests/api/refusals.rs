//! Cloudflare's refusals: their kinds, every error entry kept, raw bodies
//! kept and cut, credentials told apart and never echoed.

use super::*;

#[tokio::test]
async fn authentication_failure_keeps_every_error_entry() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(failure(
            403,
            json!([
                {"code": 10000, "message": "Authentication error",
                 "documentation_url": "https://developers.cloudflare.com/fundamentals/api/",
                 "source": {"pointer": ""}},
                {"code": 9109, "message": "Unauthorized to access requested resource"}
            ]),
        ))
        .expect(1)
        .mount(&server)
        .await;

    let e = client(&server).list_signing_keys().await.unwrap_err();
    assert_eq!(e.kind(), &ErrorKind::Forbidden);
    let d = e.api_details().unwrap();
    assert_eq!(d.status(), 403);
    assert_eq!(d.raw_body(), None);
    let errors: Vec<_> = d
        .errors()
        .iter()
        .map(|m| (m.code(), m.message(), m.documentation_url(), m.pointer()))
        .collect();
    assert_eq!(
        errors,
        [
            (
                10000,
                "Authentication error",
                Some("https://developers.cloudflare.com/fundamentals/api/"),
                None
            ),
            (
                9109,
                "Unauthorized to access requested resource",
                None,
                None
            )
        ]
    );
    let source = std::error::Error::source(&e).unwrap().to_string();
    assert_eq!(
        source,
        "Cloudflare answered HTTP 403: 10000 Authentication error; 9109 Unauthorized to access requested resource"
    );
    no_secret_in(&e);
}

#[tokio::test]
async fn refusals_map_to_their_kinds() {
    let server = MockServer::start().await;
    let client = client(&server);
    let cases = [
        (
            failure(404, json!([{"code": 10003, "message": "Not Found"}])),
            ErrorKind::NotFound,
        ),
        (
            failure(400, json!([{"code": 10005, "message": "bad exp"}])),
            ErrorKind::ApiError { status: 400 },
        ),
        (
            failure(200, json!([{"code": 10010, "message": "refused"}])),
            ErrorKind::ApiError { status: 200 },
        ),
        (
            failure(
                400,
                json!([{"code": 10000, "message": "Authentication error"}]),
            ),
            ErrorKind::Unauthorized,
        ),
    ];
    for (response, kind) in cases {
        server.reset().await;
        Mock::given(method("DELETE"))
            .respond_with(response)
            .expect(1)
            .mount(&server)
            .await;
        let e = client.delete_signing_key(&kid(DEMO_KID)).await.unwrap_err();
        assert_eq!(e.kind(), &kind);
        assert_eq!(e.api_details().unwrap().errors().len(), 1);
        server.verify().await;
    }
}

#[tokio::test]
async fn an_undecodable_error_body_is_kept_raw_after_the_retries() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(502).set_body_string("<html>Bad gateway</html>"))
        .expect(3)
        .mount(&server)
        .await;
    let e = client(&server).list_signing_keys().await.unwrap_err();
    assert_eq!(
        e.kind(),
        &ErrorKind::ServerError {
            status: 502,
            retry_after: None
        }
    );
    let d = e.api_details().unwrap();
    assert_eq!(d.status(), 502);
    assert!(d.errors().is_empty());
    assert_eq!(d.raw_body(), Some("<html>Bad gateway</html>"));
}

#[tokio::test]
async fn wrong_credentials_and_missing_permissions_are_told_apart() {
    let server = MockServer::start().await;
    let client = client(&server);
    for (status, kind) in [
        (401, ErrorKind::Unauthorized),
        (403, ErrorKind::Forbidden),
        (400, ErrorKind::Unauthorized),
    ] {
        server.reset().await;
        Mock::given(method("GET"))
            .respond_with(failure(
                status,
                json!([{"code": 10000, "message": "Authentication error"}]),
            ))
            .expect(1)
            .mount(&server)
            .await;
        let e = client.list_signing_keys().await.unwrap_err();
        assert_eq!(e.kind(), &kind, "{status}");
        assert_eq!(e.api_details().unwrap().status(), status);
    }
    assert_eq!(
        ErrorKind::Unauthorized.to_string(),
        "Cloudflare API refused the credentials (wrong, expired or revoked)"
    );
    assert_eq!(
        ErrorKind::Forbidden.to_string(),
        "Cloudflare API: the credentials lack a permission this request needs (HTTP 403)"
    );
}

#[tokio::test]
async fn server_echoes_of_the_credentials_are_scrubbed_and_messages_bounded() {
    let server = MockServer::start().await;
    let long = format!("{} tail", "é".repeat(400));
    Mock::given(method("GET"))
        .respond_with(failure(
            400,
            json!([
                {"code": 1, "message": format!("bad header Authorization: Bearer {API_TOKEN}")},
                {"code": 2, "message": format!("token {} is unknown", &API_TOKEN[..12])},
                {"code": 3, "message": format!("AUTHORIZATION: BEARER {}", API_TOKEN.to_uppercase())},
                {"code": 4, "message": long},
                {"code": 5, "message": "x", "documentation_url": format!("https://x.test/?t={API_TOKEN}")}
            ]),
        ))
        .mount(&server)
        .await;
    let e = client(&server).list_signing_keys().await.unwrap_err();
    let d = e.api_details().unwrap();
    let messages: Vec<&str> = d.errors().iter().map(|m| m.message()).collect();
    let cut = format!("{}…", "é".repeat(300));
    assert_eq!(
        messages,
        [
            "bad header Authorization: Bearer <redacted>",
            "token <redacted> is unknown",
            "AUTHORIZATION: BEARER <redacted>",
            cut.as_str(),
            "x",
        ]
    );
    assert_eq!(
        d.errors()[4].documentation_url(),
        Some("https://x.test/?t=<redacted>")
    );
    no_secret_in_any_case(&e, API_TOKEN);

    // A raw body, and the global API key with its email.
    server.reset().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(502).set_body_string(format!(
            "<pre>X-Auth-Email: {EMAIL}\nX-Auth-Key: {GLOBAL_KEY}</pre>"
        )))
        .mount(&server)
        .await;
    let e = Client::builder(
        AccountId::new(ACCOUNT).unwrap(),
        Credentials::global_api_key(EMAIL, GLOBAL_KEY).unwrap(),
    )
    .base_url(server.uri())
    .max_retries(0)
    .build()
    .unwrap()
    .list_signing_keys()
    .await
    .unwrap_err();
    assert_eq!(
        e.api_details().unwrap().raw_body(),
        Some("<pre>X-Auth-Email: <redacted>\nX-Auth-Key: <redacted></pre>")
    );
    no_secret_in_any_case(&e, GLOBAL_KEY);
    assert!(!format!("{e:?}").contains(EMAIL));
}

fn no_secret_in_any_case(e: &cf_stream_token::Error, secret: &str) {
    let shown = format!("{e} | {e:?} | {:?}", e.api_details()).to_lowercase();
    for w in secret.to_lowercase().as_bytes().windows(8) {
        let w = std::str::from_utf8(w).unwrap();
        assert!(!shown.contains(w), "{w} of the secret in {shown}");
    }
}
