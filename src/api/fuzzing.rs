//! Entry point for the `api_envelope` fuzz target under `fuzz/`. Compiled
//! only with `--cfg fuzzing`, which `cargo fuzz` sets; not part of the API.

use reqwest::StatusCode;
use serde::de::IgnoredAny;
use time::OffsetDateTime;

use super::client::open_envelope;
use super::error::refused;
use super::types::{CreatedKey, CreatedKeyWire, KeyInfo, TokenResult, parse_retry_after};
use crate::error::Error;

/// Decode one HTTP answer exactly as the client would, for every result type
/// the client asks for, and return how every resulting error shows
/// (`Display`, `Debug` and the API details), so the target can check that
/// none echoes the body.
pub fn decode_response(status: u16, retry_after: &str, body: &[u8]) -> Vec<String> {
    let now = OffsetDateTime::from_unix_timestamp(1_700_000_000).expect("in range");
    let retry_after = parse_retry_after(retry_after, now);
    let mut errors: Vec<Error> = Vec::new();
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::OK);
    if status.is_success() {
        match open_envelope::<CreatedKeyWire>(status, body) {
            Ok(Some(wire)) => {
                if let Err(e) = CreatedKey::from_wire(wire).and_then(CreatedKey::into_signing_key) {
                    errors.push(e);
                }
            }
            Ok(None) => {}
            Err(e) => errors.push(e),
        }
        if let Err(e) = open_envelope::<Vec<KeyInfo>>(status, body) {
            errors.push(e);
        }
        if let Err(e) = open_envelope::<IgnoredAny>(status, body) {
            errors.push(e);
        }
        match open_envelope::<TokenResult>(status, body) {
            Ok(Some(result)) => {
                if let Err(e) = crate::verify::decode_unverified(&result.token) {
                    errors.push(e);
                }
            }
            Ok(None) => {}
            Err(e) => errors.push(e),
        }
    } else {
        errors.push(refused(status.as_u16(), retry_after, body));
    }
    errors
        .iter()
        .map(|e| format!("{e} {e:?} {:?}", e.api_details()))
        .collect()
}
