//! The fallback minter: local when a key is configured, remote (cached,
//! one request per burst) otherwise, errors never softened.

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::Duration;

use cf_stream_token::{ErrorKind, FallbackMinter, FallbackMinterBuilder, TokenOptions, VideoId};
use serde_json::json;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::api::{ACCOUNT, API_TOKEN, MintFromBody, builder, token_path};
use crate::common::*;

/// A clock the test moves by hand.
#[derive(Clone)]
struct TestClock(Arc<AtomicI64>);

impl TestClock {
    fn new(unix: i64) -> Self {
        TestClock(Arc::new(AtomicI64::new(unix)))
    }
    fn set(&self, unix: i64) {
        self.0.store(unix, Ordering::SeqCst);
    }
    fn reader(&self) -> impl Fn() -> time::OffsetDateTime + Send + Sync + 'static {
        let t = self.0.clone();
        move || at(t.load(Ordering::SeqCst))
    }
}

fn remote(server: &MockServer, clock: &TestClock) -> FallbackMinter {
    FallbackMinter::builder()
        .client(builder(server).build().unwrap())
        .clock(clock.reader())
        .build()
        .unwrap()
}

async fn request_count(server: &MockServer) -> usize {
    server.received_requests().await.unwrap().len()
}

fn env(
    pairs: Vec<(&'static str, String)>,
) -> impl Fn(&str) -> Option<String> + Send + Sync + 'static {
    move |name| {
        pairs
            .iter()
            .find(|(k, _)| *k == name)
            .map(|(_, v)| v.clone())
    }
}

fn api_env(server: &MockServer) -> Vec<(&'static str, String)> {
    vec![
        ("CLOUDFLARE_ACCOUNT_ID", ACCOUNT.to_owned()),
        ("CLOUDFLARE_API_TOKEN", API_TOKEN.to_owned()),
        ("CLOUDFLARE_BASE_URL", server.uri()),
    ]
}

#[tokio::test]
async fn a_configured_key_mints_locally_without_any_request() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(MintFromBody)
        .expect(0)
        .mount(&server)
        .await;
    // Every key form works; PEM needs the key id.
    let mut vars = api_env(&server);
    vars.push(("CF_STREAM_SIGNING_KEY", text("demo/demo_pkcs1.pem")));
    vars.push(("CF_STREAM_KEY_ID", DEMO_KID.to_owned()));
    let minter = FallbackMinterBuilder::from_env_with(env(vars))
        .unwrap()
        .clock(|| at(NOW))
        .build()
        .unwrap();
    assert!(minter.is_local());
    assert!(minter.client().is_none());
    assert_eq!(minter.signer().unwrap().kid().as_str(), DEMO_KID);

    let token = minter
        .mint(&video(), &TokenOptions::default())
        .await
        .unwrap();
    assert_eq!(token.as_str(), text("golden/minimal.jwt"));

    let saved = vec![(
        "CF_STREAM_SIGNING_KEY",
        text("demo/demo_create_result.json"),
    )];
    let from_saved = FallbackMinterBuilder::from_env_with(env(saved))
        .unwrap()
        .clock(|| at(NOW))
        .build()
        .unwrap();
    assert_eq!(
        from_saved
            .mint(&video(), &TokenOptions::default())
            .await
            .unwrap()
            .as_str(),
        text("golden/minimal.jwt")
    );
    assert_eq!(request_count(&server).await, 0);
}

#[tokio::test]
async fn a_configured_but_bad_key_is_an_error_not_a_reason_to_go_remote() {
    let server = MockServer::start().await;
    let mut vars = api_env(&server);
    vars.push(("CF_STREAM_SIGNING_KEY", text("demo/demo_pkcs1.pem")));
    let e = FallbackMinterBuilder::from_env_with(env(vars.clone())).unwrap_err();
    assert_eq!(e.kind(), &ErrorKind::KeyIdRequired);
    vars.push(("CF_STREAM_KEY_ID", "a/b".to_owned()));
    let e = FallbackMinterBuilder::from_env_with(env(vars)).unwrap_err();
    assert_eq!(e.kind(), &ErrorKind::InvalidKeyId);
    let e = FallbackMinterBuilder::from_env_with(env(vec![])).unwrap_err();
    assert_eq!(
        e.kind(),
        &ErrorKind::MissingConfig {
            name: "CLOUDFLARE_ACCOUNT_ID"
        }
    );
    assert_eq!(request_count(&server).await, 0);
}

