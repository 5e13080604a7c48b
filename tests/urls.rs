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
        "invalid host: \"https://x.example\" (expected a host name with an optional port \
         (videos.example.com, localhost:8443), without scheme, path or trailing dot; an IP \
         address only if loopback, as in http://127.0.0.1:8080)"
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

#[test]
fn a_loopback_host_is_http_and_any_other_http_host_is_refused_with_the_reason() {
    let sock = |s: &str| s.parse::<std::net::SocketAddr>().unwrap();
    let v4 = StreamHost::loopback(sock("127.0.0.1:8080")).unwrap();
    assert_eq!(v4.origin(), "http://127.0.0.1:8080");
    assert_eq!(v4.as_str(), "127.0.0.1:8080");
    assert!(v4.is_loopback_http());
    assert_eq!(v4.to_string(), "http://127.0.0.1:8080");
    assert_eq!(format!("{v4:?}"), r#"StreamHost("http://127.0.0.1:8080")"#);
    assert_eq!(
        StreamHost::loopback(sock("[::1]:9")).unwrap().origin(),
        "http://[::1]:9"
    );
    assert_eq!(
        StreamHost::loopback(sock("127.200.0.3:1"))
            .unwrap()
            .origin(),
        "http://127.200.0.3:1"
    );
    for not in ["192.0.2.1:80", "0.0.0.0:80", "[::]:80", "[2001:db8::1]:80"] {
        assert_eq!(
            StreamHost::loopback(sock(not)).unwrap_err().kind(),
            &part("http host", not),
            "{not}"
        );
    }
    // A https host stays as it was: its name, and https in its origin.
    let code = StreamHost::customer_code(CODE).unwrap();
    assert_eq!(code.origin(), HOST);
    assert!(!code.is_loopback_http());
    assert_eq!(code.to_string(), &HOST["https://".len()..]);
    assert_eq!(
        format!("{code:?}"),
        format!("StreamHost({:?})", &HOST["https://".len()..])
    );

    // `parse`: a host name, or a base URL.
    for (input, origin) in [
        ("videodelivery.net", "https://videodelivery.net"),
        ("https://videodelivery.net", "https://videodelivery.net"),
        (
            "https://Videos.Example.com:8443/",
            "https://videos.example.com:8443",
        ),
        ("http://127.0.0.1:8080", "http://127.0.0.1:8080"),
        ("http://127.0.0.1:8080/", "http://127.0.0.1:8080"),
        ("HTTP://127.0.0.1", "http://127.0.0.1"),
        ("http://[::1]:8080", "http://[::1]:8080"),
        ("http://LocalHost:3000", "http://localhost:3000"),
        ("https://127.0.0.1:8443", "https://127.0.0.1:8443"),
    ] {
        assert_eq!(
            StreamHost::parse(input).unwrap().origin(),
            origin,
            "{input}"
        );
    }
    for (input, what) in [
        ("http://videodelivery.net", "http host"),
        ("http://192.168.1.10:8080", "http host"),
        ("http://10.0.0.1", "http host"),
        ("http://[2001:db8::1]:80", "http host"),
        ("http://localhost.example.com", "http host"),
        ("http://0x7f000001:80", "http host"),
        ("http://127.1:80", "http host"),
        ("https://192.0.2.1", "host"),
        ("https://[2001:db8::1]", "host"),
        ("192.0.2.1", "host"),
        ("127.0.0.1", "host"),
        ("ftp://127.0.0.1", "base URL"),
        ("http://127.0.0.1:8080/x", "base URL"),
        ("http://127.0.0.1:8080?a=1", "base URL"),
        ("http://user@127.0.0.1", "base URL"),
        ("http://127.0.0.1:0", "base URL"),
        ("http://127.0.0.1:99999", "base URL"),
        ("http://127.0.0.1:", "base URL"),
        ("http://", "base URL"),
    ] {
        let e = StreamHost::parse(input).unwrap_err();
        let value = match what {
            "host" => input.strip_prefix("https://").unwrap_or(input),
            _ => input,
        };
        assert_eq!(e.kind(), &part(what, value), "{input}");
    }
    // Each refusal says why.
    assert_eq!(
        StreamHost::parse("http://videodelivery.net")
            .unwrap_err()
            .to_string(),
        "invalid http host: \"http://videodelivery.net\" (http is allowed only for a loopback \
         address (127.0.0.0/8, [::1] or localhost), such as the emulator's \
         http://127.0.0.1:PORT: a token sent in the clear is anyone's; serve other hosts over https)"
    );
    let ip = StreamHost::parse("192.0.2.1").unwrap_err().to_string();
    assert!(ip.contains("an IP address only if loopback"), "{ip}");
    let path = StreamHost::parse("http://127.0.0.1/x")
        .unwrap_err()
        .to_string();
    assert!(path.contains("without path, query or user"), "{path}");
}

#[test]
fn urls_on_a_loopback_host_start_with_its_http_origin() {
    let host = StreamHost::parse("http://127.0.0.1:4567").unwrap();
    let signed = PlaybackUrls::builder(host, video())
        .surfaces([Surface::Hls(Hls::new()), Surface::Iframe])
        .build()
        .unwrap()
        .mint_at(at(NOW), &demo_signer())
        .unwrap();
    let token = signed.token();
    assert_eq!(
        signed.urls(),
        [
            format!("http://127.0.0.1:4567/{token}/manifest/video.m3u8"),
            format!("http://127.0.0.1:4567/{token}/iframe"),
        ]
    );
}

#[test]
fn the_host_comes_from_the_environment() {
    let env = |pairs: &'static [(&'static str, &'static str)]| {
        move |name: &str| {
            pairs
                .iter()
                .find(|(n, _)| *n == name)
                .map(|(_, v)| (*v).to_owned())
        }
    };
    let host =
        StreamHost::from_env_with(env(&[("CF_STREAM_CUSTOMER_CODE", " f33zs165nr7gyfy4\n")]))
            .unwrap();
    assert_eq!(host.origin(), HOST);
    let host = StreamHost::from_env_with(env(&[("CF_STREAM_HOST", "videos.example.com")])).unwrap();
    assert_eq!(host.origin(), "https://videos.example.com");
    let host =
        StreamHost::from_env_with(env(&[("CF_STREAM_HOST", "http://127.0.0.1:8080")])).unwrap();
    assert_eq!(host.origin(), "http://127.0.0.1:8080");
    // A blank variable is unset.
    let host = StreamHost::from_env_with(env(&[
        ("CF_STREAM_HOST", "http://[::1]:1"),
        ("CF_STREAM_CUSTOMER_CODE", "  "),
    ]))
    .unwrap();
    assert_eq!(host.origin(), "http://[::1]:1");

    let e = StreamHost::from_env_with(env(&[])).unwrap_err();
    assert_eq!(
        e.kind(),
        &ErrorKind::MissingConfig {
            name: "CF_STREAM_CUSTOMER_CODE or CF_STREAM_HOST"
        }
    );
    assert_eq!(
        e.to_string(),
        "CF_STREAM_CUSTOMER_CODE or CF_STREAM_HOST is not set"
    );
    let e = StreamHost::from_env_with(env(&[
        ("CF_STREAM_HOST", "videos.example.com"),
        ("CF_STREAM_CUSTOMER_CODE", "f33zs165nr7gyfy4"),
    ]))
    .unwrap_err();
    assert_eq!(
        e.kind(),
        &ErrorKind::ConflictingConfig {
            first: "CF_STREAM_CUSTOMER_CODE",
            second: "CF_STREAM_HOST"
        }
    );
    assert_eq!(
        e.to_string(),
        "both CF_STREAM_CUSTOMER_CODE and CF_STREAM_HOST are set: set only one"
    );
    assert_eq!(
        StreamHost::from_env_with(env(&[("CF_STREAM_HOST", "http://192.0.2.1")]))
            .unwrap_err()
            .kind(),
        &part("http host", "http://192.0.2.1")
    );
    assert_eq!(
        StreamHost::from_env_with(env(&[("CF_STREAM_CUSTOMER_CODE", "NOPE")]))
            .unwrap_err()
            .kind(),
        &part("customer code", "NOPE")
    );
}

