//! Entry point for the `api_envelope` fuzz target under `fuzz/`. Compiled
//! only with `--cfg fuzzing` (which `cargo fuzz` sets) and for this crate's
//! own unit tests, which replay the target's regression inputs; not part of
//! the API.

use reqwest::StatusCode;
use serde::de::IgnoredAny;
use time::OffsetDateTime;

use super::client::open_envelope;
use super::error::{Scrubber, refused};
use super::types::{KeyInfo, TokenResult, created_key_from_body, parse_retry_after};
use crate::error::Error;

/// The API token the fuzzed client is taken to hold: no error text may
/// repeat it, in whole or in part.
pub const FUZZ_TOKEN: &str = "fuzz-api-token-Zq81xW30pLmN";
/// The email of the fuzzed global-key credentials.
pub const FUZZ_EMAIL: &str = "fuzz@example.com";

/// Decode one HTTP answer exactly as the client would, for every result type
/// the client asks for, and return how every resulting error shows
/// (`Display`, `Debug` and the API details), so the target can check that
/// none echoes the body.
pub fn decode_response(status: u16, retry_after: &str, body: &[u8]) -> Vec<String> {
    let now = OffsetDateTime::from_unix_timestamp(1_700_000_000).expect("in range");
    let retry_after = parse_retry_after(retry_after, now);
    let mut errors: Vec<Error> = Vec::new();
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::OK);
    // The fuzzer's own stand-in credentials, to be scrubbed from every text.
    let scrubber = Scrubber {
        secrets: vec![FUZZ_TOKEN],
        plain: vec![FUZZ_EMAIL],
    };
    if status.is_success() {
        if let Err(e) = created_key_from_body(status.as_u16(), body, &scrubber) {
            errors.push(e);
        }
        if let Err(e) = open_envelope::<Vec<KeyInfo>>(status, body, &scrubber) {
            errors.push(e);
        }
        if let Err(e) = open_envelope::<IgnoredAny>(status, body, &scrubber) {
            errors.push(e);
        }
        match open_envelope::<TokenResult>(status, body, &scrubber) {
            Ok(Some(result)) => {
                if let Err(e) = crate::dangerous::decode_unverified(&result.token) {
                    errors.push(e);
                }
            }
            Ok(None) => {}
            Err(e) => errors.push(e),
        }
    } else {
        errors.push(refused(status.as_u16(), retry_after, body, &scrubber));
    }
    errors
        .iter()
        .map(|e| format!("{e} {e:?} {:?}", e.api_details()))
        .collect()
}

/// One fuzz input, checked: two bytes of status (folded into 100..=599), a
/// `Retry-After` value up to the first newline, then the body. Panics when
/// an error grows larger than its input warrants, or when an error from a
/// successful envelope quotes the body (it may hold a key or a token).
pub fn check(data: &[u8]) {
    let [hi, lo, rest @ ..] = data else {
        return;
    };
    let status = 100 + u16::from_be_bytes([*hi, *lo]) % 500;
    let (retry_after, body) = match rest.iter().position(|&b| b == b'\n') {
        Some(i) => (&rest[..i], &rest[i + 1..]),
        None => (&rest[..0], rest),
    };
    let retry_after = String::from_utf8_lossy(retry_after);
    let says_success = serde_json::from_slice::<serde_json::Value>(body)
        .is_ok_and(|v| v.get("success") == Some(&serde_json::Value::Bool(true)));
    for shown in decode_response(status, &retry_after, body) {
        // Errors keep Cloudflare's own messages and at most 4 KiB of an
        // undecodable body; Display, Debug and the details each show them
        // once, and Debug escaping may write a byte as up to 6 characters.
        assert!(
            shown.len() <= 18 * body.len().min(64 * 1024) + 2048,
            "{} bytes of error text from a {}-byte body",
            shown.len(),
            body.len()
        );
        // No echo of the credentials, whole or in part.
        for w in FUZZ_TOKEN.as_bytes().windows(8) {
            let w = std::str::from_utf8(w).expect("ASCII");
            assert!(
                !shown.to_ascii_lowercase().contains(&w.to_ascii_lowercase()),
                "the API token is echoed: {w}"
            );
        }
        // The contract covers 2xx answers: those bodies may hold a key or a
        // token. A failure's undecodable body is kept (up to 4 KiB) on purpose.
        if (200..300).contains(&status) && says_success {
            let text = String::from_utf8_lossy(body);
            for run in text
                .split(|c: char| !(c.is_ascii_alphanumeric() || "+/=_-.".contains(c)))
                .filter(|run| run.len() > 32)
            {
                assert!(
                    !shown.contains(run),
                    "a successful body is quoted: {run:.40}"
                );
            }
        }
    }
}

#[cfg(test)]
mod tests {
    /// Every committed input under `fuzz/regressions/api_envelope/` (the
    /// libFuzzer target `api_envelope` runs `check` too), and hand-made ones.
    #[test]
    fn regressions_and_nasty_answers_replay_cleanly() {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/fuzz/regressions/api_envelope");
        let mut inputs: Vec<Vec<u8>> = std::fs::read_dir(dir)
            .map(|d| {
                d.map(|f| std::fs::read(f.unwrap().path()).unwrap())
                    .collect()
            })
            .unwrap_or_default();
        let key = include_str!("../../fixtures/demo/demo_create_result.json");
        let status = |s: u16| s.wrapping_sub(100).to_be_bytes().to_vec();
        let with = |s: u16, ra: &str, body: &str| {
            [
                status(s),
                ra.as_bytes().to_vec(),
                b"\n".to_vec(),
                body.as_bytes().to_vec(),
            ]
            .concat()
        };
        inputs.extend([
            with(
                200,
                "",
                &format!(r#"{{"success":true,"errors":[],"result":{key}}}"#),
            ),
            with(
                200,
                "",
                &format!(
                    r#"{{"success":true,"result":{}}}"#,
                    key.replace("\"id\"", "\"idx\"")
                ),
            ),
            with(
                429,
                "99999999999999999999999",
                r#"{"success":false,"errors":[{"code":10000,"message":"no"}]}"#,
            ),
            with(503, "Sun, 06 Nov 1994 08:49:37 GMT", &"<html>".repeat(5000)),
            with(200, "", r#"{"success":true,"result":{"token":"a.b.c"}}"#),
            with(200, "", &"[".repeat(100_000)),
        ]);
        for input in inputs {
            super::check(&input);
        }
    }
}
