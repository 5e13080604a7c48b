//! Playback URLs: the exact string of every surface and parameter, every
//! refused part by kind, one token per mint, and that token verifying.

use std::time::Duration;

use cf_stream_token::{
    AccessRule, AnimatedThumbnail, Dash, Download, ErrorKind, Fit, Hls, PlaybackUrls, SignedUrls,
    StreamHost, Surface, Thumbnail, TokenOptions,
};

use crate::common::*;

const CODE: &str = "f33zs165nr7gyfy4";
const HOST: &str = "https://customer-f33zs165nr7gyfy4.cloudflarestream.com";

fn mint(surfaces: impl IntoIterator<Item = Surface>) -> SignedUrls {
    PlaybackUrls::builder(StreamHost::customer_code(CODE).unwrap(), video())
        .surfaces(surfaces)
        .build()
        .unwrap()
        .mint_at(at(NOW), &demo_signer())
        .unwrap()
}

/// The URL of a single surface, with the token replaced by `{token}`.
fn shape(surface: Surface) -> String {
    let signed = mint([surface]);
    let token = signed.token().as_str().to_owned();
    signed.urls()[0].replace(&token, "{token}")
}

fn build_err(host: StreamHost, surface: Surface) -> ErrorKind {
    PlaybackUrls::builder(host, video())
        .surface(surface)
        .build()
        .unwrap_err()
        .into_kind()
}

/// The refusal for `value`: errors repeat at most 64 characters of it,
/// marking a cut with `…`.
fn part(what: &'static str, value: &str) -> ErrorKind {
    let mut echoed: String = value.chars().take(64).collect();
    if value.chars().count() > 64 {
        echoed.push('…');
    }
    ErrorKind::InvalidUrlPart {
        what,
        value: echoed,
    }
}

fn token_of(url: &str) -> &str {
    let path = url.strip_prefix("https://").unwrap();
    path.split('/').nth(1).unwrap()
}

#[test]
fn every_surface_without_parameters() {
    for (surface, expected) in [
        (Surface::Iframe, "iframe"),
        (Surface::Watch, "watch"),
        (Surface::Hls(Hls::new()), "manifest/video.m3u8"),
        (Surface::Dash(Dash::new()), "manifest/video.mpd"),
        (
            Surface::Thumbnail(Thumbnail::new()),
            "thumbnails/thumbnail.jpg",
        ),
        (
            Surface::AnimatedThumbnail(AnimatedThumbnail::new()),
            "thumbnails/thumbnail.gif",
        ),
        (
            Surface::Mp4Download(Download::new()),
            "downloads/default.mp4",
        ),
        (
            Surface::AudioDownload(Download::new()),
            "downloads/audio.m4a",
        ),
        (Surface::WebRtc, "webRTC/play"),
    ] {
        assert_eq!(surface.path(), expected);
        assert_eq!(shape(surface), format!("{HOST}/{{token}}/{expected}"));
    }
}

#[test]
fn manifest_parameters() {
    for (surface, expected) in [
        (
            Surface::Hls(Hls::new().client_bandwidth_hint(1.8)),
            "manifest/video.m3u8?clientBandwidthHint=1.8",
        ),
        (
            Surface::Hls(Hls::new().low_latency(true)),
            "manifest/video.m3u8?protocol=llhls",
        ),
        (
            Surface::Hls(Hls::new().low_latency(true).client_bandwidth_hint(2.0)),
            "manifest/video.m3u8?clientBandwidthHint=2&protocol=llhls",
        ),
        (
            Surface::Hls(Hls::new().low_latency(false)),
            "manifest/video.m3u8",
        ),
        (
            Surface::Dash(Dash::new().client_bandwidth_hint(0.25)),
            "manifest/video.mpd?clientBandwidthHint=0.25",
        ),
    ] {
        assert_eq!(shape(surface), format!("{HOST}/{{token}}/{expected}"));
    }
}

