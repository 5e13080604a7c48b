//! The caching signer (feature `cache`): reuse, refresh, bucketing, bounds.

use std::sync::Arc;
use std::time::Duration;

use cf_stream_token::{AccessRule, CachingSigner, ErrorKind, TokenOptions, VideoId};

use crate::common::*;

/// The same token text, shared: a hit clones the cached token (one text
/// behind an `Arc`), it does not sign or copy.
fn shared(a: &cf_stream_token::Token, b: &cf_stream_token::Token) -> bool {
    a == b && std::ptr::eq(a.as_str(), b.as_str())
}

/// The start of the 60 s bucket that holds NOW.
const B: i64 = NOW - NOW % 60;

fn cache() -> CachingSigner {
    CachingSigner::builder(demo_signer()).build().unwrap()
}

#[test]
fn reused_while_the_share_remains_then_refreshed() {
    let c = cache();
    let opts = TokenOptions::default(); // 3600 s
    let first = c.mint_at(at(B + 5), &video(), &opts).unwrap();
    assert_eq!(first.exp(), B + 3600, "signed as of the bucket start");
    let again = c.mint_at(at(B + 1800), &video(), &opts).unwrap();
    assert!(shared(&first, &again), "half the lifetime left: reused");
    let fresh = c.mint_at(at(B + 1801), &video(), &opts).unwrap();
    assert!(!shared(&first, &fresh), "under half left: minted again");
    assert_eq!(fresh.exp(), B + 1800 + 3600, "the bucket 1800 s later");
    let v = demo_signer().verifier();
    v.verify_at(fresh.as_str(), at(B + 1801)).unwrap();
}

#[test]
fn replicas_in_one_bucket_mint_identical_tokens() {
    let (a, b) = (cache(), cache());
    let opts = TokenOptions::default();
    let ta = a.mint_at(at(B + 3), &video(), &opts).unwrap();
    let tb = b.mint_at(at(B + 59), &video(), &opts).unwrap();
    assert_eq!(ta.as_str(), tb.as_str());
    let tc = b
        .mint_at(at(B + 60), &VideoId::new(&"0".repeat(32)).unwrap(), &opts)
        .unwrap();
    assert_eq!(tc.exp(), B + 60 + 3600);
}

#[test]
fn bucketing_never_stretches_the_cap_or_hands_out_a_stale_token() {
    let c = CachingSigner::builder(demo_signer())
        .bucket(Duration::from_secs(600))
        .min_remaining_share(0.9)
        .build()
        .unwrap();
    // 24 h lifetime: a bucket start before now gives exp before now + 24 h.
    let b600 = NOW - NOW % 600;
    let day = TokenOptions::builder()
        .lifetime(Duration::from_secs(86_400))
        .build()
        .unwrap();
    let t = c.mint_at(at(b600 + 599), &video(), &day).unwrap();
    assert_eq!(t.exp(), b600 + 86_400);
    // 60 s lifetime in a 600 s bucket: the bucket start would leave too
    // little, so it signs at the real clock.
    let short = TokenOptions::builder()
        .lifetime(Duration::from_secs(60))
        .build()
        .unwrap();
    let t = c.mint_at(at(NOW + 599), &video(), &short).unwrap();
    assert_eq!(t.exp(), NOW + 599 + 60);
    // Absolute expiry: no bucketing, and the cap is checked at the real clock.
    let abs = TokenOptions::builder()
        .expires_at(at(NOW + 599 + 86_400))
        .build()
        .unwrap();
    assert_eq!(
        c.mint_at(at(NOW + 599), &video(), &abs).unwrap().exp(),
        NOW + 599 + 86_400
    );
    // A caller whose clock reads earlier is not handed the cached token: for
    // it, that exp would be past the cap.
    assert!(matches!(
        c.mint_at(at(NOW + 598), &video(), &abs).unwrap_err().kind(),
        ErrorKind::ExpiryTooFar { .. }
    ));
    // The same holds for relative lifetimes minted at a later clock.
    let other = VideoId::new(&"a".repeat(32)).unwrap();
    let later = c.mint_at(at(b600 + 1200), &other, &day).unwrap();
    assert_eq!(later.exp(), b600 + 1200 + 86_400);
    let earlier = c.mint_at(at(b600 + 100), &other, &day).unwrap();
    assert!(earlier.exp() - (b600 + 100) <= 86_400);
    assert_ne!(later.as_str(), earlier.as_str());
}

