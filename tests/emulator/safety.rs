//! The emulator's own safety (issue 19): what the log may hold, the
//! clock's range, who may drive it, the state file, empty credentials,
//! viewer headers and HEAD.

use std::io::ErrorKind as IoKind;
use std::path::Path;
use std::time::Duration;

use cf_stream_token::emulator::Refusal;
use cf_stream_token::{AccessRule, Action, ErrorKind, TokenOptions};
use reqwest::Method;
use serde_json::{Value, json};
use time::OffsetDateTime;

use super::*;

fn scratch(name: &str) -> crate::common::Scratch {
    crate::common::Scratch::new(&format!("cf-emu-safety-{name}"))
}

fn with_state(file: &Path) -> cf_stream_token::emulator::EmulatorBuilder {
    Emulator::builder()
        .api_token(API_TOKEN)
        .clock_at(at(NOW))
        .state_file(file)
}

/// A raw request with headers as given (`host` included), and its status,
/// `x-emulator-reason` and body.
async fn raw(
    method: Method,
    url: &str,
    headers: &[(&str, &str)],
    body: &str,
) -> (u16, Option<String>, String) {
    let mut req = http().request(method, url).body(body.to_owned());
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    let r = req.send().await.unwrap();
    let reason = r
        .headers()
        .get("x-emulator-reason")
        .map(|v| v.to_str().unwrap().to_owned());
    (r.status().as_u16(), reason, r.text().await.unwrap())
}

fn reason(r: &str) -> Option<String> {
    Some(r.to_owned())
}

// 1. The request log.

#[tokio::test]
async fn no_logged_path_holds_a_tokens_payload_or_signature_wherever_it_was() {
    let e = emulator().await;
    let c = client(&e);
    let signer = created_signer(&e).await;
    let local = mint(&signer, NOW, &TokenOptions::default());
    let remote = c
        .create_token_at(at(NOW), &video(), &TokenOptions::default())
        .await
        .unwrap()
        .into_string();
    let parts = |t: &str| -> Vec<String> { t.split('.').skip(1).map(str::to_owned).collect() };
    let mut secrets = parts(&local);
    secrets.extend(parts(&remote));
    assert_eq!(secrets.len(), 4);

    for token in [&local, &remote] {
        let [header, payload, signature] = [0, 1, 2].map(|i| token.split('.').nth(i).unwrap());
        let encoded = token.replace('.', "%2E");
        let split = format!("{header}.{payload}/{signature}");
        for path in [
            format!("/{VIDEO}/{token}/iframe"),
            format!("/{VIDEO}/{token}"),
            format!("/{token}/{token}"),
            format!("/x/{token}"),
            format!("/x/y/{token}/z"),
            format!("/{split}/iframe"),
            format!("/{payload}"),
            format!("/{signature}"),
            format!("/a/{signature}"),
            format!("/a/{payload}/b"),
            format!("/{encoded}/iframe"),
            format!("/{VIDEO}/{encoded}"),
            format!("/x~{payload}"),
            format!("/a/x~{signature}~y"),
            format!("/{token}/manifest/video.m3u8?token={token}"),
            format!("/{VIDEO}/manifest/video.m3u8?token={token}&s={signature}"),
        ] {
            get_edge(&e, &path).await;
        }
        for (method, path) in [
            (Method::GET, format!("/accounts/{token}/stream/keys")),
            (
                Method::GET,
                format!("/accounts/{ACCOUNT}/stream/keys?token={token}"),
            ),
            (
                Method::DELETE,
                format!("/accounts/{ACCOUNT}/stream/keys/{token}"),
            ),
            (
                Method::POST,
                format!("/accounts/{ACCOUNT}/stream/{token}/token"),
            ),
            (Method::GET, format!("/{token}")),
            (Method::GET, format!("/accounts/{ACCOUNT}/{signature}")),
        ] {
            api_call(&e, method, &path, None).await;
        }
    }

    let log = e.requests();
    assert_eq!(log.len(), 2 + 2 * (16 + 6));
    let text = format!("{log:?}");
    for s in &secrets {
        assert!(
            !text.contains(s.as_str()),
            "the log holds a part of a token"
        );
    }
    let paths: Vec<&str> = log.iter().map(|r| r.path()).collect();
    let one_round = [
        format!("/{VIDEO}/<token>/iframe"),
        format!("/{VIDEO}/<token>"),
        "/<token>/<token>".to_owned(),
        "/<token>/<token>".to_owned(),
        "/<token>/y/<token>/z".to_owned(),
        "/<token>/<token>/iframe".to_owned(),
        "/<token>".to_owned(),
        "/<token>".to_owned(),
        "/<token>/<token>".to_owned(),
        "/<token>/<token>/b".to_owned(),
        "/<token>/iframe".to_owned(),
        format!("/{VIDEO}/<token>"),
        "/<token>".to_owned(),
        "/<token>/<token>".to_owned(),
        "/<token>/manifest/video.m3u8".to_owned(),
        format!("/{VIDEO}/manifest/video.m3u8"),
        "/client/v4/accounts/<token>/stream/keys".to_owned(),
        format!("/client/v4/accounts/{ACCOUNT}/stream/keys"),
        format!("/client/v4/accounts/{ACCOUNT}/stream/keys/<token>"),
        format!("/client/v4/accounts/{ACCOUNT}/stream/<token>/token"),
        "/client/v4/<token>".to_owned(),
        format!("/client/v4/accounts/{ACCOUNT}/<token>"),
    ];
    let expected: Vec<&str> = one_round
        .iter()
        .chain(&one_round)
        .map(String::as_str)
        .collect();
    assert_eq!(paths[2..], expected[..]);
    // The control endpoint's copy is the same.
    let served: Value = http()
        .get(format!("{}/log", e.control_base_url()))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let served = served.to_string();
    for s in &secrets {
        assert!(
            !served.contains(s.as_str()),
            "the served log holds a part of a token"
        );
    }
}

