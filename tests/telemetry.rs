//! Feature `tracing`: a capturing subscriber (written here, on `tracing`'s
//! own `Subscriber` trait) over the API client against the emulator
//! (retries, 429 with `Retry-After`, a created key), the fallback minter
//! (local, remote, hit, coalesced), the local cache, a reloading keyring
//! and local mints: the fields each span and event carries, and that no
//! token, signature, key material, credential or URL appears in any of them.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use cf_stream_token::api::{Client, Credentials};
use cf_stream_token::emulator::{Emulator, Fault, Route};
use cf_stream_token::{
    AccessRule, Action, FallbackMinter, Keyring, ReloadingKeyring, SecretSource, TokenOptions,
    TokenSource, VideoId,
};
use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id, Record};
use tracing::{Event, Metadata, Subscriber};

use crate::common::*;

const ACCOUNT: &str = "023e105f4ecef8ad9ca31a8372d0c353";
const API_TOKEN: &str = "cf-test-api-token-7d1f0b2c9a";

/// A span or an event as recorded: its name (an event's is its target),
/// its parent span, its fields as text.
#[derive(Clone, Debug, Default)]
struct Rec {
    name: String,
    target: String,
    level: String,
    parent: Option<u64>,
    fields: BTreeMap<String, String>,
}

impl Rec {
    fn get(&self, field: &str) -> Option<&str> {
        self.fields.get(field).map(String::as_str)
    }
}

#[derive(Default)]
struct Log {
    spans: BTreeMap<u64, Rec>,
    events: Vec<Rec>,
    stack: Vec<u64>,
}

#[derive(Clone, Default)]
struct Capture(Arc<Mutex<Log>>);

struct Fields<'a>(&'a mut BTreeMap<String, String>);

impl Visit for Fields<'_> {
    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        self.0.insert(field.name().to_owned(), format!("{value:?}"));
    }

    fn record_str(&mut self, field: &Field, value: &str) {
        self.0.insert(field.name().to_owned(), value.to_owned());
    }
}

static NEXT_ID: AtomicU64 = AtomicU64::new(1);

impl Subscriber for Capture {
    fn enabled(&self, _: &Metadata<'_>) -> bool {
        true
    }

    fn new_span(&self, attrs: &Attributes<'_>) -> Id {
        let id = NEXT_ID.fetch_add(1, Ordering::Relaxed);
        let mut log = self.0.lock().unwrap();
        let parent = match attrs.parent() {
            Some(p) => Some(p.into_u64()),
            None if attrs.is_contextual() => log.stack.last().copied(),
            None => None,
        };
        let mut rec = Rec {
            name: attrs.metadata().name().to_owned(),
            target: attrs.metadata().target().to_owned(),
            level: attrs.metadata().level().to_string(),
            parent,
            fields: BTreeMap::new(),
        };
        attrs.record(&mut Fields(&mut rec.fields));
        log.spans.insert(id, rec);
        Id::from_u64(id)
    }

    fn record(&self, span: &Id, values: &Record<'_>) {
        let mut log = self.0.lock().unwrap();
        if let Some(rec) = log.spans.get_mut(&span.into_u64()) {
            values.record(&mut Fields(&mut rec.fields));
        }
    }

    fn record_follows_from(&self, _: &Id, _: &Id) {}

    fn event(&self, event: &Event<'_>) {
        let mut log = self.0.lock().unwrap();
        let parent = event
            .parent()
            .map(Id::into_u64)
            .or_else(|| log.stack.last().copied());
        let mut rec = Rec {
            name: event.metadata().target().to_owned(),
            target: event.metadata().target().to_owned(),
            level: event.metadata().level().to_string(),
            parent,
            fields: BTreeMap::new(),
        };
        event.record(&mut Fields(&mut rec.fields));
        log.events.push(rec);
    }

    fn enter(&self, span: &Id) {
        self.0.lock().unwrap().stack.push(span.into_u64());
    }

    fn exit(&self, span: &Id) {
        let mut log = self.0.lock().unwrap();
        if let Some(i) = log.stack.iter().rposition(|s| *s == span.into_u64()) {
            log.stack.remove(i);
        }
    }
}

impl Capture {
    fn spans(&self) -> Vec<(u64, Rec)> {
        let log = self.0.lock().unwrap();
        log.spans.iter().map(|(k, v)| (*k, v.clone())).collect()
    }

    fn events(&self) -> Vec<Rec> {
        self.0.lock().unwrap().events.clone()
    }

    fn events_of(&self, target: &str) -> Vec<Rec> {
        self.events()
            .into_iter()
            .filter(|e| e.target == target)
            .collect()
    }

