//! Faults, the control endpoints, reset and the request log.

use std::time::{Duration, Instant};

use cf_stream_token::emulator::{Fault, Route};
use cf_stream_token::{ErrorKind, TokenOptions};
use reqwest::Method;
use serde_json::{Value, json};

use super::*;

async fn control(e: &Emulator, method: Method, path: &str, body: Option<Value>) -> (u16, Value) {
    let post = method == Method::POST;
    let mut req = http().request(method, format!("{}{path}", e.control_base_url()));
    if let Some(b) = body {
        req = req.json(&b);
    } else if post {
        // Control POSTs must say JSON, with a body or without.
        req = req.header("content-type", "application/json");
    }
    let r = req.send().await.unwrap();
    (r.status().as_u16(), r.json().await.unwrap())
}

#[tokio::test]
async fn a_status_fault_with_retry_after_plays_its_number_of_times() {
    let e = emulator().await;
    e.add_fault(Fault::status(Route::ListKeys, 503).retry_after(7).times(2));
    let path = format!("/accounts/{ACCOUNT}/stream/keys");
    for _ in 0..2 {
        let (status, h, body) = api_call(&e, Method::GET, &path, None).await;
        assert_eq!(status, 503);
        assert_eq!(h["retry-after"], "7");
        assert_eq!(body["success"], false);
        assert_eq!(body["errors"][0]["code"], 503);
    }
    assert_eq!(api_call(&e, Method::GET, &path, None).await.0, 200);
    // Only the scripted route is affected.
    e.add_fault(Fault::status(Route::CreateToken, 500));
    assert_eq!(api_call(&e, Method::GET, &path, None).await.0, 200);
    assert_eq!(
        api_call(
            &e,
            Method::POST,
            &format!("/accounts/{ACCOUNT}/stream/{VIDEO}/token"),
            None
        )
        .await
        .0,
        500
    );
}

#[tokio::test]
async fn the_client_retries_a_scripted_503_and_then_succeeds() {
    let e = emulator().await;
    e.add_fault(Fault::status(Route::ListKeys, 503).times(2));
    assert!(client(&e).list_signing_keys().await.unwrap().is_empty());
    let statuses: Vec<Option<u16>> = e.requests().iter().map(|r| r.status()).collect();
    assert_eq!(statuses, [Some(503), Some(503), Some(200)]);
}

#[tokio::test]
async fn a_delay_fault_delays_then_serves() {
    let e = emulator().await;
    e.add_fault(Fault::delay(Route::ListKeys, Duration::from_millis(300)));
    let t = Instant::now();
    assert!(client(&e).list_signing_keys().await.is_ok());
    assert!(
        t.elapsed() >= Duration::from_millis(300),
        "{:?}",
        t.elapsed()
    );
    // Delay then status, on playback.
    e.add_fault(Fault::status(Route::Playback, 502).with_delay(Duration::from_millis(100)));
    let t = Instant::now();
    assert_eq!(verdict(&e, "anything", "iframe").await, (502, None));
    assert!(t.elapsed() >= Duration::from_millis(100));
}

#[tokio::test]
async fn a_delay_past_the_clients_timeout_is_a_timeout() {
    let e = emulator().await;
    e.add_fault(Fault::delay(Route::ListKeys, Duration::from_millis(800)).times(3));
    let c = Client::builder(account(), Credentials::api_token(API_TOKEN).unwrap())
        .base_url(e.api_base_url())
        .timeout(Duration::from_millis(200))
        .max_retries(0)
        .build()
        .unwrap();
    assert_eq!(
        c.list_signing_keys().await.unwrap_err().kind(),
        &ErrorKind::Timeout
    );
}

#[tokio::test]
async fn a_dropped_connection_on_create_is_not_resent() {
    let e = emulator().await;
    e.add_fault(Fault::drop_connection(Route::CreateKey));
    let err = client(&e).create_signing_key().await.unwrap_err();
    // The request may have arrived: the error says a key may exist.
    assert_eq!(
        err.kind(),
        &ErrorKind::CreateOutcomeUnknown { timed_out: false }
    );
    let log = e.requests();
    assert_eq!(log.len(), 1, "{log:?}");
    assert_eq!((log[0].status(), log[0].decision()), (None, "dropped"));
    assert_eq!(log[0].route(), Some(Route::CreateKey));
    // The fault was used up: the next create works.
    assert!(client(&e).create_signing_key().await.is_ok());
}