#[tokio::test]
async fn without_a_key_it_mints_remotely() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(token_path()))
        .respond_with(MintFromBody)
        .expect(1)
        .mount(&server)
        .await;
    let minter = FallbackMinterBuilder::from_env_with(env(api_env(&server)))
        .unwrap()
        .clock(|| at(NOW))
        .build()
        .unwrap();
    assert!(!minter.is_local());
    assert_eq!(minter.client().unwrap().account().as_str(), ACCOUNT);

    let token = minter
        .mint(&video(), &TokenOptions::default())
        .await
        .unwrap();
    assert_eq!(token.exp(), NOW + 3600);
    let req = &server.received_requests().await.unwrap()[0];
    assert_eq!(
        String::from_utf8(req.body.clone()).unwrap(),
        format!(r#"{{"exp":{}}}"#, NOW + 3600)
    );
    assert_eq!(
        req.headers.get("authorization").unwrap().to_str().unwrap(),
        format!("Bearer {API_TOKEN}")
    );
}

#[tokio::test]
async fn twenty_concurrent_mints_of_one_video_make_one_request() {
    let server = MockServer::start().await;
    // Slow enough that every task arrives while the call is in flight.
    Mock::given(method("POST"))
        .respond_with(DelayedMint(Duration::from_millis(300)))
        .expect(1)
        .mount(&server)
        .await;
    let clock = TestClock::new(NOW);
    let minter = remote(&server, &clock);
    let opts = TokenOptions::default();

    let tasks: Vec<_> = (0..20)
        .map(|_| {
            let minter = minter.clone();
            let opts = opts.clone();
            tokio::spawn(async move { minter.mint(&video(), &opts).await.unwrap() })
        })
        .collect();
    let mut tokens = Vec::new();
    for t in tasks {
        tokens.push(t.await.unwrap().into_string());
    }
    assert_eq!(request_count(&server).await, 1);
    assert!(tokens.iter().all(|t| *t == tokens[0]));
}

#[tokio::test]
async fn a_one_entry_cache_still_makes_one_request_per_video_in_a_burst() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(DelayedMint(Duration::from_millis(300)))
        .expect(2)
        .mount(&server)
        .await;
    let minter = FallbackMinter::builder()
        .client(builder(&server).build().unwrap())
        .clock(|| at(NOW))
        .max_entries(1)
        .build()
        .unwrap();
    let other = VideoId::new("00000000000000000000000000000001").unwrap();
    // Calls in flight are not entries: evicting one video's entry for the
    // other's never sends a waiter to make a call of its own.
    let tasks: Vec<_> = (0..20)
        .map(|i| {
            let minter = minter.clone();
            let v = if i % 2 == 0 { video() } else { other };
            tokio::spawn(async move {
                let t = minter.mint(&v, &TokenOptions::default()).await.unwrap();
                (v, t.into_string())
            })
        })
        .collect();
    let mut by_video = std::collections::HashMap::new();
    for t in tasks {
        let (v, token) = t.await.unwrap();
        by_video.entry(v).or_insert_with(Vec::new).push(token);
    }
    assert_eq!(request_count(&server).await, 2);
    assert_eq!(by_video.len(), 2);
    for tokens in by_video.values() {
        assert_eq!(tokens.len(), 10);
        assert!(tokens.iter().all(|t| *t == tokens[0]));
    }
}

#[tokio::test]
async fn two_callers_with_one_stale_entry_make_one_request() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(DelayedMint(Duration::from_millis(300)))
        .expect(2)
        .mount(&server)
        .await;
    let clock = TestClock::new(NOW);
    let minter = remote(&server, &clock);
    let opts = TokenOptions::default();
    let first = minter.mint(&video(), &opts).await.unwrap();
    // Below the share: every caller sees the same stale entry, one replaces
    // it, the others wait for that call instead of dropping its answer.
    clock.set(NOW + 1801);
    let tasks: Vec<_> = (0..10)
        .map(|_| {
            let minter = minter.clone();
            let opts = opts.clone();
            tokio::spawn(async move { minter.mint(&video(), &opts).await.unwrap() })
        })
        .collect();
    for t in tasks {
        let t = t.await.unwrap();
        assert_ne!(t, first);
        assert_eq!(t.exp(), NOW + 1801 + 3600);
    }
    assert_eq!(request_count(&server).await, 2);
}

