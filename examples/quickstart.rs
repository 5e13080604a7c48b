//! Mint a Stream token with the built-in demo key and show what is inside.
//!
//! ```text
//! cargo run --example quickstart
//! ```
//!
//! The demo key was generated for this project and is public: it signs
//! nothing any real Stream account accepts. With your own key, set
//! `CF_STREAM_SIGNING_KEY` to any key form (PEM, base64 PEM, JWK, base64 JWK,
//! the create-key response) and, for PEM forms, `CF_STREAM_KEY_ID`.

use std::time::Duration;

use base64::Engine as _;
use cf_stream_token::time::format_description::well_known::Rfc3339;
use cf_stream_token::{ErrorKind, Signer, SigningKey, TokenOptions, VideoId};

const DEMO_KEY: &str = include_str!("../fixtures/demo/demo_create_result.json");
const DEMO_VIDEO: &str = "ea95132c15732412d22c1476fa83f27a";
/// Stands for the account's customer code until `CF_STREAM_CUSTOMER_CODE`
/// gives it.
const PLACEHOLDER_CODE: &str = "YOUR_CUSTOMER_CODE";

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let (key, source) = match SigningKey::from_env() {
        Ok(key) => (key, "CF_STREAM_SIGNING_KEY"),
        Err(e) if matches!(e.kind(), ErrorKind::MissingConfig { .. }) => (
            SigningKey::parse(DEMO_KEY, None)?,
            "built-in demo key, public, not for production",
        ),
        Err(e) => return Err(e.into()),
    };
    let signer = Signer::new(key);
    let video = VideoId::new(DEMO_VIDEO)?;
    let opts = TokenOptions::builder()
        .lifetime(Duration::from_secs(3600))
        .backdate_not_before(Duration::from_secs(60))
        .build()?;

    let token = signer.mint(&video, &opts)?;

    println!("signing key: {} ({source})", signer.kid());
    println!("\ntoken:\n{token}\n");
    let mut parts = token.as_str().split('.');
    for name in ["header", "claims"] {
        let part = parts.next().expect("three parts");
        // The exact bytes that were signed, in their wire order.
        let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(part)?;
        println!("{name}: {}", String::from_utf8(bytes)?);
    }
    println!("expires: {}", token.expires_at().format(&Rfc3339)?);

    let code = std::env::var("CF_STREAM_CUSTOMER_CODE")
        .ok()
        .filter(|c| !c.trim().is_empty());
    println!(
        "\nHLS URL:\nhttps://customer-{}.cloudflarestream.com/{token}/manifest/video.m3u8",
        code.as_deref().map_or(PLACEHOLDER_CODE, str::trim)
    );
    if code.is_none() {
        println!(
            "\n{PLACEHOLDER_CODE} stands for your account's customer code: in the Cloudflare \
             dashboard, Stream shows it in every video's embed and playback URLs \
             (customer-CODE.cloudflarestream.com). Set CF_STREAM_CUSTOMER_CODE to use it here."
        );
    }

    // The verifier accepts it as of now, with the same key's public half.
    let claims = signer.verifier().verify(token.as_str())?;
    println!(
        "\nverified locally: sub={} exp={}",
        claims.video(),
        claims.expires_at().format(&Rfc3339)?
    );
    Ok(())
}
