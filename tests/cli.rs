//! The `cf-stream-token` binary run as a process, as scripts run it: every
//! subcommand, every refusal, every exit path. The API subcommands talk to
//! a real HTTP server on 127.0.0.1.
//!
//! Each run starts from an empty environment, so that nothing on the
//! machine (a real `CLOUDFLARE_API_TOKEN`, say) leaks in.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};

use base64::Engine as _;
use cf_stream_token::{
    Clock as _, SigningKey, SystemClock, TokenOptions, Verifier, decode_unverified,
};
use serde_json::{Value, json};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, Request};

use crate::api::{ACCOUNT, API_TOKEN, MintFromBody, failure, keys_path, ok, token_path};
use crate::common::*;

const BIN: &str = env!("CARGO_BIN_EXE_cf-stream-token");

/// A run of the binary, built up like `std::process::Command`.
struct Cli {
    cmd: Command,
    stdin: Option<String>,
}

fn cli(args: &[&str]) -> Cli {
    let mut cmd = Command::new(BIN);
    cmd.args(args)
        .env_clear()
        .current_dir(env!("CARGO_MANIFEST_DIR"));
    Cli { cmd, stdin: None }
}

/// What a run gave.
struct Run {
    code: Option<i32>,
    stdout: String,
    stderr: String,
}

impl Cli {
    fn env(mut self, name: &str, value: &str) -> Self {
        self.cmd.env(name, value);
        self
    }

    fn api(self, server: &MockServer) -> Self {
        self.env("CLOUDFLARE_BASE_URL", &server.uri())
            .env("CLOUDFLARE_API_TOKEN", API_TOKEN)
    }

    fn stdin(mut self, text: &str) -> Self {
        self.stdin = Some(text.to_owned());
        self
    }

    fn run(mut self) -> Run {
        use std::io::Write as _;
        self.cmd
            .stdin(if self.stdin.is_some() {
                Stdio::piped()
            } else {
                Stdio::null()
            })
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = self.cmd.spawn().expect("the binary starts");
        if let Some(text) = self.stdin.take() {
            child
                .stdin
                .take()
                .unwrap()
                .write_all(text.as_bytes())
                .unwrap();
        }
        let out = child.wait_with_output().unwrap();
        Run {
            code: out.status.code(),
            stdout: String::from_utf8(out.stdout).unwrap(),
            stderr: String::from_utf8(out.stderr).unwrap(),
        }
    }

    /// Exit 0, nothing on stderr: the output, less its final newline.
    fn ok(self) -> String {
        let run = self.run();
        assert_eq!(run.code, Some(0), "stderr: {}", run.stderr);
        assert_eq!(run.stderr, "");
        let out = run
            .stdout
            .strip_suffix('\n')
            .expect("output ends in a newline");
        out.to_owned()
    }

    /// Exit `code`, nothing on stdout, one `error: ` line on stderr that
    /// shows no key material and no token: the message after `error: `.
    fn fails(self, code: i32) -> String {
        let run = self.run();
        assert_eq!(
            run.code,
            Some(code),
            "stdout: {} stderr: {}",
            run.stdout,
            run.stderr
        );
        assert_eq!(run.stdout, "", "stderr: {}", run.stderr);
        let line = run
            .stderr
            .strip_suffix('\n')
            .expect("the error ends in a newline");
        assert!(!line.contains('\n'), "more than one line: {line}");
        let message = line.strip_prefix("error: ").expect("starts with `error: `");
        assert!(!line.contains("eyJ"), "a token on stderr: {line}");
        assert!(!line.contains(API_TOKEN), "the API token on stderr: {line}");
        for secret in demo_secrets() {
            assert!(!line.contains(&secret), "key material on stderr: {line}");
        }
        message.to_owned()
    }
}

fn fixture(rel: &str) -> String {
    crate::common::path(rel).to_str().unwrap().to_owned()
}

fn now() -> i64 {
    SystemClock.now().unix_timestamp()
}

fn demo_verifier() -> Verifier {
    demo_signer().verifier()
}

fn json_of(text: &str) -> Value {
    serde_json::from_str(text).unwrap_or_else(|e| panic!("not JSON ({e}): {text}"))
}

/// A compact JWS from raw header and payload JSON, signed by `sign`.
fn forge(header: &str, payload: &str, sign: impl FnOnce(&[u8]) -> Vec<u8>) -> String {
    let b64 = |b: &[u8]| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(b);
    let input = format!("{}.{}", b64(header.as_bytes()), b64(payload.as_bytes()));
    let sig = sign(input.as_bytes());
    format!("{input}.{}", b64(&sig))
}

/// A directory of its own under the system's temporary directory, removed
/// when dropped.
struct TempDir(PathBuf);

impl TempDir {
    fn new() -> Self {
        static NEXT: AtomicU32 = AtomicU32::new(0);
        loop {
            let n = NEXT.fetch_add(1, Ordering::Relaxed);
            let dir = std::env::temp_dir()
                .join(format!("cf-stream-token-cli-{}-{n}", std::process::id()));
            if std::fs::create_dir(&dir).is_ok() {
                return TempDir(dir);
            }
        }
    }

