//! Minting cost against its physical limit (one RSA-2048 signature), measured
//! in one run so that the ratios hold on a noisy machine.
//!
//! ```text
//! cargo bench --bench mint
//! ```

use std::hint::black_box;
use std::time::Duration;

use aws_lc_rs::rsa::KeyPair;
use aws_lc_rs::signature::RSA_PKCS1_SHA256;
use cf_stream_token::{KeyId, Signer, SigningKey, TokenOptions, VideoId};
use criterion::{Criterion, criterion_group, criterion_main};
use time::OffsetDateTime;

const KID: &str = "8f3c2a1b9d4e5f60718293a4b5c6d7e8";
const VIDEO: &str = "ea95132c15732412d22c1476fa83f27a";
const NOW: i64 = 1_700_000_000;

fn fixture(rel: &str) -> Vec<u8> {
    std::fs::read(format!("{}/fixtures/{rel}", env!("CARGO_MANIFEST_DIR"))).expect("fixture")
}

fn kid() -> Option<KeyId> {
    Some(KeyId::new(KID).unwrap())
}

/// The minting path and its two baselines, over the same claims.
fn mint(c: &mut Criterion) {
    let signer = Signer::new(SigningKey::parse(fixture("demo/demo.jwk.json"), None).unwrap());
    let video = VideoId::new(VIDEO).unwrap();
    let now = OffsetDateTime::from_unix_timestamp(NOW).unwrap();
    let opts = TokenOptions::default();
    let token = signer.mint_at(now, &video, &opts).unwrap();
    let signing_input = token.as_str().rsplit_once('.').unwrap().0.to_owned();

    let mut g = c.benchmark_group("mint");
    g.measurement_time(Duration::from_secs(8));

    // mint/rs256/minimal: a full token (claims JSON, base64url, one RS256 signature).
    g.bench_function("rs256/minimal", |b| {
        b.iter(|| {
            signer
                .mint_at(black_box(now), black_box(&video), black_box(&opts))
                .unwrap()
        })
    });

    // baseline/aws-lc-rs/sign: the bare RSA signature of the same signing input
    // with a pre-parsed key: the physical limit.
    let raw = KeyPair::from_pkcs8(&fixture("demo/demo_pkcs8.der")).unwrap();
    let rng = aws_lc_rs::rand::SystemRandom::new();
    let mut sig = vec![0u8; raw.public_modulus_len()];
    g.bench_function("baseline/aws-lc-rs/sign", |b| {
        b.iter(|| {
            raw.sign(
                &RSA_PKCS1_SHA256,
                &rng,
                black_box(signing_input.as_bytes()),
                &mut sig,
            )
            .unwrap()
        })
    });

    // baseline/jsonwebtoken/encode: stock `jsonwebtoken::encode` of the same
    // claims with an `EncodingKey` built once, as its users do.
    #[derive(serde::Serialize)]
    struct Claims<'a> {
        sub: &'a str,
        kid: &'a str,
        exp: i64,
    }
    let jwt_key = jsonwebtoken::EncodingKey::from_rsa_pem(&fixture("demo/demo_pkcs1.pem")).unwrap();
    let mut header = jsonwebtoken::Header::new(jsonwebtoken::Algorithm::RS256);
    header.kid = Some(KID.to_owned());
    header.typ = None;
    let claims = Claims {
        sub: VIDEO,
        kid: KID,
        exp: NOW + 3600,
    };
    assert_eq!(
        jsonwebtoken::encode(&header, &claims, &jwt_key).unwrap(),
        token.as_str(),
        "the baseline must produce the very same token"
    );
    g.bench_function("baseline/jsonwebtoken/encode", |b| {
        b.iter(|| jsonwebtoken::encode(black_box(&header), black_box(&claims), &jwt_key).unwrap())
    });
    g.finish();
}

/// key/parse/<form>: loading and fully checking the key, once per process.
fn key_parse(c: &mut Criterion) {
    let mut g = c.benchmark_group("key/parse");
    g.measurement_time(Duration::from_secs(4));
    for (name, file, needs_kid) in [
        ("pkcs1_pem", "demo/demo_pkcs1.pem", true),
        ("pkcs8_pem", "demo/demo_pkcs8.pem", true),
        ("pkcs1_der", "demo/demo_pkcs1.der", true),
        ("base64_pem", "demo/demo_pkcs1.pem.b64", true),
        ("jwk", "demo/demo.jwk.json", false),
        ("base64_jwk", "demo/demo.jwk.b64", false),
        ("create_response", "demo/demo_create_response.json", false),
    ] {
        let input = fixture(file);
        let k = if needs_kid { kid() } else { None };
        g.bench_function(name, |b| {
            b.iter(|| SigningKey::parse(black_box(&input), k).unwrap())
        });
    }
    g.finish();
}

criterion_group!(benches, mint, key_parse);
criterion_main!(benches);