#[tokio::test]
async fn a_share_of_one_serves_the_callers_own_answer_after_a_slow_call() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(DelayedMint(Duration::from_millis(300)))
        .expect(1)
        .mount(&server)
        .await;
    let clock = TestClock::new(NOW);
    let minter = FallbackMinter::builder()
        .client(builder(&server).build().unwrap())
        .clock(clock.reader())
        .min_remaining_share(1.0)
        .build()
        .unwrap();
    let task = {
        let minter = minter.clone();
        tokio::spawn(async move { minter.mint(&video(), &TokenOptions::default()).await })
    };
    // The clock moves on while the request is out: its answer now has less
    // than all of its lifetime left, and is still this caller's to use.
    tokio::time::sleep(Duration::from_millis(100)).await;
    clock.set(NOW + 5);
    let token = task.await.unwrap().unwrap();
    assert_eq!(token.exp(), NOW + 3600);
    assert_eq!(request_count(&server).await, 1);
}

/// [`MintFromBody`], answering after a delay.
struct DelayedMint(Duration);

impl wiremock::Respond for DelayedMint {
    fn respond(&self, req: &wiremock::Request) -> ResponseTemplate {
        MintFromBody.respond(req).set_delay(self.0)
    }
}

#[tokio::test]
async fn a_cached_token_is_reused_then_refreshed_below_the_threshold() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(MintFromBody)
        .mount(&server)
        .await;
    let clock = TestClock::new(NOW);
    let minter = remote(&server, &clock); // default: reuse while >= 50% remains
    let opts = TokenOptions::default(); // one hour

    let first = minter.mint(&video(), &opts).await.unwrap();
    assert_eq!(first.exp(), NOW + 3600);
    assert_eq!(request_count(&server).await, 1);

    // 1,800 s left of 3,600: exactly half, still reused.
    clock.set(NOW + 1800);
    let again = minter.mint(&video(), &opts).await.unwrap();
    assert_eq!(again, first);
    assert_eq!(request_count(&server).await, 1);

    // 1,799 s left: below half, refreshed once, then the new one is reused.
    clock.set(NOW + 1801);
    let refreshed = minter.mint(&video(), &opts).await.unwrap();
    assert_eq!(refreshed.exp(), NOW + 1801 + 3600);
    assert_eq!(request_count(&server).await, 2);
    clock.set(NOW + 1900);
    assert_eq!(minter.mint(&video(), &opts).await.unwrap(), refreshed);
    assert_eq!(request_count(&server).await, 2);

    // Each (video, options) pair has its own entry.
    let other_video = VideoId::new("00000000000000000000000000000001").unwrap();
    minter.mint(&other_video, &opts).await.unwrap();
    let downloadable = opts.to_builder().downloadable(true).build().unwrap();
    let d = minter.mint(&video(), &downloadable).await.unwrap();
    assert!(d.claims().downloadable());
    assert_eq!(request_count(&server).await, 4);
}

#[tokio::test]
async fn the_threshold_is_configurable() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(MintFromBody)
        .mount(&server)
        .await;
    let clock = TestClock::new(NOW);
    let minter = FallbackMinter::builder()
        .client(builder(&server).build().unwrap())
        .clock(clock.reader())
        .min_remaining_share(0.9)
        .build()
        .unwrap();
    let opts = TokenOptions::default();
    minter.mint(&video(), &opts).await.unwrap();
    clock.set(NOW + 360); // 90% left: reused
    minter.mint(&video(), &opts).await.unwrap();
    assert_eq!(request_count(&server).await, 1);
    clock.set(NOW + 361);
    minter.mint(&video(), &opts).await.unwrap();
    assert_eq!(request_count(&server).await, 2);
}

#[tokio::test]
async fn a_remote_failure_is_returned_not_a_stale_token() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(MintFromBody)
        .up_to_n_times(1)
        .with_priority(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(403).set_body_json(json!({
            "success": false,
            "errors": [{"code": 10000, "message": "Authentication error"}],
            "messages": [],
            "result": null
        })))
        .mount(&server)
        .await;
    let clock = TestClock::new(NOW);
    let minter = remote(&server, &clock);
    let opts = TokenOptions::default();
    minter.mint(&video(), &opts).await.unwrap();

    // The cached token is still valid, but below the threshold: no reuse.
    clock.set(NOW + 2000);
    let e = minter.mint(&video(), &opts).await.unwrap_err();
    assert_eq!(e.kind(), &ErrorKind::Forbidden);
    assert_eq!(e.api_details().unwrap().errors()[0].code(), 10000);
    // And the next call tries again rather than replaying the error.
    let e = minter.mint(&video(), &opts).await.unwrap_err();
    assert_eq!(e.kind(), &ErrorKind::Forbidden);
    assert_eq!(request_count(&server).await, 3);
}