    /// Every text a subscriber was shown: names, field names and values.
    fn all_text(&self) -> String {
        let log = self.0.lock().unwrap();
        let mut out = String::new();
        for rec in log.spans.values().chain(log.events.iter()) {
            out.push_str(&rec.name);
            for (k, v) in &rec.fields {
                out.push_str(&format!(" {k}={v}"));
            }
            out.push('\n');
        }
        out
    }
}

fn client(e: &Emulator) -> Client {
    Client::builder(
        cf_stream_token::AccountId::new(ACCOUNT).unwrap(),
        Credentials::api_token(API_TOKEN).unwrap(),
    )
    .base_url(e.api_base_url())
    .backoff(Duration::from_millis(5), Duration::from_millis(20))
    .timeout(Duration::from_secs(10))
    .clock(|| at(NOW))
    .build()
    .unwrap()
}

/// tracing caches each call site's interest process-wide, and while only
/// one subscriber is registered it asks just the current thread's: a call
/// site first reached by a parallel test's thread (most tests run without a
/// subscriber) is then cached as disabled, for this test's subscriber too.
/// A second registered dispatcher, kept for the whole run, makes tracing
/// ask every live subscriber; the rebuild then re-asks the call sites
/// already registered, now that this test's subscriber is in place.
fn refresh_interest() {
    static SECOND: std::sync::OnceLock<tracing::Dispatch> = std::sync::OnceLock::new();
    SECOND.get_or_init(|| tracing::Dispatch::new(Capture::default()));
    tracing::callsite::rebuild_interest_cache();
}

fn run<T>(capture: &Capture, f: impl std::future::Future<Output = T>) -> T {
    tracing::subscriber::with_default(capture.clone(), || {
        refresh_interest();
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap()
            .block_on(f)
    })
}

/// What must never be shown: every token minted in the test and its
/// signature, the API token, the created key's private parts, the demo
/// key's.
struct Secrets(Vec<String>);

impl Secrets {
    fn token(&mut self, token: &str) {
        self.0.push(token.to_owned());
        self.0
            .push(token.rsplit('.').next().unwrap()[..40].to_owned());
        // The claims part, too: a URL-safe base64 payload.
        self.0
            .push(token.split('.').nth(1).unwrap()[..30].to_owned());
    }

    fn assert_absent_from(&self, text: &str) {
        assert!(!text.is_empty());
        for secret in &self.0 {
            assert!(
                !text.contains(secret.as_str()),
                "{secret:?} shows in:\n{text}"
            );
        }
        for marker in ["eyJ", "Bearer", "http://", "https://", "BEGIN", "PRIVATE"] {
            assert!(!text.contains(marker), "{marker:?} shows in:\n{text}");
        }
    }
}

