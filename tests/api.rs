//! The API client against a real HTTP server on 127.0.0.1: exact requests,
//! both auth forms, the envelope, retries, time limits.

use std::time::{Duration, Instant};

use base64::Engine as _;
use cf_stream_token::api::{Client, ClientBuilder, Credentials};
use cf_stream_token::{
    AccessRule, AccountId, Action, ErrorKind, SigningKey, TokenOptions, VideoId,
};
use serde_json::{Value, json};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

use crate::common::*;

pub(crate) const ACCOUNT: &str = "023e105f4ecef8ad9ca31a8372d0c353";
pub(crate) const API_TOKEN: &str = "cf-test-api-token-7d1f0b2c9a";
const EMAIL: &str = "ops@example.com";
const GLOBAL_KEY: &str = "144c9defac04969c7bfad8efaa8ea194";
const USER_AGENT: &str = concat!("cf-stream-token/", env!("CARGO_PKG_VERSION"));

pub(crate) fn keys_path() -> String {
    format!("/accounts/{ACCOUNT}/stream/keys")
}

pub(crate) fn token_path() -> String {
    format!("/accounts/{ACCOUNT}/stream/{VIDEO}/token")
}

pub(crate) fn ok(result: Value) -> ResponseTemplate {
    ResponseTemplate::new(200)
        .set_body_json(json!({"success": true, "errors": [], "messages": [], "result": result}))
}

pub(crate) fn failure(status: u16, errors: Value) -> ResponseTemplate {
    ResponseTemplate::new(status)
        .set_body_json(json!({"success": false, "errors": errors, "messages": [], "result": null}))
}

/// Fast retries and short time limits, so that tests take milliseconds.
pub(crate) fn builder(server: &MockServer) -> ClientBuilder {
    Client::builder(
        AccountId::new(ACCOUNT).unwrap(),
        Credentials::api_token(API_TOKEN).unwrap(),
    )
    .base_url(server.uri())
    .backoff(Duration::from_millis(5), Duration::from_millis(20))
    .connect_timeout(Duration::from_secs(2))
    .timeout(Duration::from_secs(2))
    .clock(|| at(NOW))
}

fn client(server: &MockServer) -> Client {
    builder(server).build().unwrap()
}

async fn requests(server: &MockServer) -> Vec<Request> {
    server.received_requests().await.unwrap()
}

fn header<'a>(req: &'a Request, name: &str) -> Option<&'a str> {
    req.headers.get(name).map(|v| v.to_str().unwrap())
}

fn assert_common_headers(req: &Request) {
    assert_eq!(header(req, "user-agent"), Some(USER_AGENT));
    assert_eq!(header(req, "accept"), Some("application/json"));
}

fn assert_bearer(req: &Request) {
    assert_eq!(
        header(req, "authorization"),
        Some(format!("Bearer {API_TOKEN}").as_str())
    );
    assert_eq!(header(req, "x-auth-email"), None);
    assert_eq!(header(req, "x-auth-key"), None);
}

/// Stands in for Cloudflare's token endpoint: signs with the demo key what
/// the request body asks for, so that the answer matches the request.
pub(crate) struct MintFromBody;

impl Respond for MintFromBody {
    fn respond(&self, req: &Request) -> ResponseTemplate {
        let body: Value = req.body_json().unwrap();
        let exp = body["exp"].as_i64().unwrap();
        let mut opts = TokenOptions::builder().expires_at(at(exp));
        if let Some(nbf) = body["nbf"].as_i64() {
            opts = opts.not_before(at(nbf));
        }
        opts = opts.downloadable(body["downloadable"] == json!(true));
        if let Some(rules) = body.get("accessRules") {
            let rules: Vec<AccessRule> = serde_json::from_value(rules.clone()).unwrap();
            opts = opts.access_rules(rules);
        }
        let video = req.url.path().split('/').nth(4).unwrap();
        let token = demo_signer()
            .mint_at(
                at(exp - 1),
                &VideoId::new(video).unwrap(),
                &opts.build().unwrap(),
            )
            .unwrap();
        ok(json!({ "token": token.as_str() }))
    }
}