    fn path(&self, name: &str) -> PathBuf {
        self.0.join(name)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn path_str(p: &Path) -> &str {
    p.to_str().unwrap()
}

async fn requests(server: &MockServer) -> Vec<Request> {
    server.received_requests().await.unwrap()
}

// ---- help, version, usage ----

const SUBCOMMANDS: [&[&str]; 10] = [
    &[],
    &["mint"],
    &["url"],
    &["verify"],
    &["inspect"],
    &["keys"],
    &["keys", "create"],
    &["keys", "list"],
    &["keys", "delete"],
    &["token"],
];

#[test]
fn every_subcommand_has_help_with_an_example_and_no_secret() {
    for sub in SUBCOMMANDS.iter().copied().chain([&["bench"][..]]) {
        let mut args = sub.to_vec();
        args.push("--help");
        let help = cli(&args)
            .env("CF_STREAM_SIGNING_KEY", "secret-key-contents-4c1d")
            .env("CF_STREAM_KEY_ID", "kid-from-env-9e2a")
            .env("CLOUDFLARE_API_TOKEN", "secret-api-token-77aa")
            .env("CLOUDFLARE_API_KEY", "secret-global-key-5b0c")
            .env("CLOUDFLARE_EMAIL", "ops@example.com")
            .env("CLOUDFLARE_ACCOUNT_ID", "account-from-env-31f0")
            .ok();
        assert!(help.contains("Example"), "{args:?}: {help}");
        for secret in [
            "secret-key-contents-4c1d",
            "kid-from-env-9e2a",
            "secret-api-token-77aa",
            "secret-global-key-5b0c",
            "account-from-env-31f0",
        ] {
            assert!(!help.contains(secret), "{args:?} shows {secret}");
        }
    }
    let top = cli(&["--help"]).ok();
    for line in ["0  success", "1  failure", "2  usage"] {
        assert!(top.contains(line), "{top}");
    }
}

#[test]
fn version() {
    assert_eq!(
        cli(&["--version"]).ok(),
        concat!("cf-stream-token ", env!("CARGO_PKG_VERSION"))
    );
}

#[test]
fn usage_errors_exit_2_on_one_line() {
    assert_eq!(
        cli(&[]).fails(2),
        "'cf-stream-token' requires a subcommand: mint, url, verify, inspect, keys, token, bench, emulate"
    );
    assert_eq!(
        cli(&["keys"]).fails(2),
        "'cf-stream-token keys' requires a subcommand: create, list, delete"
    );
    assert_eq!(
        cli(&["frobnicate"]).fails(2),
        "unrecognized subcommand 'frobnicate'"
    );
    assert_eq!(
        cli(&["mint", "--key", "k.json"]).fails(2),
        "the following required arguments were not provided: --video <UID>"
    );
    assert_eq!(
        cli(&["mint", "--video", "not-a-video"]).fails(2),
        "invalid value 'not-a-video' for '--video <UID>': invalid video id: expected 32 hexadecimal characters"
    );
    assert_eq!(
        cli(&["mint", "--video", VIDEO, "--colour"]).fails(2),
        "unexpected argument '--colour' found"
    );
    // A token where none belongs is not echoed.
    let token = text("golden/minimal.jwt");
    let msg = cli(&["inspect", token.trim(), "extra"]).fails(2);
    assert_eq!(msg, "unexpected argument 'extra' found");
    let msg = cli(&["inspect", "a", token.trim()]).fails(2);
    assert!(msg.contains("characters, not shown"), "{msg}");
}

// ---- mint ----

#[test]
fn mint_prints_the_token_alone() {
    let before = now();
    let out = cli(&[
        "mint",
        "--key",
        &fixture("demo/demo_create_result.json"),
        "--video",
        VIDEO,
    ])
    .ok();
    let after = now();
    let claims = demo_verifier().verify(&out).unwrap();
    assert_eq!(claims.video(), &video());
    assert_eq!(claims.kid().as_str(), DEMO_KID);
    assert!((before + 3600..=after + 3600).contains(&claims.exp()));
    assert_eq!(claims.nbf(), None);
    assert!(!claims.downloadable());
    assert!(claims.access_rules().is_empty());
}

#[test]
fn mint_reads_every_key_form() {
    let needs_kid = [
        "demo/demo_pkcs1.pem",
        "demo/demo_pkcs8.pem",
        "demo/demo_pkcs1.pem.b64",
        "demo/demo_pkcs8.pem.b64",
        "demo/demo_pkcs1_crlf.pem",
        "demo/demo_pkcs1.der",
        "demo/demo_pkcs8.der",
    ];
    let carries_kid = [
        "demo/demo.jwk.json",
        "demo/demo.jwk.b64",
        "demo/demo_create_result.json",
        "demo/demo_create_response.json",
    ];
    for rel in needs_kid {
        let key = fixture(rel);
        let token = cli(&[
            "mint", "--key", &key, "--key-id", DEMO_KID, "--video", VIDEO,
        ])
        .ok();
        assert_eq!(
            demo_verifier().verify(&token).unwrap().kid().as_str(),
            DEMO_KID
        );
        assert_eq!(
            cli(&["mint", "--key", &key, "--video", VIDEO]).fails(1),
            format!(
                "key file {:?}: this key form carries no key id; give one",
                key
            )
        );
    }
    for rel in carries_kid {
        let token = cli(&["mint", "--key", &fixture(rel), "--video", VIDEO]).ok();
        assert_eq!(
            demo_verifier().verify(&token).unwrap().kid().as_str(),
            DEMO_KID
        );
    }
}

#[test]
fn the_key_id_flag_beats_the_environment_and_must_agree_with_the_key() {
    let pem = fixture("demo/demo_pkcs1.pem");
    let jwk = fixture("demo/demo.jwk.json");
    let kid_of = |token: String| decode_unverified(&token).unwrap().1.kid().to_string();

    // PEM: the flag, else the environment.
    let t = cli(&[
        "mint", "--key", &pem, "--key-id", DEMO_KID, "--video", VIDEO,
    ])
    .env("CF_STREAM_KEY_ID", OTHER_KID)
    .ok();
    assert_eq!(kid_of(t), DEMO_KID);
    let t = cli(&["mint", "--key", &pem, "--video", VIDEO])
        .env("CF_STREAM_KEY_ID", DEMO_KID)
        .ok();
    assert_eq!(kid_of(t), DEMO_KID);

    // A key that names its own kid: a different one given is an error, from
    // the flag or from the environment.
    let mismatch = format!(
        "key file {jwk:?}: key id mismatch: expected \"{OTHER_KID}\", the key says \"{DEMO_KID}\""
    );
    assert_eq!(
        cli(&[
            "mint", "--key", &jwk, "--key-id", OTHER_KID, "--video", VIDEO
        ])
        .fails(1),
        mismatch
    );
    assert_eq!(
        cli(&["mint", "--key", &jwk, "--video", VIDEO])
            .env("CF_STREAM_KEY_ID", OTHER_KID)
            .fails(1),
        mismatch
    );
    // The same one is fine.
    cli(&[
        "mint", "--key", &jwk, "--key-id", DEMO_KID, "--video", VIDEO,
    ])
    .ok();

    assert_eq!(
        cli(&[
            "mint",
            "--key",
            &jwk,
            "--key-id",
            "no/slashes",
            "--video",
            VIDEO
        ])
        .fails(2),
        "invalid value 'no/slashes' for '--key-id <KID>': invalid key id: expected 1 to 32 of A-Z, a-z, 0-9, '-' or '_'"
    );
}

#[test]
fn the_key_can_come_from_the_environment_and_the_flag_wins() {
    let t = cli(&["mint", "--video", VIDEO])
        .env(
            "CF_STREAM_SIGNING_KEY",
            &text("demo/demo_create_result.json"),
        )
        .ok();
    demo_verifier().verify(&t).unwrap();
    let t = cli(&["mint", "--video", VIDEO])
        .env("CF_STREAM_SIGNING_KEY", &text("demo/demo_pkcs8.pem"))
        .env("CF_STREAM_KEY_ID", DEMO_KID)
        .ok();
    demo_verifier().verify(&t).unwrap();
    let t = cli(&[
        "mint",
        "--key",
        &fixture("demo/demo.jwk.json"),
        "--video",
        VIDEO,
    ])
    .env("CF_STREAM_SIGNING_KEY", &text("other/other.jwk.json"))
    .ok();
    demo_verifier().verify(&t).unwrap();
    assert_eq!(
        cli(&["mint", "--video", VIDEO])
            .env("CF_STREAM_SIGNING_KEY", &text("demo/demo_pkcs1.pem"))
            .fails(1),
        "CF_STREAM_SIGNING_KEY: this key form carries no key id; give one"
    );
    assert_eq!(
        cli(&["mint", "--video", VIDEO])
            .env("CF_STREAM_SIGNING_KEY", "not a key at all")
            .fails(1),
        "CF_STREAM_SIGNING_KEY: input is not a key: expected PEM, DER, base64 of PEM, a JWK or a create-key response"
    );
}

#[test]
fn unreadable_and_bad_key_files_are_named() {
    assert_eq!(
        cli(&["mint", "--key", "missing/stream-key.json", "--video", VIDEO]).fails(1),
        "key file \"missing/stream-key.json\": No such file or directory (os error 2)"
    );
    let cases = [
        (
            "bad/not_a_key.txt",
            "input is not a key: expected PEM, DER, base64 of PEM, a JWK or a create-key response",
        ),
        (
            "bad/truncated.pem",
            "PEM block is truncated: no matching END line",
        ),
        ("bad/oct.jwk.json", "not an RSA key (found oct)"),
        (
            "bad/jwk_wrong_dp.json",
            "RSA private key is inconsistent (its numbers do not belong together)",
        ),
        (
            "demo/demo_public_spki.pem",
            "a private key is required but only a public key was given",
        ),
    ];
    for (rel, why) in cases {
        let key = fixture(rel);
        assert_eq!(
            cli(&[
                "mint", "--key", &key, "--key-id", DEMO_KID, "--video", VIDEO
            ])
            .fails(1),
            format!("key file {key:?}: {why}")
        );
    }
    // Key contents pasted where a file name belongs are not echoed back,
    // whether clap takes them for an option (they start with `-`) or not.
    let pasted = text("demo/demo_pkcs1.pem");
    let msg = cli(&["mint", "--key", &pasted, "--video", VIDEO]).fails(2);
    assert!(msg.contains("characters, not shown"), "{msg}");
    let pasted = format!("--key={pasted}");
    let msg = cli(&["mint", &pasted, "--key-id", DEMO_KID, "--video", VIDEO]).fails(1);
    assert!(
        msg.starts_with("key file (not shown: it looks like key contents, not a file name): "),
        "{msg}"
    );
}

#[test]
fn mint_json() {
    let out = cli(&[
        "mint",
        "--key",
        &fixture("demo/demo.jwk.json"),
        "--video",
        VIDEO,
        "--json",
    ])
    .ok();
    let v = json_of(&out);
    let token = v["token"].as_str().unwrap();
    let claims = demo_verifier().verify(token).unwrap();
    // Members in the documented order, `nbf` null when absent.
    assert_eq!(
        out,
        format!(
            r#"{{"token":"{token}","kid":"{DEMO_KID}","sub":"{VIDEO}","exp":{},"nbf":null}}"#,
            claims.exp()
        )
    );

    let out = cli(&[
        "mint",
        "--key",
        &fixture("demo/demo.jwk.json"),
        "--video",
        VIDEO,
        "--nbf",
        "1700000000",
        "--json",
    ])
    .ok();
    assert_eq!(json_of(&out)["nbf"], json!(1_700_000_000));
}

#[test]
fn ttl_exp_nbf_downloadable() {
    let key = fixture("demo/demo.jwk.json");
    let mint = |extra: &[&str]| {
        let mut args = vec!["mint", "--key", &key, "--video", VIDEO];
        args.extend_from_slice(extra);
        let before = now();
        let token = cli(&args).ok();
        let after = now();
        let claims = decode_unverified(&token).unwrap().1;
        (before, claims, after)
    };
    for (ttl, secs) in [
        ("90", 90),
        ("90s", 90),
        ("30m", 1800),
        ("2h", 7200),
        ("1h30m", 5400),
        ("24h", 86_400),
    ] {
        let (before, claims, after) = mint(&["--ttl", ttl]);
        assert!(
            (before + secs..=after + secs).contains(&claims.exp()),
            "--ttl {ttl}"
        );
    }

    let exp = now() + 600;
    let nbf = now() - 60;
    let (_, claims, _) = mint(&[
        "--exp",
        &exp.to_string(),
        "--nbf",
        &nbf.to_string(),
        "--downloadable",
    ]);
    assert_eq!(claims.exp(), exp);
    assert_eq!(claims.nbf(), Some(nbf));
    assert!(claims.downloadable());

    let base = ["mint", "--key", key.as_str(), "--video", VIDEO];
    let with = |extra: &[&str]| {
        let mut args = base.to_vec();
        args.extend_from_slice(extra);
        cli(&args)
    };
    // Invalid by themselves: usage errors.
    assert_eq!(
        with(&["--ttl", "25h"]).fails(2),
        r#"invalid value '25h' for '--ttl <DUR>': invalid lifetime "25h": 90000 seconds exceeds the 24-hour cap"#
    );
    assert_eq!(
        with(&["--ttl", "0"]).fails(2),
        r#"invalid value '0' for '--ttl <DUR>': invalid lifetime "0": it must be more than zero"#
    );
    assert_eq!(
        with(&["--ttl", "2 hours"]).fails(2),
        r#"invalid value '2 hours' for '--ttl <DUR>': invalid duration "2 hours": units are h, m and s"#
    );
    assert_eq!(
        with(&["--ttl", "2h", "--exp", &exp.to_string()]).fails(2),
        "the argument '--ttl <DUR>' cannot be used with '--exp <UNIX>'"
    );
    assert_eq!(
        with(&["--exp", "100", "--nbf", "100"]).fails(2),
        "--nbf: nbf 100 is not before exp 100"
    );
    assert_eq!(
        with(&["--exp", "99999999999999"]).fails(2),
        "--exp 99999999999999 is out of range"
    );
    // Refused against the clock: failures.
    let msg = with(&["--exp", "1700000000"]).fails(1);
    assert!(
        msg.starts_with("exp 1700000000 is not after the signing time "),
        "{msg}"
    );
    let far = now() + 86_400 + 120;
    let msg = with(&["--exp", &far.to_string()]).fails(1);
    assert!(
        msg.starts_with(&format!(
            "exp {far} is more than 24 hours after the signing time"
        )),
        "{msg}"
    );
    let msg = with(&["--nbf", &(now() + 7200).to_string()]).fails(1);
    assert!(msg.contains("is not before exp"), "{msg}");
}

#[test]
fn rules_in_order() {
    let key = fixture("demo/demo.jwk.json");
    let mint = |rules: &[&str]| {
        let mut args = vec!["mint", "--key", &key, "--video", VIDEO];
        for r in rules {
            args.extend_from_slice(&["--rule", r]);
        }
        cli(&args)
    };
    let token = mint(&["allow:country=GB", "block:any"]).ok();
    let claims = demo_verifier().verify(&token).unwrap();
    assert_eq!(
        serde_json::to_string(claims.access_rules()).unwrap(),
        r#"[{"type":"ip.geoip.country","action":"allow","country":["GB"]},{"type":"any","action":"block"}]"#
    );
    let token = mint(&[
        "block:ip=93.184.216.0/24,2400:cb00::/32",
        "block:country=T1",
        "allow:country=gb,us",
        "allow:ip=1.2.3.4",
        "block:any",
    ])
    .ok();
    let claims = demo_verifier().verify(&token).unwrap();
    assert_eq!(
        serde_json::to_string(claims.access_rules()).unwrap(),
        concat!(
            r#"[{"type":"ip.src","action":"block","ip":["93.184.216.0/24","2400:cb00::/32"]},"#,
            r#"{"type":"ip.geoip.country","action":"block","country":["T1"]},"#,
            r#"{"type":"ip.geoip.country","action":"allow","country":["GB","US"]},"#,
            r#"{"type":"ip.src","action":"allow","ip":["1.2.3.4"]},"#,
            r#"{"type":"any","action":"block"}]"#
        )
    );

    assert_eq!(
        mint(&["allow:country=UK"]).fails(2),
        r#"invalid value 'allow:country=UK' for '--rule <SPEC>': invalid rule "allow:country=UK": "UK" is not an ISO 3166-1 alpha-2 country code"#
    );
    assert_eq!(
        mint(&["permit:any"]).fails(2),
        r#"invalid value 'permit:any' for '--rule <SPEC>': invalid rule "permit:any": the action must be `allow` or `block`"#
    );
    assert_eq!(
        mint(&["block:any", "allow:country=GB"]).fails(2),
        "--rule: access rule 1 follows an `any` rule and could never match"
    );
    assert_eq!(
        mint(&["block:country=FR"; 6]).fails(2),
        "--rule: 6 access rules given; at most 5 are allowed"
    );
}

#[test]
fn mint_without_any_key_names_both_ways_to_give_one() {
    let expected = "no signing key: give --key FILE or set CF_STREAM_SIGNING_KEY; \
        or, to have Cloudflare mint the token, give --account-id and set \
        CLOUDFLARE_API_TOKEN (or CLOUDFLARE_EMAIL and CLOUDFLARE_API_KEY)";
    assert_eq!(cli(&["mint", "--video", VIDEO]).fails(1), expected);
    // An account but no credentials, or credentials but no account.
    assert_eq!(
        cli(&["mint", "--video", VIDEO, "--account-id", ACCOUNT]).fails(1),
        expected
    );
    assert_eq!(
        cli(&["mint", "--video", VIDEO])
            .env("CLOUDFLARE_API_TOKEN", API_TOKEN)
            .fails(1),
        expected
    );
    // Blank counts as unset.
    assert_eq!(
        cli(&["mint", "--video", VIDEO])
            .env("CF_STREAM_SIGNING_KEY", "  ")
            .fails(1),
        expected
    );
}

#[tokio::test]
async fn mint_falls_back_to_the_api_without_a_key() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(token_path()))
        .respond_with(MintFromBody)
        .expect(2)
        .mount(&server)
        .await;

