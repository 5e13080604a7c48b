//! `keys rotate|promote|retire|revoke|reconcile` and `--keyring`, the
//! binary against an emulator started here (issue 13). The emulator's
//! clock follows the system clock, as the binary's does, so the ring's
//! durations are seconds and the test waits them out for real.

use std::time::{Duration, Instant};

use cf_stream_token::emulator::Emulator;
use cf_stream_token::{KeyId, Keyring};

use super::*;
use crate::emulator::{client as emu_client, verdict};

const HLS: &str = "manifest/video.m3u8";

async fn live_emulator() -> Emulator {
    Emulator::builder()
        .api_token(API_TOKEN)
        .start()
        .await
        .unwrap()
}

fn keys(e: &Emulator, args: &[&str]) -> Cli {
    let mut all = vec!["keys"];
    all.extend_from_slice(args);
    all.extend_from_slice(&["--account-id", ACCOUNT]);
    cli(&all)
        .env("CLOUDFLARE_BASE_URL", &e.api_base_url())
        .env("CLOUDFLARE_API_TOKEN", API_TOKEN)
}

fn ring_cmd(args: &[&str]) -> Cli {
    let mut all = vec!["keys"];
    all.extend_from_slice(args);
    cli(&all)
}

fn mint_with(ring: &str, ttl: &str) -> String {
    cli(&["mint", "--keyring", ring, "--video", VIDEO, "--ttl", ttl]).ok()
}

fn kid_of(token: &str) -> String {
    decode_unverified(token)
        .unwrap()
        .header
        .kid()
        .unwrap()
        .to_owned()
}

#[derive(Default)]
struct Plays {
    plays: usize,
    failures: Vec<(u16, Option<String>)>,
}