#[tokio::test]
async fn each_logged_path_is_cut_at_1_kib_however_long_it_came() {
    let e = emulator().await;
    // 60 KB paths (a URI holds at most 64 KB) of short segments, nothing
    // token-like: each is logged as its first 1,019 bytes and `<cut>`.
    let long = format!("/{}", "ab/".repeat(60 * 1024 / 3));
    // On the edge the first segment is where a token goes: never shown.
    let edge = format!("/<token>{}", &long[3..]);
    let cut = format!("{}<cut>", &edge[..1024 - 5]);
    for _ in 0..20 {
        assert_eq!(get_edge(&e, &long).await.status(), 404);
        let (status, _, _) = api_call(&e, Method::GET, &long, None).await;
        assert_eq!(status, 404);
    }
    // One 60 KB segment could be a token.
    let one = format!("/{}", "a".repeat(60 * 1024));
    assert_eq!(get_edge(&e, &one).await.status(), 404);
    let log = e.requests();
    assert_eq!(log.len(), 41);
    let api_cut = format!("/client/v4{}", &long[..1024 - 5 - 10]) + "<cut>";
    for (i, r) in log[..40].iter().enumerate() {
        assert!(r.path().len() <= 1024, "{}", r.path().len());
        let want = if i % 2 == 0 { &cut } else { &api_cut };
        assert_eq!(r.path(), want.as_str());
    }
    assert_eq!(log[40].path(), "/<token>");
    let total: usize = log.iter().map(|r| r.path().len()).sum();
    assert_eq!(total, 40 * 1024 + "/<token>".len());
}

// 2. The clock.