    let token = cli(&[
        "mint",
        "--video",
        VIDEO,
        "--account-id",
        ACCOUNT,
        "--ttl",
        "2h",
    ])
    .api(&server)
    .ok();
    demo_verifier().verify(&token).unwrap();
    // The account may come from the environment too.
    let out = cli(&["mint", "--video", VIDEO, "--json"])
        .api(&server)
        .env("CLOUDFLARE_ACCOUNT_ID", ACCOUNT)
        .ok();
    assert_eq!(json_of(&out)["kid"], json!(DEMO_KID));

    let reqs = requests(&server).await;
    assert_eq!(
        reqs[0].headers.get("authorization").unwrap(),
        &format!("Bearer {API_TOKEN}")
    );
    let body: Value = serde_json::from_slice(&reqs[0].body).unwrap();
    let exp = decode_unverified(&token).unwrap().1.exp();
    assert_eq!(body, json!({ "exp": exp }));
}

#[tokio::test]
async fn a_local_key_means_no_request() {
    let server = MockServer::start().await;
    let token = cli(&[
        "mint",
        "--key",
        &fixture("demo/demo.jwk.json"),
        "--video",
        VIDEO,
        "--account-id",
        ACCOUNT,
    ])
    .api(&server)
    .ok();
    demo_verifier().verify(&token).unwrap();
    assert!(requests(&server).await.is_empty());
}

