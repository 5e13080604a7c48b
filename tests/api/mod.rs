//! The API client against a real HTTP server on 127.0.0.1: exact requests,
//! both auth forms, the envelope, retries, time limits. One module per
//! concern; the shared server helpers are here.

use std::time::{Duration, Instant};

use base64::Engine as _;
use cf_stream_token::api::{Client, ClientBuilder, Credentials};
use cf_stream_token::{
    AccessRule, AccountId, Action, ErrorKind, SigningKey, TokenOptions, VideoId,
};
use serde_json::{Value, json};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

use crate::common::*;

pub(crate) const ACCOUNT: &str = "023e105f4ecef8ad9ca31a8372d0c353";
pub(crate) const API_TOKEN: &str = "cf-test-api-token-7d1f0b2c9a";
const EMAIL: &str = "ops@example.com";
const GLOBAL_KEY: &str = "144c9defac04969c7bfad8efaa8ea194";
const USER_AGENT: &str = concat!("cf-stream-token/", env!("CARGO_PKG_VERSION"));

pub(crate) fn keys_path() -> String {
    format!("/accounts/{ACCOUNT}/stream/keys")
}

pub(crate) fn token_path() -> String {
    format!("/accounts/{ACCOUNT}/stream/{VIDEO}/token")
}

pub(crate) fn ok(result: Value) -> ResponseTemplate {
    ResponseTemplate::new(200)
        .set_body_json(json!({"success": true, "errors": [], "messages": [], "result": result}))
}

pub(crate) fn failure(status: u16, errors: Value) -> ResponseTemplate {
    ResponseTemplate::new(status)
        .set_body_json(json!({"success": false, "errors": errors, "messages": [], "result": null}))
}

/// Fast retries and short time limits, so that tests take milliseconds.
pub(crate) fn builder(server: &MockServer) -> ClientBuilder {
    Client::builder(
        AccountId::new(ACCOUNT).unwrap(),
        Credentials::api_token(API_TOKEN).unwrap(),
    )
    .base_url(server.uri())
    .backoff(Duration::from_millis(5), Duration::from_millis(20))
    .connect_timeout(Duration::from_secs(2))
    .timeout(Duration::from_secs(2))
    .clock(|| at(NOW))
}

fn client(server: &MockServer) -> Client {
    builder(server).build().unwrap()
}

async fn requests(server: &MockServer) -> Vec<Request> {
    server.received_requests().await.unwrap()
}

fn header<'a>(req: &'a Request, name: &str) -> Option<&'a str> {
    req.headers.get(name).map(|v| v.to_str().unwrap())
}

fn assert_common_headers(req: &Request) {
    assert_eq!(header(req, "user-agent"), Some(USER_AGENT));
    assert_eq!(header(req, "accept"), Some("application/json"));
}

fn assert_bearer(req: &Request) {
    assert_eq!(
        header(req, "authorization"),
        Some(format!("Bearer {API_TOKEN}").as_str())
    );
    assert_eq!(header(req, "x-auth-email"), None);
    assert_eq!(header(req, "x-auth-key"), None);
}

/// Stands in for Cloudflare's token endpoint: signs with the demo key what
/// the request body asks for, so that the answer matches the request.
pub(crate) struct MintFromBody;

impl Respond for MintFromBody {
    fn respond(&self, req: &Request) -> ResponseTemplate {
        let body: Value = req.body_json().unwrap();
        let exp = body["exp"].as_i64().unwrap();
        let mut opts = TokenOptions::builder().expires_at(at(exp));
        if let Some(nbf) = body["nbf"].as_i64() {
            opts = opts.not_before(at(nbf));
        }
        opts = opts.downloadable(body["downloadable"] == json!(true));
        if let Some(rules) = body.get("accessRules") {
            let rules: Vec<AccessRule> = serde_json::from_value(rules.clone()).unwrap();
            opts = opts.access_rules(rules);
        }
        let video = req.url.path().split('/').nth(4).unwrap();
        let token = demo_signer()
            .mint_at(
                at(exp - 1),
                &VideoId::new(video).unwrap(),
                &opts.build().unwrap(),
            )
            .unwrap();
        ok(json!({ "token": token.as_str() }))
    }
}

fn no_secret_in(e: &cf_stream_token::Error) {
    let shown = format!("{e} | {e:?} | {:?}", e.api_details());
    for secret in [API_TOKEN, GLOBAL_KEY, "Bearer"] {
        assert!(!shown.contains(secret), "{secret} leaked in {shown}");
    }
}

mod config;
mod create_key;
mod refusals;
mod remote_tokens;
mod requests;
mod retries;