#[tokio::test]
async fn the_clock_refuses_instants_outside_1970_to_9999_and_expired_tokens_stay_expired() {
    let e = emulator().await;
    let signer = created_signer(&e).await;
    let expired = mint(&signer, NOW - 7200, &TokenOptions::default());
    assert_eq!(
        verdict(&e, &expired, "iframe").await,
        (401, reason("expired"))
    );
    let url = format!("{}/clock", e.control_base_url());
    let range = "the clock must stay within unix 0..=253402300799 \
                 (1970-01-01T00:00:00Z..=9999-12-31T23:59:59Z)";
    for body in [
        json!({ "now": 253_402_300_800_i64 }),
        json!({ "now": i64::MAX }),
        json!({ "now": -1 }),
        json!({ "now": i64::MIN }),
        json!({ "advance_secs": 10_000_000_000_000_i64 }),
        json!({ "advance_secs": i64::MAX }),
        json!({ "advance_secs": i64::MIN }),
        json!({ "advance_secs": -NOW - 1 }),
    ] {
        let (status, _, text) = raw(
            Method::POST,
            &url,
            &[("content-type", "application/json")],
            &body.to_string(),
        )
        .await;
        assert_eq!(status, 400, "{body}");
        assert_eq!(
            serde_json::from_str::<Value>(&text).unwrap(),
            json!({ "error": range }),
            "{body}"
        );
        assert_eq!(e.now(), at(NOW), "{body}");
    }
    // A float is not a number of seconds.
    let (status, _, _) = raw(
        Method::POST,
        &url,
        &[("content-type", "application/json")],
        r#"{"advance_secs":1e13}"#,
    )
    .await;
    assert_eq!(status, 400);
    assert_eq!(e.now(), at(NOW));
    assert_eq!(
        verdict(&e, &expired, "iframe").await,
        (401, reason("expired"))
    );

    // The ends of the range are accepted.
    for (now, expect) in [(0, 0), (253_402_300_799_i64, 253_402_300_799_i64)] {
        let (status, _, text) = raw(
            Method::POST,
            &url,
            &[("content-type", "application/json")],
            &json!({ "now": now }).to_string(),
        )
        .await;
        assert_eq!((status, text), (200, json!({ "now": expect }).to_string()));
    }
    assert_eq!(
        verdict(&e, &expired, "iframe").await,
        (401, reason("expired"))
    );

    // The handle's methods refuse the same.
    let max = OffsetDateTime::from_unix_timestamp(253_402_300_799).unwrap();
    assert_eq!(
        e.advance(Duration::from_secs(1)).unwrap_err().kind(),
        &ErrorKind::TimeOutOfRange
    );
    assert_eq!(
        e.advance(Duration::MAX).unwrap_err().kind(),
        &ErrorKind::TimeOutOfRange
    );
    assert_eq!(e.now(), max);
    assert_eq!(
        e.set_now(at(-1)).unwrap_err().kind(),
        &ErrorKind::TimeOutOfRange
    );
    assert_eq!(e.now(), max);
    e.set_now(at(NOW)).unwrap();
    e.advance(Duration::from_secs(60)).unwrap();
    assert_eq!(e.now(), at(NOW + 60));

    let err = Emulator::builder()
        .api_token(API_TOKEN)
        .clock_at(at(-1))
        .start()
        .await
        .unwrap_err();
    assert_eq!(err.kind(), IoKind::InvalidInput);
    assert_eq!(
        err.to_string(),
        "the clock must start within 1970-01-01T00:00:00Z..=9999-12-31T23:59:59Z"
    );
}

// 3. Who may drive the emulator.

