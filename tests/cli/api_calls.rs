//! What every API subcommand shares (permissions, scrubbed server texts,
//! limits, a closed standard output) and `token`.

use super::*;

#[tokio::test]
async fn a_403_names_the_permission_and_a_401_the_credentials() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(failure(
            403,
            json!([{"code": 10000, "message": "Authentication error"}]),
        ))
        .mount(&server)
        .await;
    Mock::given(method("DELETE"))
        .respond_with(failure(
            401,
            json!([{"code": 10000, "message": "Authentication error"}]),
        ))
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .respond_with(failure(
            403,
            json!([{"code": 10000, "message": "Authentication error"}]),
        ))
        .mount(&server)
        .await;
    assert_eq!(
        cli(&["keys", "list", "--account-id", ACCOUNT])
            .api(&server)
            .fails(1),
        "the credentials are valid but lack the \"Stream Read\" permission for this account: Cloudflare API: the credentials lack a permission this request needs (HTTP 403): Cloudflare answered HTTP 403: 10000 Authentication error"
    );
    assert_eq!(
        cli(&["token", "--account-id", ACCOUNT, "--video", VIDEO])
            .api(&server)
            .fails(1),
        "the credentials are valid but lack the \"Stream Write\" permission for this account: Cloudflare API: the credentials lack a permission this request needs (HTTP 403): Cloudflare answered HTTP 403: 10000 Authentication error"
    );
    assert_eq!(
        cli(&["keys", "delete", DEMO_KID, "--account-id", ACCOUNT])
            .api(&server)
            .fails(1),
        "Cloudflare API refused the credentials (wrong, expired or revoked): Cloudflare answered HTTP 401: 10000 Authentication error"
    );
}

#[tokio::test]
async fn a_credential_echoed_by_the_server_never_reaches_stderr() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(failure(
            400,
            json!([{"code": 6003, "message": format!("Invalid request headers: Authorization: Bearer {API_TOKEN}\n{}", "z".repeat(1000))}]),
        ))
        .mount(&server)
        .await;
    let msg = cli(&["keys", "list", "--account-id", ACCOUNT])
        .api(&server)
        .fails(1);
    assert_eq!(
        msg,
        format!(
            "Cloudflare API refused the request (HTTP 400): Cloudflare answered HTTP 400: 6003 Invalid request headers: Authorization: Bearer <redacted> {}…",
            // The first 308 characters (the bound and a margin for an
            // echo cut short) are scrubbed, and the cut is marked.
            "z".repeat(
                308 - format!("Invalid request headers: Authorization: Bearer {API_TOKEN}\n").len()
            )
        )
    );
}

#[tokio::test]
async fn token_refuses_a_remote_token_that_is_not_rs256() {
    let server = MockServer::start().await;
    let b64 = |s: &str| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(s);
    let hs256 = format!(
        "{}.{}.{}",
        b64(r#"{"alg":"HS256","kid":"e9db990a82666dd571c77f944a5c5c8d"}"#),
        b64(&format!(
            r#"{{"sub":"{VIDEO}","kid":"e9db990a82666dd571c77f944a5c5c8d","exp":{}}}"#,
            now() + 3600
        )),
        b64("0123456789abcdef0123456789abcdef")
    );
    Mock::given(method("POST"))
        .respond_with(ok(json!({ "token": hs256 })))
        .mount(&server)
        .await;
    let msg = cli(&["token", "--account-id", ACCOUNT, "--video", VIDEO])
        .api(&server)
        .fails(1);
    assert_eq!(
        msg,
        "Cloudflare API: invalid response: token algorithm is not RS256"
    );
}

#[test]
fn api_subcommands_take_timeout_and_retries_with_their_defaults() {
    for args in [
        &["keys", "create", "--help"][..],
        &["keys", "list", "--help"],
        &["keys", "delete", "--help"],
        &["token", "--help"],
    ] {
        let help = cli(args).ok();
        assert!(help.contains("--timeout <DUR>"), "{args:?}: {help}");
        assert!(help.contains("[default: 30s]"), "{args:?}: {help}");
        assert!(help.contains("--retries <N>"), "{args:?}: {help}");
        assert!(help.contains("[default: 2]"), "{args:?}: {help}");
    }
    assert_eq!(
        cli(&["keys", "list", "--account-id", ACCOUNT, "--timeout", "0"]).fails(2),
        "invalid value '0' for '--timeout <DUR>': invalid timeout \"0\": it must be more than zero and at most 1h"
    );
    assert_eq!(
        cli(&["keys", "list", "--account-id", ACCOUNT, "--retries", "11"]).fails(2),
        "invalid value '11' for '--retries <N>': 11 is not in 0..=10"
    );
}

#[tokio::test]
async fn timeout_and_retries_reach_the_client() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ok(json!([])).set_delay(std::time::Duration::from_secs(5)))
        .mount(&server)
        .await;
    let started = std::time::Instant::now();
    let msg = cli(&[
        "keys",
        "list",
        "--account-id",
        ACCOUNT,
        "--timeout",
        "1",
        "--retries",
        "0",
    ])
    .api(&server)
    .fails(1);
    assert!(started.elapsed() < std::time::Duration::from_secs(4));
    assert!(
        msg.starts_with("Cloudflare API: request timed out"),
        "{msg}"
    );
    assert_eq!(requests(&server).await.len(), 1);

    server.reset().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(503))
        .mount(&server)
        .await;
    cli(&["keys", "list", "--account-id", ACCOUNT, "--retries", "3"])
        .api(&server)
        .fails(1);
    assert_eq!(requests(&server).await.len(), 4);
}