#[tokio::test]
async fn a_dropped_playback_connection_is_an_error_for_the_viewer() {
    let e = emulator().await;
    e.add_fault(Fault::drop_connection(Route::Playback));
    let url = format!("{}/x.y.z/iframe", e.playback_base_url());
    let err = match http().get(&url).send().await {
        Err(e) => e,
        Ok(r) => r.bytes().await.unwrap_err(),
    };
    assert!(!err.is_status(), "{err}");
    assert_eq!(verdict(&e, "x.y.z", "iframe").await.0, 401);
}

#[tokio::test]
async fn faults_and_the_clock_through_the_control_endpoints() {
    let e = emulator().await;
    assert_eq!(
        control(&e, Method::GET, "/clock", None).await,
        (200, json!({ "now": NOW }))
    );
    assert_eq!(
        control(
            &e,
            Method::POST,
            "/clock",
            Some(json!({ "advance_secs": 90 }))
        )
        .await,
        (200, json!({ "now": NOW + 90 }))
    );
    assert_eq!(
        control(&e, Method::POST, "/clock", Some(json!({ "now": NOW + 5 }))).await,
        (200, json!({ "now": NOW + 5 }))
    );
    assert_eq!(e.now(), at(NOW + 5));
    assert_eq!(
        control(&e, Method::POST, "/clock", Some(json!({}))).await.0,
        400
    );

    let (status, _) = control(
        &e,
        Method::POST,
        "/faults",
        Some(json!({ "route": "list_keys", "status": 429, "retry_after": 3 })),
    )
    .await;
    assert_eq!(status, 200);
    let (status, h, _) = api_call(
        &e,
        Method::GET,
        &format!("/accounts/{ACCOUNT}/stream/keys"),
        None,
    )
    .await;
    assert_eq!((status, h["retry-after"].to_str().unwrap()), (429, "3"));
    control(
        &e,
        Method::POST,
        "/faults",
        Some(json!({ "route": "playback", "status": 500, "times": 5 })),
    )
    .await;
    assert_eq!(control(&e, Method::DELETE, "/faults", None).await.0, 200);
    assert_eq!(verdict(&e, "x.y.z", "iframe").await.0, 401);
    assert_eq!(
        control(
            &e,
            Method::POST,
            "/faults",
            Some(json!({ "route": "nowhere" }))
        )
        .await
        .0,
        400
    );
    assert_eq!(control(&e, Method::GET, "/nothing", None).await.0, 404);
}