impl Plays {
    async fn play(&mut self, e: &Emulator, token: &str) {
        let (status, reason) = verdict(e, token, HLS).await;
        self.plays += 1;
        if status != 200 {
            self.failures.push((status, reason));
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rotate_promote_retire_through_the_cli_with_zero_failed_plays() {
    let e = live_emulator().await;
    let dir = TempDir::new();
    let ring_path = dir.path("ring.json");
    let ring = path_str(&ring_path);

    let first = json_of(
        &keys(
            &e,
            &["rotate", "--keyring", ring, "--max-token-lifetime", "4s"],
        )
        .ok(),
    );
    assert_eq!(first["state"], "current");
    let a = first["kid"].as_str().unwrap().to_owned();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let mode = std::fs::metadata(&ring_path).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    assert!(!dir.path("ring.json.new-key").exists());
    let ring_a = std::fs::read_to_string(&ring_path).unwrap();

    let mut plays = Plays::default();
    let mut live: Vec<String> = Vec::new();
    let token_a = mint_with(ring, "4s");
    assert_eq!(kid_of(&token_a), a);
    live.push(token_a.clone());
    plays.play(&e, &token_a).await;

    // The ring refuses a token that outlives it.
    let msg = cli(&["mint", "--keyring", ring, "--video", VIDEO, "--ttl", "5s"]).fails(1);
    assert!(msg.contains("maximum token lifetime"), "{msg}");

    let second = json_of(&keys(&e, &["rotate", "--keyring", ring]).ok());
    assert_eq!(second["state"], "next");
    let b = second["kid"].as_str().unwrap().to_owned();
    assert_eq!(
        std::fs::read_to_string(dir.path("ring.json.prev")).unwrap(),
        ring_a
    );
    // A next key does not sign yet.
    assert_eq!(kid_of(&mint_with(ring, "4s")), a);

    let msg = ring_cmd(&["promote", "--keyring", ring, "--min-age", "1h"]).fails(1);
    assert!(msg.contains("younger than the minimum age"), "{msg}");
    let promoted = json_of(&ring_cmd(&["promote", "--keyring", ring, "--min-age", "0s"]).ok());
    assert_eq!(promoted["current"], b.as_str());
    assert_eq!(promoted["previous"], a.as_str());
    let promoted_at = Instant::now();

    // Both keys verify through the ring (a fresh token of the old key, so
    // that a slow machine cannot let it expire first).
    let token_b = mint_with(ring, "4s");
    assert_eq!(kid_of(&token_b), b);
    let fresh_old = Keyring::from_document(&ring_a)
        .unwrap()
        .signer()
        .mint(
            &video(),
            &TokenOptions::builder()
                .lifetime(Duration::from_secs(4))
                .build()
                .unwrap(),
        )
        .unwrap()
        .into_string();
    for t in [&fresh_old, &token_b] {
        let out = json_of(&cli(&["verify", "--keyring", ring, t]).ok());
        assert_eq!(out["claims"]["kid"], kid_of(t).as_str());
    }
    // CF_STREAM_KEYRING holds the document itself.
    let doc = std::fs::read_to_string(&ring_path).unwrap();
    let from_env = cli(&["mint", "--video", VIDEO, "--ttl", "2s"])
        .env("CF_STREAM_KEYRING", &doc)
        .ok();
    assert_eq!(kid_of(&from_env), b);

    // Before the horizon (4 s of tokens + 1 s margin): refused.
    let msg = keys(&e, &["retire", "--keyring", ring, "--margin", "1s"]).fails(1);
    assert!(
        msg.contains(&format!("previous key {a} may still have tokens playing")),
        "{msg}"
    );
    assert!(msg.contains("it can be retired from"), "{msg}");

    // Viewers keep minting and playing until the horizon has passed. A
    // viewer plays while its token has 2 s left: a slow machine must not
    // turn a token running out between the check and the play into a
    // failure that has nothing to do with rotation.
    while promoted_at.elapsed() < Duration::from_millis(5500) {
        live.push(mint_with(ring, "4s"));
        let now_s = now();
        live.retain(|t| decode_unverified(t).unwrap().claims.exp() > now_s + 2);
        for t in &live {
            plays.play(&e, t).await;
        }
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
    let dry = json_of(
        &keys(
            &e,
            &["retire", "--keyring", ring, "--margin", "1s", "--dry-run"],
        )
        .ok(),
    );
    assert_eq!(dry["retired"], json!([a]));
    assert!(
        e.keys(&crate::emulator::account())
            .contains(&KeyId::new(&a).unwrap())
    );
    let retired = json_of(&keys(&e, &["retire", "--keyring", ring, "--margin", "1s"]).ok());
    assert_eq!(retired["retired"], json!([a]));
    assert_eq!(retired["dry_run"], false);
    for t in live
        .iter()
        .filter(|t| decode_unverified(t).unwrap().claims.exp() > now() + 2)
    {
        plays.play(&e, t).await;
    }
    assert_eq!(plays.failures, vec![], "failed plays");
    assert!(plays.plays > 10, "only {} plays", plays.plays);
    assert_eq!(
        e.keys(&crate::emulator::account()),
        vec![KeyId::new(&b).unwrap()]
    );

    // The retired key's tokens, even fresh ones, get revoked-key.
    let old = Keyring::from_document(&ring_a).unwrap();
    let fresh_a = old
        .signer()
        .mint(
            &video(),
            &TokenOptions::default()
                .to_builder()
                .lifetime(Duration::from_secs(2))
                .build()
                .unwrap(),
        )
        .unwrap();
    let (status, reason) = verdict(&e, fresh_a.as_str(), HLS).await;
    assert_ne!(status, 200);
    assert_eq!(reason.as_deref(), Some("revoked-key"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn revoke_and_reconcile_through_the_cli() {
    let e = live_emulator().await;
    let dir = TempDir::new();
    let ring_path = dir.path("ring.json");
    let ring = path_str(&ring_path);
    let a = json_of(&keys(&e, &["rotate", "--keyring", ring]).ok())["kid"]
        .as_str()
        .unwrap()
        .to_owned();
    let leaked = mint_with(ring, "1h");
    assert_eq!(verdict(&e, &leaked, HLS).await, (200, None));

    // The only signing key cannot be revoked.
    let msg = keys(&e, &["revoke", &a, "--keyring", ring]).fails(1);
    assert!(msg.contains("only key able to sign"), "{msg}");
    assert_eq!(verdict(&e, &leaked, HLS).await, (200, None));

    let b = json_of(&keys(&e, &["rotate", "--keyring", ring]).ok())["kid"]
        .as_str()
        .unwrap()
        .to_owned();
    let revoked = json_of(&keys(&e, &["revoke", &a, "--keyring", ring]).ok());
    assert_eq!(revoked["revoked"], a.as_str());
    assert_eq!(revoked["current"], b.as_str());
    assert!(
        revoked["note"]
            .as_str()
            .unwrap()
            .contains("stop playing now")
    );
    let (status, reason) = verdict(&e, &leaked, HLS).await;
    assert_ne!(status, 200);
    assert_eq!(reason.as_deref(), Some("revoked-key"));
    let fresh = mint_with(ring, "1h");
    assert_eq!(kid_of(&fresh), b);
    assert_eq!(verdict(&e, &fresh, HLS).await, (200, None));

    // An orphan, created directly through the API: reported, exit 0.
    let api = emu_client(&e);
    let orphan = api.create_signing_key().await.unwrap().id().to_string();
    let report = json_of(&keys(&e, &["reconcile", "--keyring", ring, "--json"]).ok());
    assert_eq!(report["orphans"], json!([orphan]));
    assert_eq!(report["missing"], json!([]));
    assert_eq!(report["cloudflare"], 2);
    assert_eq!(report["cap"], 1000);
    let text = keys(&e, &["reconcile", "--keyring", ring]).ok();
    assert!(text.contains(&format!("orphans: {orphan}")), "{text}");
    assert!(text.contains("cloudflare: 2 of 1000 keys"), "{text}");
    // --delete-orphans deletes the orphan and never a key of the ring.
    let cleaned = json_of(
        &keys(
            &e,
            &["reconcile", "--keyring", ring, "--delete-orphans", "--json"],
        )
        .ok(),
    );
    assert_eq!(cleaned["deleted"], json!([orphan]));
    assert_eq!(cleaned["cloudflare"], 1);
    assert_eq!(
        e.keys(&crate::emulator::account()),
        vec![KeyId::new(&b).unwrap()]
    );

    // A ring key deleted behind the ring's back: exit 1.
    let c = json_of(&keys(&e, &["rotate", "--keyring", ring]).ok())["kid"]
        .as_str()
        .unwrap()
        .to_owned();
    api.delete_signing_key(&KeyId::new(&c).unwrap())
        .await
        .unwrap();
    let msg = keys(&e, &["reconcile", "--keyring", ring, "--json"]).fails(1);
    assert!(
        msg.contains(&format!(
            "not at Cloudflare (deleted behind the ring's back; their tokens do not play): {c}"
        )),
        "{msg}"
    );
    assert!(msg.contains("1 of 1000 keys used"), "{msg}");
}

#[test]
fn keyring_commands_refuse_what_would_lose_or_break_keys() {
    let dir = TempDir::new();
    let ring_path = dir.path("ring.json");
    let ring = path_str(&ring_path);
    // A ring with a next key already: rotate refuses before any request.
    let mut r = Keyring::start_at(at(NOW), &text("demo/demo_create_result.json")).unwrap();
    r.add_next_at(at(NOW), &text("other/other.jwk.json"))
        .unwrap();
    std::fs::write(&ring_path, r.secret_document().unwrap().as_bytes()).unwrap();
    let msg = cli(&["keys", "rotate", "--keyring", ring, "--account-id", ACCOUNT])
        .env("CLOUDFLARE_BASE_URL", "http://127.0.0.1:9")
        .env("CLOUDFLARE_API_TOKEN", API_TOKEN)
        .fails(1);
    assert!(msg.contains("already has a next key 0123456789abcdef0123456789abcdef; promote it first (no key was created)"), "{msg}");
    // An answer left over from an earlier rotate is never overwritten.
    std::fs::remove_file(&ring_path).unwrap();
    std::fs::write(dir.path("ring.json.new-key"), b"{}").unwrap();
    let msg = cli(&["keys", "rotate", "--keyring", ring, "--account-id", ACCOUNT])
        .env("CLOUDFLARE_BASE_URL", "http://127.0.0.1:9")
        .env("CLOUDFLARE_API_TOKEN", API_TOKEN)
        .fails(1);
    assert!(
        msg.contains("ring.json.new-key\" exists: an earlier rotate left a key's answer there"),
        "{msg}"
    );
    assert!(msg.ends_with("(no key was created)"), "{msg}");
    assert!(!ring_path.exists());
    // url signs with the current key, within the ring's lifetime.
    r.set_max_token_lifetime(Duration::from_secs(7200)).unwrap();
    std::fs::write(&ring_path, r.secret_document().unwrap().as_bytes()).unwrap();
    let url = cli(&[
        "url",
        "--keyring",
        ring,
        "--video",
        VIDEO,
        "--customer-code",
        "f33zs165nr7gyfy4",
        "--kind",
        "hls",
        "--ttl",
        "2h",
    ])
    .ok();
    let token = url
        .strip_prefix("https://customer-f33zs165nr7gyfy4.cloudflarestream.com/")
        .and_then(|rest| rest.strip_suffix("/manifest/video.m3u8"))
        .unwrap_or_else(|| panic!("{url}"));
    assert_eq!(kid_of(token), "8f3c2a1b9d4e5f60718293a4b5c6d7e8");
    let msg = cli(&[
        "url",
        "--keyring",
        ring,
        "--video",
        VIDEO,
        "--customer-code",
        "f33zs165nr7gyfy4",
        "--kind",
        "hls",
        "--ttl",
        "3h",
    ])
    .fails(1);
    assert!(
        msg.contains("past the keyring's maximum token lifetime"),
        "{msg}"
    );
    // --keyring and --key exclude each other.
    cli(&["mint", "--keyring", ring, "--key", ring, "--video", VIDEO]).fails(2);
    // verify with no key anywhere fails as mint does, naming every source.
    let msg = cli(&["verify", "x.y.z"]).fails(1);
    assert_eq!(
        msg,
        "no key: give --key FILE or --keyring FILE, or set CF_STREAM_SIGNING_KEY or CF_STREAM_KEYRING"
    );
    // A broken ring is named, never quoted.
    std::fs::write(&ring_path, b"{\"version\":1}").unwrap();
    let msg = cli(&["mint", "--keyring", ring, "--video", VIDEO]).fails(1);
    assert!(
        msg.contains("invalid keyring: not a keyring document"),
        "{msg}"
    );
}
