//! `cf-stream-token emulate` run as a process, and the other subcommands
//! run against it, as a CI script would.

use std::io::{BufRead as _, BufReader};
use std::process::{Child, Command, Stdio};

use serde_json::Value;

use crate::api::ACCOUNT;
use crate::common::*;

const BIN: &str = env!("CARGO_BIN_EXE_cf-stream-token");
const TOKEN: &str = "emulate-cli-token";

/// A running `emulate` and its ready line.
struct Served {
    child: Child,
    ready: Value,
}

impl Served {
    fn start(args: &[&str]) -> Served {
        let mut child = Command::new(BIN)
            .arg("emulate")
            .args(args)
            .env_clear()
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("the binary starts");
        let mut line = String::new();
        BufReader::new(child.stdout.as_mut().unwrap())
            .read_line(&mut line)
            .unwrap();
        assert!(line.ends_with('\n'), "no ready line: {line:?}");
        let ready = serde_json::from_str(&line).expect("the ready line is JSON");
        Served { child, ready }
    }

    fn url(&self, which: &str) -> String {
        self.ready[which].as_str().unwrap().to_owned()
    }

    /// Send `signal` (by this child's pid only) and return the exit status.
    fn stop(mut self, signal: &str) -> Option<i32> {
        let status = Command::new("kill")
            .args([signal, &self.child.id().to_string()])
            .status()
            .unwrap();
        assert!(status.success());
        self.child.wait().unwrap().code()
    }
}