#[test]
fn thumbnail_parameters() {
    let secs = Duration::from_secs;
    for (surface, expected) in [
        (
            Thumbnail::new().time(secs(8)),
            "thumbnails/thumbnail.jpg?time=8s",
        ),
        (
            Thumbnail::new().time(secs(62)),
            "thumbnails/thumbnail.jpg?time=62s",
        ),
        (
            Thumbnail::new().time(Duration::ZERO),
            "thumbnails/thumbnail.jpg?time=0s",
        ),
        (
            Thumbnail::new().height(270),
            "thumbnails/thumbnail.jpg?height=270",
        ),
        (
            Thumbnail::new().width(480),
            "thumbnails/thumbnail.jpg?width=480",
        ),
        (
            Thumbnail::new().fit(Fit::Crop),
            "thumbnails/thumbnail.jpg?fit=crop",
        ),
        (
            Thumbnail::new().fit(Fit::Clip),
            "thumbnails/thumbnail.jpg?fit=clip",
        ),
        (
            Thumbnail::new().fit(Fit::Scale),
            "thumbnails/thumbnail.jpg?fit=scale",
        ),
        (
            Thumbnail::new().fit(Fit::Fill),
            "thumbnails/thumbnail.jpg?fit=fill",
        ),
        (
            // Set in any order, sent in Cloudflare's documented order.
            Thumbnail::new()
                .fit(Fit::Clip)
                .width(480)
                .height(270)
                .time(secs(1)),
            "thumbnails/thumbnail.jpg?time=1s&height=270&width=480&fit=clip",
        ),
    ] {
        assert_eq!(
            shape(Surface::Thumbnail(surface)),
            format!("{HOST}/{{token}}/{expected}")
        );
    }
}

#[test]
fn animated_thumbnail_parameters() {
    let secs = Duration::from_secs;
    for (surface, expected) in [
        (
            AnimatedThumbnail::new().duration(secs(4)),
            "thumbnails/thumbnail.gif?duration=4s",
        ),
        (
            AnimatedThumbnail::new().fps(1),
            "thumbnails/thumbnail.gif?fps=1",
        ),
        (
            // Cloudflare's documentation example.
            AnimatedThumbnail::new()
                .time(secs(1))
                .height(200)
                .duration(secs(4)),
            "thumbnails/thumbnail.gif?time=1s&height=200&duration=4s",
        ),
        (
            AnimatedThumbnail::new()
                .fps(15)
                .duration(secs(5))
                .fit(Fit::Fill)
                .width(320)
                .height(180)
                .time(secs(90)),
            "thumbnails/thumbnail.gif?time=90s&height=180&width=320&fit=fill&duration=5s&fps=15",
        ),
    ] {
        assert_eq!(
            shape(Surface::AnimatedThumbnail(surface)),
            format!("{HOST}/{{token}}/{expected}")
        );
    }
}

#[test]
fn download_parameters_and_the_downloadable_claim() {
    let max_name = "a".repeat(120);
    for (surface, expected) in [
        (
            Surface::Mp4Download(Download::new().filename("my_video-1")),
            "downloads/default.mp4?filename=my_video-1".to_owned(),
        ),
        (
            Surface::AudioDownload(Download::new().filename("Episode_42")),
            "downloads/audio.m4a?filename=Episode_42".to_owned(),
        ),
        (
            Surface::Mp4Download(Download::new().filename(max_name.clone())),
            format!("downloads/default.mp4?filename={max_name}"),
        ),
    ] {
        let signed = mint([surface]);
        assert!(signed.token().claims().downloadable());
        let token = signed.token().as_str();
        assert_eq!(signed.urls()[0], format!("{HOST}/{token}/{expected}"));
    }
    assert!(
        !mint([Surface::Iframe, Surface::Hls(Hls::new())])
            .token()
            .claims()
            .downloadable()
    );
}

#[test]
fn a_custom_host_is_used_as_given_in_lower_case() {
    for (host, shown) in [
        ("videodelivery.net", "videodelivery.net"),
        ("Videos.Example.COM", "videos.example.com"),
        ("localhost:8443", "localhost:8443"),
        ("cdn-1.example.com:443", "cdn-1.example.com:443"),
    ] {
        let host = StreamHost::hostname(host).unwrap();
        assert_eq!(host.as_str(), shown);
        let signed = PlaybackUrls::builder(host, video())
            .surface(Surface::Iframe)
            .build()
            .unwrap()
            .mint_at(at(NOW), &demo_signer())
            .unwrap();
        let token = signed.token().as_str();
        assert_eq!(signed.urls()[0], format!("https://{shown}/{token}/iframe"));
    }
}