#[tokio::test]
async fn the_control_endpoints_obey_only_loopback_hosts_and_pages_and_json() {
    let e = emulator().await;
    let signer = created_signer(&e).await;
    let control = e.control_base_url();
    let port = e.local_addr().port();
    let json_ct = ("content-type", "application/json");
    let refused = |reason: &str, error: &str| json!({ "error": error, "reason": reason });
    let foreign_host = refused(
        "foreign-host",
        "the emulator answers only requests whose Host is localhost, 127.0.0.0/8 or [::1]",
    );
    let foreign_origin = refused(
        "foreign-origin",
        "the emulator's control endpoints refuse requests from a web page that is not on localhost, 127.0.0.0/8 or [::1]",
    );
    let not_json = refused(
        "not-json",
        "control POSTs must be sent as Content-Type: application/json",
    );
    let video_body =
        json!({ "account": ACCOUNT, "video": other_video(), "public": true }).to_string();
    let evil_host = "rebind.evil.example";
    let evil_host_port = format!("rebind.evil.example:{port}");
    let evil_host_port = evil_host_port.as_str();
    let video_body = video_body.as_str();
    /// Method, path, headers, body; status, reason, answer.
    type Case<'a> = (
        Method,
        &'a str,
        Vec<(&'a str, &'a str)>,
        &'a str,
        u16,
        &'a str,
        &'a Value,
    );
    let cases: [Case<'_>; 9] = [
        // A cross-origin page's simple POST.
        (
            Method::POST,
            "/reset",
            vec![
                ("content-type", "text/plain"),
                ("origin", "http://evil.example"),
            ],
            "",
            403,
            "foreign-origin",
            &foreign_origin,
        ),
        // The same with JSON (a page cannot send it without a preflight,
        // but the origin alone refuses it).
        (
            Method::POST,
            "/reset",
            vec![json_ct, ("origin", "http://evil.example")],
            "",
            403,
            "foreign-origin",
            &foreign_origin,
        ),
        (
            Method::POST,
            "/reset",
            vec![json_ct, ("origin", "null")],
            "",
            403,
            "foreign-origin",
            &foreign_origin,
        ),
        // DNS rebinding: the page's own name, resolved to 127.0.0.1.
        (
            Method::POST,
            "/videos",
            vec![json_ct, ("host", evil_host)],
            video_body,
            403,
            "foreign-host",
            &foreign_host,
        ),
        (
            Method::POST,
            "/videos",
            vec![json_ct, ("host", evil_host_port)],
            video_body,
            403,
            "foreign-host",
            &foreign_host,
        ),
        (
            Method::GET,
            "/log",
            vec![("host", evil_host)],
            "",
            403,
            "foreign-host",
            &foreign_host,
        ),
        // Not JSON, or no type at all.
        (
            Method::POST,
            "/reset",
            vec![("content-type", "text/plain")],
            "",
            415,
            "not-json",
            &not_json,
        ),
        (
            Method::POST,
            "/reset",
            vec![],
            "",
            415,
            "not-json",
            &not_json,
        ),
        (
            Method::POST,
            "/videos",
            vec![("content-type", "application/x-www-form-urlencoded")],
            video_body,
            415,
            "not-json",
            &not_json,
        ),
    ];
    for (method, path, headers, body, status, why, answer) in cases {
        let got = raw(method, &format!("{control}{path}"), &headers, body).await;
        assert_eq!(
            (
                got.0,
                got.1.as_deref(),
                serde_json::from_str::<Value>(&got.2).unwrap()
            ),
            (status, Some(why), answer.clone()),
            "{path} {headers:?}"
        );
    }
    // Nothing was obeyed: the key is still there, the video is not public.
    assert_eq!(e.keys(&account()), [*signer.kid()]);
    assert_eq!(
        verdict(&e, other_video().as_str(), "iframe").await,
        (401, reason("malformed"))
    );

    // Loopback names and pages, and JSON with parameters, are obeyed.
    let localhost = format!("localhost:{port}");
    let v6 = format!("[::1]:{port}");
    for headers in [
        vec![json_ct, ("host", localhost.as_str())],
        vec![json_ct, ("host", "127.0.0.2")],
        vec![json_ct, ("host", v6.as_str())],
        vec![json_ct, ("origin", "http://localhost:3000")],
        vec![
            ("content-type", "Application/JSON; charset=utf-8"),
            ("origin", "http://127.0.0.1:8080"),
        ],
    ] {
        let (status, _, text) = raw(
            Method::POST,
            &format!("{control}/videos"),
            &headers,
            video_body,
        )
        .await;
        assert_eq!(status, 200, "{headers:?}: {text}");
    }
    assert_eq!(verdict(&e, other_video().as_str(), "iframe").await.0, 200);
    let (status, _, _) = raw(Method::POST, &format!("{control}/reset"), &[json_ct], "").await;
    assert_eq!(status, 200);
    assert!(e.keys(&account()).is_empty());
}