#[test]
fn options_and_viewer_rules_are_part_of_the_key() {
    let c = cache();
    let ip = |addr: &str| {
        TokenOptions::builder()
            .access_rules(AccessRule::allow_only_networks([addr]).unwrap())
            .build()
            .unwrap()
    };
    let a = c.mint_at(at(NOW), &video(), &ip("203.0.113.7")).unwrap();
    let b = c.mint_at(at(NOW), &video(), &ip("198.51.100.9")).unwrap();
    let a2 = c
        .mint_at(at(NOW + 1), &video(), &ip("203.0.113.7"))
        .unwrap();
    assert_ne!(a.as_str(), b.as_str());
    assert!(shared(&a, &a2));
    assert_eq!(a.claims().access_rules(), ip("203.0.113.7").access_rules());
    let dl = TokenOptions::builder().downloadable(true).build().unwrap();
    let d = c.mint_at(at(NOW), &video(), &dl).unwrap();
    assert!(d.claims().downloadable());
}

#[test]
fn memory_is_bounded_by_entries_and_by_bytes() {
    let by_entries = CachingSigner::builder(demo_signer())
        .max_entries(8)
        .build()
        .unwrap();
    let by_bytes = CachingSigner::builder(demo_signer())
        .max_bytes(8 * 1024)
        .build()
        .unwrap();
    let opts = TokenOptions::default();
    for i in 0..40u32 {
        let v = VideoId::new(&format!("{i:032x}")).unwrap();
        by_entries.mint_at(at(NOW), &v, &opts).unwrap();
        by_bytes.mint_at(at(NOW), &v, &opts).unwrap();
    }
    assert!(
        by_entries.entry_count() <= 8,
        "{}",
        by_entries.entry_count()
    );
    assert!(by_entries.entry_count() >= 1);
    assert!(
        by_bytes.weighted_bytes() <= 8 * 1024,
        "{}",
        by_bytes.weighted_bytes()
    );
    // Each entry holds a token of over 600 bytes, so the byte bound caps the count too.
    let n = by_bytes.entry_count();
    assert!((1..=8 * 1024 / 600).contains(&n), "{n}");
}

#[test]
fn concurrent_misses_for_one_key_share_one_token() {
    let c = Arc::new(cache());
    let threads: Vec<_> = (0..8)
        .map(|_| {
            let c = Arc::clone(&c);
            std::thread::spawn(move || {
                c.mint_at(at(NOW), &video(), &TokenOptions::default())
                    .unwrap()
            })
        })
        .collect();
    let tokens: Vec<cf_stream_token::Token> =
        threads.into_iter().map(|t| t.join().unwrap()).collect();
    for t in &tokens {
        assert!(shared(t, &tokens[0]), "one signature for one key");
    }
}

#[test]
fn bad_settings_are_refused() {
    for b in [
        CachingSigner::builder(demo_signer()).min_remaining_share(0.0),
        CachingSigner::builder(demo_signer()).min_remaining_share(1.0 + f64::EPSILON),
        CachingSigner::builder(demo_signer()).min_remaining_share(f64::NAN),
        CachingSigner::builder(demo_signer()).bucket(Duration::ZERO),
        CachingSigner::builder(demo_signer()).bucket(Duration::from_millis(1500)),
        CachingSigner::builder(demo_signer()).max_entries(0),
        CachingSigner::builder(demo_signer()).max_bytes(0),
    ] {
        assert!(matches!(
            b.build().unwrap_err().kind(),
            ErrorKind::InvalidConfig { .. }
        ));
    }
}

#[test]
fn the_settings_are_those_of_the_fallback_minter() {
    use cf_stream_token::{DEFAULT_MAX_ENTRIES, DEFAULT_MIN_REMAINING_SHARE};
    assert_eq!(DEFAULT_MIN_REMAINING_SHARE, 0.5);
    assert_eq!(DEFAULT_MAX_ENTRIES, 10_000);
    assert_eq!(CachingSigner::DEFAULT_BUCKET, Duration::from_secs(60));
    assert_eq!(CachingSigner::DEFAULT_MAX_BYTES, 128 * 1024 * 1024);
    assert_eq!(
        CachingSigner::DEFAULT_MIN_REMAINING_SHARE,
        DEFAULT_MIN_REMAINING_SHARE
    );
    assert_eq!(CachingSigner::DEFAULT_MAX_ENTRIES, DEFAULT_MAX_ENTRIES);
    let shown = format!("{:?}", cache());
    assert!(shown.contains("min_remaining_share: 0.5"), "{shown}");
    // A share of 1.0, the top of (0, 1], reuses a token only within the
    // second it was signed at: the clock itself, not a bucket start.
    let all = CachingSigner::builder(demo_signer())
        .min_remaining_share(1.0)
        .build()
        .unwrap();
    let t = all
        .mint_at(at(B + 5), &video(), &TokenOptions::default())
        .unwrap();
    assert_eq!(t.exp(), B + 5 + 3600);
    let same_second = all
        .mint_at(at(B + 5), &video(), &TokenOptions::default())
        .unwrap();
    assert!(shared(&t, &same_second));
    let next = all
        .mint_at(at(B + 6), &video(), &TokenOptions::default())
        .unwrap();
    assert_eq!(next.exp(), B + 6 + 3600);
}