impl Drop for Served {
    fn drop(&mut self) {
        // Only if a test failed before stopping it.
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Another subcommand against the emulator: exit code, stdout, stderr.
fn run(api: &str, args: &[&str]) -> (Option<i32>, String, String) {
    let out = Command::new(BIN)
        .args(args)
        .env_clear()
        .env("CLOUDFLARE_BASE_URL", api)
        .env("CLOUDFLARE_API_TOKEN", TOKEN)
        .env("CLOUDFLARE_ACCOUNT_ID", ACCOUNT)
        .output()
        .unwrap();
    (
        out.status.code(),
        String::from_utf8(out.stdout).unwrap(),
        String::from_utf8(out.stderr).unwrap(),
    )
}

fn temp_dir(name: &str) -> crate::common::Scratch {
    crate::common::Scratch::new(&format!("cf-emulate-{name}"))
}

#[tokio::test]
async fn emulate_prints_one_ready_line_and_serves_the_other_subcommands() {
    let served = Served::start(&["--api-token", TOKEN, "--rate-limit", "4/60s"]);
    let members: Vec<&String> = served.ready.as_object().unwrap().keys().collect();
    assert_eq!(members, ["api", "control", "playback"]);
    let api = served.url("api");
    let playback = served.url("playback");
    assert!(
        api.starts_with("http://127.0.0.1:") && api.ends_with("/client/v4"),
        "{api}"
    );
    assert_eq!(api, format!("{playback}/client/v4"));
    assert_eq!(served.url("control"), format!("{playback}/__emulator"));

    let dir = temp_dir("serve");
    let key = dir.join("key.json");
    let (code, out, err) = run(&api, &["keys", "create", "--out", key.to_str().unwrap()]);
    assert_eq!(code, Some(0), "{err}");
    let created: Value = serde_json::from_str(&out).unwrap();
    let (code, token, err) = run(
        &api,
        &["mint", "--key", key.to_str().unwrap(), "--video", VIDEO],
    );
    assert_eq!(code, Some(0), "{err}");
    let token = token.trim();
    let r = reqwest::get(format!("{playback}/{token}/manifest/video.m3u8"))
        .await
        .unwrap();
    assert_eq!(r.status(), 200);

    let (code, out, _) = run(&api, &["keys", "list"]);
    assert_eq!(code, Some(0));
    assert_eq!(
        serde_json::from_str::<Value>(&out).unwrap()[0]["id"],
        created["id"]
    );
    let id = created["id"].as_str().unwrap();
    let (code, _, err) = run(&api, &["keys", "delete", id]);
    assert_eq!(code, Some(0), "{err}");
    let r = reqwest::get(format!("{playback}/{token}/manifest/video.m3u8"))
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    assert_eq!(r.headers()["x-emulator-reason"], "revoked-key");

    // Three calls so far: one more passes, then the limit answers.
    assert_eq!(run(&api, &["keys", "list"]).0, Some(0));
    let (code, _, err) = run(&api, &["keys", "list"]);
    assert_eq!(code, Some(1));
    assert!(err.contains("971"), "{err}");

    assert_eq!(served.stop("-TERM"), Some(0));
    std::fs::remove_dir_all(dir).unwrap();
}

#[tokio::test]
async fn emulate_without_a_credential_makes_one_up_and_stops_on_sigint() {
    let served = Served::start(&["--now", &NOW.to_string()]);
    let token = served.ready["api_token"].as_str().unwrap().to_owned();
    assert_eq!(token.len(), 40);
    let control = served.url("control");
    let clock: Value = reqwest::get(format!("{control}/clock"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(clock["now"], NOW);
    let r = reqwest::Client::new()
        .get(format!(
            "{}/accounts/{ACCOUNT}/stream/keys",
            served.url("api")
        ))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(served.stop("-INT"), Some(0));
}

#[tokio::test]
async fn emulate_state_survives_a_restart() {
    let dir = temp_dir("state");
    let state = dir.join("state.json");
    let state_arg = state.to_str().unwrap();
    let served = Served::start(&["--api-token", TOKEN, "--state", state_arg]);
    let api = served.url("api");
    let key = dir.join("key.json");
    assert_eq!(
        run(&api, &["keys", "create", "--out", key.to_str().unwrap()]).0,
        Some(0)
    );
    // A remote token: the emulator's own token-endpoint key is made and saved.
    let (code, remote, err) = run(&api, &["token", "--video", VIDEO]);
    assert_eq!(code, Some(0), "{err}");
    assert_eq!(served.stop("-TERM"), Some(0));
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let mode = std::fs::metadata(&state).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }

    let served = Served::start(&["--api-token", TOKEN, "--state", state_arg]);
    let api = served.url("api");
    let (code, out, _) = run(&api, &["keys", "list"]);
    assert_eq!(code, Some(0));
    assert_eq!(
        serde_json::from_str::<Value>(&out)
            .unwrap()
            .as_array()
            .unwrap()
            .len(),
        1
    );
    let (_, token, _) = run(
        &api,
        &["mint", "--key", key.to_str().unwrap(), "--video", VIDEO],
    );
    for t in [token.trim(), remote.trim()] {
        let r = reqwest::get(format!("{}/{t}/iframe", served.url("playback")))
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
    }
    assert_eq!(served.stop("-TERM"), Some(0));
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn emulate_refuses_a_bad_rate_limit_as_a_usage_error() {
    let out = Command::new(BIN)
        .args(["emulate", "--rate-limit", "lots"])
        .env_clear()
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(out.stdout.is_empty());
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(
        err.starts_with("error: invalid value 'lots' for '--rate-limit <N/DUR>'"),
        "{err}"
    );
}

/// Run `emulate` with `args` when it is expected to refuse: exit code and
/// stderr. Were it to start instead, it would serve until stopped: it is
/// then killed (by its own pid) and the test fails.
fn emulate_refused(args: &[&str]) -> (Option<i32>, String) {
    let mut child = Command::new(BIN)
        .arg("emulate")
        .args(args)
        .env_clear()
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the binary starts");
    for _ in 0..600 {
        if child.try_wait().unwrap().is_some() {
            let out = child.wait_with_output().unwrap();
            assert!(out.stdout.is_empty(), "it printed a ready line");
            return (out.status.code(), String::from_utf8(out.stderr).unwrap());
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    let _ = child.kill();
    let _ = child.wait();
    panic!("emulate {args:?} started instead of refusing");
}

#[test]
fn emulate_refuses_empty_credentials_as_usage_errors() {
    for (args, flag) in [
        (
            &["--email", "a@b.example", "--api-key", ""][..],
            "--api-key",
        ),
        (&["--api-token", ""][..], "--api-token"),
        (
            &["--api-token", TOKEN, "--api-token", " "][..],
            "--api-token",
        ),
        (
            &["--api-token", TOKEN, "--read-only-api-token", ""][..],
            "--read-only-api-token",
        ),
        (&["--email", "", "--api-key", "key"][..], "--email"),
    ] {
        let (code, err) = emulate_refused(args);
        assert_eq!(code, Some(2), "{args:?}: {err}");
        assert_eq!(
            err,
            format!("error: {flag} must not be empty\n"),
            "{args:?}"
        );
    }
}

#[test]
fn emulate_refuses_a_clock_before_1970_as_a_usage_error() {
    let (code, err) = emulate_refused(&["--api-token", TOKEN, "--now=-1"]);
    assert_eq!(code, Some(2), "{err}");
    assert_eq!(
        err,
        "error: the clock must start within 1970-01-01T00:00:00Z..=9999-12-31T23:59:59Z\n"
    );
}

#[tokio::test]
async fn emulate_refuses_a_state_file_another_emulator_holds() {
    let dir = temp_dir("locked");
    let state = dir.join("state.json");
    let state_arg = state.to_str().unwrap();
    let served = Served::start(&["--api-token", TOKEN, "--state", state_arg]);
    let (code, err) = emulate_refused(&["--api-token", TOKEN, "--state", state_arg]);
    assert_eq!(code, Some(1));
    assert_eq!(
        err,
        format!(
            "error: cannot start the emulator: cannot lock the state file {state_arg} \
             ({state_arg}.lock): another emulator uses it\n"
        )
    );
    // The first one is unaffected.
    let r = reqwest::Client::new()
        .get(format!(
            "{}/accounts/{ACCOUNT}/stream/keys",
            served.url("api")
        ))
        .bearer_auth(TOKEN)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(served.stop("-TERM"), Some(0));
    // Once it stopped, the file is free again.
    let again = Served::start(&["--api-token", TOKEN, "--state", state_arg]);
    assert_eq!(again.stop("-TERM"), Some(0));
    std::fs::remove_dir_all(dir).unwrap();
}
