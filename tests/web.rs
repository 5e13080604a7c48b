//! A small axum app written here against the public API only (the
//! template, `from_env_with`, `Path<VideoId>`, serde, `IntoResponse for
//! Error`), served on 127.0.0.1 and asked over HTTP.

use std::net::SocketAddr;
use std::time::Duration;

use axum::extract::{Path, State};
use axum::http::header;
use axum::response::IntoResponse;
use axum::routing::get as route_get;
use axum::{Json, Router};
use cf_stream_token::api::KeyInfo;
use cf_stream_token::{
    AccessRule, Claims, Clock as _, Error, ErrorKind, Hls, PlaybackTemplate, Signer, SigningKey,
    StreamHost, Surface, SystemClock, Thumbnail, TokenOptions, Verifier, VideoId,
};
use serde_json::{Value, json};
use wiremock::MockServer;

use crate::api::{builder, failure, keys_path, ok};
use crate::common::*;

#[derive(Clone)]
struct App {
    signer: Signer,
    verifier: Verifier,
    template: PlaybackTemplate,
}

async fn watch(
    State(app): State<App>,
    Path(video): Path<VideoId>,
) -> Result<impl IntoResponse, Error> {
    let urls = app.template.mint(&app.signer, &video)?;
    Ok(([(header::CACHE_CONTROL, "no-store")], Json(urls)))
}

async fn check(State(app): State<App>, Path(token): Path<String>) -> Result<Json<Claims>, Error> {
    app.verifier.verify(&token).map(Json)
}

fn app() -> Router {
    let demo = text("demo/demo_create_result.json");
    let key =
        SigningKey::from_env_with(|name| (name == "CF_STREAM_SIGNING_KEY").then(|| demo.clone()))
            .unwrap();
    let options: TokenOptions = serde_json::from_value(json!({
        "lifetime": "2h",
        "accessRules": [{"type": "ip.geoip.country", "action": "allow", "country": ["GB"]},
                        {"type": "any", "action": "block"}]
    }))
    .unwrap();
    let template =
        PlaybackTemplate::builder(StreamHost::customer_code("f33zs165nr7gyfy4").unwrap())
            .options(options)
            .surfaces([
                Surface::Hls(Hls::new()),
                Surface::Thumbnail(Thumbnail::new().time(Duration::from_secs(1))),
            ])
            .build()
            .unwrap();
    let signer = Signer::new(key);
    let state = App {
        verifier: signer.verifier(),
        signer,
        template,
    };
    Router::new()
        .route("/watch/{video}", route_get(watch))
        .route("/check/{token}", route_get(check))
        .with_state(state)
}

async fn start(router: Router) -> SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, router).await });
    addr
}

async fn get(addr: SocketAddr, path: &str) -> (u16, Option<String>, Value) {
    let resp = reqwest::get(format!("http://{addr}{path}")).await.unwrap();
    let status = resp.status().as_u16();
    let cache = resp
        .headers()
        .get("cache-control")
        .map(|v| v.to_str().unwrap().to_owned());
    (status, cache, resp.json().await.unwrap())
}

#[tokio::test]
async fn a_public_api_app_mints_verifies_and_answers_errors_as_json() {
    let addr = start(app()).await;
    let (status, cache, body) = get(addr, &format!("/watch/{VIDEO}")).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(cache.as_deref(), Some("no-store"));
    let hls = body["hls"].as_str().unwrap();
    let prefix = "https://customer-f33zs165nr7gyfy4.cloudflarestream.com/";
    let (token, tail) = hls.strip_prefix(prefix).unwrap().split_once('/').unwrap();
    assert_eq!(tail, "manifest/video.m3u8");
    assert_eq!(
        body["thumbnail"],
        format!("{prefix}{token}/thumbnails/thumbnail.jpg?time=1s")
    );
    // The two URLs and when their token expires.
    assert_eq!(body.as_object().unwrap().len(), 3);

    // The verify route returns the claims in Cloudflare's member names.
    let (status, _, claims) = get(addr, &format!("/check/{token}")).await;
    assert_eq!(status, 200, "{claims}");
    assert_eq!(claims["sub"], VIDEO);
    assert_eq!(claims["kid"], DEMO_KID);
    assert_eq!(claims["nbf"], Value::Null);
    assert_eq!(claims["downloadable"], false);
    assert_eq!(
        claims["accessRules"],
        json!([{"type": "ip.geoip.country", "action": "allow", "country": ["GB"]},
               {"type": "any", "action": "block"}])
    );
    let exp = claims["exp"].as_i64().unwrap();
    assert_eq!(
        body["expires_at"],
        cf_stream_token::time::OffsetDateTime::from_unix_timestamp(exp)
            .unwrap()
            .format(&cf_stream_token::time::format_description::well_known::Rfc3339)
            .unwrap()
    );
    let now = SystemClock.now().unix_timestamp();
    assert!(
        (now + 7200 - 5..=now + 7200 + 5).contains(&exp),
        "{exp} {now}"
    );

    // Path<VideoId> refuses a bad id (axum's own 400).
    let resp = reqwest::get(format!("http://{addr}/watch/not-a-video"))
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 400);

    // A refused token: 401 and the crate's JSON body.
    // Flip one character in the middle of the signature: every base64url
    // character there carries six whole bits, so the result stays canonical
    // base64 and only the signature check can refuse it. (The last character
    // carries two bits and four zero bits: changing it can give non-canonical
    // base64, a 400, one time in four.)
    let sig_start = token.rfind('.').unwrap() + 1;
    let at = sig_start + 100;
    let flipped = if token.as_bytes()[at] == b'A' {
        "B"
    } else {
        "A"
    };
    let mut bad = token.to_owned();
    bad.replace_range(at..=at, flipped);
    let (status, _, body) = get(addr, &format!("/check/{bad}")).await;
    assert_eq!(status, 401);
    assert_eq!(
        body,
        json!({"error": "bad_signature", "message": "token signature does not verify"})
    );
    // Not even a token: 400.
    let (status, _, body) = get(addr, "/check/nonsense").await;
    assert_eq!(status, 400);
    assert_eq!(body["error"], "malformed_token");
}