// ---- url ----

#[test]
fn url_for_every_kind() {
    let key = fixture("demo/demo.jwk.json");
    let kinds = [
        ("hls", "manifest/video.m3u8", false),
        ("dash", "manifest/video.mpd", false),
        ("iframe", "iframe", false),
        ("watch", "watch", false),
        ("thumbnail", "thumbnails/thumbnail.jpg", false),
        ("gif", "thumbnails/thumbnail.gif", false),
        ("mp4", "downloads/default.mp4", true),
        ("m4a", "downloads/audio.m4a", true),
        ("webrtc", "webRTC/play", false),
    ];
    for (kind, suffix, downloadable) in kinds {
        let url = cli(&[
            "url",
            "--key",
            &key,
            "--video",
            VIDEO,
            "--customer-code",
            "f33zs165nr7gyfy4",
            "--kind",
            kind,
        ])
        .ok();
        let rest = url
            .strip_prefix("https://customer-f33zs165nr7gyfy4.cloudflarestream.com/")
            .unwrap_or_else(|| panic!("{url}"));
        let (token, tail) = rest.split_once('/').unwrap();
        assert_eq!(tail, suffix, "--kind {kind}");
        let claims = demo_verifier().verify(token).unwrap();
        assert_eq!(claims.video(), &video());
        assert_eq!(claims.downloadable(), downloadable, "--kind {kind}");
    }
}

