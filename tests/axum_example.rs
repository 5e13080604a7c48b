//! `examples/axum_playback.rs` served on 127.0.0.1 and asked over HTTP, as
//! a player's page would ask it, against the emulator: the URLs it returns
//! are played on the emulator exactly as they came.

use std::net::SocketAddr;

use cf_stream_token::{Clock as _, ErrorKind, SystemClock, Verifier};
use serde_json::{Value, json};

use crate::common::*;

// The example itself, not a copy: its `main` goes unused here.
#[allow(dead_code)]
#[path = "../examples/axum_playback.rs"]
mod axum_playback;

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

/// Serve the example, its settings from `pairs`, on a free port of 127.0.0.1.
async fn start(pairs: &[(&'static str, String)]) -> SocketAddr {
    let app = axum_playback::app(env(pairs)).unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await });
    addr
}

#[test]
fn settings_are_checked_at_start_up() {
    let key = ("CF_STREAM_SIGNING_KEY", text("demo/demo.jwk.json"));
    let kind =
        |pairs: &[(&'static str, String)]| axum_playback::app(env(pairs)).unwrap_err().into_kind();
    assert_eq!(
        kind(std::slice::from_ref(&key)),
        ErrorKind::MissingConfig {
            name: "CF_STREAM_CUSTOMER_CODE or CF_STREAM_HOST"
        }
    );
    assert_eq!(
        kind(&[("CF_STREAM_HOST", "http://127.0.0.1:8080".to_owned())]),
        ErrorKind::MissingConfig {
            name: "CF_STREAM_SIGNING_KEY or CF_STREAM_KEYRING"
        }
    );
    assert!(matches!(
        kind(&[key, ("CF_STREAM_HOST", "http://192.0.2.1:8080".to_owned())]),
        ErrorKind::InvalidUrlPart {
            what: "http host",
            ..
        }
    ));
}

#[cfg(feature = "emulator")]
#[tokio::test]
async fn the_service_mints_urls_that_play_on_the_emulator_unchanged_for_gb_only() {
    use cf_stream_token::emulator::Emulator;

    let stream = Emulator::start().await.unwrap();
    let account: cf_stream_token::AccountId = crate::api::ACCOUNT.parse().unwrap();
    stream
        .import_public_key(&account, demo_signer().key().public_key())
        .unwrap();
    let addr = start(&[
        (
            "CF_STREAM_SIGNING_KEY",
            text("demo/demo_create_result.json"),
        ),
        ("CF_STREAM_HOST", stream.playback_base_url()),
    ])
    .await;
    let http = reqwest::Client::new();

    // The URLs, as a page of the service's would get them.
    let before = SystemClock.now().unix_timestamp();
    let answer = http
        .get(format!("http://{addr}/videos/{VIDEO}"))
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 200);
    assert_eq!(answer.headers()["cache-control"], "no-store");
    let body: Value = answer.json().await.unwrap();
    let hls = body["hls"].as_str().unwrap().to_owned();
    let thumbnail = body["thumbnail"].as_str().unwrap().to_owned();
    let origin = format!("http://{}/", stream.local_addr());
    assert!(
        hls.starts_with(&origin) && hls.ends_with("/manifest/video.m3u8"),
        "{hls}"
    );
    assert!(
        thumbnail.ends_with("/thumbnails/thumbnail.jpg"),
        "{thumbnail}"
    );
    let token = hls[origin.len()..].split_once('/').unwrap().0.to_owned();
    assert_eq!(
        thumbnail,
        format!("{origin}{token}/thumbnails/thumbnail.jpg")
    );
    assert_eq!(body.as_object().unwrap().len(), 3, "{body}");

    // The token: this video, 2 hours, GB only (then everyone else blocked).
    let claims = Verifier::parse(bytes("demo/demo_public.jwk.json"), None)
        .unwrap()
        .verify(&token)
        .unwrap();
    assert_eq!(claims.video(), &video());
    assert!((before + 7200..=SystemClock.now().unix_timestamp() + 7200).contains(&claims.exp()));
    assert_eq!(
        body["expires_at"],
        claims
            .expires_at()
            .format(&cf_stream_token::time::format_description::well_known::Rfc3339)
            .unwrap()
    );
    assert_eq!(
        serde_json::to_value(claims.access_rules()).unwrap(),
        json!([{"type": "ip.geoip.country", "action": "allow", "country": ["GB"]},
               {"type": "any", "action": "block"}])
    );

    // Played on the emulator as they came: a viewer in GB plays, anyone
    // else is blocked by the last rule.
    for url in [&hls, &thumbnail] {
        let play = |country: &'static str| {
            http.get(url.as_str())
                .header("cf-ipcountry", country)
                .send()
        };
        let gb = play("GB").await.unwrap();
        assert_eq!(gb.status(), 200, "{url}: {:?}", gb.headers());
        let fr = play("FR").await.unwrap();
        assert_eq!(fr.status(), 403, "{url}");
        assert_eq!(fr.headers()["x-emulator-reason"], "blocked-by-rule:2");
    }

    // The check route: this video's token passes, another's does not.
    let check = |video: String, token: String| {
        http.post(format!("http://{addr}/videos/{video}/check"))
            .body(token)
            .send()
    };
    let ok = check(VIDEO.to_owned(), token.clone()).await.unwrap();
    assert_eq!(ok.status(), 200);
    let ok: Value = ok.json().await.unwrap();
    assert_eq!(ok["sub"], VIDEO);
    let other = check(OTHER_KID.to_owned(), token.clone()).await.unwrap();
    assert_eq!(other.status(), 401);
    assert_eq!(
        other.headers()["www-authenticate"],
        r#"Bearer error="invalid_token""#
    );
    let other: Value = other.json().await.unwrap();
    assert_eq!(
        other,
        json!({"error": "wrong_video", "message": format!("token is for video {VIDEO}, not for video {OTHER_KID}")})
    );
    // A bad token and a bad video id: the crate's JSON errors.
    let bad = check(VIDEO.to_owned(), "x.y.z".to_owned()).await.unwrap();
    assert_eq!(bad.status(), 400);
    assert_eq!(
        bad.json::<Value>().await.unwrap()["error"],
        "malformed_token"
    );
    let bad = http
        .get(format!("http://{addr}/videos/not-a-video/playback"))
        .send()
        .await
        .unwrap();
    assert_eq!(bad.status(), 400);
    assert_eq!(
        bad.json::<Value>().await.unwrap(),
        json!({"error": "invalid_video_id", "message": "invalid video id: expected 32 hexadecimal characters"})
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

/// The example as a fleet member: its ring read from a Kubernetes-style
/// Secret volume and reloaded every second, `/healthz` saying what is in
/// force, a TTL past the ring's maximum refused at start-up.
#[cfg(unix)]
mod fleet_member {
    use std::time::Duration;

    use cf_stream_token::{Clock as _, ErrorKind, Keyring, SystemClock, Verifier};
    use serde_json::{Value, json};

    use super::{axum_playback, env, start};
    use crate::common::*;
    use crate::reload::{SecretVolume, scratch};

    /// GET a JSON answer.
    async fn get(url: String) -> (u16, Value) {
        let resp = reqwest::get(url).await.unwrap();
        (resp.status().as_u16(), resp.json().await.unwrap())
    }

    /// Poll `/healthz` until `ok` holds of it (at most 10 s).
    async fn health_until(addr: std::net::SocketAddr, ok: impl Fn(&Value) -> bool) -> Value {
        for _ in 0..100 {
            let (_, h) = get(format!("http://{addr}/healthz")).await;
            if ok(&h) {
                return h;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("/healthz never reached the state awaited");
    }

    #[tokio::test]
    async fn the_ring_reloads_from_a_secret_volume_and_healthz_shows_it() {
        let dir = scratch("axum-fleet-ring");
        let mut volume = SecretVolume::new(dir.to_path_buf());
        let mut ring =
            Keyring::start_at(SystemClock.now(), &text("demo/demo_create_result.json")).unwrap();
        ring.set_max_token_lifetime(Duration::from_secs(3600))
            .unwrap();
        volume.publish(&[("keyring.json", &ring.secret_document().unwrap())]);
        let path = dir.join("keyring.json").display().to_string();
        let settings = |ttl: &str| {
            vec![
                ("CF_STREAM_KEYRING_FILE", path.clone()),
                ("CF_STREAM_RELOAD_INTERVAL", "1s".to_owned()),
                ("CF_STREAM_HOST", "http://127.0.0.1:9".to_owned()),
                ("CF_STREAM_TOKEN_TTL", ttl.to_owned()),
            ]
        };
        // The default 2 h is longer than this ring's 1 h maximum.
        let refused = axum_playback::app(env(&settings("2h"))).unwrap_err();
        assert!(
            matches!(refused.kind(), ErrorKind::InvalidConfig { what } if what.contains("CF_STREAM_TOKEN_TTL")),
            "{refused}"
        );
        let addr = start(&settings("10m")).await;

        let (status, h) = get(format!("http://{addr}/healthz")).await;
        assert_eq!(status, 200);
        assert_eq!(h["kid"], DEMO_KID);
        assert_eq!(h["serial"], ring.serial());
        assert_eq!(h["reloads"], 1);
        assert!(h["last_error"].is_null(), "{h}");
        assert!(h["loaded_at"].as_str().unwrap().ends_with('Z'), "{h}");

        // `?country=US`: US viewers only, for the TTL.
        let before = SystemClock.now().unix_timestamp();
        let (status, body) = get(format!("http://{addr}/videos/{VIDEO}/playback?country=US")).await;
        assert_eq!(status, 200, "{body}");
        assert!(body["expires_at"].is_string(), "{body}");
        let hls = body["hls"].as_str().unwrap();
        let token = hls.split('/').nth(3).unwrap();
        let claims = Verifier::parse(bytes("demo/demo_public.jwk.json"), None)
            .unwrap()
            .verify(token)
            .unwrap();
        assert!((before + 600..=before + 602).contains(&claims.exp()));
        assert_eq!(
            serde_json::to_value(claims.access_rules()).unwrap(),
            json!([{"type": "ip.geoip.country", "action": "allow", "country": ["US"]},
                   {"type": "any", "action": "block"}])
        );

        // A half-written document: the ring in force stays, the error shows.
        volume.publish(&[("keyring.json", "{\"version\":1,")]);
        let h = health_until(addr, |h| !h["last_error"].is_null()).await;
        assert_eq!(h["serial"], ring.serial());
        assert!(
            h["last_error"].as_str().is_some_and(|m| !m.is_empty()),
            "{h}"
        );
        assert!(h["consecutive_failures"].as_u64() >= Some(1), "{h}");
        let (status, _) = get(format!("http://{addr}/videos/{VIDEO}/playback")).await;
        assert_eq!(status, 200);

        // A new document: taken, and the error clears.
        ring.set_margin(Duration::from_secs(600)).unwrap();
        volume.publish(&[("keyring.json", &ring.secret_document().unwrap())]);
        let h = health_until(addr, |h| h["serial"] == ring.serial()).await;
        assert!(h["last_error"].is_null(), "{h}");
        assert_eq!(h["reloads"], 2);
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[tokio::test]
    async fn a_key_file_reloads_and_the_check_route_follows_it() {
        let dir = scratch("axum-fleet-key");
        let path = dir.join("key.json");
        std::fs::write(&path, text("demo/demo.jwk.json")).unwrap();
        let settings = vec![
            ("CF_STREAM_SIGNING_KEY_FILE", path.display().to_string()),
            ("CF_STREAM_RELOAD_INTERVAL", "1s".to_owned()),
            ("CF_STREAM_HOST", "http://127.0.0.1:9".to_owned()),
        ];
        let addr = start(&settings).await;
        let token = |body: &Value| {
            body["hls"]
                .as_str()
                .unwrap()
                .split('/')
                .nth(3)
                .unwrap()
                .to_owned()
        };
        let check = |t: String| async move {
            reqwest::Client::new()
                .post(format!("http://{addr}/videos/{VIDEO}/check"))
                .body(t)
                .send()
                .await
                .unwrap()
                .status()
                .as_u16()
        };
        let (_, body) = get(format!("http://{addr}/videos/{VIDEO}/playback")).await;
        let old = token(&body);
        assert_eq!(check(old.clone()).await, 200);

        // The file renamed over, as `mv` and editors do.
        let tmp = dir.join("key.json.tmp");
        std::fs::write(&tmp, text("other/other.jwk.json")).unwrap();
        std::fs::rename(&tmp, &path).unwrap();
        let h = health_until(addr, |h| h["kid"] == OTHER_KID).await;
        assert!(h["serial"].is_null() && h["last_error"].is_null(), "{h}");
        let (_, body) = get(format!("http://{addr}/videos/{VIDEO}/playback")).await;
        let new = token(&body);
        assert_eq!(
            cf_stream_token::dangerous::decode_unverified(&new)
                .unwrap()
                .header
                .kid(),
            Some(OTHER_KID)
        );
        assert_eq!(check(new).await, 200);
        assert_eq!(check(old).await, 401, "the verifier follows the key");
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn key_settings_that_conflict_or_do_not_parse_are_refused() {
        let key = ("CF_STREAM_SIGNING_KEY", text("demo/demo.jwk.json"));
        let host = ("CF_STREAM_HOST", "http://127.0.0.1:9".to_owned());
        let kind = |pairs: &[(&'static str, String)]| {
            axum_playback::app(env(pairs)).unwrap_err().into_kind()
        };
        assert_eq!(
            kind(&[
                key.clone(),
                host.clone(),
                ("CF_STREAM_KEYRING", "{}".to_owned())
            ]),
            ErrorKind::ConflictingConfig {
                first: "CF_STREAM_KEYRING",
                second: "CF_STREAM_SIGNING_KEY"
            }
        );
        assert_eq!(
            kind(&[
                key.clone(),
                host.clone(),
                ("CF_STREAM_SIGNING_KEY_FILE", "/nonexistent".to_owned())
            ]),
            ErrorKind::ConflictingConfig {
                first: "CF_STREAM_SIGNING_KEY",
                second: "CF_STREAM_SIGNING_KEY_FILE"
            }
        );
        for bad in ["0", "1.5s", "soon"] {
            assert!(
                matches!(
                    kind(&[key.clone(), host.clone(), ("CF_STREAM_RELOAD_INTERVAL", bad.to_owned())]),
                    ErrorKind::InvalidConfig { what } if what.starts_with("CF_STREAM_RELOAD_INTERVAL")
                ),
                "{bad}"
            );
        }
        assert!(matches!(
            kind(&[
                host,
                (
                    "CF_STREAM_SIGNING_KEY_FILE",
                    "/nonexistent/key.json".to_owned()
                )
            ]),
            ErrorKind::SecretSourceFailed { .. }
        ));
    }
}

/// Issue "done when": the service is at most 60 lines, every line of the
/// file counted (header included), so it cannot drift past it.
#[test]
fn the_example_stays_within_60_lines() {
    let file = include_str!("../examples/axum_playback.rs");
    let lines = file.lines().count();
    assert!(lines <= 60, "examples/axum_playback.rs has {lines} lines");
}

/// What the library does for the example: `ReloadStatus` as `/healthz`
/// JSON, and `CF_STREAM_TOKEN_TTL` read and checked by `ServiceKeys`.
mod library {
    use std::time::Duration;

    use cf_stream_token::time::OffsetDateTime;
    use cf_stream_token::time::format_description::well_known::Rfc3339;
    use cf_stream_token::{Clock as _, ErrorKind, Keyring, ServiceKeys, SystemClock};

    use super::env;
    use crate::common::*;

    #[test]
    fn reload_status_serialises_as_a_health_body_without_secrets() {
        let key = text("demo/demo_create_result.json");
        let keys =
            ServiceKeys::from_env_with(env(&[("CF_STREAM_SIGNING_KEY", key.clone())])).unwrap();
        let status = keys.status();
        let json = serde_json::to_value(&status).unwrap();
        let members: Vec<&str> = json
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        assert_eq!(
            members,
            [
                "checked_at",
                "consecutive_failures",
                "digest",
                "kid",
                "last_error",
                "loaded_at",
                "reloads",
                "serial"
            ]
        );
        assert_eq!(json["kid"], DEMO_KID);
        assert!(json["serial"].is_null(), "a single key has no serial");
        assert_eq!(json["digest"], status.digest().to_string());
        assert_eq!(json["reloads"], 1);
        assert_eq!(json["consecutive_failures"], 0);
        assert!(json["last_error"].is_null());
        for at in ["loaded_at", "checked_at"] {
            let parsed = OffsetDateTime::parse(json[at].as_str().unwrap(), &Rfc3339).unwrap();
            assert_eq!(
                parsed.unix_timestamp(),
                status.loaded_at().unix_timestamp(),
                "{at}"
            );
        }
        // The key's private parts appear nowhere in the body.
        let body = json.to_string();
        let doc: serde_json::Value = serde_json::from_str(&key).unwrap();
        for secret in ["pem", "jwk"] {
            let part = &doc[secret].as_str().unwrap()[..40];
            assert!(!body.contains(part), "{secret} in {body}");
        }
        assert!(!body.contains("\"d\""), "{body}");
    }

    #[test]
    fn the_token_ttl_is_read_defaulted_and_held_to_the_rings_maximum() {
        let key = ("CF_STREAM_SIGNING_KEY", text("demo/demo.jwk.json"));
        let two_hours = Duration::from_secs(7200);
        let lifetime = |pairs: &[(&'static str, String)]| {
            let keys = ServiceKeys::from_env_with(env(pairs)).unwrap();
            keys.token_options_from_env_with(env(pairs), two_hours)
                .and_then(|b| b.build())
                .map(|o| o.lifetime_secs())
        };
        // A single key has no maximum: the default, a value, a blank value.
        assert_eq!(lifetime(std::slice::from_ref(&key)).unwrap(), Some(7200));
        let ttl = |v: &str| ("CF_STREAM_TOKEN_TTL", v.to_owned());
        assert_eq!(lifetime(&[key.clone(), ttl(" 90m ")]).unwrap(), Some(5400));
        assert_eq!(lifetime(&[key.clone(), ttl("  ")]).unwrap(), Some(7200));
        for bad in ["soon", "-1h", "2 hours"] {
            let e = lifetime(&[key.clone(), ttl(bad)]).unwrap_err();
            assert!(
                matches!(e.kind(), ErrorKind::InvalidConfig { what } if what.starts_with("CF_STREAM_TOKEN_TTL")),
                "{bad}: {e}"
            );
        }
        // A ring whose maximum is 1 h: 30m passes; 2 h, given or by default, does not.
        let mut ring =
            Keyring::start_at(SystemClock.now(), &text("demo/demo_create_result.json")).unwrap();
        ring.set_max_token_lifetime(Duration::from_secs(3600))
            .unwrap();
        let doc = (
            "CF_STREAM_KEYRING",
            ring.secret_document().unwrap().to_string(),
        );
        assert_eq!(lifetime(&[doc.clone(), ttl("30m")]).unwrap(), Some(1800));
        for pairs in [vec![doc.clone(), ttl("2h")], vec![doc.clone()]] {
            let e = lifetime(&pairs).unwrap_err();
            assert!(
                matches!(e.kind(), ErrorKind::InvalidConfig { what } if what.contains("maximum")),
                "{e}"
            );
        }
    }
}
