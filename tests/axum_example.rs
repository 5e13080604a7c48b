//! `examples/axum_playback.rs` served on 127.0.0.1 and asked over HTTP, as
//! a player's page would ask it; every token it hands out is verified.

use std::net::SocketAddr;

use cf_stream_token::{Clock as _, SystemClock, Verifier};
use serde_json::Value;

use crate::common::*;

// The example itself, not a copy: its `main` goes unused here.
#[allow(dead_code)]
#[path = "../examples/axum_playback.rs"]
mod axum_playback;

use axum_playback::{AppState, serve, settings};

/// Start the service on a free port of 127.0.0.1.
async fn start(state: AppState) -> SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(serve(listener, state));
    addr
}

/// The environment the example reads, as a closure over fixed pairs.
fn env(pairs: &[(&'static str, String)]) -> impl Fn(&str) -> Option<String> + use<> {
    let pairs = pairs.to_vec();
    move |name| {
        pairs
            .iter()
            .find(|(k, _)| *k == name)
            .map(|(_, v)| v.clone())
    }
}

async fn get(addr: SocketAddr, path_and_query: &str) -> (u16, Option<String>, Value) {
    let resp = reqwest::get(format!("http://{addr}{path_and_query}"))
        .await
        .unwrap();
    let status = resp.status().as_u16();
    let cache = resp
        .headers()
        .get("cache-control")
        .map(|v| v.to_str().unwrap().to_owned());
    let body = resp.json().await.unwrap();
    (status, cache, body)
}

/// Every URL of the answer: on the host, the one token, the right suffix.
/// Returns the token.
fn check_urls(body: &Value, host: &str) -> String {
    let prefix = format!("https://{host}/");
    let mut tokens = Vec::new();
    for (member, suffix) in [
        ("hls", "manifest/video.m3u8"),
        ("dash", "manifest/video.mpd"),
        ("thumbnail", "thumbnails/thumbnail.jpg?time=1s"),
    ] {
        let url = body[member].as_str().unwrap();
        let rest = url.strip_prefix(&prefix).unwrap_or_else(|| panic!("{url}"));
        let (token, tail) = rest.split_once('/').unwrap();
        assert_eq!(tail, suffix, "{member}");
        tokens.push(token.to_owned());
    }
    assert!(tokens.windows(2).all(|w| w[0] == w[1]), "one token for all");
    tokens.remove(0)
}

#[tokio::test]
async fn serves_signed_urls_with_the_demo_key_and_says_so() {
    let settings = settings(env(&[])).unwrap();
    assert!(
        settings.notices.iter().any(|n| n.contains("demo key")),
        "{:?}",
        settings.notices
    );
    assert_eq!(settings.bind, "127.0.0.1:3000");
    let addr = start(settings.state).await;

    let before = SystemClock.now().unix_timestamp();
    let (status, cache, body) = get(addr, &format!("/videos/{VIDEO}/playback")).await;
    let after = SystemClock.now().unix_timestamp();
    assert_eq!(status, 200, "{body}");
    assert_eq!(cache.as_deref(), Some("no-store"));
    assert_eq!(body["video"], VIDEO);
    assert_eq!(body["kid"], DEMO_KID);

    let token = check_urls(&body, "customer-demo.cloudflarestream.com");
    let verifier = Verifier::parse(bytes("demo/demo_public.jwk.json"), None).unwrap();
    let claims = verifier.verify(&token).unwrap();
    assert_eq!(claims.video(), &video());
    assert_eq!(body["exp"], claims.exp());
    assert!((before + 3600..=after + 3600).contains(&claims.exp()));
    assert!((before - 60..=after - 60).contains(&claims.nbf().unwrap()));
    assert!(claims.access_rules().is_empty());
    assert!(!claims.downloadable());
}

#[tokio::test]
async fn rules_come_from_the_query_and_bad_input_is_a_400() {
    let settings = settings(env(&[(
        "CF_STREAM_CUSTOMER_CODE",
        "f33zs165nr7gyfy4".to_owned(),
    )]))
    .unwrap();
    let addr = start(settings.state).await;
    let verifier = demo_signer().verifier();

    let (status, _, body) = get(addr, &format!("/videos/{VIDEO}/playback?country=GB")).await;
    assert_eq!(status, 200, "{body}");
    let token = check_urls(&body, "customer-f33zs165nr7gyfy4.cloudflarestream.com");
    let claims = verifier.verify(&token).unwrap();
    assert_eq!(
        serde_json::to_string(claims.access_rules()).unwrap(),
        r#"[{"type":"ip.geoip.country","action":"allow","country":["GB"]},{"type":"any","action":"block"}]"#
    );

    let (status, _, body) = get(addr, &format!("/videos/{VIDEO}/playback?country=gb,%20US")).await;
    assert_eq!(status, 200, "{body}");
    let claims = verifier
        .verify(&check_urls(
            &body,
            "customer-f33zs165nr7gyfy4.cloudflarestream.com",
        ))
        .unwrap();
    assert_eq!(
        serde_json::to_string(&claims.access_rules()[0]).unwrap(),
        r#"{"type":"ip.geoip.country","action":"allow","country":["GB","US"]}"#
    );

    let (status, cache, body) = get(addr, &format!("/videos/{VIDEO}/playback?country=UK")).await;
    assert_eq!(status, 400);
    assert_eq!(cache, None);
    assert_eq!(
        body,
        serde_json::json!({"error": "invalid_country_code", "message": "\"UK\" is not an ISO 3166-1 alpha-2 country code"})
    );
    let (status, _, body) = get(addr, "/videos/not-a-video/playback").await;
    assert_eq!(status, 400);
    assert_eq!(
        body,
        serde_json::json!({"error": "invalid_video_id", "message": "invalid video id: expected 32 hexadecimal characters"})
    );
}

#[tokio::test]
async fn the_key_comes_from_the_environment_and_serves_concurrent_requests() {
    let settings = settings(env(&[
        ("CF_STREAM_SIGNING_KEY", text("other/other_pkcs1.pem")),
        ("CF_STREAM_KEY_ID", OTHER_KID.to_owned()),
    ]))
    .unwrap();
    assert!(!settings.notices.iter().any(|n| n.contains("demo key")));
    let addr = start(settings.state).await;
    let other = other_signer().verifier();

    let requests: Vec<_> = (0..16)
        .map(|_| {
            tokio::spawn(get(
                addr,
                "/videos/EA95132C15732412D22C1476FA83F27A/playback",
            ))
        })
        .collect();
    for request in requests {
        let (status, _, body) = request.await.unwrap();
        assert_eq!(status, 200, "{body}");
        assert_eq!(body["kid"], OTHER_KID);
        assert_eq!(body["video"], VIDEO);
        let token = check_urls(&body, "customer-demo.cloudflarestream.com");
        other.verify(&token).unwrap();
        assert!(demo_signer().verifier().verify(&token).is_err());
    }

    // A key that is set but unreadable stops the service at start-up.
    let e = axum_playback::settings(env(&[(
        "CF_STREAM_SIGNING_KEY",
        text("other/other_pkcs1.pem"),
    )]))
    .unwrap_err();
    assert_eq!(
        e.to_string(),
        "this key form (PEM or DER) carries no key id; give one: CF_STREAM_KEY_ID, or `--key-id` on the command line"
    );
}

/// The crate's axum support on its own: `VideoId` as an extractor, and
/// `WWW-Authenticate` on a refused token.
mod support {
    use std::net::SocketAddr;

    use axum::Router;
    use axum::routing::get;
    use cf_stream_token::{Error, VideoId};
    use serde_json::{Value, json};

    use crate::common::*;

    async fn start(router: Router) -> SocketAddr {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, router).await });
        addr
    }

    async fn get_raw(addr: SocketAddr, path: &str) -> (u16, reqwest::header::HeaderMap, String) {
        let resp = reqwest::get(format!("http://{addr}{path}")).await.unwrap();
        let status = resp.status().as_u16();
        let headers = resp.headers().clone();
        (status, headers, resp.text().await.unwrap())
    }

    async fn one(video: VideoId) -> String {
        video.to_string()
    }

    async fn two(video: VideoId) -> String {
        format!("second {video}")
    }

    async fn check(video: VideoId) -> Result<String, Error> {
        let token = demo_signer()
            .mint_at(at(NOW), &video, &cf_stream_token::TokenOptions::default())
            .unwrap();
        // Minted long ago: expired now.
        demo_signer()
            .verifier()
            .verify_for(&video, token.as_str())
            .map(|c| c.video().to_string())
    }

    fn app() -> Router {
        Router::new()
            .route("/videos/{uid}", get(one))
            .route("/users/{user}/videos/{video}", get(two))
            .route("/users/{user}/clips/{clip}", get(one))
            .route("/plain", get(one))
            .route("/check/{video}", get(check))
    }

    #[tokio::test]
    async fn a_video_id_argument_answers_a_bad_id_with_the_crates_json_error() {
        let addr = start(app()).await;
        let (status, _, body) = get_raw(addr, &format!("/videos/{VIDEO}")).await;
        assert_eq!((status, body.as_str()), (200, VIDEO));
        // Read as `VideoId` reads it: upper case is the same video.
        let (status, _, body) = get_raw(addr, &format!("/videos/{}", VIDEO.to_uppercase())).await;
        assert_eq!((status, body.as_str()), (200, VIDEO));

        for bad in ["not-a-video", "ea95132c15732412d22c1476fa83f27", "%FF%FE"] {
            let (status, headers, body) = get_raw(addr, &format!("/videos/{bad}")).await;
            assert_eq!(status, 400, "{bad}: {body}");
            assert_eq!(headers["content-type"], "application/json", "{bad}");
            assert!(headers.get("www-authenticate").is_none(), "{bad}");
            let body: Value = serde_json::from_str(&body).unwrap();
            assert_eq!(
                body,
                json!({"error": "invalid_video_id", "message": "invalid video id: expected 32 hexadecimal characters"}),
                "{bad}"
            );
        }

        // With several parameters, the one named `video`.
        let (status, _, body) = get_raw(addr, &format!("/users/x/videos/{VIDEO}")).await;
        assert_eq!((status, body), (200, format!("second {VIDEO}")));
        let (status, _, body) = get_raw(addr, "/users/x/videos/nope").await;
        assert_eq!(status, 400, "{body}");
        // A route it cannot read is the service's mistake: a 500 saying so.
        for path in [format!("/users/x/clips/{VIDEO}"), "/plain".to_owned()] {
            let (status, _, body) = get_raw(addr, &path).await;
            assert_eq!(status, 500, "{path}");
            let body: Value = serde_json::from_str(&body).unwrap();
            assert_eq!(body["error"], "invalid_config", "{path}");
            assert!(
                body["message"].as_str().unwrap().contains("named `video`"),
                "{body}"
            );
        }
    }

    #[tokio::test]
    async fn a_refused_token_is_a_401_with_www_authenticate() {
        let addr = start(app()).await;
        let (status, headers, body) = get_raw(addr, &format!("/check/{VIDEO}")).await;
        assert_eq!(status, 401, "{body}");
        assert_eq!(
            headers["www-authenticate"],
            r#"Bearer error="invalid_token""#
        );
        assert_eq!(headers["content-type"], "application/json");
        let body: Value = serde_json::from_str(&body).unwrap();
        assert_eq!(body["error"], "expired");
    }
}
