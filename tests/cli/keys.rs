//! `keys create|list|delete` against a server on 127.0.0.1.

use super::*;

#[tokio::test]
async fn keys_create_saves_the_key_0600_and_prints_id_and_created() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(keys_path()))
        .respond_with(ok(json("demo/demo_create_result.json")))
        .expect(1)
        .mount(&server)
        .await;
    let dir = TempDir::new();
    let out = dir.path("stream-key.json");

    let printed = cli(&[
        "keys",
        "create",
        "--account-id",
        ACCOUNT,
        "--out",
        path_str(&out),
    ])
    .api(&server)
    .ok();
    assert_eq!(
        printed,
        format!(r#"{{"id":"{DEMO_KID}","created":"2026-11-01T12:00:00Z"}}"#)
    );
    for secret in demo_secrets() {
        assert!(!printed.contains(&secret));
    }
    let req = &requests(&server).await[0];
    assert_eq!(req.body, b"{}");

    let saved = std::fs::read_to_string(&out).unwrap();
    assert_eq!(json_of(&saved), json("demo/demo_create_result.json"));
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let mode = std::fs::metadata(&out).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    // What was saved is a key the other commands read as it is.
    let token = cli(&["mint", "--key", path_str(&out), "--video", VIDEO]).ok();
    demo_verifier().verify(&token).unwrap();
    assert_eq!(
        SigningKey::parse(&saved, None).unwrap().kid().as_str(),
        DEMO_KID
    );
}

#[tokio::test]
async fn keys_create_refuses_an_existing_file_before_any_request() {
    let server = MockServer::start().await;
    let dir = TempDir::new();
    let out = dir.path("existing.json");
    std::fs::write(&out, "keep me").unwrap();

    let msg = cli(&[
        "keys",
        "create",
        "--account-id",
        ACCOUNT,
        "--out",
        path_str(&out),
    ])
    .api(&server)
    .fails(1);
    assert_eq!(
        msg,
        format!(
            "--out {:?} already exists; refusing to overwrite it (no key was created)",
            path_str(&out)
        )
    );
    assert!(requests(&server).await.is_empty());
    assert_eq!(std::fs::read_to_string(&out).unwrap(), "keep me");

    // A directory that does not exist: also refused before any request.
    let nowhere = dir.path("no/such/dir/key.json");
    let msg = cli(&[
        "keys",
        "create",
        "--account-id",
        ACCOUNT,
        "--out",
        path_str(&nowhere),
    ])
    .api(&server)
    .fails(1);
    assert!(msg.ends_with("(no key was created)"), "{msg}");
    assert!(requests(&server).await.is_empty());
}

#[tokio::test]
async fn keys_create_refused_by_cloudflare_leaves_no_file() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(keys_path()))
        .respond_with(failure(
            403,
            json!([{"code": 10000, "message": "Authentication error"}]),
        ))
        .expect(1)
        .mount(&server)
        .await;
    let dir = TempDir::new();
    let out = dir.path("stream-key.json");
    let msg = cli(&[
        "keys",
        "create",
        "--account-id",
        ACCOUNT,
        "--out",
        path_str(&out),
    ])
    .api(&server)
    .fails(1);
    assert_eq!(
        msg,
        "the credentials are valid but lack the \"Stream Write\" permission for this account: Cloudflare API: the credentials lack a permission this request needs (HTTP 403): Cloudflare answered HTTP 403: 10000 Authentication error"
    );
    assert!(!out.exists());
}