#[tokio::test]
async fn callers_waiting_on_a_failing_call_share_its_error() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(
            ResponseTemplate::new(429)
                .insert_header("retry-after", "300")
                .set_delay(Duration::from_millis(300)),
        )
        .expect(1)
        .mount(&server)
        .await;
    let minter = remote(&server, &TestClock::new(NOW));
    let tasks: Vec<_> = (0..10)
        .map(|_| {
            let minter = minter.clone();
            tokio::spawn(async move {
                minter
                    .mint(&video(), &TokenOptions::default())
                    .await
                    .unwrap_err()
            })
        })
        .collect();
    for t in tasks {
        let e = t.await.unwrap();
        assert_eq!(
            e.kind(),
            &ErrorKind::RateLimited {
                retry_after: Some(Duration::from_secs(300))
            }
        );
        assert_eq!(e.api_details().unwrap().status(), 429);
    }
    assert_eq!(request_count(&server).await, 1);
}

#[tokio::test]
async fn the_policy_is_enforced_in_both_modes_before_anything_else() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(MintFromBody)
        .expect(0)
        .mount(&server)
        .await;
    let too_far = TokenOptions::builder()
        .expires_at(at(NOW + 86_401))
        .build()
        .unwrap();
    let local = FallbackMinter::builder()
        .signer(demo_signer())
        .clock(|| at(NOW))
        .build()
        .unwrap();
    let remote = remote(&server, &TestClock::new(NOW));
    for minter in [local, remote] {
        let e = minter.mint(&video(), &too_far).await.unwrap_err();
        assert!(matches!(e.kind(), ErrorKind::ExpiryTooFar { .. }));
    }
}

#[tokio::test]
async fn debug_shows_the_mode_and_no_secret() {
    let server = MockServer::start().await;
    let local = FallbackMinter::builder()
        .signer(demo_signer())
        .build()
        .unwrap();
    assert_eq!(
        format!("{local:?}"),
        format!(r#"FallbackMinter {{ local: Signer {{ kid: "{DEMO_KID}", .. }}, .. }}"#)
    );
    let remote = remote(&server, &TestClock::new(NOW));
    let shown = format!("{remote:?}");
    assert!(
        shown.contains("Credentials::ApiToken(<redacted>)"),
        "{shown}"
    );
    assert!(!shown.contains(API_TOKEN));
}

mod share_property {
    use proptest::prelude::*;

    use super::*;

    proptest! {
        #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

        /// Whatever the share, lifetime and the clock's steps, the fallback
        /// never hands out a remote token with less than the configured share
        /// of its lifetime left (nor an expired one).
        #[test]
        fn never_less_than_the_share_left(
            share in 0.05f64..0.95,
            lifetime in 60u64..=86_400,
            steps in proptest::collection::vec(0u64..=50_000, 1..12),
        ) {
            let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
            rt.block_on(async {
                let server = MockServer::start().await;
                Mock::given(method("POST"))
                    .and(path(token_path()))
                    .respond_with(MintFromBody)
                    .mount(&server)
                    .await;
                let clock = TestClock::new(NOW);
                let minter = FallbackMinter::builder()
                    .client(builder(&server).build().unwrap())
                    .clock(clock.reader())
                    .min_remaining_share(share)
                    .build()
                    .unwrap();
                let opts = TokenOptions::builder()
                    .lifetime(Duration::from_secs(lifetime))
                    .build()
                    .unwrap();
                let mut now = NOW;
                for step in steps {
                    now += (step % lifetime) as i64;
                    clock.set(now);
                    let t = minter.mint(&video(), &opts).await.unwrap();
                    let left = (t.exp() - now) as f64;
                    prop_assert!(left > 0.0, "expired token handed out");
                    prop_assert!(
                        left >= share * lifetime as f64,
                        "{left} s left of {lifetime} s is under the share {share}"
                    );
                }
                Ok(())
            })?;
        }
    }
}