/// Run with standard output a pipe whose reader is gone before anything
/// is written: exit 0, nothing on stderr.
fn with_closed_stdout(mut cmd: Command, stdin: Option<&str>) {
    use std::io::Write as _;
    cmd.stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .stdin(if stdin.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        });
    let mut child = cmd.spawn().unwrap();
    drop(child.stdout.take());
    if let Some(text) = stdin {
        let mut input = child.stdin.take().unwrap();
        input.write_all(text.as_bytes()).unwrap();
    }
    let out = child.wait_with_output().unwrap();
    assert_eq!(String::from_utf8_lossy(&out.stderr), "");
    assert_eq!(out.status.code(), Some(0));
}

#[tokio::test]
async fn a_closed_stdout_is_a_quiet_success() {
    let server = MockServer::start().await;
    let many: Vec<Value> = (0..3000)
        .map(|i| json!({"id": format!("{i:032x}"), "created": "2014-01-02T02:20:00Z"}))
        .collect();
    Mock::given(method("GET"))
        .respond_with(ok(Value::Array(many)).set_delay(std::time::Duration::from_millis(300)))
        .mount(&server)
        .await;
    let mut list = Command::new(BIN);
    list.args(["keys", "list", "--account-id", ACCOUNT])
        .env_clear()
        .env("CLOUDFLARE_BASE_URL", server.uri())
        .env("CLOUDFLARE_API_TOKEN", API_TOKEN);
    with_closed_stdout(list, None);

    // A local command: its input arrives only after the reader is gone.
    let token = minted_now(&TokenOptions::default());
    let mut inspect = Command::new(BIN);
    inspect.args(["inspect", "-"]).env_clear();
    with_closed_stdout(inspect, Some(&token));
    let mut help = Command::new(BIN);
    help.args(["keys", "create", "--help"]).env_clear();
    with_closed_stdout(help, None);
}

// ---- token ----

#[tokio::test]
async fn token_is_made_by_the_api_with_the_options_given() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(token_path()))
        .respond_with(MintFromBody)
        .expect(2)
        .mount(&server)
        .await;

    let token = cli(&["token", "--account-id", ACCOUNT, "--video", VIDEO])
        .api(&server)
        .ok();
    let claims = demo_verifier().verify(&token).unwrap();

    let nbf = now() - 60;
    let out = cli(&[
        "token",
        "--account-id",
        ACCOUNT,
        "--video",
        VIDEO,
        "--ttl",
        "30m",
        "--nbf",
        &nbf.to_string(),
        "--downloadable",
        "--rule",
        "allow:country=GB",
        "--rule",
        "block:any",
        "--json",
    ])
    .api(&server)
    .ok();
    let v = json_of(&out);
    assert_eq!(v["sub"], json!(VIDEO));
    assert_eq!(v["nbf"], json!(nbf));

    let reqs = requests(&server).await;
    let body = |i: usize| String::from_utf8(reqs[i].body.clone()).unwrap();
    assert_eq!(body(0), format!(r#"{{"exp":{}}}"#, claims.exp()));
    assert_eq!(
        body(1),
        format!(
            concat!(
                r#"{{"exp":{},"nbf":{},"downloadable":true,"accessRules":["#,
                r#"{{"type":"ip.geoip.country","action":"allow","country":["GB"]}},"#,
                r#"{{"type":"any","action":"block"}}]}}"#
            ),
            v["exp"], nbf
        )
    );
    for req in &reqs {
        let body = String::from_utf8(req.body.clone()).unwrap();
        assert!(!body.contains("pem"), "a key was sent: {body}");
    }
    // The token policy is checked before any request.
    let msg = cli(&[
        "token",
        "--account-id",
        ACCOUNT,
        "--video",
        VIDEO,
        "--exp",
        "1700000000",
    ])
    .api(&server)
    .fails(1);
    assert!(
        msg.starts_with("exp 2023-11-14T22:13:20Z is not after"),
        "{msg}"
    );
    assert_eq!(requests(&server).await.len(), 2);
}

#[test]
fn an_unreachable_api_is_one_line_too() {
    // A port that was free a moment ago: the connection is refused, retried
    // (list is safe to repeat) and reported.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let msg = cli(&["keys", "list", "--account-id", ACCOUNT])
        .env("CLOUDFLARE_BASE_URL", &format!("http://127.0.0.1:{port}"))
        .env("CLOUDFLARE_API_TOKEN", API_TOKEN)
        .fails(1);
    assert!(
        msg.starts_with("Cloudflare API: connection failed: "),
        "{msg}"
    );
}