/// URLs minted through a template on the emulator's host play on the
/// emulator as they are: no origin is rewritten.
#[cfg(feature = "emulator")]
#[tokio::test]
async fn urls_minted_for_the_emulators_host_play_on_it_unchanged() {
    use cf_stream_token::PlaybackTemplate;
    use cf_stream_token::emulator::Emulator;

    let stream = Emulator::builder().clock_at(at(NOW)).start().await.unwrap();
    let account: cf_stream_token::AccountId = crate::api::ACCOUNT.parse().unwrap();
    stream
        .import_public_key(&account, demo_signer().key().public_key())
        .unwrap();
    let host = stream.stream_host();
    assert_eq!(host.origin(), stream.playback_base_url());
    assert_eq!(
        StreamHost::parse(&stream.playback_base_url()).unwrap(),
        host
    );
    let template = PlaybackTemplate::builder(host)
        .surfaces([
            Surface::Hls(Hls::new()),
            Surface::Thumbnail(Thumbnail::new().time(Duration::from_secs(1))),
        ])
        .build()
        .unwrap();
    let signed = template.mint_at(at(NOW), &demo_signer(), &video()).unwrap();
    for url in signed.urls() {
        assert!(
            url.starts_with(&format!("http://{}/", stream.local_addr())),
            "{url}"
        );
        let answer = reqwest::get(url.as_str()).await.unwrap();
        assert_eq!(answer.status(), 200, "{url}: {:?}", answer.headers());
    }
    // A token of another key is refused there: the URLs are really checked.
    let other = template
        .mint_at(at(NOW), &other_signer(), &video())
        .unwrap();
    let refused = reqwest::get(other.hls().unwrap()).await.unwrap();
    assert_eq!(refused.status(), 401);
}