fn no_secret_in(e: &cf_stream_token::Error) {
    let shown = format!("{e} | {e:?} | {:?}", e.api_details());
    for secret in [API_TOKEN, GLOBAL_KEY, "Bearer"] {
        assert!(!shown.contains(secret), "{secret} leaked in {shown}");
    }
}

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
async fn rate_limited_with_retry_after_1_waits_and_retries() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(
            failure(429, json!([{"code": 971, "message": "rate limited"}]))
                .insert_header("retry-after", "1"),
        )
        .up_to_n_times(1)
        .with_priority(1)
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .respond_with(ok(json!([])))
        .expect(1)
        .mount(&server)
        .await;

    let started = Instant::now();
    let keys = client(&server).list_signing_keys().await.unwrap();
    assert!(keys.is_empty());
    assert!(started.elapsed() >= Duration::from_secs(1));
    assert_eq!(requests(&server).await.len(), 2);
}

#[tokio::test]
async fn rate_limited_with_retry_after_300_returns_at_once() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(token_path()))
        .respond_with(
            failure(429, json!([{"code": 971, "message": "rate limited"}]))
                .insert_header("retry-after", "300"),
        )
        .expect(1)
        .mount(&server)
        .await;

    let started = Instant::now();
    let e = client(&server)
        .create_token(&video(), &TokenOptions::default())
        .await
        .unwrap_err();
    assert!(started.elapsed() < Duration::from_secs(1));
    assert_eq!(
        e.kind(),
        &ErrorKind::RateLimited {
            retry_after: Some(Duration::from_secs(300))
        }
    );
    assert_eq!(e.api_details().unwrap().errors()[0].code(), 971);
    assert_eq!(requests(&server).await.len(), 1);
}

#[tokio::test]
async fn retry_after_as_an_http_date_is_read_against_the_clock() {
    let server = MockServer::start().await;
    // One hour after the client's clock: over the cap, so returned at once.
    let date = httpdate::fmt_http_date(at(NOW + 3600).into());
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(503).insert_header("retry-after", date.as_str()))
        .expect(1)
        .mount(&server)
        .await;
    let e = client(&server).list_signing_keys().await.unwrap_err();
    assert_eq!(
        e.kind(),
        &ErrorKind::ServerError {
            status: 503,
            retry_after: Some(Duration::from_secs(3600))
        }
    );
}

#[tokio::test]
async fn the_retry_after_cap_is_inclusive() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(429).insert_header("retry-after", "1"))
        .up_to_n_times(1)
        .with_priority(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .respond_with(ok(json!([])))
        .mount(&server)
        .await;
    let client = builder(&server)
        .max_retry_after(Duration::from_secs(1))
        .build()
        .unwrap();
    client.list_signing_keys().await.unwrap();
    assert_eq!(requests(&server).await.len(), 2);
}

#[tokio::test]
async fn rate_limited_without_retry_after_backs_off_and_gives_up() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(429))
        .expect(3)
        .mount(&server)
        .await;
    let e = client(&server).list_signing_keys().await.unwrap_err();
    assert_eq!(e.kind(), &ErrorKind::RateLimited { retry_after: None });
    // The raw body is empty, not a secret: kept as it came.
    assert_eq!(e.api_details().unwrap().raw_body(), Some(""));
}

#[tokio::test]
async fn get_503_then_200_is_retried() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(failure(503, json!([])))
        .up_to_n_times(1)
        .with_priority(1)
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .respond_with(ok(
            json!([{"id": DEMO_KID, "created": "2014-01-02T02:20:00Z"}]),
        ))
        .expect(1)
        .mount(&server)
        .await;
    let keys = client(&server).list_signing_keys().await.unwrap();
    assert_eq!(keys.len(), 1);
    let reqs = requests(&server).await;
    assert_eq!(reqs.len(), 2);
    for req in &reqs {
        assert_eq!(req.url.path(), keys_path());
        assert_bearer(req);
    }
}