#[test]
fn url_parameters_hosts_and_options() {
    let key = fixture("demo/demo.jwk.json");
    let url = |extra: &[&str]| {
        let mut args = vec!["url", "--key", &key, "--video", VIDEO];
        args.extend_from_slice(extra);
        cli(&args)
    };
    let split = |u: &str| {
        let rest = u.strip_prefix("https://").unwrap();
        let (host, rest) = rest.split_once('/').unwrap();
        let (token, tail) = rest.split_once('/').unwrap();
        (host.to_owned(), token.to_owned(), tail.to_owned())
    };

    let (host, _, tail) = split(
        &url(&[
            "--customer-code",
            "abc123",
            "--kind",
            "thumbnail",
            "--param",
            "time=8s",
            "--param",
            "width=320",
        ])
        .ok(),
    );
    assert_eq!(host, "customer-abc123.cloudflarestream.com");
    assert_eq!(tail, "thumbnails/thumbnail.jpg?time=8s&width=320");

    let (host, _, tail) = split(
        &url(&[
            "--host",
            "videodelivery.net",
            "--kind",
            "hls",
            "--param",
            "clientBandwidthHint=1.8",
            "--param",
            "protocol=llhls",
        ])
        .ok(),
    );
    assert_eq!(host, "videodelivery.net");
    assert_eq!(
        tail,
        "manifest/video.m3u8?clientBandwidthHint=1.8&protocol=llhls"
    );

    let (_, token, tail) = split(
        &url(&[
            "--customer-code",
            "abc123",
            "--kind",
            "gif",
            "--param",
            "time=1m2s",
            "--param",
            "duration=3s",
            "--param",
            "fps=12",
            "--ttl",
            "5m",
            "--rule",
            "allow:country=GB",
            "--rule",
            "block:any",
        ])
        .ok(),
    );
    assert_eq!(tail, "thumbnails/thumbnail.gif?time=62s&duration=3s&fps=12");
    let claims = demo_verifier().verify(&token).unwrap();
    assert_eq!(claims.access_rules().len(), 2);
    assert!(claims.exp() <= now() + 300);

    let (_, _, tail) = split(
        &url(&[
            "--customer-code",
            "abc123",
            "--kind",
            "mp4",
            "--param",
            "filename=launch-keynote",
        ])
        .ok(),
    );
    assert_eq!(tail, "downloads/default.mp4?filename=launch-keynote");
}