#[tokio::test]
async fn keys_list_and_delete() {
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
    let key_path = format!("{}/{DEMO_KID}", keys_path());
    Mock::given(method("DELETE"))
        .and(path(key_path.as_str()))
        .respond_with(ok(json!("Revoked")))
        .expect(1)
        .mount(&server)
        .await;

    assert_eq!(
        cli(&["keys", "list", "--account-id", ACCOUNT])
            .api(&server)
            .ok(),
        format!(
            r#"[{{"id":"{DEMO_KID}","created":"2014-01-02T02:20:00Z"}},{{"id":"{OTHER_KID}","created":"2024-05-06T07:08:09.123Z"}}]"#
        )
    );
    assert_eq!(
        cli(&["keys", "delete", DEMO_KID, "--account-id", ACCOUNT])
            .api(&server)
            .ok(),
        format!(r#"{{"id":"{DEMO_KID}","deleted":true}}"#)
    );
    let reqs = requests(&server).await;
    assert_eq!(reqs[1].method.as_str(), "DELETE");
    assert_eq!(reqs[1].url.path(), key_path);
}

#[tokio::test]
async fn api_errors_show_cloudflares_codes_and_messages() {
    let server = MockServer::start().await;
    Mock::given(method("DELETE"))
        .respond_with(failure(
            404,
            json!([{"code": 10003, "message": "Signing key not found"}]),
        ))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .respond_with(
            failure(
                503,
                json!([{"code": 10002, "message": "Service\nunavailable"}]),
            )
            .insert_header("retry-after", "0"),
        )
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .respond_with(failure(
            400,
            json!([
                {"code": 10005, "message": "exp is too far in the future"},
                {"code": 10006, "message": "second"}
            ]),
        ))
        .mount(&server)
        .await;

    assert_eq!(
        cli(&["keys", "delete", DEMO_KID, "--account-id", ACCOUNT])
            .api(&server)
            .fails(1),
        "Cloudflare API: not found: Cloudflare answered HTTP 404: 10003 Signing key not found"
    );
    // Retried (Retry-After: 0), then reported; a newline in Cloudflare's
    // message does not break the one line.
    assert_eq!(
        cli(&["keys", "list", "--account-id", ACCOUNT])
            .api(&server)
            .fails(1),
        "Cloudflare API: server error (HTTP 503); retry after 0 s: Cloudflare answered HTTP 503: 10002 Service unavailable"
    );
    assert_eq!(
        cli(&["token", "--account-id", ACCOUNT, "--video", VIDEO])
            .api(&server)
            .fails(1),
        "Cloudflare API refused the request (HTTP 400): Cloudflare answered HTTP 400: 10005 exp is too far in the future; 10006 second"
    );
}

#[tokio::test]
async fn api_commands_need_credentials_and_an_account() {
    let server = MockServer::start().await;
    let missing = "no Cloudflare credentials: set CLOUDFLARE_API_TOKEN (or CLOUDFLARE_EMAIL and CLOUDFLARE_API_KEY)";
    let dir = TempDir::new();
    let out = dir.path("k.json");
    for args in [
        &["keys", "list", "--account-id", ACCOUNT][..],
        &["keys", "delete", DEMO_KID, "--account-id", ACCOUNT],
        &[
            "keys",
            "create",
            "--account-id",
            ACCOUNT,
            "--out",
            path_str(&out),
        ],
        &["token", "--account-id", ACCOUNT, "--video", VIDEO],
    ] {
        assert_eq!(
            cli(args)
                .env("CLOUDFLARE_BASE_URL", &server.uri())
                .env("CLOUDFLARE_EMAIL", "ops@example.com")
                .fails(1),
            missing,
            "{args:?}"
        );
        let mut no_account: Vec<&str> = args.to_vec();
        let at = no_account
            .iter()
            .position(|a| *a == "--account-id")
            .unwrap();
        no_account.drain(at..at + 2);
        assert_eq!(
            cli(&no_account).api(&server).fails(2),
            "the following required arguments were not provided: --account-id <ACCT>",
            "{args:?}"
        );
    }
    assert!(!out.exists());
    assert!(requests(&server).await.is_empty());

    assert_eq!(
        cli(&["keys", "list", "--account-id", ACCOUNT])
            .env("CLOUDFLARE_API_TOKEN", API_TOKEN)
            .env("CLOUDFLARE_BASE_URL", "http://api.example.com/client/v4")
            .fails(1),
        "CLOUDFLARE_BASE_URL: invalid configuration: base URL must be https (plain http only to a loopback address)"
    );
    assert_eq!(
        cli(&["keys", "list", "--account-id", "023e105f/../x"]).fails(2),
        "invalid value '023e105f/../x' for '--account-id <ACCT>': invalid account id: expected 1 to 32 of A-Z, a-z, 0-9, '-' or '_'"
    );
}

#[tokio::test]
async fn the_legacy_email_and_global_key_work_too() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(keys_path()))
        .respond_with(ok(json!([])))
        .expect(1)
        .mount(&server)
        .await;
    assert_eq!(
        cli(&["keys", "list"])
            .env("CLOUDFLARE_BASE_URL", &server.uri())
            .env("CLOUDFLARE_ACCOUNT_ID", ACCOUNT)
            .env("CLOUDFLARE_EMAIL", "ops@example.com")
            .env("CLOUDFLARE_API_KEY", "144c9defac04969c7bfad8efaa8ea194")
            .ok(),
        "[]"
    );
    let req = &requests(&server).await[0];
    assert_eq!(req.headers.get("x-auth-email").unwrap(), "ops@example.com");
    assert_eq!(
        req.headers.get("x-auth-key").unwrap(),
        "144c9defac04969c7bfad8efaa8ea194"
    );
    assert!(req.headers.get("authorization").is_none());
}

fn create_in(dir: &TempDir, server: &MockServer, extra: &[&str]) -> (PathBuf, Cli) {
    let out = dir.path("stream-key.json");
    let mut args = vec!["keys", "create", "--account-id", ACCOUNT, "--out"];
    let out_str = path_str(&out).to_owned();
    args.push(&out_str);
    args.extend_from_slice(extra);
    let run = cli(&args).api(server);
    (out, run)
}

