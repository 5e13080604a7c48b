//! Token reuse (feature `cache`): hit cost, miss cost against the plain
//! signer in the same run, and a Zipf-like workload's effective rate.
//!
//! ```text
//! cargo bench --features cache --bench cache
//! ```

use std::hint::black_box;
use std::time::{Duration, Instant};

use cf_stream_token::{CachingSigner, Signer, SigningKey, TokenOptions, VideoId};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use time::OffsetDateTime;

const NOW: i64 = 1_700_000_000;

fn signer() -> Signer {
    let jwk = std::fs::read(format!(
        "{}/fixtures/demo/demo.jwk.json",
        env!("CARGO_MANIFEST_DIR")
    ))
    .expect("fixture");
    Signer::new(SigningKey::parse(jwk, None).unwrap())
}

fn videos(n: u32) -> Vec<VideoId> {
    (0..n)
        .map(|i| VideoId::new(&format!("{i:032x}")).unwrap())
        .collect()
}

/// A small deterministic PRNG (xorshift64*), so every run sees the same stream.
struct Rng(u64);
impl Rng {
    fn next_f64(&mut self) -> f64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        (self.0.wrapping_mul(0x2545_f491_4f6c_dd1d) >> 11) as f64 / (1u64 << 53) as f64
    }
}

/// `count` draws from a Zipf(s = 1) distribution over `n` ranks.
fn zipf_stream(n: usize, count: usize) -> Vec<usize> {
    let weights: Vec<f64> = (1..=n).map(|k| 1.0 / k as f64).collect();
    let total: f64 = weights.iter().sum();
    let mut cdf = Vec::with_capacity(n);
    let mut acc = 0.0;
    for w in weights {
        acc += w / total;
        cdf.push(acc);
    }
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    (0..count)
        .map(|_| {
            let u = rng.next_f64();
            cdf.partition_point(|&c| c < u).min(n - 1)
        })
        .collect()
}

fn cache(c: &mut Criterion) {
    let now = OffsetDateTime::from_unix_timestamp(NOW).unwrap();
    let opts = TokenOptions::default();
    let mut g = c.benchmark_group("cache");

    // cache/hit/hot1000: a warm cache, requests cycling over 1,000 videos.
    let hot = videos(1000);
    let warm = CachingSigner::builder(signer()).build().unwrap();
    for v in &hot {
        warm.mint_at(now, v, &opts).unwrap();
    }
    let mut i = 0usize;
    g.throughput(Throughput::Elements(1));
    g.bench_function("hit/hot1000", |b| {
        b.iter(|| {
            i = (i + 1) % hot.len();
            warm.mint_at(black_box(now), &hot[i], black_box(&opts))
                .unwrap()
        })
    });

    // cache/miss and cache/plain: every request a new video, against the
    // plain signer on the same requests.
    g.measurement_time(Duration::from_secs(8));
    let cold = CachingSigner::builder(signer())
        .max_entries(10_000)
        .build()
        .unwrap();
    let plain = signer();
    let mut n = 0u64;
    let mut next_video = move || {
        n += 1;
        VideoId::new(&format!("{n:032x}")).unwrap()
    };
    g.bench_function("miss", |b| {
        b.iter_batched(
            &mut next_video,
            |v| cold.mint_at(now, &v, &opts).unwrap(),
            criterion::BatchSize::SmallInput,
        )
    });
    let mut m = 0u64;
    let mut next_video2 = move || {
        m += 1;
        VideoId::new(&format!("{m:032x}")).unwrap()
    };
    g.bench_function("plain", |b| {
        b.iter_batched(
            &mut next_video2,
            |v| plain.mint_at(now, &v, &opts).unwrap(),
            criterion::BatchSize::SmallInput,
        )
    });

    // cache/zipf10k: 20,000 requests drawn Zipf(1) over 10,000 videos, each
    // run on a cold cache; throughput is effective tokens per second.
    let pool = videos(10_000);
    let stream = zipf_stream(pool.len(), 20_000);
    let distinct = {
        let mut s = stream.clone();
        s.sort_unstable();
        s.dedup();
        s.len()
    };
    eprintln!(
        "cache/zipf10k: {} requests, {distinct} distinct videos (misses)",
        stream.len()
    );
    g.throughput(Throughput::Elements(stream.len() as u64));
    g.sample_size(10);
    g.measurement_time(Duration::from_secs(20));
    g.bench_function("zipf10k", |b| {
        b.iter_custom(|iters| {
            let mut total = Duration::ZERO;
            for _ in 0..iters {
                let fresh = CachingSigner::builder(signer()).build().unwrap();
                let start = Instant::now();
                for &r in &stream {
                    black_box(fresh.mint_at(now, &pool[r], &opts).unwrap());
                }
                total += start.elapsed();
            }
            total
        })
    });
    g.finish();
}

criterion_group!(benches, cache);
criterion_main!(benches);