#[tokio::test]
async fn token_and_delete_calls_are_retried_too() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(500))
        .up_to_n_times(1)
        .with_priority(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .respond_with(MintFromBody)
        .mount(&server)
        .await;
    Mock::given(method("DELETE"))
        .respond_with(ResponseTemplate::new(408))
        .up_to_n_times(1)
        .with_priority(1)
        .mount(&server)
        .await;
    Mock::given(method("DELETE"))
        .respond_with(ok(json!("Revoked")))
        .mount(&server)
        .await;
    let client = client(&server);
    client
        .create_token(&video(), &TokenOptions::default())
        .await
        .unwrap();
    client.delete_signing_key(&kid(DEMO_KID)).await.unwrap();
    assert_eq!(requests(&server).await.len(), 4);
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

/// A compact JWS of `header` and `payload` with a signature of `sig_len`
/// bytes (RS256 with the demo key when `sign`).
fn remote_jws(header: &Value, payload: &Value, sig_len: usize) -> String {
    let b64 = |b: &[u8]| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(b);
    format!(
        "{}.{}.{}",
        b64(header.to_string().as_bytes()),
        b64(payload.to_string().as_bytes()),
        b64(&vec![7u8; sig_len])
    )
}

#[tokio::test]
async fn remote_tokens_that_do_not_answer_the_request_are_refused() {
    let server = MockServer::start().await;
    let client = client(&server);
    let rules = [
        AccessRule::countries(Action::Allow, ["GB"]).unwrap(),
        AccessRule::any(Action::Block),
    ];
    let asked = TokenOptions::builder()
        .access_rules(rules.clone())
        .build()
        .unwrap();
    let kid = "e9db990a82666dd571c77f944a5c5c8d";
    let rules_json = serde_json::to_value(&rules).unwrap();
    let good_payload =
        json!({"sub": VIDEO, "kid": kid, "exp": NOW + 3600, "accessRules": rules_json});
    let rs256 = json!({"alg": "RS256", "kid": kid});
    let with = |f: &dyn Fn(&mut Value)| {
        let mut p = good_payload.clone();
        f(&mut p);
        p
    };
    let invalid = |what| ErrorKind::InvalidResponse { what };
    let cases = [
        (
            remote_jws(&json!({"alg": "none", "kid": kid}), &good_payload, 0),
            invalid("token algorithm is not RS256"),
        ),
        (
            remote_jws(&json!({"alg": "HS256", "kid": kid}), &good_payload, 32),
            invalid("token algorithm is not RS256"),
        ),
        (
            remote_jws(&json!({"alg": "RS256"}), &good_payload, 256),
            invalid("token header has no kid"),
        ),
        (
            remote_jws(
                &json!({"alg": "RS256", "kid": OTHER_KID}),
                &good_payload,
                256,
            ),
            invalid("token header kid is not the payload kid"),
        ),
        (
            remote_jws(
                &json!({"alg": "RS256", "kid": kid, "crit": ["x"]}),
                &good_payload,
                256,
            ),
            invalid("token header has critical extensions"),
        ),
        (
            remote_jws(&rs256, &good_payload, 32),
            invalid("token signature is not an RS256 signature"),
        ),
        (
            remote_jws(
                &rs256,
                &with(&|p| {
                    p.as_object_mut()
                        .unwrap()
                        .remove("accessRules")
                        .map(drop)
                        .unwrap()
                }),
                256,
            ),
            invalid("token access rules are not those asked"),
        ),
        (
            remote_jws(&rs256, &with(&|p| p["downloadable"] = json!(true)), 256),
            invalid("token downloadable is not what was asked"),
        ),
        (
            remote_jws(
                &rs256,
                &with(&|p| p["sub"] = json!("00000000000000000000000000000001")),
                256,
            ),
            invalid("token is for another video"),
        ),
        (
            remote_jws(&rs256, &with(&|p| p["exp"] = json!(NOW + 86_401)), 256),
            invalid("token expires more than 24 hours ahead"),
        ),
        (
            remote_jws(&rs256, &with(&|p| p["exp"] = json!(NOW)), 256),
            invalid("token has already expired"),
        ),
    ];
    for (token, kind) in cases {
        server.reset().await;
        Mock::given(method("POST"))
            .respond_with(ok(json!({ "token": token })))
            .mount(&server)
            .await;
        let e = client.create_token(&video(), &asked).await.unwrap_err();
        assert_eq!(e.kind(), &kind, "{token}");
        assert!(!format!("{e:?}").contains(&token));
    }
    // The one that answers the request is accepted, string times and all,
    // and so are the edges of the window: one second ahead and exactly 24
    // hours ahead (the cap is inclusive, as it is when minting locally).
    for exp in [
        json!((NOW + 3600).to_string()),
        json!(NOW + 1),
        json!(NOW + 86_400),
    ] {
        server.reset().await;
        let good = remote_jws(&rs256, &with(&|p| p["exp"] = exp.clone()), 256);
        Mock::given(method("POST"))
            .respond_with(ok(json!({ "token": good })))
            .mount(&server)
            .await;
        let token = client.create_token(&video(), &asked).await.unwrap();
        assert_eq!(token.as_str(), good);
        assert_eq!(token.claims().access_rules(), rules);
    }
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

#[tokio::test]
async fn timeouts_are_hit_and_retried_for_safe_calls() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ok(json!([])).set_delay(Duration::from_secs(2)))
        .expect(2)
        .mount(&server)
        .await;
    let client = builder(&server)
        .timeout(Duration::from_millis(150))
        .max_retries(1)
        .build()
        .unwrap();
    let started = Instant::now();
    let e = client.list_signing_keys().await.unwrap_err();
    assert_eq!(e.kind(), &ErrorKind::Timeout);
    assert!(started.elapsed() < Duration::from_secs(1));
    no_secret_in(&e);
}