#[test]
fn url_refusals() {
    let key = fixture("demo/demo.jwk.json");
    let url = |extra: &[&str]| {
        let mut args = vec!["url", "--key", &key, "--video", VIDEO];
        args.extend_from_slice(extra);
        cli(&args)
    };
    assert_eq!(
        url(&["--kind", "hls"]).fails(2),
        "the following required arguments were not provided: <--customer-code <CODE>|--host <HOST>>"
    );
    assert_eq!(
        url(&[
            "--kind",
            "hls",
            "--customer-code",
            "abc",
            "--host",
            "x.example"
        ])
        .fails(2),
        "the argument '--customer-code <CODE>' cannot be used with '--host <HOST>'"
    );
    assert_eq!(
        url(&["--kind", "hls", "--customer-code", "ABC"]).fails(2),
        r#"invalid value 'ABC' for '--customer-code <CODE>': invalid customer code: "ABC""#
    );
    assert_eq!(
        url(&["--kind", "hls", "--host", "https://x.example/"]).fails(2),
        r#"invalid value 'https://x.example/' for '--host <HOST>': invalid host: "https://x.example/""#
    );
    assert_eq!(
        url(&["--kind", "flv", "--customer-code", "abc"]).fails(2),
        "invalid value 'flv' for '--kind <KIND>' [possible values: hls, dash, iframe, watch, thumbnail, gif, mp4, m4a, webrtc]"
    );
    assert_eq!(
        url(&[
            "--kind",
            "iframe",
            "--customer-code",
            "abc",
            "--param",
            "autoplay=true"
        ])
        .fails(2),
        r#"--kind iframe does not take parameter "autoplay": it takes no parameters"#
    );
    assert_eq!(
        url(&[
            "--kind",
            "thumbnail",
            "--customer-code",
            "abc",
            "--param",
            "time"
        ])
        .fails(2),
        r#"invalid value 'time' for '--param <NAME=VALUE>': invalid parameter "time": expected NAME=VALUE"#
    );
    assert_eq!(
        url(&[
            "--kind",
            "mp4",
            "--customer-code",
            "abc",
            "--param",
            "filename=a.mp4"
        ])
        .fails(2),
        r#"--param: invalid filename: "a.mp4""#
    );
    assert_eq!(
        cli(&[
            "url",
            "--video",
            VIDEO,
            "--kind",
            "hls",
            "--customer-code",
            "abc"
        ])
        .fails(1),
        "no signing key: give --key FILE or set CF_STREAM_SIGNING_KEY"
    );
}

// ---- verify ----

fn minted_now(opts: &TokenOptions) -> String {
    demo_signer().mint(&video(), opts).unwrap().into_string()
}

#[test]
fn verify_prints_header_and_claims() {
    let opts = TokenOptions::builder()
        .access_rules(cf_stream_token::AccessRule::allow_only_countries(["GB"]).unwrap())
        .downloadable(true)
        .build()
        .unwrap();
    let token = minted_now(&opts);
    let exp = decode_unverified(&token).unwrap().1.exp();
    let expected = format!(
        concat!(
            r#"{{"header":{{"alg":"RS256","kid":"{kid}"}},"claims":{{"sub":"{sub}","kid":"{kid}","exp":{exp},"nbf":null,"downloadable":true,"#,
            r#""accessRules":[{{"type":"ip.geoip.country","action":"allow","country":["GB"]}},{{"type":"any","action":"block"}}]}}}}"#
        ),
        kid = DEMO_KID,
        sub = VIDEO,
        exp = exp
    );
    for key in [
        "demo/demo_public_spki.pem",
        "demo/demo_public_pkcs1.pem",
        "demo/demo_public.jwk.json",
        "demo/demo_create_result.json",
        "demo/demo_pkcs1.pem",
    ] {
        assert_eq!(
            cli(&["verify", "--key", &fixture(key), &token]).ok(),
            expected,
            "{key}"
        );
    }
    // From standard input, which keeps the token out of the process list.
    assert_eq!(
        cli(&[
            "verify",
            "--key",
            &fixture("demo/demo_public_spki.pem"),
            "-"
        ])
        .stdin(&format!("{token}\n"))
        .ok(),
        expected
    );
}