#[cfg(unix)]
fn mode_of(p: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt as _;
    std::fs::metadata(p).unwrap().permissions().mode() & 0o777
}

#[tokio::test]
async fn keys_create_keeps_an_unusable_key_and_says_how_to_delete_it() {
    let server = MockServer::start().await;
    let result = json("bad/response_pem_jwk_mismatch.json");
    Mock::given(method("POST"))
        .respond_with(ok(result.clone()))
        .expect(1)
        .mount(&server)
        .await;
    let dir = TempDir::new();
    let (out, run) = create_in(&dir, &server, &[]);
    assert_eq!(
        run.fails(1),
        format!(
            "signing key {OTHER_KID} was created at Cloudflare, but it is unusable: \
             create-key response's pem and jwk are not the same key; its answer was saved as \
             received to {:?}; delete it with `cf-stream-token keys delete {OTHER_KID} \
             --account-id {ACCOUNT}`",
            path_str(&out)
        )
    );
    // The answer exactly as received, owner-only.
    assert_eq!(
        std::fs::read_to_string(&out).unwrap(),
        format!("{}\n", serde_json::to_string(&result).unwrap())
    );
    #[cfg(unix)]
    assert_eq!(mode_of(&out), 0o600);

    // An id the crate refuses: the key exists, its id is not echoed.
    server.reset().await;
    let mut bad_id = json("demo/demo_create_result.json");
    bad_id["id"] = json!("../keys");
    Mock::given(method("POST"))
        .respond_with(ok(bad_id.clone()))
        .mount(&server)
        .await;
    let dir = TempDir::new();
    let (out, run) = create_in(&dir, &server, &[]);
    assert_eq!(
        run.fails(1),
        format!(
            "Cloudflare answered with success, so a signing key was created (its id could not \
             be read), but it is unusable: Cloudflare API: invalid response: id is not a key id; \
             its answer was saved as received to {:?}; find it with `cf-stream-token keys list \
             --account-id {ACCOUNT}` and delete it with `cf-stream-token keys delete ID \
             --account-id {ACCOUNT}`",
            path_str(&out)
        )
    );
    assert_eq!(json_of(&std::fs::read_to_string(&out).unwrap()), bad_id);
}

#[tokio::test]
async fn keys_create_whose_created_is_not_rfc_3339_still_saves_and_prints_the_key() {
    let server = MockServer::start().await;
    let mut result = json("demo/demo_create_result.json");
    result["created"] = json!("yesterday");
    Mock::given(method("POST"))
        .respond_with(ok(result.clone()))
        .mount(&server)
        .await;
    let dir = TempDir::new();
    let (out, run) = create_in(&dir, &server, &[]);
    assert_eq!(
        run.ok(),
        format!(r#"{{"id":"{DEMO_KID}","created":null,"created_raw":"yesterday"}}"#)
    );
    assert_eq!(json_of(&std::fs::read_to_string(&out).unwrap()), result);
    let token = cli(&["mint", "--key", path_str(&out), "--video", VIDEO]).ok();
    demo_verifier().verify(&token).unwrap();
}

/// `keys create` prints the library's JSON form of a key, the one `keys
/// list` prints: a created key then listed reads the same, in either
/// shape of `created`.
#[tokio::test]
async fn keys_create_prints_a_key_as_keys_list_lists_it() {
    for created in [
        json!("2026-11-01T12:00:00Z"),
        json!("last tuesday"),
        json!(null),
    ] {
        let server = MockServer::start().await;
        let mut result = json("demo/demo_create_result.json");
        result["created"] = created.clone();
        Mock::given(method("POST"))
            .respond_with(ok(result))
            .mount(&server)
            .await;
        Mock::given(method("GET"))
            .and(path(keys_path()))
            .respond_with(ok(json!([{"id": DEMO_KID, "created": created}])))
            .mount(&server)
            .await;
        let dir = TempDir::new();
        let (_, run) = create_in(&dir, &server, &[]);
        let printed = run.ok();
        let listed = cli(&["keys", "list", "--account-id", ACCOUNT])
            .api(&server)
            .ok();
        assert_eq!(format!("[{printed}]"), listed, "created: {created}");
    }
}

#[tokio::test]
async fn keys_create_whose_answer_is_lost_says_a_key_may_exist_and_how_to_find_it() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(
            ok(json("demo/demo_create_result.json")).set_delay(std::time::Duration::from_secs(4)),
        )
        .expect(1)
        .mount(&server)
        .await;
    let dir = TempDir::new();
    let (out, run) = create_in(&dir, &server, &["--timeout", "1s"]);
    let started = std::time::Instant::now();
    let msg = run.fails(1);
    assert!(started.elapsed() < std::time::Duration::from_secs(3));
    let expected = format!(
        "the create-key request timed out after it was sent, so a signing key may have been \
         created at Cloudflare without its private half reaching this machine; \
         `cf-stream-token keys list --account-id {ACCOUNT}` shows it, and \
         `cf-stream-token keys delete ID --account-id {ACCOUNT}` deletes it: Cloudflare API: \
         the create-key request timed out after it was sent: a signing key may have been \
         created; listing the keys shows it"
    );
    assert!(msg.starts_with(&expected), "{msg}");
    // Nothing arrived, so nothing is left behind; and it was sent once.
    assert!(!out.exists());
    assert_eq!(requests(&server).await.len(), 1);
}