#[tokio::test]
async fn the_api_answers_only_loopback_hosts_and_the_edge_any() {
    let e = emulator().await;
    let signer = created_signer(&e).await;
    let url = format!("{}/accounts/{ACCOUNT}/stream/keys", e.api_base_url());
    let auth = format!("Bearer {API_TOKEN}");
    let (status, why, text) = raw(
        Method::POST,
        &url,
        &[("host", "rebind.evil.example"), ("authorization", &auth)],
        "{}",
    )
    .await;
    assert_eq!((status, why.as_deref()), (403, Some("foreign-host")));
    assert_eq!(
        serde_json::from_str::<Value>(&text).unwrap(),
        json!({
            "result": null,
            "success": false,
            "errors": [{ "code": 1000, "message": "the emulator answers only requests whose Host is localhost, 127.0.0.0/8 or [::1]" }],
            "messages": [],
        })
    );
    assert_eq!(e.keys(&account()), [*signer.kid()]);
    // Refused before routing: not logged.
    assert_eq!(e.requests().len(), 1);
    let port = e.local_addr().port();
    for host in [
        format!("127.0.0.1:{port}"),
        format!("localhost:{port}"),
        "[::1]".to_owned(),
    ] {
        let (status, _, _) = raw(
            Method::GET,
            &url,
            &[("host", host.as_str()), ("authorization", &auth)],
            "",
        )
        .await;
        assert_eq!(status, 200, "{host}");
    }
    // The edge plays under any name (browser tests use their own).
    let token = mint(&signer, NOW, &TokenOptions::default());
    let (status, _, _) = raw(
        Method::GET,
        &format!("{}/{token}/iframe", e.playback_base_url()),
        &[("host", "customer-abc123.cloudflarestream.com")],
        "",
    )
    .await;
    assert_eq!(status, 200);
}

// 4. The state file.

#[cfg(unix)]
#[tokio::test]
async fn the_state_file_is_0600_and_planted_temporaries_are_left_alone() {
    use std::os::unix::fs::PermissionsExt as _;
    let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;

    // A link planted where the old temporary went.
    let dir = scratch("planted");
    let file = dir.join("state.json");
    let victim = dir.join("victim");
    std::fs::write(&victim, "untouched").unwrap();
    for name in ["state.tmp", "state.json.tmp"] {
        std::os::unix::fs::symlink(&victim, dir.join(name)).unwrap();
    }
    let e = with_state(&file).start().await.unwrap();
    created_signer(&e).await;
    drop(e);
    assert_eq!(std::fs::read_to_string(&victim).unwrap(), "untouched");
    for name in ["state.tmp", "state.json.tmp"] {
        let m = std::fs::symlink_metadata(dir.join(name)).unwrap();
        assert!(m.file_type().is_symlink(), "{name}");
    }
    assert_eq!(mode(&file), 0o600);
    assert!(
        !std::fs::symlink_metadata(&file)
            .unwrap()
            .file_type()
            .is_symlink()
    );
    let saved: Value = serde_json::from_str(&std::fs::read_to_string(&file).unwrap()).unwrap();
    assert_eq!(saved["keys"].as_array().unwrap().len(), 1);

    // A leftover world-readable temporary, and a state file made 0644.
    let dir = scratch("leftover");
    let file = dir.join("state.json");
    for name in ["state.tmp", "state.json"] {
        let p = dir.join(name);
        std::fs::write(
            &p,
            if name == "state.json" {
                r#"{"version":1,"keys":[],"videos":[]}"#
            } else {
                ""
            },
        )
        .unwrap();
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o644)).unwrap();
    }
    let e = with_state(&file).start().await.unwrap();
    // Written once at start: private from the first moment.
    assert_eq!(mode(&file), 0o600);
    created_signer(&e).await;
    drop(e);
    assert_eq!(mode(&file), 0o600);
    assert_eq!(std::fs::read(dir.join("state.tmp")).unwrap(), b"");
    std::fs::remove_dir_all(dir).unwrap();
}

#[tokio::test]
async fn a_second_emulator_on_the_same_state_file_refuses_to_start() {
    let dir = scratch("twice");
    let file = dir.join("state.json");
    let first = with_state(&file).start().await.unwrap();
    let err = with_state(&file).start().await.unwrap_err();
    assert_eq!(err.kind(), IoKind::WouldBlock);
    assert_eq!(
        err.to_string(),
        format!(
            "cannot lock the state file {} ({}.lock): another emulator uses it",
            file.display(),
            file.display()
        )
    );
    // The first one still serves and saves.
    let kept = created_signer(&first).await;
    drop(first);
    let again = with_state(&file).start().await.unwrap();
    assert_eq!(again.keys(&account()), [*kept.kid()]);
    drop(again);
    std::fs::remove_dir_all(dir).unwrap();
}

