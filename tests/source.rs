//! One seam for token sources (issue 20): every synchronous source mints
//! through `TokenSource` into the same URLs, the keyring's source keeps the
//! ring's cap on every path, and a token minted elsewhere is checked before
//! it goes into a URL.

use std::sync::Arc;
use std::time::Duration;

use cf_stream_token::{
    Download, ErrorKind, Hls, Keyring, PlaybackTemplate, PlaybackUrls, StreamHost, Surface, Token,
    TokenOptions, TokenSource, VideoId,
};

use crate::common::*;

const OTHER_VIDEO: &str = "0123456789abcdef0123456789abcdef";

fn template(surfaces: impl IntoIterator<Item = Surface>) -> PlaybackTemplate {
    PlaybackTemplate::builder(StreamHost::customer_code("abc123").unwrap())
        .surfaces(surfaces)
        .build()
        .unwrap()
}

fn ring() -> Keyring {
    Keyring::start_at(at(NOW), &text("demo/demo_create_result.json")).unwrap()
}

fn lifetime(secs: u64) -> TokenOptions {
    TokenOptions::builder()
        .lifetime(Duration::from_secs(secs))
        .build()
        .unwrap()
}

/// The HLS URL each source makes through the one generic path.
fn hls_url(source: &(impl TokenSource + ?Sized)) -> String {
    template([Surface::Hls(Hls::new())])
        .mint_at(at(NOW), source, &video())
        .unwrap()
        .urls()[0]
        .clone()
}

#[test]
fn every_source_mints_the_same_urls_through_the_template() {
    let plain = hls_url(&demo_signer());
    let expected = demo_signer()
        .mint_at(at(NOW), &video(), &TokenOptions::default())
        .unwrap();
    assert_eq!(
        plain,
        format!("https://customer-abc123.cloudflarestream.com/{expected}/manifest/video.m3u8")
    );
    assert_eq!(hls_url(&ring().signer()), plain);
    assert_eq!(hls_url(&&demo_signer()), plain);
    assert_eq!(hls_url(&Box::new(demo_signer())), plain);
    assert_eq!(hls_url(&Arc::new(demo_signer())), plain);
    #[cfg(feature = "cache")]
    {
        // A bucket of one second: signed at NOW itself, the same bytes.
        let cache = cf_stream_token::CachingSigner::builder(demo_signer())
            .bucket(Duration::from_secs(1))
            .build()
            .unwrap();
        assert_eq!(hls_url(&cache), plain);
    }
}

#[test]
fn the_trait_is_object_safe() {
    #[cfg_attr(not(feature = "cache"), allow(unused_mut))]
    let mut sources: Vec<Arc<dyn TokenSource>> =
        vec![Arc::new(demo_signer()), Arc::new(ring().signer())];
    #[cfg(feature = "cache")]
    sources.push(Arc::new(
        cf_stream_token::CachingSigner::builder(demo_signer())
            .build()
            .unwrap(),
    ));
    let urls = PlaybackUrls::builder(StreamHost::customer_code("abc123").unwrap(), video())
        .surface(Surface::Iframe)
        .build()
        .unwrap();
    for source in &sources {
        let token = source
            .mint_at(at(NOW), &video(), &TokenOptions::default())
            .unwrap();
        assert_eq!(token.video(), &video());
        let signed = urls.mint_at(at(NOW), &**source).unwrap();
        assert!(signed.iframe().unwrap().ends_with("/iframe"));
        let by_ref: &dyn TokenSource = &**source;
        assert_eq!(
            by_ref
                .mint_at(at(NOW), &video(), &TokenOptions::default())
                .unwrap()
                .kid(),
            token.kid()
        );
    }
    fn send_sync<T: Send + Sync + ?Sized>() {}
    send_sync::<dyn TokenSource>();
}