#[test]
fn api_calls_and_attempts_carry_route_status_codes_and_retry_after_never_a_secret() {
    let capture = Capture::default();
    let mut secrets = Secrets(vec![API_TOKEN.to_owned()]);
    secrets.0.extend(demo_secrets());
    let video = video();
    let (created_secret, remote_tokens) = run(&capture, async {
        let e = Emulator::builder()
            .api_token(API_TOKEN)
            .clock_at(at(NOW))
            .start()
            .await
            .unwrap();
        let account = cf_stream_token::AccountId::new(ACCOUNT).unwrap();
        e.register_video(&account, &video, false).unwrap();
        let client = client(&e);

        // A 503 then an answer: two attempts in one call.
        e.add_fault(Fault::status(Route::ListKeys, 503));
        assert!(client.list_signing_keys().await.unwrap().is_empty());
        // A 429 with Retry-After: 1 second.
        e.add_fault(Fault::status(Route::CreateKey, 429).retry_after(1));
        let created = client.create_signing_key().await.unwrap();
        let created_secret = created.secret_result_json().to_owned();
        // A refusal that is not retried.
        let unknown = cf_stream_token::KeyId::new("0123456789abcdef0123456789abcdef").unwrap();
        assert!(client.delete_signing_key(&unknown).await.is_err());

        // The fallback minter, remote: the first call asks, the second hits,
        // two at once for a new entry make one call.
        let minter = FallbackMinter::builder()
            .client(client.clone())
            .clock(|| at(NOW))
            .build()
            .unwrap();
        let opts = TokenOptions::default();
        let first = minter.mint(&video, &opts).await.unwrap();
        let again = minter.mint(&video, &opts).await.unwrap();
        assert_eq!(first.as_str(), again.as_str());
        let longer = TokenOptions::builder()
            .lifetime(Duration::from_secs(7200))
            .build()
            .unwrap();
        let (a, b) = tokio::join!(minter.mint(&video, &longer), minter.mint(&video, &longer));
        let (a, b) = (a.unwrap(), b.unwrap());
        assert_eq!(a.as_str(), b.as_str());

        // The fallback minter, local.
        let local = FallbackMinter::builder()
            .signing_key(demo_key())
            .clock(|| at(NOW))
            .build()
            .unwrap();
        let signed = local.mint(&video, &opts).await.unwrap();
        (
            created_secret,
            vec![first.into_string(), a.into_string(), signed.into_string()],
        )
    });
    for t in &remote_tokens {
        secrets.token(t);
    }
    for line in created_secret.split(['"', '\\', ',', ':']) {
        if line.len() > 30 {
            secrets.0.push(line[..30].to_owned());
        }
    }

    let spans = capture.spans();
    let calls: Vec<&(u64, Rec)> = spans
        .iter()
        .filter(|(_, s)| s.name == "cf_stream_token.api")
        .collect();
    let attempts_of = |id: u64| -> Vec<Rec> {
        spans
            .iter()
            .filter(|(_, s)| s.name == "cf_stream_token.api.attempt" && s.parent == Some(id))
            .map(|(_, s)| s.clone())
            .collect()
    };

    // The list: two attempts, 503 (its code, Cloudflare's envelope) then 200.
    let (list_id, list) = calls
        .iter()
        .find(|(_, s)| s.get("method") == Some("GET"))
        .unwrap();
    assert_eq!(
        list.get("route"),
        Some("/accounts/{account_id}/stream/keys")
    );
    assert_eq!(list.get("attempts"), Some("2"));
    assert_eq!(list.get("outcome"), Some("ok"));
    assert_eq!(list.level, "INFO");
    let tries = attempts_of(*list_id);
    assert_eq!(tries.len(), 2);
    assert_eq!(tries[0].get("attempt"), Some("1"));
    assert_eq!(tries[0].get("status"), Some("503"));
    assert_eq!(tries[0].get("error"), Some("server_error"));
    assert_eq!(tries[0].get("cf_errors"), Some("503"));
    assert_eq!(tries[1].get("attempt"), Some("2"));
    assert_eq!(tries[1].get("status"), Some("200"));
    assert_eq!(tries[1].get("error"), None);

    // The create: a 429 with Retry-After, waited, then the key.
    let (create_id, create) = calls
        .iter()
        .find(|(_, s)| {
            s.get("method") == Some("POST")
                && s.get("route") == Some("/accounts/{account_id}/stream/keys")
        })
        .unwrap();
    assert_eq!(create.get("attempts"), Some("2"));
    let tries = attempts_of(*create_id);
    assert_eq!(tries[0].get("status"), Some("429"));
    assert_eq!(tries[0].get("error"), Some("rate_limited"));
    assert_eq!(tries[0].get("retry_after_ms"), Some("1000"));
    assert_eq!(tries[1].get("status"), Some("200"));
    let api_events = capture.events_of("cf_stream_token::api");
    let retry = api_events
        .iter()
        .find(|e| e.get("message") == Some("retrying") && e.parent == Some(*create_id))
        .unwrap();
    assert_eq!(retry.get("wait_ms"), Some("1000"));
    let outcome = api_events
        .iter()
        .find(|e| e.get("message") == Some("create signing key"))
        .unwrap();
    assert_eq!(outcome.get("outcome"), Some("saved"));

    // The delete: refused once, not retried; the route names the key, never its id.
    let (delete_id, delete) = calls
        .iter()
        .find(|(_, s)| s.get("method") == Some("DELETE"))
        .unwrap();
    assert_eq!(
        delete.get("route"),
        Some("/accounts/{account_id}/stream/keys/{key_id}")
    );
    assert_eq!(
        (delete.get("attempts"), delete.get("outcome")),
        (Some("1"), Some("error"))
    );
    assert_eq!(delete.get("error"), Some("not_found"));
    assert_eq!(attempts_of(*delete_id)[0].get("status"), Some("404"));

    // Token calls: two (the first mint, and one for the two at once).
    let token_calls = calls
        .iter()
        .filter(|(_, s)| s.get("route") == Some("/accounts/{account_id}/stream/{video_uid}/token"))
        .count();
    assert_eq!(token_calls, 2);

    let decisions: Vec<String> = capture
        .events_of("cf_stream_token::fallback")
        .iter()
        .map(|e| {
            assert_eq!(e.get("video"), Some(video.as_str()));
            assert_eq!(e.level, "DEBUG");
            e.get("decision").unwrap().to_owned()
        })
        .collect();
    assert_eq!(decisions, ["remote", "hit", "remote", "coalesced", "local"]);

    // The local fallback signs through a Signer: a debug mint event.
    let mints = capture.events_of("cf_stream_token::mint");
    assert_eq!(mints.len(), 1);
    assert_eq!(
        mints[0].get("kid"),
        Some("8f3c2a1b9d4e5f60718293a4b5c6d7e8")
    );
    assert_eq!(mints[0].get("lifetime_secs"), Some("3600"));
    assert_eq!(mints[0].get("rules"), Some("0"));

    let text = capture.all_text();
    assert!(!text.contains(ACCOUNT), "the account id shows in:\n{text}");
    secrets.assert_absent_from(&text);
}

