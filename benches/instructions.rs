//! Instruction counts, for a noise-free ratio on shared machines: the same
//! setup in every mode, then N iterations of one operation. Run under
//! callgrind and difference N against 0 iterations to cancel the setup:
//!
//! ```text
//! cargo bench --features cache --bench instructions --no-run
//! BIN=$(ls -t target/release/deps/instructions-* | grep -v '\.d$' | head -1)
//! for mode in mint reloading cache-miss raw jwt; do for n in 0 200; do
//!   valgrind --tool=callgrind --callgrind-out-file=/dev/null "$BIN" $mode $n 2>&1 | grep Collected
//! done; done
//! ```
//!
//! Modes: `mint` (the crate's `Signer::mint_at`), `reloading` (the same
//! through a `ReloadingKeyring`: an atomic load of the ring in force and
//! the ring's lifetime check, then the same signature), `cache-miss` (feature
//! `cache`: `CachingSigner::mint_at`, a new video each time, so every call is
//! a miss: key, lookup, signature, insertion), `cache-hit` (the same, one
//! video minted in the setup: key and lookup only), `raw` (aws-lc-rs signing of
//! the same signing input with a pre-parsed key), `jwt` (`jsonwebtoken::encode`
//! of the same claims with an `EncodingKey` built once).

use std::hint::black_box;

use aws_lc_rs::rsa::KeyPair;
use aws_lc_rs::signature::RSA_PKCS1_SHA256;
use cf_stream_token::{
    Keyring, ReloadingKeyring, SecretSource, Signer, SigningKey, TokenOptions, TokenSource, VideoId,
};
use time::OffsetDateTime;

const KID: &str = "8f3c2a1b9d4e5f60718293a4b5c6d7e8";
const VIDEO: &str = "ea95132c15732412d22c1476fa83f27a";
const NOW: i64 = 1_700_000_000;
/// Videos made in the setup, whatever N, so that differencing cancels them.
const POOL: usize = 1000;

fn fixture(rel: &str) -> Vec<u8> {
    std::fs::read(format!("{}/fixtures/{rel}", env!("CARGO_MANIFEST_DIR"))).expect("fixture")
}

#[derive(serde::Serialize)]
struct Claims<'a> {
    sub: &'a str,
    kid: &'a str,
    exp: i64,
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    // `cargo bench` runs every bench binary with `--bench`: do nothing then.
    let (Some(mode), Some(n)) = (args.get(1), args.get(2).and_then(|n| n.parse::<u32>().ok()))
    else {
        eprintln!(
            "usage: instructions mint|reloading|cache-miss|cache-hit|raw|jwt N (misses: N <= {POOL})"
        );
        return;
    };

    // Identical setup for every mode.
    let signer = Signer::new(SigningKey::parse(fixture("demo/demo.jwk.json"), None).unwrap());
    let raw = KeyPair::from_pkcs8(&fixture("demo/demo_pkcs8.der")).unwrap();
    let jwt_key = jsonwebtoken::EncodingKey::from_rsa_pem(&fixture("demo/demo_pkcs1.pem")).unwrap();
    let mut header = jsonwebtoken::Header::new(jsonwebtoken::Algorithm::RS256);
    header.kid = Some(KID.to_owned());
    header.typ = None;
    let claims = Claims {
        sub: VIDEO,
        kid: KID,
        exp: NOW + 3600,
    };
    let video = VideoId::new(VIDEO).unwrap();
    let now = OffsetDateTime::from_unix_timestamp(NOW).unwrap();
    let opts = TokenOptions::default();
    let token = signer.mint_at(now, &video, &opts).unwrap();
    let signing_input = token.as_str().rsplit_once('.').unwrap().0.to_owned();
    let rng = aws_lc_rs::rand::SystemRandom::new();
    let mut sig = vec![0u8; raw.public_modulus_len()];
    // The same key in a ring, read by a reloading source (no thread: its
    // reloads are not what is counted).
    let ring_doc = Keyring::start_at(
        now,
        &String::from_utf8(fixture("demo/demo.jwk.json")).unwrap(),
    )
    .unwrap()
    .secret_document()
    .unwrap();
    let ring_path =
        std::env::temp_dir().join(format!("cf-stream-token-instr-{}.json", std::process::id()));
    std::fs::write(&ring_path, ring_doc.as_bytes()).unwrap();
    let reloading = ReloadingKeyring::builder(SecretSource::file(&ring_path))
        .background(false)
        .start()
        .unwrap();
    std::fs::remove_file(&ring_path).unwrap();
    #[cfg(feature = "cache")]
    let pool: Vec<VideoId> = (0..POOL)
        .map(|i| VideoId::new(&format!("{i:032x}")).unwrap())
        .collect();
    #[cfg(feature = "cache")]
    let cache = cf_stream_token::CachingSigner::builder(signer.clone())
        .build()
        .unwrap();
    // Warm for `cache-hit` (VIDEO is not in the pool).
    #[cfg(feature = "cache")]
    cache.mint_at(now, &video, &opts).unwrap();
    #[cfg(feature = "cache")]
    let mut new_videos = pool.iter();

    for _ in 0..n {
        match mode.as_str() {
            "mint" => {
                black_box(signer.mint_at(black_box(now), &video, &opts).unwrap());
            }
            "reloading" => {
                black_box(reloading.mint_at(black_box(now), &video, &opts).unwrap());
            }
            #[cfg(feature = "cache")]
            "cache-miss" => {
                let v = new_videos.next().expect("at most POOL misses");
                black_box(cache.mint_at(black_box(now), v, &opts).unwrap());
            }
            #[cfg(feature = "cache")]
            "cache-hit" => {
                black_box(cache.mint_at(black_box(now), &video, &opts).unwrap());
            }
            "raw" => {
                raw.sign(
                    &RSA_PKCS1_SHA256,
                    &rng,
                    black_box(signing_input.as_bytes()),
                    &mut sig,
                )
                .unwrap();
                black_box(&sig);
            }
            "jwt" => {
                black_box(jsonwebtoken::encode(&header, &claims, &jwt_key).unwrap());
            }
            other => panic!("unknown mode {other}"),
        }
    }
}