#[tokio::test]
async fn configuration_from_the_environment() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ok(json!([])))
        .expect(2)
        .mount(&server)
        .await;
    let uri = server.uri();
    let token_env = |name: &str| match name {
        "CLOUDFLARE_ACCOUNT_ID" => Some(ACCOUNT.to_owned()),
        "CLOUDFLARE_API_TOKEN" => Some(format!("{API_TOKEN}\n")),
        "CLOUDFLARE_BASE_URL" => Some(uri.clone()),
        _ => None,
    };
    let client = ClientBuilder::from_env_with(token_env)
        .unwrap()
        .build()
        .unwrap();
    assert_eq!(client.account().as_str(), ACCOUNT);
    assert_eq!(client.base_url(), uri);
    client.list_signing_keys().await.unwrap();

    let key_env = |name: &str| match name {
        "CLOUDFLARE_ACCOUNT_ID" => Some(ACCOUNT.to_owned()),
        "CLOUDFLARE_EMAIL" => Some(EMAIL.to_owned()),
        "CLOUDFLARE_API_KEY" => Some(GLOBAL_KEY.to_owned()),
        "CLOUDFLARE_BASE_URL" => Some(uri.clone()),
        _ => None,
    };
    ClientBuilder::from_env_with(key_env)
        .unwrap()
        .build()
        .unwrap()
        .list_signing_keys()
        .await
        .unwrap();

    let reqs = requests(&server).await;
    assert_bearer(&reqs[0]);
    assert_eq!(header(&reqs[1], "x-auth-email"), Some(EMAIL));
    assert_eq!(header(&reqs[1], "x-auth-key"), Some(GLOBAL_KEY));
    assert_eq!(header(&reqs[1], "authorization"), None);

    let kind = |f: &dyn Fn(&str) -> Option<String>| {
        ClientBuilder::from_env_with(f).unwrap_err().into_kind()
    };
    assert_eq!(
        kind(&|_| None),
        ErrorKind::MissingConfig {
            name: "CLOUDFLARE_ACCOUNT_ID"
        }
    );
    assert_eq!(
        kind(&|n| (n == "CLOUDFLARE_ACCOUNT_ID").then(|| ACCOUNT.to_owned())),
        ErrorKind::MissingCredentials
    );
    assert_eq!(
        kind(&|n| (n == "CLOUDFLARE_ACCOUNT_ID").then(|| "../keys".to_owned())),
        ErrorKind::InvalidAccountId
    );
    let plain_http = |n: &str| match n {
        "CLOUDFLARE_ACCOUNT_ID" => Some(ACCOUNT.to_owned()),
        "CLOUDFLARE_API_TOKEN" => Some(API_TOKEN.to_owned()),
        "CLOUDFLARE_BASE_URL" => Some("http://api.cloudflare.com/client/v4".to_owned()),
        _ => None,
    };
    let e = ClientBuilder::from_env_with(plain_http)
        .unwrap()
        .build()
        .unwrap_err();
    assert!(matches!(e.kind(), ErrorKind::InvalidConfig { .. }));
}

#[tokio::test]
async fn debug_output_never_shows_credentials() {
    let server = MockServer::start().await;
    let client = client(&server);
    let shown = format!("{client:?} {:?}", builder(&server));
    assert!(!shown.contains(API_TOKEN), "{shown}");
    assert!(shown.contains("Credentials::ApiToken(<redacted>)"));
    let global = Credentials::global_api_key(EMAIL, GLOBAL_KEY).unwrap();
    let shown = format!("{global:?}");
    assert!(!shown.contains(GLOBAL_KEY) && !shown.contains(EMAIL));
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
