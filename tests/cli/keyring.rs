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

    let msg = keys(&e, &["promote", "--keyring", ring, "--min-age", "1h"]).fails(1);
    assert!(msg.contains("younger than the minimum age"), "{msg}");
    let promoted = json_of(&keys(&e, &["promote", "--keyring", ring, "--min-age", "0s"]).ok());
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
    // Each round spawns the CLI to mint: a loaded machine manages only a
    // few rounds in the 5.5 s, so the floor is that the loop played at all
    // after the promotion, not a rate.
    assert!(plays.plays >= 4, "only {} plays", plays.plays);
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
    // --delete-orphans deletes the orphan named and never a key of the ring.
    let cleaned = json_of(
        &keys(
            &e,
            &[
                "reconcile",
                "--keyring",
                ring,
                "--delete-orphans",
                "--orphan",
                &orphan,
                "--json",
            ],
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
    // Times as people read them, not unix seconds.
    assert!(
        msg.starts_with("the token would expire at ") && msg.contains("Z (in 3 h), past"),
        "{msg}"
    );
    assert!(msg.ends_with("Z (in 2 h))"), "{msg}");
    assert!(!msg.contains(&now().to_string()[..6]), "{msg}");
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

// Issue 19, "Keyring commands": key safety.

const OTHER_ACCOUNT: &str = "99999999999999999999999999999999";

fn listed(e: &Emulator) -> Vec<String> {
    let mut ids: Vec<String> = e
        .keys(&crate::emulator::account())
        .iter()
        .map(ToString::to_string)
        .collect();
    ids.sort();
    ids
}

fn ring_kids(path: &std::path::Path) -> Vec<String> {
    let mut ids: Vec<String> = Keyring::from_file(path)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
        .keys()
        .iter()
        .map(|k| k.kid().to_string())
        .collect();
    ids.sort();
    ids
}

fn doc_of(path: &std::path::Path) -> Value {
    json_of(&std::fs::read_to_string(path).unwrap())
}

/// A key made at the emulator whose answer is kept in `file`, as a rotate
/// that could not write its ring leaves it.
async fn rescued_key(e: &Emulator, file: &std::path::Path) -> String {
    let created = emu_client(e).create_signing_key().await.unwrap();
    std::fs::write(file, format!("{}\n", created.secret_result_json())).unwrap();
    created.id().to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_rotates_never_lose_a_key() {
    let e = live_emulator().await;
    let dir = TempDir::new();
    let mut rings = Vec::new();
    for race in 0..24 {
        let ring_path = dir.path(&format!("ring-{race}.json"));
        let ring = path_str(&ring_path).to_owned();
        // Half the races start from a ring with a current key, half from
        // no file at all.
        let fresh = race % 2 == 0;
        if !fresh {
            keys(&e, &["rotate", "--keyring", &ring]).ok();
        }
        // The first create answers late, so the second process starts
        // while the first holds the ring.
        e.add_fault(cf_stream_token::emulator::Fault::delay(
            cf_stream_token::emulator::Route::CreateKey,
            Duration::from_millis(100),
        ));
        let a = keys(&e, &["rotate", "--keyring", &ring]).spawn();
        let b = keys(&e, &["rotate", "--keyring", &ring]).spawn();
        let runs = [finish(a), finish(b)];
        let ok: Vec<&Run> = runs.iter().filter(|r| r.code == Some(0)).collect();
        if fresh {
            assert_eq!(
                ok.len(),
                2,
                "race {race}: {:?}",
                runs.iter().map(|r| &r.stderr).collect::<Vec<_>>()
            );
            let states: Vec<String> = ok
                .iter()
                .map(|r| {
                    json_of(r.stdout.trim())["state"]
                        .as_str()
                        .unwrap()
                        .to_owned()
                })
                .collect();
            assert!(states.contains(&"current".to_owned()) && states.contains(&"next".to_owned()));
        } else {
            assert_eq!(ok.len(), 1, "race {race}");
            let refused = runs.iter().find(|r| r.code != Some(0)).unwrap();
            assert_eq!(refused.code, Some(1));
            assert!(
                refused.stderr.contains("already has a next key")
                    && refused.stderr.contains("(no key was created)"),
                "race {race}: {}",
                refused.stderr
            );
        }
        for r in &ok {
            let kid = json_of(r.stdout.trim())["kid"].as_str().unwrap().to_owned();
            assert!(ring_kids(&ring_path).contains(&kid), "race {race}");
        }
        assert_eq!(ring_kids(&ring_path).len(), 2, "race {race}");
        assert!(!dir.path(&format!("ring-{race}.json.new-key")).exists());
        rings.push(ring_path);
    }
    // Every key Cloudflare lists is in a ring.
    let mut held: Vec<String> = rings.iter().flat_map(|r| ring_kids(r)).collect();
    held.sort();
    assert_eq!(listed(&e), held);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_held_lock_stops_a_command_before_any_request() {
    let e = live_emulator().await;
    let dir = TempDir::new();
    let ring_path = dir.path("ring.json");
    let ring = path_str(&ring_path);
    let lock_path = dir.path("ring.json.lock");
    let held =
        cf_stream_token::files::FileLock::acquire(&lock_path, Duration::from_secs(5)).unwrap();
    let msg = keys(&e, &["rotate", "--keyring", ring, "--lock-timeout", "1s"]).fails(1);
    assert!(
        msg.contains(&format!(
            "lock file {:?} still held after 1 s",
            path_str(&lock_path)
        )),
        "{msg}"
    );
    assert!(msg.ends_with("nothing was done"), "{msg}");
    assert_eq!(listed(&e), Vec::<String>::new());
    assert!(!ring_path.exists());
    drop(held);
    keys(&e, &["rotate", "--keyring", ring, "--lock-timeout", "1s"]).ok();
    assert_eq!(listed(&e).len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rotate_checks_arguments_and_the_ring_before_creating_a_key() {
    let e = live_emulator().await;
    let dir = TempDir::new();
    let ring_path = dir.path("ring.json");
    let ring = path_str(&ring_path);
    for bad in ["25h", "0s", "100000000h"] {
        let msg = keys(
            &e,
            &["rotate", "--keyring", ring, "--max-token-lifetime", bad],
        )
        .fails(2);
        assert!(msg.contains("--max-token-lifetime"), "{bad}: {msg}");
        assert_eq!(listed(&e), Vec::<String>::new(), "{bad}");
        assert!(!ring_path.exists());
        assert!(!dir.path("ring.json.new-key").exists());
    }
    std::fs::write(&ring_path, b"{\"version\":1,").unwrap();
    let msg = keys(&e, &["rotate", "--keyring", ring]).fails(1);
    assert!(
        msg.contains("invalid keyring: not a keyring document"),
        "{msg}"
    );
    assert_eq!(listed(&e), Vec::<String>::new());
    // On an existing ring the lifetime is changed by `keys policy`.
    std::fs::remove_file(&ring_path).unwrap();
    keys(&e, &["rotate", "--keyring", ring]).ok();
    let msg = keys(
        &e,
        &["rotate", "--keyring", ring, "--max-token-lifetime", "2h"],
    )
    .fails(2);
    assert!(
        msg.contains("keys policy --keyring FILE --max-token-lifetime"),
        "{msg}"
    );
    assert_eq!(listed(&e).len(), 1);
}

#[cfg(unix)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_linked_ring_is_written_through_its_link() {
    let e = live_emulator().await;
    let dir = TempDir::new();
    let real = dir.path("real");
    std::fs::create_dir(&real).unwrap();
    let target = real.join("ring.json");
    keys(&e, &["rotate", "--keyring", path_str(&target)]).ok();
    let first = std::fs::read_to_string(&target).unwrap();
    let link = dir.path("ring.json");
    std::os::unix::fs::symlink(&target, &link).unwrap();
    let next = json_of(&keys(&e, &["rotate", "--keyring", path_str(&link)]).ok());
    assert!(
        std::fs::symlink_metadata(&link)
            .unwrap()
            .file_type()
            .is_symlink()
    );
    assert_eq!(std::fs::read_link(&link).unwrap(), target);
    assert!(ring_kids(&target).contains(&next["kid"].as_str().unwrap().to_owned()));
    assert_eq!(ring_kids(&target), listed(&e));
    // The backup is beside the file written; nothing is left beside the link.
    assert_eq!(
        std::fs::read_to_string(real.join("ring.json.prev")).unwrap(),
        first
    );
    assert!(!dir.path("ring.json.prev").exists());
    assert!(!dir.path("ring.json.new-key").exists());
    assert!(!real.join("ring.json.new-key").exists());
    ring_cmd(&[
        "promote",
        "--keyring",
        path_str(&link),
        "--offline",
        "--min-age",
        "0s",
    ])
    .ok();
    assert!(
        std::fs::symlink_metadata(&link)
            .unwrap()
            .file_type()
            .is_symlink()
    );
    assert_eq!(
        Keyring::from_file(&target)
            .unwrap()
            .current()
            .kid()
            .as_str(),
        next["kid"].as_str().unwrap()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reconcile_deletes_only_orphans_within_a_scope() {
    let e = live_emulator().await;
    let dir = TempDir::new();
    let ring_path = dir.path("ring.json");
    let ring = path_str(&ring_path);
    let a = json_of(&keys(&e, &["rotate", "--keyring", ring]).ok())["kid"]
        .as_str()
        .unwrap()
        .to_owned();
    let rescue = dir.path("ring.json.new-key");
    let rescued = rescued_key(&e, &rescue).await;
    let api = emu_client(&e);
    let orphan = api.create_signing_key().await.unwrap().id().to_string();

    // A rescued key is reported as such, naming its file, never as an orphan.
    let report = json_of(&keys(&e, &["reconcile", "--keyring", ring, "--json"]).ok());
    assert_eq!(report["orphans"], json!([orphan]));
    assert_eq!(
        report["rescued"],
        json!([{"kid": rescued, "file": path_str(&rescue)}])
    );
    let text = keys(&e, &["reconcile", "--keyring", ring]).ok();
    assert!(
        text.contains(&format!(
            "rescued: {rescued} (answer in {:?}",
            path_str(&rescue)
        )),
        "{text}"
    );
    assert!(text.contains(&format!("orphans: {orphan}\n")), "{text}");

    // Deleting needs a scope.
    let msg = keys(&e, &["reconcile", "--keyring", ring, "--delete-orphans"]).fails(2);
    assert!(
        msg.contains("--delete-orphans needs a scope")
            && msg.contains("--orphan KID")
            && msg.contains("--other-ring FILE"),
        "{msg}"
    );
    // A rescued key named as an orphan is refused, nothing deleted.
    let msg = keys(
        &e,
        &[
            "reconcile",
            "--keyring",
            ring,
            "--delete-orphans",
            "--orphan",
            &rescued,
        ],
    )
    .fails(1);
    assert!(
        msg.contains(&format!(
            "--orphan {rescued} is not an orphan: it is rescued in"
        )),
        "{msg}"
    );
    assert_eq!(listed(&e).len(), 3);

    // Every other ring given: the keys in none of them go, the rest stay.
    let other_path = dir.path("staging.json");
    let other = path_str(&other_path);
    let b = json_of(&keys(&e, &["rotate", "--keyring", other]).ok())["kid"]
        .as_str()
        .unwrap()
        .to_owned();
    let cleaned = json_of(
        &keys(
            &e,
            &[
                "reconcile",
                "--keyring",
                ring,
                "--other-ring",
                other,
                "--delete-orphans",
                "--json",
            ],
        )
        .ok(),
    );
    assert_eq!(cleaned["deleted"], json!([orphan]));
    let mut expected = vec![a.clone(), rescued.clone(), b.clone()];
    expected.sort();
    assert_eq!(listed(&e), expected);

    // A ring key missing at Cloudflare: the ring is stale; nothing goes.
    let stale_path = dir.path("stale.json");
    let stale = path_str(&stale_path);
    let c = json_of(&keys(&e, &["rotate", "--keyring", stale]).ok())["kid"]
        .as_str()
        .unwrap()
        .to_owned();
    api.delete_signing_key(&KeyId::new(&c).unwrap())
        .await
        .unwrap();
    let msg = keys(
        &e,
        &[
            "reconcile",
            "--keyring",
            stale,
            "--delete-orphans",
            "--orphan",
            &a,
        ],
    )
    .fails(1);
    assert!(
        msg.contains(&format!("of the ring are not at Cloudflare: {c}"))
            && msg.ends_with("nothing was deleted"),
        "{msg}"
    );
    assert_eq!(listed(&e), expected);

    // A failure half-way names what was deleted already, in the error and
    // in the JSON report.
    let p1 = api.create_signing_key().await.unwrap().id().to_string();
    let p2 = api.create_signing_key().await.unwrap().id().to_string();
    use cf_stream_token::emulator::{Fault, Route};
    e.add_fault(Fault::delay(Route::DeleteKey, Duration::from_millis(1)));
    e.add_fault(Fault::status(Route::DeleteKey, 403));
    let run = keys(
        &e,
        &[
            "reconcile",
            "--keyring",
            ring,
            "--other-ring",
            other,
            "--delete-orphans",
            "--orphan",
            &p1,
            "--orphan",
            &p2,
            "--json",
        ],
    )
    .run();
    assert_eq!(run.code, Some(1), "{}", run.stderr);
    assert!(
        run.stderr.contains(&format!("deleting orphan {p2} failed"))
            && run.stderr.contains(&format!("already deleted: {p1}")),
        "{}",
        run.stderr
    );
    let partial = json_of(run.stdout.trim());
    assert_eq!(partial["deleted"], json!([p1]));
    assert!(
        partial["error"]
            .as_str()
            .unwrap()
            .contains(&format!("already deleted: {p1}"))
    );
    let mut expected = vec![a, rescued, b, p2];
    expected.sort();
    assert_eq!(listed(&e), expected);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn promote_refuses_a_next_key_cloudflare_does_not_list() {
    let e = live_emulator().await;
    let dir = TempDir::new();
    let ring_path = dir.path("ring.json");
    let ring = path_str(&ring_path);
    keys(&e, &["rotate", "--keyring", ring]).ok();
    let b = json_of(&keys(&e, &["rotate", "--keyring", ring]).ok())["kid"]
        .as_str()
        .unwrap()
        .to_owned();
    emu_client(&e)
        .delete_signing_key(&KeyId::new(&b).unwrap())
        .await
        .unwrap();
    let before = std::fs::read_to_string(&ring_path).unwrap();
    let msg = ring_cmd(&["promote", "--keyring", ring, "--min-age", "0s"]).fails(2);
    assert!(
        msg.contains("--account-id ACCT") && msg.contains("--offline"),
        "{msg}"
    );
    let msg = keys(&e, &["promote", "--keyring", ring, "--min-age", "0s"]).fails(1);
    assert!(
        msg.contains(&format!(
            "next key {b} is not listed at Cloudflare for account {ACCOUNT}"
        )),
        "{msg}"
    );
    assert!(msg.contains("nothing was changed"), "{msg}");
    assert_eq!(std::fs::read_to_string(&ring_path).unwrap(), before);
    // --offline skips the check, on the user's word.
    let promoted =
        json_of(&ring_cmd(&["promote", "--keyring", ring, "--offline", "--min-age", "0s"]).ok());
    assert_eq!(promoted["current"], b.as_str());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_off_flags_leave_the_policy_and_keys_policy_changes_it() {
    let e = live_emulator().await;
    let dir = TempDir::new();
    let ring_path = dir.path("ring.json");
    let ring = path_str(&ring_path);
    keys(&e, &["rotate", "--keyring", ring]).ok();
    keys(&e, &["rotate", "--keyring", ring]).ok();
    keys(&e, &["promote", "--keyring", ring, "--min-age", "0s"]).ok();
    assert_eq!(doc_of(&ring_path)["min_age"], 3600);
    let msg = keys(&e, &["retire", "--keyring", ring, "--margin", "10s"]).fails(1);
    assert!(msg.contains("(in 24 h); nothing was deleted"), "{msg}");
    assert_eq!(doc_of(&ring_path)["margin"], 3600);

    let before = now();
    let changed = json_of(
        &ring_cmd(&[
            "policy",
            "--keyring",
            ring,
            "--max-token-lifetime",
            "2h",
            "--margin",
            "10m",
            "--json",
        ])
        .ok(),
    );
    let after = now();
    assert_eq!(
        changed["old"],
        json!({"max_token_lifetime": 86400, "margin": 3600, "min_age": 3600})
    );
    assert_eq!(
        changed["new"],
        json!({"max_token_lifetime": 7200, "margin": 600, "min_age": 3600})
    );
    assert_eq!(changed["changed"], true);
    let until = changed["old_tokens_expire_by_unix"].as_i64().unwrap();
    assert!(
        (before + 86_400..=after + 86_400).contains(&until),
        "{until}"
    );
    let doc = doc_of(&ring_path);
    assert_eq!(doc["max_token_lifetime"], 7200);
    assert_eq!(doc["margin"], 600);
    assert_eq!(doc["old_tokens_expire_by"], changed["old_tokens_expire_by"]);
    // Tokens of the old 24 h may still play: no retiring before they end,
    // though demoted at + 2 h is near.
    let msg = keys(&e, &["retire", "--keyring", ring, "--margin", "0s"]).fails(1);
    assert!(msg.contains("(in 24 h); nothing was deleted"), "{msg}");
    let text = ring_cmd(&["policy", "--keyring", ring]).ok();
    assert!(
        text.contains("max_token_lifetime: 7200 s (2 h) (unchanged)"),
        "{text}"
    );
    assert!(
        text.contains("margin: 600 s (10 min) (unchanged)"),
        "{text}"
    );
    assert!(
        text.contains("tokens signed under a longer lifetime may play until")
            && text.contains("(in 24 h): no key retires before then"),
        "{text}"
    );
    let msg = ring_cmd(&["policy", "--keyring", ring, "--max-token-lifetime", "25h"]).fails(2);
    assert!(msg.contains("--max-token-lifetime"), "{msg}");
    assert_eq!(doc_of(&ring_path)["max_token_lifetime"], 7200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rescued_key_is_adopted_into_the_ring() {
    let e = live_emulator().await;
    let dir = TempDir::new();
    let ring_path = dir.path("ring.json");
    let ring = path_str(&ring_path);
    let rescue = dir.path("ring.json.new-key");
    // Into a new ring: the first key is current.
    let first = rescued_key(&e, &rescue).await;
    let adopted = json_of(&keys(&e, &["adopt", "--keyring", ring]).ok());
    assert_eq!(adopted["kid"], first.as_str());
    assert_eq!(adopted["state"], "current");
    assert_eq!(adopted["adopted_from"], path_str(&rescue));
    assert!(!rescue.exists());
    assert_eq!(doc_of(&ring_path)["account_id"], ACCOUNT);
    // A key Cloudflare does not list is refused, its file kept.
    let gone = rescued_key(&e, &rescue).await;
    emu_client(&e)
        .delete_signing_key(&KeyId::new(&gone).unwrap())
        .await
        .unwrap();
    let before = std::fs::read_to_string(&ring_path).unwrap();
    let msg = keys(&e, &["adopt", "--keyring", ring]).fails(1);
    assert!(
        msg.contains(&format!(
            "key {gone} in {:?} is not listed at Cloudflare",
            path_str(&rescue)
        )),
        "{msg}"
    );
    assert!(rescue.exists());
    assert_eq!(std::fs::read_to_string(&ring_path).unwrap(), before);
    // What does not load as a create-key answer is refused.
    let junk = dir.path("junk.json");
    std::fs::write(&junk, b"{\"id\":\"0123456789abcdef0123456789abcdef\"}").unwrap();
    let msg = keys(&e, &["adopt", "--keyring", ring, path_str(&junk)]).fails(1);
    assert!(
        msg.contains("does not hold a usable create-key answer"),
        "{msg}"
    );
    // A second key, from a named file, becomes next.
    let saved = dir.path("saved.json");
    let second = rescued_key(&e, &saved).await;
    let adopted = json_of(&keys(&e, &["adopt", "--keyring", ring, path_str(&saved)]).ok());
    assert_eq!(adopted["kid"], second.as_str());
    assert_eq!(adopted["state"], "next");
    assert!(!saved.exists());
    let mut both = vec![first, second];
    both.sort();
    assert_eq!(ring_kids(&ring_path), both);
}

#[test]
fn key_id_and_keyring_do_not_mix() {
    let dir = TempDir::new();
    let ring_path = dir.path("ring.json");
    let ring = path_str(&ring_path);
    let r = Keyring::start_at(at(NOW), &text("demo/demo_create_result.json")).unwrap();
    std::fs::write(&ring_path, r.secret_document().unwrap().as_bytes()).unwrap();
    let msg = cli(&[
        "mint",
        "--keyring",
        ring,
        "--key-id",
        DEMO_KID,
        "--video",
        VIDEO,
    ])
    .fails(2);
    assert!(
        msg.contains("--key-id") && msg.contains("--keyring"),
        "{msg}"
    );
    let msg = cli(&[
        "url",
        "--keyring",
        ring,
        "--key-id",
        DEMO_KID,
        "--video",
        VIDEO,
        "--customer-code",
        "f33zs165nr7gyfy4",
        "--kind",
        "hls",
    ])
    .fails(2);
    assert!(
        msg.contains("--key-id") && msg.contains("--keyring"),
        "{msg}"
    );
    // The variable is not a flag: with a keyring it is not read at all.
    let token = cli(&["mint", "--keyring", ring, "--video", VIDEO])
        .env("CF_STREAM_KEY_ID", OTHER_KID)
        .ok();
    assert_eq!(kid_of(&token), DEMO_KID);
    let out = json_of(
        &cli(&["verify", "--keyring", ring, &token])
            .env("CF_STREAM_KEY_ID", OTHER_KID)
            .ok(),
    );
    assert_eq!(out["claims"]["kid"], DEMO_KID);
    // A ring from CF_STREAM_KEYRING is no different: --key-id would be
    // ignored, so it is refused, for signing and verifying alike.
    let doc = r.secret_document().unwrap();
    for args in [
        vec!["mint", "--key-id", DEMO_KID, "--video", VIDEO],
        vec!["verify", "--key-id", DEMO_KID, &token],
    ] {
        let msg = cli(&args).env("CF_STREAM_KEYRING", &doc).fails(2);
        assert!(
            msg.contains("--key-id") && msg.contains("CF_STREAM_KEYRING"),
            "{msg}"
        );
    }
    // Without --key-id the same ring signs.
    let token = cli(&["mint", "--video", VIDEO])
        .env("CF_STREAM_KEYRING", &doc)
        .ok();
    assert_eq!(kid_of(&token), DEMO_KID);
}

#[test]
fn a_ring_of_hundreds_of_keys_is_read_as_a_ring() {
    let dir = TempDir::new();
    let ring_path = dir.path("ring.json");
    let ring = path_str(&ring_path);
    let doc = Keyring::start_at(at(NOW), &text("demo/demo_create_result.json"))
        .unwrap()
        .secret_document()
        .unwrap();
    // 1.4 MiB, the size of 302 keys (whitespace is JSON).
    let pad = |size: usize| {
        let mut bytes = doc.as_bytes().to_vec();
        bytes.resize(size, b' ');
        bytes
    };
    std::fs::write(&ring_path, pad(1_468_006)).unwrap();
    let token = cli(&["mint", "--keyring", ring, "--video", VIDEO]).ok();
    assert_eq!(kid_of(&token), DEMO_KID);
    std::fs::write(&ring_path, pad(9 << 20)).unwrap();
    let msg = cli(&["mint", "--keyring", ring, "--video", VIDEO]).fails(1);
    assert_eq!(
        msg,
        format!(
            "keyring {ring:?}: the keyring file is larger than 8 MiB (a ring of 1,000 keys needs about 5 MiB): not a keyring"
        )
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_ring_holds_the_keys_of_one_account() {
    let e = live_emulator().await;
    let dir = TempDir::new();
    let ring_path = dir.path("ring.json");
    let ring = path_str(&ring_path);
    keys(&e, &["rotate", "--keyring", ring]).ok();
    assert_eq!(doc_of(&ring_path)["account_id"], ACCOUNT);
    let msg = cli(&[
        "keys",
        "rotate",
        "--keyring",
        ring,
        "--account-id",
        OTHER_ACCOUNT,
    ])
    .env("CLOUDFLARE_BASE_URL", &e.api_base_url())
    .env("CLOUDFLARE_API_TOKEN", API_TOKEN)
    .fails(1);
    assert!(
        msg.contains(&format!(
            "holds keys of account {ACCOUNT}, not of --account-id {OTHER_ACCOUNT}"
        )),
        "{msg}"
    );
    assert_eq!(
        e.keys(&cf_stream_token::AccountId::new(OTHER_ACCOUNT).unwrap()),
        Vec::<KeyId>::new()
    );
    assert_eq!(listed(&e).len(), 1);
    // A ring written before rings recorded their account takes the
    // account on its next write.
    let old_path = dir.path("old.json");
    let old = Keyring::start_at(at(NOW), &text("demo/demo_create_result.json")).unwrap();
    std::fs::write(&old_path, old.secret_document().unwrap().as_bytes()).unwrap();
    assert_eq!(doc_of(&old_path).get("account_id"), None);
    keys(&e, &["rotate", "--keyring", path_str(&old_path)]).ok();
    assert_eq!(doc_of(&old_path)["account_id"], ACCOUNT);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ring_times_read_as_people_say_them() {
    let e = live_emulator().await;
    let dir = TempDir::new();
    let ring_path = dir.path("ring.json");
    let ring = path_str(&ring_path);
    keys(&e, &["rotate", "--keyring", ring]).ok();
    let next = json_of(&keys(&e, &["rotate", "--keyring", ring]).ok());
    let from = next["promote_from"].as_str().unwrap();
    let from_unix = next["promote_from_unix"].as_i64().unwrap();
    assert_eq!(
        time::OffsetDateTime::parse(from, &time::format_description::well_known::Rfc3339)
            .unwrap()
            .unix_timestamp(),
        from_unix
    );
    let msg = keys(&e, &["promote", "--keyring", ring, "--min-age", "25h"]).fails(1);
    assert!(msg.contains("Z (in 25 h)"), "{msg}");
    assert!(!msg.contains("(in 8999"), "{msg}");
    let promoted = json_of(&keys(&e, &["promote", "--keyring", ring, "--min-age", "0s"]).ok());
    let retire_unix = promoted["retire_from_unix"].as_i64().unwrap();
    assert_eq!(
        time::OffsetDateTime::parse(
            promoted["retire_from"].as_str().unwrap(),
            &time::format_description::well_known::Rfc3339
        )
        .unwrap()
        .unix_timestamp(),
        retire_unix
    );
    let msg = keys(&e, &["retire", "--keyring", ring]).fails(1);
    assert!(msg.contains("Z (in 25 h); nothing was deleted"), "{msg}");
    assert!(!msg.contains(&retire_unix.to_string()), "{msg}");
}

#[test]
fn the_keyring_help_describes_the_lock_the_scope_policy_and_adopt() {
    let help = |args: &[&str]| {
        let mut all = vec!["keys"];
        all.extend_from_slice(args);
        all.push("--help");
        cli(&all).ok()
    };
    for sub in [
        "rotate",
        "promote",
        "retire",
        "revoke",
        "reconcile",
        "adopt",
        "policy",
    ] {
        let text = help(&[sub]);
        assert!(text.contains("--lock-timeout <DUR>"), "{sub}: {text}");
        assert!(text.contains("Example"), "{sub}: {text}");
    }
    let text = help(&["reconcile"]);
    assert!(
        text.contains("--orphan <KID>") && text.contains("--other-ring <FILE>"),
        "{text}"
    );
    assert!(
        text.contains("deletes orphans, never a key of the ring or a rescued one"),
        "{text}"
    );
    let text = help(&["promote"]);
    assert!(
        text.contains("--offline") && text.contains("for this run only"),
        "{text}"
    );
    let text = help(&["rotate"]);
    assert!(
        text.contains("FILE.lock") && text.contains("keys adopt"),
        "{text}"
    );
    let text = help(&["policy"]);
    assert!(text.contains("Lowering the lifetime records"), "{text}");
    let text = help(&["adopt"]);
    assert!(text.contains("FILE.new-key"), "{text}");
    let text = help(&[]);
    assert!(text.contains("adopt") && text.contains("policy"), "{text}");
}

/// `CF_STREAM_KEYRING` is read by the library (`Keyring::from_env`), not by
/// hand: a document it refuses is named with the variable, a blank one is
/// no ring, and one that is not UTF-8 is refused, not taken as unset.
#[test]
fn cf_stream_keyring_is_read_by_the_library() {
    let mint = || cli(&["mint", "--video", VIDEO]);
    assert_eq!(
        mint().env("CF_STREAM_KEYRING", "not json").fails(1),
        "CF_STREAM_KEYRING: invalid keyring: not a keyring document (JSON of schema version 1)"
    );
    assert!(
        mint()
            .env("CF_STREAM_KEYRING", "  \n")
            .fails(1)
            .starts_with("no signing key: give --key FILE"),
    );
    #[cfg(unix)]
    {
        use std::os::unix::ffi::OsStrExt as _;
        let mut run = mint();
        run.cmd
            .env("CF_STREAM_KEYRING", std::ffi::OsStr::from_bytes(b"\xff{}"));
        assert_eq!(run.fails(1), "CF_STREAM_KEYRING is not valid UTF-8");
    }
}

#[test]
fn keys_policy_records_the_reload_bound_that_promote_waits_for_and_the_margin_covers() {
    let dir = TempDir::new();
    let ring_path = dir.path("ring.json");
    let ring = path_str(&ring_path);
    let added = now();
    let mut r = Keyring::start_at(at(added), &text("demo/demo_create_result.json")).unwrap();
    r.add_next_at(at(added), &text("other/other.jwk.json"))
        .unwrap();
    std::fs::write(&ring_path, r.secret_document().unwrap().as_bytes()).unwrap();

    let text = ring_cmd(&["policy", "--keyring", ring]).ok();
    assert!(text.contains("reload_bound: not set"), "{text}");
    let text = ring_cmd(&["policy", "--keyring", ring, "--reload-bound", "30m"]).ok();
    assert!(
        text.contains("reload_bound: not set -> 1800 s (30 min)"),
        "{text}"
    );

    // Above the margin in force (1 h): refused, the ring unchanged.
    let msg = ring_cmd(&["policy", "--keyring", ring, "--reload-bound", "2h"]).fails(2);
    assert!(
        msg.contains(
            "--reload-bound: the margin (3600 s) is shorter than the fleet's reload bound (7200 s)"
        ),
        "{msg}"
    );
    assert_eq!(doc_of(&ring_path)["reload_bound"], 1800);

    // With a margin that covers it, in one command.
    let changed = json_of(
        &ring_cmd(&[
            "policy",
            "--keyring",
            ring,
            "--reload-bound",
            "2h",
            "--margin",
            "3h",
            "--json",
        ])
        .ok(),
    );
    assert_eq!(
        changed["new"],
        json!({"max_token_lifetime": 86400, "margin": 10800, "min_age": 3600, "reload_bound": 7200})
    );
    assert_eq!(doc_of(&ring_path)["reload_bound"], 7200);
    let msg = ring_cmd(&["policy", "--keyring", ring, "--margin", "1h"]).fails(2);
    assert!(msg.contains("--margin: the margin (3600 s)"), "{msg}");
    let text = ring_cmd(&["policy", "--keyring", ring]).ok();
    assert!(
        text.contains("reload_bound: 7200 s (2 h) (unchanged)"),
        "{text}"
    );

    // A one-off --min-age does not shorten the fleet's bound.
    let msg = ring_cmd(&["promote", "--keyring", ring, "--offline", "--min-age", "0s"]).fails(1);
    assert!(
        msg.contains("younger than the minimum age or the fleet's reload bound")
            && msg.contains("(in 2 h)"),
        "{msg}"
    );
    assert_eq!(doc_of(&ring_path)["keys"][1]["state"], "next");

    // A retire's one-off margin may not go under the bound either.
    let msg = cli(&[
        "keys",
        "retire",
        "--keyring",
        ring,
        "--account-id",
        ACCOUNT,
        "--margin",
        "10s",
        "--dry-run",
    ])
    .env("CLOUDFLARE_BASE_URL", "http://127.0.0.1:9")
    .env("CLOUDFLARE_API_TOKEN", API_TOKEN)
    .fails(2);
    assert!(
        msg.contains("--margin: the margin (10 s) is shorter"),
        "{msg}"
    );

    let text = ring_cmd(&["policy", "--keyring", ring, "--reload-bound", "0s"]).ok();
    assert!(text.contains("reload_bound: 7200 s (2 h) -> 0 s"), "{text}");
    let promoted =
        json_of(&ring_cmd(&["promote", "--keyring", ring, "--offline", "--min-age", "0s"]).ok());
    assert_eq!(promoted["current"], "0123456789abcdef0123456789abcdef");
}