#[tokio::test]
async fn error_answers_have_the_status_and_never_a_secret() {
    use axum::body::to_bytes;
    let answer = |e: Error| async move {
        let r = e.into_response();
        let status = r.status().as_u16();
        let ctype = r.headers()[header::CONTENT_TYPE]
            .to_str()
            .unwrap()
            .to_owned();
        let body = to_bytes(r.into_body(), 1 << 16).await.unwrap();
        (status, ctype, String::from_utf8(body.to_vec()).unwrap())
    };
    let e = Error::from(ErrorKind::Expired { exp: 1, now: 2 });
    assert_eq!(
        answer(e).await,
        (
            401,
            "application/json".to_owned(),
            r#"{"error":"expired","message":"token expired at 1 (now 2)"}"#.to_owned()
        )
    );
    let lifetime = TokenOptions::builder()
        .lifetime(Duration::from_secs(25 * 3600))
        .build()
        .unwrap_err();
    assert_eq!(answer(lifetime).await.0, 400);
    let rule = "allow:country=UK".parse::<AccessRule>().unwrap_err();
    assert_eq!(
        answer(rule).await.2,
        r#"{"error":"invalid_country_code","message":"\"UK\" is not an ISO 3166-1 alpha-2 country code"}"#
    );

    // Kinds that carry what a server said: Cloudflare's text, echoing the
    // API token, reaches neither the status line nor the body.
    let server = MockServer::start().await;
    for (status, expected) in [
        (400, 500),
        (401, 500),
        (403, 500),
        (404, 500),
        (503, 503),
        (429, 503),
    ] {
        server.reset().await;
        wiremock::Mock::given(wiremock::matchers::path(keys_path()))
            .respond_with(failure(
                status,
                json!([{"code": 1000, "message": format!("bad token {}", crate::api::API_TOKEN)}]),
            ))
            .mount(&server)
            .await;
        let client = builder(&server).max_retries(0).build().unwrap();
        let e = client.list_signing_keys().await.unwrap_err();
        let (got, _, body) = answer(e).await;
        assert_eq!(got, expected, "{status}: {body}");
        assert!(!body.contains(crate::api::API_TOKEN), "{body}");
        assert!(!body.contains("bad token"), "{body}");
    }

    // A listed key serialises with an RFC 3339 `created`.
    server.reset().await;
    wiremock::Mock::given(wiremock::matchers::path(keys_path()))
        .respond_with(ok(json!([
            {"id": DEMO_KID, "created": "2026-11-22T12:00:00.5+01:00"},
            {"id": OTHER_KID, "created": "yesterday"}
        ])))
        .mount(&server)
        .await;
    let keys: Vec<KeyInfo> = builder(&server)
        .build()
        .unwrap()
        .list_signing_keys()
        .await
        .unwrap();
    assert_eq!(
        serde_json::to_string(&keys).unwrap(),
        format!(
            r#"[{{"id":"{DEMO_KID}","created":"2026-11-22T12:00:00.5+01:00"}},{{"id":"{OTHER_KID}","created":null,"created_raw":"yesterday"}}]"#
        )
    );
}
