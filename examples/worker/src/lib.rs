//! A Cloudflare Worker (the Rust half): mints a signed HLS URL per request.
//!
//! `worker.mjs` is the `fetch` handler; it makes one [`Minter`] per isolate
//! (the key is parsed, checked and imported into WebCrypto once) and asks it
//! for a URL per request.

use cf_stream_token::{
    Hls, PlaybackUrls, SigningKey, StreamHost, Surface, TokenOptions, VideoId, WebCryptoSigner,
};
use wasm_bindgen::prelude::*;

/// The demo key of `fixtures/demo/` (public, for tests only), used when the
/// environment sets no `STREAM_SIGNING_KEY`.
const DEMO_KEY: &str = include_str!("../../../fixtures/demo/demo_create_result.json");

fn js_error(e: cf_stream_token::Error) -> JsValue {
    // The crate's messages never contain key material or tokens.
    JsValue::from_str(&e.to_string())
}

/// One signing key, imported once, and the customer host.
#[wasm_bindgen]
pub struct Minter {
    signer: WebCryptoSigner,
    host: StreamHost,
}

#[wasm_bindgen]
impl Minter {
    /// `key`: any form `SigningKey::parse` reads (the create-key response,
    /// PEM, JWK, base64 of those); the demo key when `None` or empty.
    /// `kid`: needed for PEM/DER only.
    pub async fn create(
        key: Option<String>,
        kid: Option<String>,
        customer_code: String,
    ) -> Result<Minter, JsValue> {
        let kid = match kid.filter(|k| !k.is_empty()) {
            Some(k) => Some(k.parse().map_err(js_error)?),
            None => None,
        };
        let key = match key.filter(|k| !k.trim().is_empty()) {
            Some(text) => SigningKey::parse(text, kid),
            None => SigningKey::parse(DEMO_KEY, kid),
        }
        .map_err(js_error)?;
        let host = StreamHost::customer_code(&customer_code).map_err(js_error)?;
        let signer = WebCryptoSigner::new(key).await.map_err(js_error)?;
        Ok(Minter { signer, host })
    }

    /// The signed HLS URL of `video`, valid for `lifetime_secs` (at most 24 hours).
    #[wasm_bindgen(js_name = hlsUrl)]
    pub async fn hls_url(&self, video: String, lifetime_secs: u32) -> Result<String, JsValue> {
        let video: VideoId = video.parse().map_err(js_error)?;
        let opts = TokenOptions::builder()
            .lifetime(std::time::Duration::from_secs(lifetime_secs.into()))
            .build()
            .map_err(js_error)?;
        let urls = PlaybackUrls::builder(self.host.clone(), video)
            .options(opts)
            .surface(Surface::Hls(Hls::default()))
            .build()
            .map_err(js_error)?;
        let token = self
            .signer
            .mint(urls.video(), urls.token_options())
            .await
            .map_err(js_error)?;
        let signed = urls.with_token(token).map_err(js_error)?;
        Ok(signed.urls()[0].clone())
    }

    /// Mint `n` tokens for `video` (default options) one after another: the
    /// benchmark's inner loop. Returns the last token.
    #[wasm_bindgen(js_name = mintMany)]
    pub async fn mint_many(&self, video: String, n: u32) -> Result<String, JsValue> {
        let video: VideoId = video.parse().map_err(js_error)?;
        let opts = TokenOptions::default();
        let mut last = String::new();
        for _ in 0..n {
            last = self
                .signer
                .mint(&video, &opts)
                .await
                .map_err(js_error)?
                .into_string();
        }
        Ok(last)
    }
}