#[test]
fn bad_customer_codes_and_hosts_are_refused() {
    let long = "a".repeat(64);
    for bad in [
        "",
        "F33ZS165NR7GYFY4",
        "f33z-s165",
        "f33z.s165",
        "f33z/s165",
        "f33z s165",
        "customer-f33zs165nr7gyfy4",
        long.as_str(),
    ] {
        assert_eq!(
            StreamHost::customer_code(bad).unwrap_err().kind(),
            &part("customer code", bad),
            "{bad:?}"
        );
    }
    assert!(StreamHost::customer_code(&"a".repeat(63)).is_ok());
    let long_label = format!("{}.com", "a".repeat(64));
    let long_name = format!("{}com", "abcdefghi.".repeat(26));
    for bad in [
        "",
        "https://videodelivery.net",
        "videodelivery.net/",
        "videodelivery.net/x",
        "user@videodelivery.net",
        "videodelivery.net.",
        ".videodelivery.net",
        "video..delivery.net",
        "-videodelivery.net",
        "videodelivery-.net",
        "video_delivery.net",
        "video delivery.net",
        "vidéo.net",
        "1.2.3.4",
        "[::1]",
        "[::1]:443",
        "example.com:",
        "example.com:0",
        "example.com:0443",
        "example.com:65536",
        "example.com:+443",
        "example.com:443:1",
        "example.com?x=1",
        "example.com#x",
        long_label.as_str(),
        long_name.as_str(),
    ] {
        assert_eq!(
            StreamHost::hostname(bad).unwrap_err().kind(),
            &part("host", bad),
            "{bad:?}"
        );
    }
    assert_eq!(
        StreamHost::hostname("https://x.example")
            .unwrap_err()
            .to_string(),
        r#"invalid host "https://x.example": give the host name alone, without a scheme (playback URLs are https)"#
    );
}

#[test]
fn bad_parameters_are_refused_by_name_and_value() {
    let host = || StreamHost::customer_code(CODE).unwrap();
    let ms = Duration::from_millis;
    let cases: Vec<(Surface, ErrorKind)> = vec![
        (
            Surface::Thumbnail(Thumbnail::new().time(ms(1500))),
            part("time", "1.5s"),
        ),
        (
            Surface::Thumbnail(Thumbnail::new().width(0)),
            part("width", "0"),
        ),
        (
            Surface::Thumbnail(Thumbnail::new().height(0)),
            part("height", "0"),
        ),
        (
            Surface::AnimatedThumbnail(AnimatedThumbnail::new().time(ms(10))),
            part("time", "10ms"),
        ),
        (
            Surface::AnimatedThumbnail(AnimatedThumbnail::new().duration(Duration::ZERO)),
            part("duration", "0ns"),
        ),
        (
            Surface::AnimatedThumbnail(AnimatedThumbnail::new().duration(ms(4500))),
            part("duration", "4.5s"),
        ),
        (
            Surface::AnimatedThumbnail(AnimatedThumbnail::new().fps(0)),
            part("fps", "0"),
        ),
        (
            Surface::AnimatedThumbnail(AnimatedThumbnail::new().fps(16)),
            part("fps", "16"),
        ),
        (
            Surface::AnimatedThumbnail(AnimatedThumbnail::new().width(0)),
            part("width", "0"),
        ),
        (
            Surface::Hls(Hls::new().client_bandwidth_hint(f64::NAN)),
            part("clientBandwidthHint", "NaN"),
        ),
        (
            Surface::Hls(Hls::new().client_bandwidth_hint(f64::INFINITY)),
            part("clientBandwidthHint", "inf"),
        ),
        (
            Surface::Hls(Hls::new().client_bandwidth_hint(0.0)),
            part("clientBandwidthHint", "0"),
        ),
        (
            Surface::Dash(Dash::new().client_bandwidth_hint(-1.0)),
            part("clientBandwidthHint", "-1"),
        ),
        (
            Surface::Mp4Download(Download::new().filename("")),
            part("filename", ""),
        ),
        (
            Surface::Mp4Download(Download::new().filename("clip.mp4")),
            part("filename", "clip.mp4"),
        ),
        (
            Surface::AudioDownload(Download::new().filename("my clip")),
            part("filename", "my clip"),
        ),
        (
            Surface::AudioDownload(Download::new().filename("../etc/passwd")),
            part("filename", "../etc/passwd"),
        ),
        (
            Surface::AudioDownload(Download::new().filename("réunion")),
            part("filename", "réunion"),
        ),
        (
            Surface::Mp4Download(Download::new().filename("a".repeat(121))),
            part("filename", &"a".repeat(121)),
        ),
    ];
    for (surface, expected) in cases {
        let shown = format!("{surface:?}");
        assert_eq!(build_err(host(), surface), expected, "{shown}");
    }
}

