//! Key rotation on the emulator's edge (issue 13): viewers mint and play
//! without pause through rotate, promote and retire with zero failed plays;
//! retire before the horizon is refused; the old key's tokens then get
//! `revoked-key`; revoke stops a leaked key at once; reconcile finds
//! orphans and keys deleted behind the ring's back.

use std::time::Duration;

use cf_stream_token::emulator::Emulator;
use cf_stream_token::{ErrorKind, KeyId, Keyring, Signer, SigningKey, TokenOptions};
use time::OffsetDateTime;

use super::*;

const MIN: i64 = 60;
/// Tokens viewers get: the ring's maximum, a real playback lifetime.
const TOKEN_LIFETIME: i64 = 60 * MIN;
/// How long Cloudflare takes (here: the emulator) before a new key plays.
const ACTIVATION: Duration = Duration::from_secs(10 * 60);

async fn rotating_emulator() -> Emulator {
    Emulator::builder()
        .api_token(API_TOKEN)
        .clock_at(at(NOW))
        .key_activation_delay(ACTIVATION)
        .start()
        .await
        .unwrap()
}

/// A key created at the emulator, as the saved create-key result.
async fn create_raw(e: &Emulator) -> String {
    let answer = client(e).create_signing_key_raw().await.unwrap();
    let raw = answer.secret_raw().to_owned();
    answer.check().unwrap();
    raw
}

fn ring_policy(ring: &mut Keyring) {
    ring.set_max_token_lifetime(Duration::from_secs(TOKEN_LIFETIME as u64))
        .unwrap();
    ring.set_margin(Duration::from_secs(15 * 60)).unwrap();
    ring.set_min_age(Duration::from_secs(15 * 60)).unwrap();
}

fn opts() -> TokenOptions {
    TokenOptions::builder()
        .lifetime(Duration::from_secs(TOKEN_LIFETIME as u64))
        .build()
        .unwrap()
}

/// Viewers: every tick one more starts (a token from the ring's signer)
/// and every viewer whose token has not expired plays again.
#[derive(Default)]
struct Viewers {
    tokens: Vec<(i64, String)>,
    plays: usize,
    failures: Vec<(i64, u16, Option<String>)>,
}

impl Viewers {
    async fn tick(&mut self, e: &Emulator, ring: &Keyring, now: OffsetDateTime) {
        let t = now.unix_timestamp();
        let token = ring.signer().mint_at(now, &video(), &opts()).unwrap();
        self.tokens.push((token.exp(), token.into_string()));
        self.tokens.retain(|(exp, _)| *exp > t);
        for (_, token) in &self.tokens {
            let (status, reason) = verdict(e, token, "manifest/video.m3u8").await;
            self.plays += 1;
            if status != 200 {
                self.failures.push((t - NOW, status, reason));
            }
        }
    }
}

#[tokio::test]
async fn rotate_promote_retire_with_zero_failed_plays() {
    let e = rotating_emulator().await;
    let c = client(&e);
    let raw_a = create_raw(&e).await;
    let mut ring = Keyring::start_at(e.now(), &raw_a).unwrap();
    ring_policy(&mut ring);
    let a = *ring.current().kid();
    let signer_a = Signer::new(SigningKey::parse(&raw_a, None).unwrap());
    // The first key of a new ring plays once it has propagated.
    e.advance(ACTIVATION).unwrap();

    let mut viewers = Viewers::default();
    let mut b: Option<KeyId> = None;
    let mut retired_at = None;
    let step = 5 * MIN;
    let start = NOW + 10 * MIN;
    let end = NOW + 4 * 60 * MIN;
    let mut t = start;
    while t <= end {
        let now = at(t);
        e.set_now(now).unwrap();
        match t - NOW {
            // Rotate: the new key joins as next, verifying but not signing.
            x if x == 60 * MIN => {
                let raw_b = create_raw(&e).await;
                b = Some(ring.add_next_at(now, &raw_b).unwrap());
            }
            // Too young: refused, the old key keeps signing.
            x if x == 65 * MIN => {
                let err = ring.promote_at(now).unwrap_err();
                assert_eq!(
                    err.kind(),
                    &ErrorKind::KeyTooYoung {
                        kid: b.unwrap().to_string(),
                        ready_at: NOW + 75 * MIN
                    }
                );
            }
            x if x == 75 * MIN => {
                assert_eq!(ring.promote_at(now).unwrap(), b.unwrap());
            }
            // Before the horizon (75 min + 60 min + 15 min): refused.
            x if x == 90 * MIN => {
                assert!(ring.retirable_at(now).is_empty());
                assert_eq!(
                    ring.retire_at(now, &a).unwrap_err().kind(),
                    &ErrorKind::RetireTooEarly {
                        kid: a.to_string(),
                        safe_at: NOW + 150 * MIN
                    }
                );
            }
            x if x == 150 * MIN => {
                assert_eq!(ring.retirable_at(now), vec![a]);
                c.delete_signing_key(&a).await.unwrap();
                ring.retire_at(now, &a).unwrap();
                retired_at = Some(t);
            }
            _ => {}
        }
        viewers.tick(&e, &ring, now).await;
        t += step;
    }
    assert_eq!(viewers.failures, vec![], "failed plays");
    // 47 ticks, about 12 live viewers each once the pool is full.
    assert!(viewers.plays > 400, "only {} plays", viewers.plays);
    assert!(retired_at.is_some());
    assert_eq!(ring.keys().len(), 1);
    assert_eq!(ring.current().kid(), &b.unwrap());
    assert_eq!(e.keys(&account()), vec![b.unwrap()]);

    // The retired key's tokens no longer play, even fresh ones.
    let late = mint(&signer_a, end, &opts());
    let (status, reason) = verdict(&e, &late, "manifest/video.m3u8").await;
    assert_ne!(status, 200);
    assert_eq!(reason.as_deref(), Some("revoked-key"));
}