#[tokio::test]
async fn a_state_file_that_cannot_be_written_stops_start_up() {
    let dir = scratch("unwritable");
    // In a directory that does not exist: nothing to read, nothing can be
    // written.
    let missing = dir.join("missing").join("state.json");
    let err = with_state(&missing).start().await.unwrap_err();
    assert_eq!(err.kind(), IoKind::NotFound);
    assert!(
        err.to_string().starts_with(&format!(
            "cannot lock the state file {} ({}.lock): ",
            missing.display(),
            missing.display()
        )),
        "{err}"
    );
    // A link to a file in a directory that does not exist: it reads as
    // absent, and only writing it shows it cannot be.
    #[cfg(unix)]
    {
        let file = dir.join("state.json");
        std::os::unix::fs::symlink(dir.join("gone").join("state.json"), &file).unwrap();
        let err = with_state(&file).start().await.unwrap_err();
        assert!(
            err.to_string()
                .starts_with(&format!("cannot write the state file {}: ", file.display())),
            "{err}"
        );
    }
    // Below a regular file.
    let plain = dir.join("plain");
    std::fs::write(&plain, "").unwrap();
    assert!(with_state(&plain.join("state.json")).start().await.is_err());
    std::fs::remove_dir_all(dir).unwrap();
}

#[tokio::test]
async fn a_create_delete_or_token_key_whose_state_cannot_be_saved_is_undone() {
    let dir = scratch("rollback");
    let file = dir.join("state.json");
    let e = with_state(&file).start().await.unwrap();
    let kept = created_signer(&e).await;
    let token = mint(&kept, NOW, &TokenOptions::default());
    // The directory goes: from now on no save can succeed.
    std::fs::remove_dir_all(&dir).unwrap();
    let failed = json!({
        "result": null,
        "success": false,
        "errors": [{ "code": 1000, "message": "the emulator could not write its state file" }],
        "messages": [],
    });
    let keys = format!("/accounts/{ACCOUNT}/stream/keys");
    let (status, _, body) = api_call(&e, Method::POST, &keys, Some(json!({}))).await;
    assert_eq!((status, &body), (500, &failed));
    assert_eq!(e.keys(&account()), [*kept.kid()]);
    let (status, _, body) = api_call(&e, Method::GET, &keys, None).await;
    assert_eq!(status, 200);
    assert_eq!(body["result"].as_array().unwrap().len(), 1);

    let (status, _, body) =
        api_call(&e, Method::DELETE, &format!("{keys}/{}", kept.kid()), None).await;
    assert_eq!((status, &body), (500, &failed));
    assert_eq!(e.keys(&account()), [*kept.kid()]);
    assert_eq!(verdict(&e, &token, "iframe").await.0, 200);

    // The token endpoint's own key is not kept either: a later call makes
    // (and tries to save) a new one.
    let (status, _, body) = api_call(
        &e,
        Method::POST,
        &format!("/accounts/{ACCOUNT}/stream/{VIDEO}/token"),
        None,
    )
    .await;
    assert_eq!((status, &body), (500, &failed));
    let log = e.requests();
    let decisions: Vec<&str> = log[1..].iter().map(|r| r.decision()).collect();
    assert_eq!(
        decisions,
        [
            "state-file-error",
            "ok",
            "state-file-error",
            "ok",
            "state-file-error"
        ]
    );
}

// 5. Loading.

fn key_record(account: &str) -> Value {
    json!({
        "account": account,
        "id": DEMO_KID,
        "created": NOW,
        "plays_from": NOW,
        "revoked": false,
        "public_jwk": text("demo/demo_public.jwk.json"),
    })
}