#[tokio::test]
async fn keys_create_is_sent_again_after_a_429_as_retries_allow() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(429).insert_header("retry-after", "0"))
        .up_to_n_times(1)
        .with_priority(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .respond_with(ok(json("demo/demo_create_result.json")))
        .mount(&server)
        .await;
    let dir = TempDir::new();
    let (out, run) = create_in(&dir, &server, &[]);
    run.ok();
    assert!(out.exists());
    assert_eq!(requests(&server).await.len(), 2);

    // --retries 0: the 429 is the answer.
    server.reset().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(429).insert_header("retry-after", "0"))
        .mount(&server)
        .await;
    let dir = TempDir::new();
    let (out, run) = create_in(&dir, &server, &["--retries", "0"]);
    assert_eq!(
        run.fails(1),
        "Cloudflare API: rate limited; retry after 0 s: Cloudflare answered HTTP 429 with a body that is not an API envelope (0 bytes)"
    );
    assert!(!out.exists());
    assert_eq!(requests(&server).await.len(), 1);
}

#[tokio::test]
async fn keys_list_shows_an_odd_created_raw_and_the_other_keys() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ok(json!([
            {"id": DEMO_KID, "created": "2014-01-02T02:20:00Z"},
            {"id": OTHER_KID, "created": "last tuesday"},
            {"id": "abc"}
        ])))
        .mount(&server)
        .await;
    assert_eq!(
        cli(&["keys", "list", "--account-id", ACCOUNT])
            .api(&server)
            .ok(),
        format!(
            r#"[{{"id":"{DEMO_KID}","created":"2014-01-02T02:20:00Z"}},{{"id":"{OTHER_KID}","created":null,"created_raw":"last tuesday"}},{{"id":"abc","created":null}}]"#
        )
    );
}

/// A create-key answer whose `result` is `raw`, byte for byte.
fn raw_answer(raw: &str) -> ResponseTemplate {
    let body = format!(r#"{{"success":true,"errors":[],"messages":[],"result":  {raw}  }}"#);
    ResponseTemplate::new(200).set_body_raw(body.into_bytes(), "application/json")
}

#[tokio::test]
async fn keys_create_saves_the_raw_result_before_checking_it() {
    let pem_1024 = base64::engine::general_purpose::STANDARD.encode(bytes("bad/rsa1024_pkcs1.pem"));
    // Spaced and ordered as no JSON library would write them again.
    let small = format!("{{ \"id\" : \"{OTHER_KID}\",\n  \"pem\" : \"{pem_1024}\" }}");
    let junk = format!("{{\"pem\":\"bm90IGEga2V5\",  \"id\":\"{OTHER_KID}\"}}");
    for (raw, cause) in [
        (&small, "RSA key is 1024 bits; at least 2048 are required"),
        (&junk, "wrong key form: expected base64 of a PEM key"),
    ] {
        let server = MockServer::start().await;
        Mock::given(method("POST"))
            .and(path(keys_path()))
            .respond_with(raw_answer(raw))
            .expect(1)
            .mount(&server)
            .await;
        let dir = TempDir::new();
        let (out, run) = create_in(&dir, &server, &[]);
        let msg = run.fails(1);
        assert_eq!(
            msg,
            format!(
                "signing key {OTHER_KID} was created at Cloudflare, but it is unusable: {cause}; \
                 its answer was saved as received to {:?}; delete it with \
                 `cf-stream-token keys delete {OTHER_KID} --account-id {ACCOUNT}`",
                path_str(&out)
            )
        );
        assert!(!msg.contains("bm90IGEga2V5") && !msg.contains(&pem_1024[..40]));
        // The bytes Cloudflare sent, then the newline the file always ends with.
        assert_eq!(
            std::fs::read(&out).unwrap(),
            format!("{raw}\n").into_bytes()
        );
        #[cfg(unix)]
        assert_eq!(mode_of(&out), 0o600);
    }
}