#[tokio::test]
async fn promoting_before_the_key_plays_is_what_the_min_age_prevents() {
    // The same rotation with no minimum age: the new key signs before the
    // edge knows it, and viewers fail. This is why the default is not 0.
    let e = rotating_emulator().await;
    let mut ring = Keyring::start_at(e.now(), &create_raw(&e).await).unwrap();
    ring_policy(&mut ring);
    ring.set_min_age(Duration::ZERO).unwrap();
    e.advance(ACTIVATION).unwrap();
    let now = e.now();
    ring.add_next_at(now, &create_raw(&e).await).unwrap();
    ring.promote_at(now).unwrap();
    let token = ring.signer().mint_at(now, &video(), &opts()).unwrap();
    assert_eq!(
        verdict(&e, token.as_str(), "manifest/video.m3u8").await,
        (401, Some("unknown-key".to_owned()))
    );
}

#[tokio::test]
async fn revoke_stops_the_leaked_key_at_once_while_the_new_key_plays() {
    let e = rotating_emulator().await;
    let c = client(&e);
    let raw_a = create_raw(&e).await;
    let mut ring = Keyring::start_at(e.now(), &raw_a).unwrap();
    ring_policy(&mut ring);
    let a = *ring.current().kid();
    let raw_b = create_raw(&e).await;
    let b = ring.add_next_at(e.now(), &raw_b).unwrap();
    e.advance(ACTIVATION).unwrap();
    let now = e.now();
    let leaked = ring.signer().mint_at(now, &video(), &opts()).unwrap();
    assert_eq!(
        verdict(&e, leaked.as_str(), "manifest/video.m3u8").await,
        (200, None)
    );

    // The leak: the next key takes over though it is younger than min age.
    assert_eq!(ring.revoke_at(now, &a).unwrap(), b);
    c.delete_signing_key(&a).await.unwrap();

    let (status, reason) = verdict(&e, leaked.as_str(), "manifest/video.m3u8").await;
    assert_ne!(status, 200);
    assert_eq!(reason.as_deref(), Some("revoked-key"));
    let fresh = ring.signer().mint_at(now, &video(), &opts()).unwrap();
    assert_eq!(fresh.kid(), &b);
    assert_eq!(
        verdict(&e, fresh.as_str(), "manifest/video.m3u8").await,
        (200, None)
    );
    // With no next key left, the current key cannot be revoked.
    assert_eq!(
        ring.revoke_at(now, &b).unwrap_err().kind(),
        &ErrorKind::LastSigningKey { kid: b.to_string() }
    );
}

#[tokio::test]
async fn reconcile_finds_an_orphan_and_a_key_deleted_behind_the_rings_back() {
    let e = rotating_emulator().await;
    let c = client(&e);
    let mut ring = Keyring::start_at(e.now(), &create_raw(&e).await).unwrap();
    let a = *ring.current().kid();
    let b = ring.add_next_at(e.now(), &create_raw(&e).await).unwrap();
    // An orphan: created through the API, its answer never saved.
    let orphan = *c.create_signing_key().await.unwrap().id();
    // Deleted behind the ring's back.
    c.delete_signing_key(&b).await.unwrap();

    let listed: Vec<KeyId> = c
        .list_signing_keys()
        .await
        .unwrap()
        .iter()
        .map(|k| *k.id())
        .collect();
    let r = ring.reconcile(&listed);
    assert_eq!(r.orphans(), &[orphan]);
    assert_eq!(r.missing(), &[b]);
    assert_eq!(r.remote_count(), 2);
    assert_eq!(r.headroom(), 998);
    let mut sorted = listed.clone();
    sorted.sort();
    let mut expected = vec![a, orphan];
    expected.sort();
    assert_eq!(sorted, expected);
}