#[tokio::test]
async fn key_delay_24h_switch_videos_and_keys_through_the_control_endpoints() {
    let e = emulator().await;
    control(&e, Method::POST, "/key-delay", Some(json!({ "secs": 60 }))).await;
    let signer = created_signer(&e).await;
    let token = mint(&signer, NOW, &TokenOptions::default());
    assert_eq!(
        verdict(&e, &token, "iframe").await.1.as_deref(),
        Some("unknown-key")
    );
    control(
        &e,
        Method::POST,
        "/clock",
        Some(json!({ "advance_secs": 60 })),
    )
    .await;
    assert_eq!(verdict(&e, &token, "iframe").await.0, 200);

    let far = mint(
        &signer,
        NOW + 7200,
        &TokenOptions::builder()
            .lifetime(Duration::from_secs(86_400))
            .build()
            .unwrap(),
    );
    assert_eq!(
        verdict(&e, &far, "iframe").await.1.as_deref(),
        Some("beyond-24h")
    );
    control(
        &e,
        Method::POST,
        "/check-24h",
        Some(json!({ "enabled": false })),
    )
    .await;
    assert_eq!(verdict(&e, &far, "iframe").await.0, 200);

    let (status, body) = control(
        &e,
        Method::POST,
        "/videos",
        Some(json!({ "account": ACCOUNT, "video": other_video(), "public": true })),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(verdict(&e, other_video().as_str(), "iframe").await.0, 200);

    let (status, body) = control(
        &e,
        Method::POST,
        "/keys",
        Some(json!({ "account": ACCOUNT, "public_key": text("demo/demo_public.jwk.json") })),
    )
    .await;
    assert_eq!((status, &body["id"]), (200, &json!(DEMO_KID)));
    let (status, body) = control(&e, Method::GET, &format!("/keys/{ACCOUNT}"), None).await;
    assert_eq!(status, 200);
    assert_eq!(body, json!([signer.kid(), DEMO_KID]));
    let (status, body) = control(
        &e,
        Method::POST,
        "/keys",
        Some(json!({ "account": ACCOUNT, "public_key": "not a key" })),
    )
    .await;
    assert_eq!(status, 400, "{body}");
}

#[tokio::test]
async fn reset_forgets_everything() {
    let e = emulator().await;
    let signer = created_signer(&e).await;
    let token = mint(&signer, NOW, &TokenOptions::default());
    e.advance(Duration::from_secs(10)).unwrap();
    e.set_check_24h(false);
    e.add_fault(Fault::status(Route::ListKeys, 500));
    e.register_video(&account(), &other_video(), true).unwrap();
    assert_eq!(
        control(&e, Method::POST, "/reset", None).await,
        (200, json!({ "reset": true }))
    );
    assert!(e.requests().is_empty());
    assert_eq!(e.now(), at(NOW));
    assert!(e.keys(&account()).is_empty());
    assert!(client(&e).list_signing_keys().await.unwrap().is_empty());
    assert_eq!(
        verdict(&e, &token, "iframe").await.1.as_deref(),
        Some("unknown-key")
    );
    assert_eq!(
        verdict(&e, other_video().as_str(), "iframe")
            .await
            .1
            .as_deref(),
        Some("malformed")
    );
}

#[tokio::test]
async fn the_request_log_holds_no_credential_key_or_signature() {
    let e = emulator().await;
    let c = client(&e);
    let created = c.create_signing_key().await.unwrap();
    let secret = created.secret_result_json().to_owned();
    let signer = Signer::new(created.into_signing_key().unwrap());
    let token = mint(&signer, NOW, &TokenOptions::default());
    let signature = token.rsplit('.').next().unwrap().to_owned();
    play(&e, &token, "manifest/video.m3u8").await;
    play(
        &e,
        &mint(&signer, NOW - 7200, &TokenOptions::default()),
        "iframe",
    )
    .await;
    let remote = c
        .create_token_at(at(NOW), &video(), &TokenOptions::default())
        .await
        .unwrap();
    play(&e, remote.as_str(), "iframe").await;

    let (status, log) = control(&e, Method::GET, "/log", None).await;
    assert_eq!(status, 200);
    assert_eq!(
        log,
        json!([
            { "method": "POST", "path": format!("/client/v4/accounts/{ACCOUNT}/stream/keys"), "route": "create_key", "status": 200, "decision": "ok" },
            { "method": "GET", "path": "/<token>/manifest/video.m3u8", "route": "playback", "kid": signer.kid(), "status": 200, "decision": "ok" },
            { "method": "GET", "path": "/<token>/iframe", "route": "playback", "kid": signer.kid(), "status": 401, "decision": "expired" },
            { "method": "POST", "path": format!("/client/v4/accounts/{ACCOUNT}/stream/{VIDEO}/token"), "route": "create_token", "status": 200, "decision": "ok" },
            { "method": "GET", "path": "/<token>/iframe", "route": "playback", "kid": remote.kid(), "status": 200, "decision": "ok" },
        ])
    );
    let text = log.to_string();
    let pem = serde_json::from_str::<Value>(&secret).unwrap()["pem"]
        .as_str()
        .unwrap()[..40]
        .to_owned();
    for s in [
        API_TOKEN,
        signature.as_str(),
        pem.as_str(),
        remote.as_str().rsplit('.').next().unwrap(),
    ] {
        assert!(!text.contains(s), "the log holds a secret");
    }
    assert_eq!(e.requests().len(), 5);
    assert_eq!(e.requests()[2].decision(), "expired");
    assert_eq!(e.requests()[2].path(), "/<token>/iframe");
}

#[tokio::test]
async fn paths_that_are_no_route_are_logged_without_a_token() {
    let e = emulator().await;
    let signer = created_signer(&e).await;
    let token = mint(&signer, NOW, &TokenOptions::default());
    let long = format!("/{}", "a".repeat(40));
    let longer = format!("/{}", "a".repeat(41));
    for path in [
        "/favicon.ico".to_owned(),
        long.clone(),
        longer.clone(),
        format!("/{VIDEO}/nothing-here"),
        format!("/{token}/nothing-here"),
        format!("/{token}"),
        "/a.b.c.d".to_owned(),
    ] {
        let r = get_edge(&e, &path).await;
        assert_eq!(r.status(), 404, "{path}");
    }
    let log = e.requests();
    let logged: Vec<(&str, Option<Route>, &str)> = log[1..]
        .iter()
        .map(|r| (r.path(), r.route(), r.decision()))
        .collect();
    // One segment is shown as it came, unless it could be a token (three
    // dot-separated parts, or over 40 bytes); a video id is shown; anything
    // else in the first segment of a longer path is a token.
    assert_eq!(
        logged,
        [
            ("/favicon.ico", None, "no-route"),
            (long.as_str(), None, "no-route"),
            ("/<token>", None, "no-route"),
            (format!("/{VIDEO}/nothing-here").as_str(), None, "no-route"),
            ("/<token>/nothing-here", None, "no-route"),
            ("/<token>", None, "no-route"),
            ("/<token>", None, "no-route"),
        ]
    );
    assert!(!format!("{log:?}").contains(&token));
}

#[tokio::test]
async fn get_faults_lists_the_faults_in_force_with_the_times_they_have_left() {
    let e = emulator().await;
    assert_eq!(
        control(&e, Method::GET, "/faults", None).await,
        (200, json!([]))
    );
    e.add_fault(Fault::status(Route::ListKeys, 503).retry_after(2).times(2));
    let (status, _) = control(
        &e,
        Method::POST,
        "/faults",
        Some(json!({ "route": "playback", "delay_ms": 5, "drop_connection": true })),
    )
    .await;
    assert_eq!(status, 200);
    let listed = |times_left: u32| {
        json!([
            { "route": "list_keys", "status": 503, "retry_after": 2, "delay_ms": 0,
              "drop_connection": false, "times": times_left },
            { "route": "playback", "status": null, "retry_after": null, "delay_ms": 5,
              "drop_connection": true, "times": 1 },
        ])
    };
    assert_eq!(
        control(&e, Method::GET, "/faults", None).await,
        (200, listed(2))
    );
    assert_eq!(
        e.faults(),
        [
            Fault::status(Route::ListKeys, 503).retry_after(2).times(2),
            Fault::drop_connection(Route::Playback).with_delay(Duration::from_millis(5)),
        ]
    );

    // Each play counts down; a fault that played its last time is gone.
    let path = format!("/accounts/{ACCOUNT}/stream/keys");
    assert_eq!(api_call(&e, Method::GET, &path, None).await.0, 503);
    assert_eq!(
        control(&e, Method::GET, "/faults", None).await,
        (200, listed(1))
    );
    assert_eq!(api_call(&e, Method::GET, &path, None).await.0, 503);
    let (status, left) = control(&e, Method::GET, "/faults", None).await;
    assert_eq!((status, left), (200, json!([listed(1)[1].clone()])));

    assert_eq!(control(&e, Method::DELETE, "/faults", None).await.0, 200);
    assert_eq!(
        control(&e, Method::GET, "/faults", None).await,
        (200, json!([]))
    );
    assert!(e.faults().is_empty());
    // A method the path does not take is a 404, as an unknown path.
    assert_eq!(control(&e, Method::PUT, "/faults", None).await.0, 404);
}