/// The ring's cap holds through the source itself, the template and the
/// URLs: the only ways a `KeyringSigner` mints.
#[test]
fn the_ring_source_refuses_a_token_past_the_rings_lifetime_on_every_path() {
    let mut ring = ring();
    ring.set_max_token_lifetime(Duration::from_secs(3600))
        .unwrap();
    let source = ring.signer();
    assert_eq!(source.max_token_lifetime(), Duration::from_secs(3600));
    let two_hours = lifetime(2 * 3600);
    let outlives = |e: cf_stream_token::Error| {
        assert!(
            matches!(
                e.kind(),
                ErrorKind::TokenOutlivesRing { exp, max }
                    if *exp == NOW + 2 * 3600 && *max == NOW + 3600
            ),
            "{e:?}"
        );
    };
    outlives(source.mint_at(at(NOW), &video(), &two_hours).unwrap_err());
    outlives(TokenSource::mint_at(&source, at(NOW), &video(), &two_hours).unwrap_err());
    let dynamic: &dyn TokenSource = &source;
    outlives(dynamic.mint_at(at(NOW), &video(), &two_hours).unwrap_err());
    let t = template([Surface::Hls(Hls::new())]);
    outlives(
        t.mint_with_at(at(NOW), &source, &video(), &two_hours)
            .unwrap_err(),
    );
    let long = PlaybackTemplate::builder(StreamHost::customer_code("abc123").unwrap())
        .options(two_hours.clone())
        .surface(Surface::Iframe)
        .build()
        .unwrap();
    outlives(long.mint_at(at(NOW), &source, &video()).unwrap_err());
    let urls = PlaybackUrls::builder(StreamHost::customer_code("abc123").unwrap(), video())
        .options(two_hours)
        .surface(Surface::Iframe)
        .build()
        .unwrap();
    outlives(urls.mint_at(at(NOW), &source).unwrap_err());
    // Within the cap it signs, with the current key.
    let ok = source.mint_at(at(NOW), &video(), &lifetime(3600)).unwrap();
    assert_eq!(ok.exp(), NOW + 3600);
}

fn minted(video: &VideoId, opts: &TokenOptions) -> Token {
    demo_signer().mint_at(at(NOW), video, opts).unwrap()
}

#[test]
fn with_token_refuses_another_videos_token() {
    let urls = PlaybackUrls::builder(StreamHost::customer_code("abc123").unwrap(), video())
        .surface(Surface::Hls(Hls::new()))
        .build()
        .unwrap();
    let other: VideoId = OTHER_VIDEO.parse().unwrap();
    let e = urls
        .with_token(minted(&other, urls.token_options()))
        .unwrap_err();
    assert!(
        matches!(e.kind(), ErrorKind::WrongVideo { expected, found } if found == OTHER_VIDEO && *expected == video().to_string()),
        "{e:?}"
    );
    // Its own video's token makes the URLs a mint would.
    let token = minted(&video(), urls.token_options());
    let signed = urls.with_token(token.clone()).unwrap();
    assert_eq!(
        signed.urls(),
        urls.mint_at(at(NOW), &demo_signer()).unwrap().urls()
    );
    assert_eq!(signed.token(), &token);
    // A template's `with_token_for` refuses it the same way.
    let t = template([Surface::Hls(Hls::new())]);
    let e = t
        .with_token_for(&video(), minted(&other, t.token_options()))
        .unwrap_err();
    assert!(
        matches!(e.kind(), ErrorKind::WrongVideo { found, .. } if found == OTHER_VIDEO),
        "{e:?}"
    );
    assert!(e.is_verification(), "{e:?}");
    assert_eq!(
        t.with_token_for(&other, minted(&other, t.token_options()))
            .unwrap()
            .token()
            .video(),
        &other
    );
    // A template's `with_token` takes any video's token.
    let theirs = t.with_token(minted(&other, t.token_options())).unwrap();
    assert!(
        theirs
            .hls()
            .unwrap()
            .contains(&minted(&other, t.token_options()).to_string())
    );
}

#[test]
fn with_token_refuses_a_token_that_cannot_download_when_a_surface_is_a_download() {
    let surfaces = [
        Surface::Hls(Hls::new()),
        Surface::Mp4Download(Download::new()),
    ];
    let urls = PlaybackUrls::builder(StreamHost::customer_code("abc123").unwrap(), video())
        .surfaces(surfaces.clone())
        .build()
        .unwrap();
    assert!(urls.token_options().downloadable());
    let plain = minted(&video(), &TokenOptions::default());
    for e in [
        urls.with_token(plain.clone()).unwrap_err(),
        template(surfaces).with_token(plain.clone()).unwrap_err(),
    ] {
        assert!(matches!(e.kind(), ErrorKind::NotDownloadable), "{e:?}");
    }
    // Without a download surface a plain token is fine.
    template([Surface::Hls(Hls::new())])
        .with_token(plain)
        .unwrap();
    let signed = urls
        .with_token(minted(&video(), urls.token_options()))
        .unwrap();
    assert!(signed.mp4().unwrap().ends_with("/downloads/default.mp4"));
}

#[cfg(feature = "cache")]
#[test]
fn the_caching_source_returns_equal_tokens_on_hits() {
    let cache = cf_stream_token::CachingSigner::builder(demo_signer())
        .build()
        .unwrap();
    let opts = TokenOptions::default();
    let a: Token = cache.mint_at(at(NOW), &video(), &opts).unwrap();
    let b: Token = TokenSource::mint_at(&cache, at(NOW + 10), &video(), &opts).unwrap();
    assert_eq!(a, b);
    assert!(std::ptr::eq(a.as_str(), b.as_str()), "shared, not copied");
    let _: &cf_stream_token::Signer = cache.signer();
}
