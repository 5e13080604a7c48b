//! The emulator (feature `emulator`): the API through the crate's own
//! client and raw HTTP, the edge through raw HTTP, the control endpoints
//! and the handle. Every server is a real one on 127.0.0.1.

mod api;
mod control;
mod edge;
mod media;
mod rotation;
mod safety;

use std::time::Duration;

use cf_stream_token::api::{Client, Credentials};
use cf_stream_token::emulator::Emulator;
use cf_stream_token::{AccountId, Signer, TokenOptions, VideoId};
use serde_json::Value;

pub(crate) use crate::api::{ACCOUNT, API_TOKEN};
use crate::common::*;

pub(crate) fn account() -> AccountId {
    AccountId::new(ACCOUNT).unwrap()
}

/// An emulator with the tests' API token and its clock stopped at `NOW`.
pub(crate) async fn emulator() -> Emulator {
    Emulator::builder()
        .api_token(API_TOKEN)
        .clock_at(at(NOW))
        .start()
        .await
        .unwrap()
}

/// The crate's client pointed at the emulator, retries fast.
pub(crate) fn client(e: &Emulator) -> Client {
    Client::builder(account(), Credentials::api_token(API_TOKEN).unwrap())
        .base_url(e.api_base_url())
        .backoff(Duration::from_millis(5), Duration::from_millis(20))
        .timeout(Duration::from_secs(10))
        .clock(|| at(NOW))
        .build()
        .unwrap()
}

/// A key made through the API, as a signer.
pub(crate) async fn created_signer(e: &Emulator) -> Signer {
    let created = client(e).create_signing_key().await.unwrap();
    Signer::new(created.into_signing_key().unwrap())
}

pub(crate) fn http() -> reqwest::Client {
    reqwest::Client::new()
}

/// `GET` of a raw path (and query) on the emulator's edge.
pub(crate) async fn get_edge(e: &Emulator, path: &str) -> reqwest::Response {
    http()
        .get(format!("{}{path}", e.playback_base_url()))
        .send()
        .await
        .unwrap()
}

/// What a playback request got: status, `x-emulator-reason`, body.
#[derive(Debug)]
pub(crate) struct Played {
    pub(crate) status: u16,
    pub(crate) reason: Option<String>,
    pub(crate) content_type: Option<String>,
    pub(crate) body: Vec<u8>,
}

/// `GET /{token}/{suffix}` with the given viewer headers.
pub(crate) async fn play_as(
    e: &Emulator,
    token: &str,
    suffix: &str,
    headers: &[(&str, &str)],
) -> Played {
    let url = format!("{}/{token}/{suffix}", e.playback_base_url());
    let mut req = if suffix == "webRTC/play" {
        http().post(url).body("v=0\r\n")
    } else {
        http().get(url)
    };
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    let r = req.send().await.unwrap();
    let text = |name: &str| {
        r.headers()
            .get(name)
            .map(|v| v.to_str().unwrap().to_owned())
    };
    Played {
        status: r.status().as_u16(),
        reason: text("x-emulator-reason"),
        content_type: text("content-type"),
        body: r.bytes().await.unwrap().to_vec(),
    }
}

pub(crate) async fn play(e: &Emulator, token: &str, suffix: &str) -> Played {
    play_as(e, token, suffix, &[]).await
}

/// Status and reason only, for tables.
pub(crate) async fn verdict(e: &Emulator, token: &str, suffix: &str) -> (u16, Option<String>) {
    let p = play(e, token, suffix).await;
    (p.status, p.reason)
}

pub(crate) fn mint(signer: &Signer, now: i64, opts: &TokenOptions) -> String {
    signer
        .mint_at(at(now), &video(), opts)
        .unwrap()
        .into_string()
}

pub(crate) fn other_video() -> VideoId {
    VideoId::new("0000000000000000000000000000beef").unwrap()
}

/// A raw API call with the tests' token: status, headers, JSON body.
pub(crate) async fn api_call(
    e: &Emulator,
    method: reqwest::Method,
    path: &str,
    body: Option<Value>,
) -> (u16, reqwest::header::HeaderMap, Value) {
    let mut req = http()
        .request(method, format!("{}{path}", e.api_base_url()))
        .bearer_auth(API_TOKEN);
    if let Some(b) = body {
        req = req.json(&b);
    }
    let r = req.send().await.unwrap();
    let status = r.status().as_u16();
    let headers = r.headers().clone();
    (status, headers, r.json().await.unwrap())
}
