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
pub(crate) use cf_stream_token::dangerous::decode_unverified;
pub(crate) use cf_stream_token::{
    Clock as _, SigningKey, SystemClock, TokenOptions, Verifier, hazmat,
};
use serde_json::{Value, json};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

use crate::api::{ACCOUNT, API_TOKEN, MintFromBody, failure, keys_path, ok, token_path};
use crate::common::*;

mod api_calls;
mod bench;
mod emulate;
mod help;
mod inspect;
mod keyring;
mod keys;
mod messages;
mod mint;
mod rules;
mod scripting;
mod url;
mod verify;

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

/// What a spawned run gave, once it ended.
fn finish(child: std::process::Child) -> Run {
    let out = child.wait_with_output().unwrap();
    Run {
        code: out.status.code(),
        stdout: String::from_utf8(out.stdout).unwrap(),
        stderr: String::from_utf8(out.stderr).unwrap(),
    }
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

    /// Start the run without waiting for it (for races); [`finish`] waits.
    fn spawn(mut self) -> std::process::Child {
        self.cmd
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        self.cmd.spawn().expect("the binary starts")
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
            // A command that refuses an over-long input stops reading it:
            // the rest of the write then meets a closed pipe.
            let written = child.stdin.take().unwrap().write_all(text.as_bytes());
            if let Err(e) = written {
                assert_eq!(e.kind(), std::io::ErrorKind::BrokenPipe, "{e}");
            }
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

fn minted_now(opts: &TokenOptions) -> String {
    demo_signer().mint(&video(), opts).unwrap().into_string()
}
