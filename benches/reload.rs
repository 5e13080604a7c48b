//! Minting through a `ReloadingKeyring` while it reloads: tokens per second
//! from 2 threads and the slowest single mint, with the ring idle and with a
//! third thread replacing the document and reloading it without pause (each
//! reload reads, digests, parses and checks the ring, then swaps it in).
//! With the ring behind an atomic swap the two rows should match: a reload
//! never stalls a mint.
//!
//! ```text
//! cargo bench --bench reload               # 3 rounds of 5 s each way
//! cargo bench --bench reload -- --secs 10 --rounds 5
//! ```

use std::hint::black_box;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use cf_stream_token::{
    Keyring, ReloadOutcome, ReloadingKeyring, SecretSource, TokenOptions, TokenSource, VideoId,
};
use time::OffsetDateTime;

fn arg(name: &str, default: u64) -> u64 {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn fixture(rel: &str) -> String {
    std::fs::read_to_string(format!("{}/fixtures/{rel}", env!("CARGO_MANIFEST_DIR")))
        .expect("fixture")
}

/// Tokens per second from 2 threads for `secs`, the slowest mint, and how
/// many reloads replaced the ring meanwhile.
fn run(
    ring: &Arc<ReloadingKeyring>,
    docs: Option<(&str, [String; 2])>,
    secs: u64,
) -> (f64, Duration, u64) {
    let stop = Arc::new(AtomicBool::new(false));
    let slowest = Arc::new(AtomicU64::new(0));
    let video = VideoId::new("ea95132c15732412d22c1476fa83f27a").unwrap();
    let now = OffsetDateTime::from_unix_timestamp(1_800_000_000).unwrap();
    let start = Instant::now();
    let minters: Vec<_> = (0..2)
        .map(|_| {
            let (ring, stop, slowest) = (Arc::clone(ring), Arc::clone(&stop), Arc::clone(&slowest));
            std::thread::spawn(move || {
                let opts = TokenOptions::default();
                let mut n = 0u64;
                while !stop.load(Ordering::Relaxed) {
                    let t = Instant::now();
                    black_box(ring.mint_at(now, &video, &opts).unwrap());
                    let took = u64::try_from(t.elapsed().as_nanos()).unwrap_or(u64::MAX);
                    slowest.fetch_max(took, Ordering::Relaxed);
                    n += 1;
                }
                n
            })
        })
        .collect();
    let reloader = docs.map(|(path, docs)| {
        let (ring, stop, path) = (Arc::clone(ring), Arc::clone(&stop), path.to_owned());
        std::thread::spawn(move || {
            let mut replaced = 0u64;
            let mut i = 0;
            while !stop.load(Ordering::Relaxed) {
                i ^= 1;
                std::fs::write(&path, &docs[i]).unwrap();
                if matches!(ring.reload_now(), ReloadOutcome::Replaced { .. }) {
                    replaced += 1;
                }
            }
            replaced
        })
    });
    std::thread::sleep(Duration::from_secs(secs));
    stop.store(true, Ordering::Relaxed);
    let total: u64 = minters.into_iter().map(|h| h.join().unwrap()).sum();
    let reloads = reloader.map_or(0, |h| h.join().unwrap());
    (
        total as f64 / start.elapsed().as_secs_f64(),
        Duration::from_nanos(slowest.load(Ordering::Relaxed)),
        reloads,
    )
}

fn main() {
    // `cargo bench` passes `--bench`; `cargo test --benches` does not run this.
    if std::env::args().any(|a| a == "--list") {
        return;
    }
    let secs = arg("--secs", 5);
    let rounds = arg("--rounds", 3);
    let t0 = OffsetDateTime::from_unix_timestamp(1_800_000_000).unwrap();
    let mut ring = Keyring::start_at(t0, &fixture("demo/demo_create_result.json")).unwrap();
    ring.add_next_at(t0, &fixture("other/other.jwk.json"))
        .unwrap();
    // Two documents of the same serial (a reload takes either), different bytes.
    let a = ring.secret_document().unwrap().to_string();
    let b = a.replace("\"margin\":3600", "\"margin\":3601");
    assert_ne!(a, b);
    let path = std::env::temp_dir().join(format!(
        "cf-stream-token-bench-reload-{}.json",
        std::process::id()
    ));
    std::fs::write(&path, &a).unwrap();
    let reloading = Arc::new(
        ReloadingKeyring::builder(SecretSource::file(&path))
            .background(false)
            .start()
            .unwrap(),
    );
    let path_str = path.to_str().unwrap().to_owned();
    for round in 1..=rounds {
        let (idle, idle_max, _) = run(&reloading, None, secs);
        let (busy, busy_max, reloads) =
            run(&reloading, Some((&path_str, [a.clone(), b.clone()])), secs);
        println!(
            "round {round}: idle {idle:.0} tokens/s (slowest {idle_max:?}); during {reloads} reloads \
             {busy:.0} tokens/s (slowest {busy_max:?}): {:.3}x",
            busy / idle
        );
    }
    let _ = std::fs::remove_file(path);
}