#[tokio::test]
async fn a_state_file_naming_a_key_twice_is_refused() {
    let dir = scratch("twice-listed");
    let file = dir.join("state.json");
    let other = "0000000000000000000000000000cafe";
    for keys in [
        json!([key_record(ACCOUNT), key_record(ACCOUNT)]),
        json!([key_record(ACCOUNT), key_record(other)]),
    ] {
        std::fs::write(
            &file,
            json!({ "version": 1, "keys": keys, "videos": [] }).to_string(),
        )
        .unwrap();
        let err = with_state(&file).start().await.unwrap_err();
        assert_eq!(err.kind(), IoKind::InvalidData);
        assert_eq!(
            err.to_string(),
            "not an emulator state file: a key id appears more than once"
        );
    }
    // Once is fine.
    std::fs::write(
        &file,
        json!({ "version": 1, "keys": [key_record(ACCOUNT)], "videos": [] }).to_string(),
    )
    .unwrap();
    let e = with_state(&file).start().await.unwrap();
    assert_eq!(e.keys(&account()), [kid(DEMO_KID)]);
    drop(e);
    std::fs::remove_dir_all(dir).unwrap();
}

// 6. Empty credentials.

#[tokio::test]
async fn empty_credentials_are_refused_at_start() {
    for (builder, what) in [
        (Emulator::builder().api_token(""), "an API token"),
        (
            Emulator::builder()
                .api_token(API_TOKEN)
                .read_only_api_token(" "),
            "an API token",
        ),
        (
            Emulator::builder().global_api_key("a@b.example", ""),
            "a global API key",
        ),
        (Emulator::builder().global_api_key("", "key"), "an email"),
    ] {
        let err = builder.start().await.unwrap_err();
        assert_eq!(err.kind(), IoKind::InvalidInput);
        assert_eq!(
            err.to_string(),
            format!("{what} is empty: it would let requests without one in")
        );
    }
    let e = Emulator::builder()
        .global_api_key("a@b.example", "key")
        .start()
        .await
        .unwrap();
    let r = http()
        .get(format!(
            "{}/accounts/{ACCOUNT}/stream/keys",
            e.api_base_url()
        ))
        .header("x-auth-email", "a@b.example")
        .header("x-auth-key", "")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
}

// 7. Viewer headers and HEAD.

#[tokio::test]
async fn an_unreadable_viewer_header_is_refused_never_replaced() {
    let e = emulator().await;
    let signer = created_signer(&e).await;
    let block_loopback = mint(
        &signer,
        NOW,
        &TokenOptions::builder()
            .access_rule(AccessRule::networks(Action::Block, ["127.0.0.0/8"]).unwrap())
            .build()
            .unwrap(),
    );
    let open = mint(&signer, NOW, &TokenOptions::default());
    let expired = mint(&signer, NOW - 7200, &TokenOptions::default());
    let bad_ip = reason("bad-cf-connecting-ip");
    let bad_country = reason("bad-cf-ipcountry");
    for (token, headers, want) in [
        (
            &block_loopback,
            vec![("cf-connecting-ip", "not-an-ip")],
            (400, bad_ip.clone()),
        ),
        (
            &block_loopback,
            vec![("cf-connecting-ip", "")],
            (400, bad_ip.clone()),
        ),
        (
            &open,
            vec![("cf-connecting-ip", "203.0.113.9/24")],
            (400, bad_ip.clone()),
        ),
        (
            &expired,
            vec![("cf-connecting-ip", "1.2.3")],
            (400, bad_ip.clone()),
        ),
        (
            &open,
            vec![("cf-ipcountry", "ZZ")],
            (400, bad_country.clone()),
        ),
        (
            &open,
            vec![("cf-ipcountry", "")],
            (400, bad_country.clone()),
        ),
        (
            &open,
            vec![("cf-ipcountry", "GBR")],
            (400, bad_country.clone()),
        ),
        // Readable ones are used as before.
        (
            &block_loopback,
            vec![("cf-connecting-ip", "2001:db8::1")],
            (200, None),
        ),
        (
            &block_loopback,
            vec![("cf-connecting-ip", " 203.0.113.9 ")],
            (200, None),
        ),
        (&block_loopback, vec![], (403, reason("blocked-by-rule:1"))),
        (&open, vec![("cf-ipcountry", "T1")], (200, None)),
        (&open, vec![("cf-ipcountry", "XX")], (200, None)),
    ] {
        let p = play_as(&e, token, "iframe", &headers).await;
        assert_eq!((p.status, p.reason.clone()), want, "{headers:?}");
        if p.status == 400 {
            let why = p.reason.unwrap();
            assert_eq!(
                String::from_utf8(p.body).unwrap(),
                format!(
                    "refused: {why}\n(an emulator's model: Cloudflare does not document its refusal bodies)\n"
                )
            );
            assert!(Refusal::from_header_value(&why).is_some());
        }
    }
    let log = e.requests();
    let decisions: Vec<&str> = log[1..8].iter().map(|r| r.decision()).collect();
    assert_eq!(
        decisions,
        [
            "bad-cf-connecting-ip",
            "bad-cf-connecting-ip",
            "bad-cf-connecting-ip",
            "bad-cf-connecting-ip",
            "bad-cf-ipcountry",
            "bad-cf-ipcountry",
            "bad-cf-ipcountry",
        ]
    );
}

