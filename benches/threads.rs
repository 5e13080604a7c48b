//! Scaling: tokens per second from 1 and 2 threads sharing one `Signer`.
//! With no lock on the hot path, 2 threads should deliver close to twice the
//! tokens of one (on a machine with 2 free cores).
//!
//! ```text
//! cargo bench --bench threads              # 3 rounds of 5 s per thread count
//! cargo bench --bench threads -- --secs 10 --rounds 5
//! ```

use std::hint::black_box;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use cf_stream_token::{Signer, SigningKey, TokenOptions, VideoId};
use time::OffsetDateTime;

fn arg(name: &str, default: u64) -> u64 {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// Tokens per second minted by `threads` threads sharing `signer` for `secs`.
fn run(signer: &Signer, threads: usize, secs: u64) -> f64 {
    let stop = Arc::new(AtomicBool::new(false));
    let video = VideoId::new("ea95132c15732412d22c1476fa83f27a").unwrap();
    let opts = TokenOptions::default();
    let now = OffsetDateTime::from_unix_timestamp(1_700_000_000).unwrap();
    let start = Instant::now();
    let handles: Vec<_> = (0..threads)
        .map(|_| {
            let (signer, stop, opts) = (signer.clone(), Arc::clone(&stop), opts.clone());
            std::thread::spawn(move || {
                let mut n = 0u64;
                while !stop.load(Ordering::Relaxed) {
                    black_box(signer.mint_at(now, &video, &opts).unwrap());
                    n += 1;
                }
                n
            })
        })
        .collect();
    std::thread::sleep(Duration::from_secs(secs));
    stop.store(true, Ordering::Relaxed);
    let total: u64 = handles.into_iter().map(|h| h.join().unwrap()).sum();
    total as f64 / start.elapsed().as_secs_f64()
}

fn main() {
    // `cargo bench` passes `--bench`; `cargo test --benches` does not run this.
    if std::env::args().any(|a| a == "--list") {
        return;
    }
    let secs = arg("--secs", 5);
    let rounds = arg("--rounds", 3);
    let jwk = std::fs::read(format!(
        "{}/fixtures/demo/demo.jwk.json",
        env!("CARGO_MANIFEST_DIR")
    ))
    .expect("fixture");
    let signer = Signer::new(SigningKey::parse(jwk, None).unwrap());
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    println!("threads bench: {rounds} rounds x {secs} s per thread count, {cores} cores available");
    let (mut one, mut two) = (0f64, 0f64);
    for r in 1..=rounds {
        // Alternate so that drifting background load hits both alike; keep the best.
        let a = run(&signer, 1, secs);
        let b = run(&signer, 2, secs);
        println!(
            "round {r}: 1 thread {a:.0} tokens/s, 2 threads {b:.0} tokens/s, ratio {:.3}",
            b / a
        );
        one = one.max(a);
        two = two.max(b);
    }
    println!(
        "best: 1 thread {one:.0} tokens/s, 2 threads {two:.0} tokens/s, scaling {:.3}x",
        two / one
    );
}
