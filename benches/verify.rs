//! Verification cost against its physical limit (one RSA-2048 signature
//! check), in one run so that the ratio holds on a noisy machine. The goal:
//! `Verifier::verify_at` at no less than 0.97x the raw check's rate.
//!
//! ```text
//! cargo bench --bench verify
//! ```
//!
//! Wall-clock ratios drift on a shared machine; instruction counts do not.
//! Run with a mode and a count, the binary does that many operations after
//! the same setup, for callgrind (difference N against 0 to cancel setup):
//!
//! ```text
//! cargo bench --bench verify --no-run
//! BIN=$(ls -t target/release/deps/verify-* | grep -v '\.d$' | head -1)
//! for mode in raw verify decode; do for n in 0 1000; do
//!   valgrind --tool=callgrind --callgrind-out-file=/dev/null "$BIN" $mode $n 2>&1 | grep Collected
//! done; done
//! ```

use std::hint::black_box;
use std::time::Duration;

use aws_lc_rs::rsa::KeyPair;
use aws_lc_rs::signature::{KeyPair as _, ParsedPublicKey, RSA_PKCS1_2048_8192_SHA256};
use base64::Engine as _;
use cf_stream_token::{AccessRule, Action, Signer, SigningKey, TokenOptions, VideoId};
use criterion::{Criterion, criterion_group};
use time::OffsetDateTime;

const VIDEO: &str = "ea95132c15732412d22c1476fa83f27a";
const NOW: i64 = 1_700_000_000;

fn fixture(rel: &str) -> Vec<u8> {
    std::fs::read(format!("{}/fixtures/{rel}", env!("CARGO_MANIFEST_DIR"))).expect("fixture")
}

/// The verify path and its raw baseline, over the same bytes.
fn verify(c: &mut Criterion) {
    let signer = Signer::new(SigningKey::parse(fixture("demo/demo.jwk.json"), None).unwrap());
    let verifier = signer.verifier();
    let video = VideoId::new(VIDEO).unwrap();
    let now = OffsetDateTime::from_unix_timestamp(NOW).unwrap();
    let token = signer
        .mint_at(now, &video, &TokenOptions::default())
        .unwrap()
        .into_string();
    let (signing_input, sig_b64) = token.rsplit_once('.').unwrap();
    let signature = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(sig_b64)
        .unwrap();

    let mut g = c.benchmark_group("verify");
    g.measurement_time(Duration::from_secs(6));

    // verify/baseline/aws-lc-rs/verify: the bare RS256 check of the token's
    // signing input and its decoded signature, key pre-parsed: the limit.
    let pair = KeyPair::from_pkcs8(&fixture("demo/demo_pkcs8.der")).unwrap();
    let raw =
        ParsedPublicKey::new(&RSA_PKCS1_2048_8192_SHA256, pair.public_key().as_ref()).unwrap();
    raw.verify_sig(signing_input.as_bytes(), &signature)
        .unwrap();
    g.bench_function("baseline/aws-lc-rs/verify", |b| {
        b.iter(|| {
            raw.verify_sig(black_box(signing_input.as_bytes()), black_box(&signature))
                .unwrap()
        })
    });

    // verify/rs256/minimal: `Verifier::verify_at` on the same token: split,
    // header, signature, claims, kid and times.
    g.bench_function("rs256/minimal", |b| {
        b.iter(|| {
            verifier
                .verify_at(black_box(&token), black_box(now))
                .unwrap()
        })
    });

    // verify/parts/decode_unverified: the parsing around the check alone
    // (header, claims), no signature: what verify_at adds to the baseline.
    g.bench_function("parts/decode_unverified", |b| {
        b.iter(|| cf_stream_token::dangerous::decode_unverified(black_box(&token)).unwrap())
    });

    // verify/rs256/rules5: a token with five access rules (more claims JSON
    // to read once the signature holds).
    let rules5 = TokenOptions::builder()
        .access_rule(
            AccessRule::networks(Action::Allow, ["93.184.216.0/24", "2400:cb00::/32"]).unwrap(),
        )
        .access_rule(AccessRule::networks(Action::Block, ["198.51.100.7"]).unwrap())
        .access_rule(AccessRule::countries(Action::Block, ["T1"]).unwrap())
        .access_rule(AccessRule::countries(Action::Allow, ["GB", "US", "MX", "DE"]).unwrap())
        .access_rule(AccessRule::any(Action::Block))
        .build()
        .unwrap();
    let token5 = signer.mint_at(now, &video, &rules5).unwrap().into_string();
    g.bench_function("rs256/rules5", |b| {
        b.iter(|| {
            verifier
                .verify_at(black_box(&token5), black_box(now))
                .unwrap()
        })
    });
    g.finish();
}

criterion_group!(benches, verify);

/// `raw N`, `verify N`, `decode N`: N operations for an instruction count;
/// anything else (`cargo bench` passes `--bench`): the criterion benches.
fn main() {
    let args: Vec<String> = std::env::args().collect();
    let mode = args
        .get(1)
        .filter(|m| ["raw", "verify", "decode"].contains(&m.as_str()));
    let (Some(mode), Some(n)) = (mode, args.get(2).and_then(|n| n.parse::<u32>().ok())) else {
        benches();
        Criterion::default().configure_from_args().final_summary();
        return;
    };
    let signer = Signer::new(SigningKey::parse(fixture("demo/demo.jwk.json"), None).unwrap());
    let verifier = signer.verifier();
    let now = OffsetDateTime::from_unix_timestamp(NOW).unwrap();
    let token = signer
        .mint_at(now, &VideoId::new(VIDEO).unwrap(), &TokenOptions::default())
        .unwrap()
        .into_string();
    let (signing_input, sig_b64) = token.rsplit_once('.').unwrap();
    let signature = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(sig_b64)
        .unwrap();
    let pair = KeyPair::from_pkcs8(&fixture("demo/demo_pkcs8.der")).unwrap();
    let raw =
        ParsedPublicKey::new(&RSA_PKCS1_2048_8192_SHA256, pair.public_key().as_ref()).unwrap();
    for _ in 0..n {
        match mode.as_str() {
            "raw" => raw
                .verify_sig(black_box(signing_input.as_bytes()), black_box(&signature))
                .unwrap(),
            "verify" => drop(verifier.verify_at(black_box(&token), now).unwrap()),
            "decode" => {
                drop(cf_stream_token::dangerous::decode_unverified(black_box(&token)).unwrap())
            }
            _ => unreachable!("checked above"),
        }
    }
}