#[tokio::test]
async fn head_answers_as_get_would_without_the_body() {
    let e = emulator().await;
    let signer = created_signer(&e).await;
    let downloadable = mint(
        &signer,
        NOW,
        &TokenOptions::builder().downloadable(true).build().unwrap(),
    );
    let expired = mint(&signer, NOW - 7200, &TokenOptions::default());
    e.register_video(&account(), &other_video(), true).unwrap();
    let head_and_get = |path: String| {
        let url = format!("{}{path}", e.playback_base_url());
        async move {
            let get = http().get(&url).send().await.unwrap();
            let head = http().head(&url).send().await.unwrap();
            let view = |r: &reqwest::Response| {
                let h = |n: &str| r.headers().get(n).map(|v| v.to_str().unwrap().to_owned());
                (
                    r.status().as_u16(),
                    h("content-type"),
                    h("content-length"),
                    h("x-emulator-reason"),
                    h("content-disposition"),
                )
            };
            let (g, h) = (view(&get), view(&head));
            let get_len = get.bytes().await.unwrap().len();
            assert!(head.bytes().await.unwrap().is_empty(), "{url}");
            (g, h, get_len)
        }
    };
    for suffix in [
        "iframe",
        "watch",
        "manifest/video.m3u8",
        "manifest/video.mpd",
        "thumbnails/thumbnail.jpg",
        "thumbnails/thumbnail.gif",
        "downloads/default.mp4?filename=clip",
        "downloads/audio.m4a",
    ] {
        let (get, head, len) = head_and_get(format!("/{downloadable}/{suffix}")).await;
        assert_eq!(get.0, 200, "{suffix}");
        assert_eq!(head, get, "{suffix}");
        assert_eq!(head.2, Some(len.to_string()), "{suffix}");
    }
    // Refusals, public videos and the POST-only WebRTC surface alike.
    for (path, status) in [
        (format!("/{expired}/iframe"), 401),
        (format!("/{}/iframe", other_video()), 200),
        (format!("/{downloadable}/webRTC/play"), 405),
        ("/favicon.ico".to_owned(), 404),
    ] {
        let (get, head, _) = head_and_get(path.clone()).await;
        assert_eq!(get.0, status, "{path}");
        assert_eq!(head, get, "{path}");
    }
    // Only HEAD stands in for GET: another method on a GET surface is 405.
    let r = http()
        .post(format!("{}/{downloadable}/iframe", e.playback_base_url()))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 405);
    let log = e.requests();
    let heads: Vec<(&str, &str)> = log
        .iter()
        .filter(|r| r.method() == "HEAD")
        .map(|r| (r.path(), r.decision()))
        .collect();
    assert_eq!(heads.len(), 12);
    assert_eq!(heads[0], ("/<token>/iframe", "ok"));
    assert_eq!(heads[8], ("/<token>/iframe", "expired"));
    assert_eq!(heads[10], ("/<token>/webRTC/play", "method-not-allowed"));
}