#[test]
fn verify_refusals_say_why() {
    let public = fixture("demo/demo_public_spki.pem");
    let verify = |key: &str, token: &str| cli(&["verify", "--key", key, token]);

    // Expired: minted at a fixed clock long past.
    let old = demo_signer()
        .mint_at(at(NOW), &video(), &TokenOptions::default())
        .unwrap();
    let msg = verify(&public, old.as_str()).fails(1);
    assert!(
        msg.starts_with("token refused: token expired at 1700003600 (now "),
        "{msg}"
    );

    // Not yet valid.
    let t = now();
    let later = TokenOptions::builder()
        .not_before(at(t + 3600))
        .expires_at(at(t + 7200))
        .build()
        .unwrap();
    let msg = verify(&public, &minted_now(&later)).fails(1);
    assert!(
        msg.starts_with(&format!(
            "token refused: token is not valid before {}",
            t + 3600
        )),
        "{msg}"
    );

    // Another key's signature (a key file without a kid, so the signature
    // is what fails), and a tampered payload.
    let other = other_signer()
        .mint(&video(), &TokenOptions::default())
        .unwrap();
    assert_eq!(
        verify(&public, other.as_str()).fails(1),
        "token refused: token signature does not verify"
    );
    let good = minted_now(&TokenOptions::default());
    let (head, sig) = good.rsplit_once('.').unwrap();
    let (h, _) = head.split_once('.').unwrap();
    let forged_payload = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(format!(
        r#"{{"sub":"{VIDEO}","kid":"{DEMO_KID}","exp":{}}}"#,
        now() + 86_000
    ));
    assert_eq!(
        verify(&public, &format!("{h}.{forged_payload}.{sig}")).fails(1),
        "token refused: token signature does not verify"
    );

    // Wrong kid: the key file names its kid, or --key-id does.
    assert_eq!(
        verify(&fixture("demo/demo_public.jwk.json"), other.as_str()).fails(1),
        format!(
            "token refused: token was made for another key (kid \"{}\")",
            other.kid()
        )
    );
    assert_eq!(
        cli(&["verify", "--key", &public, "--key-id", OTHER_KID, &good]).fails(1),
        format!("token refused: token was made for another key (kid \"{DEMO_KID}\")")
    );

    // Malformed.
    assert_eq!(
        verify(&public, "abc").fails(1),
        "token refused: malformed token: expected three dot-separated parts"
    );
    assert_eq!(
        cli(&["verify", "--key", &public, "-"]).stdin("\n").fails(1),
        "no token on standard input"
    );

    // A missing key file is named.
    assert_eq!(
        verify("nope.pem", &good).fails(1),
        "key file \"nope.pem\": No such file or directory (os error 2)"
    );
    assert_eq!(
        cli(&["verify", &good]).fails(2),
        "the following required arguments were not provided: --key <FILE>"
    );
}