#[test]
fn reloads_cache_decisions_and_mints_are_reported_without_key_material() {
    let capture = Capture::default();
    let mut secrets = Secrets(demo_secrets());
    let dir = crate::common::Scratch::new("cf-stream-token-telemetry");
    let path = dir.join("ring.json");
    let t0 = 1_800_000_000;
    let mut ring = Keyring::start_at(at(t0), &text("demo/demo_create_result.json")).unwrap();
    std::fs::write(&path, ring.secret_document().unwrap().as_bytes()).unwrap();
    let opts = TokenOptions::builder()
        .access_rule(AccessRule::countries(Action::Allow, ["GB"]).unwrap())
        .access_rule(AccessRule::any(Action::Block))
        .lifetime(Duration::from_secs(600))
        .build()
        .unwrap();
    let video: VideoId = video();
    let tokens = tracing::subscriber::with_default(capture.clone(), || {
        refresh_interest();
        let reloading = ReloadingKeyring::builder(SecretSource::file(&path))
            .background(false)
            .start()
            .unwrap();
        let t1 = reloading.mint_at(at(t0), &video, &opts).unwrap();
        let _ = reloading.reload_now();
        std::fs::write(&path, "{\"version\":1").unwrap();
        let _ = reloading.reload_now();
        ring.add_next_at(at(t0), &text("other/other.jwk.json"))
            .unwrap();
        std::fs::write(&path, ring.secret_document().unwrap().as_bytes()).unwrap();
        let _ = reloading.reload_now();
        let mut tokens = vec![t1.into_string()];
        #[cfg(feature = "cache")]
        {
            let cache = cf_stream_token::CachingSigner::builder(demo_signer())
                .build()
                .unwrap();
            tokens.push(cache.mint_at(at(t0), &video, &opts).unwrap().into_string());
            tokens.push(
                cache
                    .mint_at(at(t0 + 1), &video, &opts)
                    .unwrap()
                    .into_string(),
            );
        }
        tokens
    });
    for t in &tokens {
        secrets.token(t);
    }

    let reloads = capture.events_of("cf_stream_token::reload");
    let outcomes: Vec<&str> = reloads.iter().map(|e| e.get("outcome").unwrap()).collect();
    assert_eq!(outcomes, ["loaded", "unchanged", "failed", "replaced"]);
    let source = format!("file {}", path.display());
    for e in &reloads {
        assert_eq!(e.get("source"), Some(source.as_str()));
        assert_eq!(e.get("kid"), Some("8f3c2a1b9d4e5f60718293a4b5c6d7e8"));
    }
    assert_eq!(reloads[0].get("serial"), Some("0"));
    assert_eq!(reloads[3].get("serial"), Some("1"));
    assert_eq!(reloads[2].level, "WARN");
    assert_eq!(reloads[2].get("error"), Some("invalid_keyring"));
    assert!(
        reloads[2]
            .get("reason")
            .unwrap()
            .contains("invalid keyring")
    );

    let mints = capture.events_of("cf_stream_token::mint");
    assert!(!mints.is_empty());
    assert_eq!(mints[0].get("video"), Some(video.as_str()));
    assert_eq!(mints[0].get("lifetime_secs"), Some("600"));
    assert_eq!(mints[0].get("rules"), Some("2"));
    assert_eq!(mints[0].level, "DEBUG");

    #[cfg(feature = "cache")]
    {
        let events = capture.events_of("cf_stream_token::cache");
        let decisions: Vec<&str> = events.iter().map(|e| e.get("decision").unwrap()).collect();
        assert_eq!(decisions, ["miss", "hit"]);
    }

    secrets.assert_absent_from(&capture.all_text());
    std::fs::remove_dir_all(dir).unwrap();
}