#[test]
fn one_mint_is_one_token_in_every_url() {
    let poster = Surface::Thumbnail(Thumbnail::new().time(Duration::from_secs(8)));
    let surfaces = [
        Surface::Iframe,
        Surface::Hls(Hls::new().client_bandwidth_hint(1.8)),
        poster.clone(),
        Surface::AudioDownload(Download::new()),
        Surface::WebRtc,
    ];
    let signed = mint(surfaces.clone());
    let token = signed.token().as_str();
    assert_eq!(signed.urls().len(), surfaces.len());
    for (surface, url) in signed.iter() {
        assert_eq!(token_of(url), token, "{url}");
        assert!(url.ends_with(surface.path()) || url.contains(&format!("{}?", surface.path())));
    }
    assert_eq!(
        signed.get(&poster),
        Some(&*format!("{HOST}/{token}/thumbnails/thumbnail.jpg?time=8s"))
    );
    assert_eq!(signed.get(&Surface::Watch), None);
    assert_eq!(signed.clone().into_urls(), signed.urls());
    // A second mint at another time is a new token, the same shapes.
    let urls = PlaybackUrls::builder(StreamHost::customer_code(CODE).unwrap(), video())
        .surfaces(surfaces)
        .build()
        .unwrap();
    let later = urls.mint_at(at(NOW + 1), &demo_signer()).unwrap();
    assert_ne!(later.token().as_str(), token);
    assert_eq!(later.token().exp(), NOW + 1 + 3600);
}

#[test]
fn the_token_in_a_url_verifies_with_the_expected_claims() {
    let signer = demo_signer();
    let opts = TokenOptions::builder()
        .lifetime(Duration::from_secs(600))
        .backdate_not_before(Duration::from_secs(60))
        .access_rules(AccessRule::allow_only_countries(["GB"]).unwrap())
        .build()
        .unwrap();
    let urls = PlaybackUrls::builder(StreamHost::customer_code(CODE).unwrap(), video())
        .options(opts.clone())
        .surface(Surface::Mp4Download(Download::new().filename("keynote")))
        .surface(Surface::Iframe)
        .build()
        .unwrap();
    assert!(urls.token_options().downloadable());
    assert!(!opts.downloadable(), "the caller's options are left alone");
    assert_eq!(
        urls.token_options().access_rules_json(),
        opts.access_rules_json()
    );
    let signed = urls.mint_at(at(NOW), &signer).unwrap();
    for url in signed.urls() {
        let claims = signer.verifier().verify_at(token_of(url), at(NOW)).unwrap();
        assert_eq!(claims.video(), &video());
        assert_eq!(claims.kid().as_str(), DEMO_KID);
        assert_eq!(claims.exp(), NOW + 600);
        assert_eq!(claims.nbf(), Some(NOW - 60));
        assert!(claims.downloadable());
        assert_eq!(claims.access_rules(), opts.access_rules());
        assert_eq!(&claims, signed.token().claims());
    }
    // The token policy still holds at mint time.
    let far = TokenOptions::builder()
        .expires_at(at(NOW + 86_401))
        .build()
        .unwrap();
    let err = PlaybackUrls::builder(StreamHost::customer_code(CODE).unwrap(), video())
        .options(far)
        .surface(Surface::Iframe)
        .build()
        .unwrap()
        .mint_at(at(NOW), &signer)
        .unwrap_err();
    assert_eq!(
        err.kind(),
        &ErrorKind::ExpiryTooFar {
            exp: NOW + 86_401,
            max: NOW + 86_400
        }
    );
}

#[test]
fn the_system_clock_path_mints_a_live_token() {
    let signer = demo_signer();
    let signed = PlaybackUrls::builder(StreamHost::customer_code(CODE).unwrap(), video())
        .surface(Surface::Watch)
        .build()
        .unwrap()
        .mint(&signer)
        .unwrap();
    let claims = signer
        .verifier()
        .verify(token_of(&signed.urls()[0]))
        .unwrap();
    assert_eq!(claims.video(), &video());
}

#[test]
fn debug_never_shows_a_usable_url() {
    let signed = mint([Surface::Iframe]);
    let sig = signed.token().as_str().rsplit('.').next().unwrap();
    let shown = format!("{signed:?}");
    assert!(!shown.contains(sig), "{shown}");
    assert!(shown.contains("Iframe"), "{shown}");
}