#[test]
fn verify_accepts_rs256_only_whatever_the_key_file_holds() {
    let public_pem = text("demo/demo_public_spki.pem");
    let claims = format!(
        r#"{{"sub":"{VIDEO}","kid":"{DEMO_KID}","exp":{}}}"#,
        now() + 600
    );
    // HS256 keyed with the public key's PEM: the classic confusion attack.
    let hs256 = forge(
        &format!(r#"{{"alg":"HS256","kid":"{DEMO_KID}"}}"#),
        &claims,
        |input| {
            let key =
                aws_lc_rs::hmac::Key::new(aws_lc_rs::hmac::HMAC_SHA256, public_pem.as_bytes());
            aws_lc_rs::hmac::sign(&key, input).as_ref().to_vec()
        },
    );
    let none = forge(
        &format!(r#"{{"alg":"none","kid":"{DEMO_KID}"}}"#),
        &claims,
        |_| Vec::new(),
    );
    let rs512 = forge(
        &format!(r#"{{"alg":"RS512","kid":"{DEMO_KID}"}}"#),
        &claims,
        |input| demo_key().sign_rs256(input).unwrap(),
    );
    for key in [
        "demo/demo_public_spki.pem",
        "demo/demo_public.jwk.json",
        "demo/demo.jwk.json",
    ] {
        let key = fixture(key);
        for (token, alg) in [(&hs256, "HS256"), (&none, "none"), (&rs512, "RS512")] {
            assert_eq!(
                cli(&["verify", "--key", &key, token]).fails(1),
                format!("token refused: token algorithm \"{alg}\" refused; only RS256 is accepted")
            );
        }
    }
    // A key file holding an HMAC secret is no key for verify at all.
    let oct = fixture("bad/oct.jwk.json");
    assert_eq!(
        cli(&["verify", "--key", &oct, &hs256]).fails(1),
        format!("key file {oct:?}: not an RSA key (found oct)")
    );
}

// ---- inspect ----

#[test]
fn inspect_says_when_it_expires_and_whether_it_keeps_the_cap() {
    let token = minted_now(
        &TokenOptions::builder()
            .lifetime(std::time::Duration::from_secs(7200))
            .build()
            .unwrap(),
    );
    let exp = decode_unverified(&token).unwrap().1.exp();
    let text_out = cli(&["inspect", &token]).ok();
    let lines: Vec<&str> = text_out.lines().collect();
    assert_eq!(
        lines[0],
        "NOT VERIFIED: decoded only; `verify --key FILE` checks the signature"
    );
    assert_eq!(lines[1], "alg:          RS256");
    assert_eq!(lines[2], format!("kid:          {DEMO_KID}"));
    assert_eq!(lines[3], format!("video (sub):  {VIDEO}"));
    assert!(
        lines[4].starts_with("expires:      ") && lines[4].contains(&format!("Z (exp {exp}), in ")),
        "{}",
        lines[4]
    );
    assert_eq!(lines[5], "not before:   (none)");
    assert_eq!(lines[6], "downloadable: no");
    assert_eq!(lines[7], "access rules: (none)");
    assert_eq!(lines[8], "24 h cap:     kept (at most 24 hours left)");

    let out = cli(&["inspect", "--json", "-"]).stdin(&token).ok();
    let v = json_of(&out);
    assert_eq!(v["verified"], json!(false));
    assert_eq!(v["header"], json!({"alg": "RS256", "kid": DEMO_KID}));
    assert_eq!(v["claims"]["exp"], json!(exp));
    assert_eq!(v["expired"], json!(false));
    assert_eq!(v["not_yet_valid"], json!(false));
    assert_eq!(v["within_24h_cap"], json!(true));
    let left = v["expires_in"].as_i64().unwrap();
    assert!((7190..=7200).contains(&left), "{left}");
    assert!(out.starts_with(r#"{"verified":false,"header":"#), "{out}");

    // Expired, at a fixed clock long past.
    let old = demo_signer()
        .mint_at(at(NOW), &video(), &TokenOptions::default())
        .unwrap();
    let out = cli(&["inspect", old.as_str()]).ok();
    assert!(
        out.contains("expires:      2023-11-14T23:13:20Z (exp 1700003600), expired "),
        "{out}"
    );
    let v = json_of(&cli(&["inspect", "--json", old.as_str()]).ok());
    assert_eq!(v["expired"], json!(true));
    assert_eq!(v["expires_at"], json!("2023-11-14T23:13:20Z"));

    // Signed by someone who ignored the cap: 30 hours to run.
    let over = forge(
        &format!(r#"{{"alg":"RS256","kid":"{DEMO_KID}"}}"#),
        &format!(
            r#"{{"sub":"{VIDEO}","kid":"{DEMO_KID}","exp":{}}}"#,
            now() + 30 * 3600
        ),
        |input| demo_key().sign_rs256(input).unwrap(),
    );
    let out = cli(&["inspect", &over]).ok();
    assert!(
        out.contains("24 h cap:     BROKEN: 1d 6h 0m 0s left,")
            || out.contains("24 h cap:     BROKEN: 1d 5h 59m"),
        "{out}"
    );
    let v = json_of(&cli(&["inspect", "--json", &over]).ok());
    assert_eq!(v["within_24h_cap"], json!(false));

    // `none` decodes, with a warning; garbage does not.
    let none = forge(
        &format!(r#"{{"alg":"none","kid":"{DEMO_KID}"}}"#),
        &format!(
            r#"{{"sub":"{VIDEO}","kid":"{DEMO_KID}","exp":{}}}"#,
            now() + 60
        ),
        |_| Vec::new(),
    );
    let out = cli(&["inspect", &none]).ok();
    assert!(
        out.contains(r#"alg:          "none" (verify refuses everything but RS256)"#),
        "{out}"
    );
    assert_eq!(
        cli(&["inspect", "not.a.token"]).fails(1),
        "malformed token: header is not a JWS header"
    );
}

// ---- keys ----

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
        "Cloudflare API refused the credentials (authentication error or missing permission): Cloudflare answered HTTP 403: 10000 Authentication error"
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
    assert!(msg.starts_with("exp 1700000000 is not after"), "{msg}");
    assert_eq!(requests(&server).await.len(), 2);
}

// ---- bench ----

#[test]
fn bench_json_with_two_threads() {
    let out = cli(&["bench", "--seconds", "1", "--threads", "2", "--json"]).ok();
    let v = json_of(&out);
    let tokens = v["tokens_per_sec"].as_f64().unwrap();
    let raw = v["raw_sign_per_sec"].as_f64().unwrap();
    let ratio = v["ratio"].as_f64().unwrap();
    assert!(tokens > 0.0 && raw > 0.0, "{out}");
    assert!((ratio - tokens / raw).abs() < 1e-9, "{out}");
    assert_eq!(v["threads"], json!(2));
    assert_eq!(v["seconds"], json!(1));
    assert!(
        out.starts_with(r#"{"tokens_per_sec":"#),
        "members in the documented order: {out}"
    );
}

#[test]
fn bench_text_with_a_key_file() {
    let out = cli(&[
        "bench",
        "--seconds",
        "1",
        "--key",
        &fixture("other/other_pkcs1.pem"),
        "--key-id",
        OTHER_KID,
    ])
    .ok();
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(
        lines[0],
        format!("key:              {OTHER_KID} (--key), 2048 bits")
    );
    assert_eq!(lines[1], "threads:          1");
    assert_eq!(lines[2], "seconds:          1");
    assert!(lines[3].starts_with("tokens/s:         "), "{out}");
    assert!(lines[4].starts_with("raw signatures/s: "), "{out}");
    assert!(lines[5].starts_with("ratio:            "), "{out}");
}

#[test]
fn bench_refusals() {
    assert_eq!(
        cli(&["bench", "--seconds", "0"]).fails(2),
        "invalid value '0' for '--seconds <N>': 0 is not in 1..=3600"
    );
    assert_eq!(
        cli(&["bench", "--threads", "0"]).fails(2),
        "invalid value '0' for '--threads <T>': 0 is not in 1..=256"
    );
    assert_eq!(
        cli(&["bench", "--key-id", DEMO_KID]).fails(2),
        "the following required arguments were not provided: --key <FILE>"
    );
    assert_eq!(
        cli(&["bench", "--key", "missing.pem"]).fails(1),
        "key file \"missing.pem\": No such file or directory (os error 2)"
    );
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
