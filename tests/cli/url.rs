//! `url`: every kind, its parameters and hosts, and what is refused.

use super::*;

#[test]
fn url_for_every_kind() {
    let key = fixture("demo/demo.jwk.json");
    let kinds = [
        ("hls", "manifest/video.m3u8", false),
        ("dash", "manifest/video.mpd", false),
        ("iframe", "iframe", false),
        ("watch", "watch", false),
        ("thumbnail", "thumbnails/thumbnail.jpg", false),
        ("gif", "thumbnails/thumbnail.gif", false),
        ("mp4", "downloads/default.mp4", true),
        ("m4a", "downloads/audio.m4a", true),
        ("webrtc", "webRTC/play", false),
    ];
    for (kind, suffix, downloadable) in kinds {
        let url = cli(&[
            "url",
            "--key",
            &key,
            "--video",
            VIDEO,
            "--customer-code",
            "f33zs165nr7gyfy4",
            "--kind",
            kind,
        ])
        .ok();
        let rest = url
            .strip_prefix("https://customer-f33zs165nr7gyfy4.cloudflarestream.com/")
            .unwrap_or_else(|| panic!("{url}"));
        let (token, tail) = rest.split_once('/').unwrap();
        assert_eq!(tail, suffix, "--kind {kind}");
        let claims = demo_verifier().verify(token).unwrap();
        assert_eq!(claims.video(), &video());
        assert_eq!(claims.downloadable(), downloadable, "--kind {kind}");
    }
}

#[test]
fn url_parameters_hosts_and_options() {
    let key = fixture("demo/demo.jwk.json");
    let url = |extra: &[&str]| {
        let mut args = vec!["url", "--key", &key, "--video", VIDEO];
        args.extend_from_slice(extra);
        cli(&args)
    };
    let split = |u: &str| {
        let rest = u.strip_prefix("https://").unwrap();
        let (host, rest) = rest.split_once('/').unwrap();
        let (token, tail) = rest.split_once('/').unwrap();
        (host.to_owned(), token.to_owned(), tail.to_owned())
    };

    let (host, _, tail) = split(
        &url(&[
            "--customer-code",
            "abc123",
            "--kind",
            "thumbnail",
            "--param",
            "time=8s",
            "--param",
            "width=320",
        ])
        .ok(),
    );
    assert_eq!(host, "customer-abc123.cloudflarestream.com");
    assert_eq!(tail, "thumbnails/thumbnail.jpg?time=8s&width=320");

    let (host, _, tail) = split(
        &url(&[
            "--host",
            "videodelivery.net",
            "--kind",
            "hls",
            "--param",
            "clientBandwidthHint=1.8",
            "--param",
            "protocol=llhls",
        ])
        .ok(),
    );
    assert_eq!(host, "videodelivery.net");
    assert_eq!(
        tail,
        "manifest/video.m3u8?clientBandwidthHint=1.8&protocol=llhls"
    );

    let (_, token, tail) = split(
        &url(&[
            "--customer-code",
            "abc123",
            "--kind",
            "gif",
            "--param",
            "time=1m2s",
            "--param",
            "duration=3s",
            "--param",
            "fps=12",
            "--ttl",
            "5m",
            "--rule",
            "allow:country=GB",
            "--rule",
            "block:any",
        ])
        .ok(),
    );
    assert_eq!(tail, "thumbnails/thumbnail.gif?time=62s&duration=3s&fps=12");
    let claims = demo_verifier().verify(&token).unwrap();
    assert_eq!(claims.access_rules().len(), 2);
    assert!(claims.exp() <= now() + 300);

    let (_, _, tail) = split(
        &url(&[
            "--customer-code",
            "abc123",
            "--kind",
            "mp4",
            "--param",
            "filename=launch-keynote",
        ])
        .ok(),
    );
    assert_eq!(tail, "downloads/default.mp4?filename=launch-keynote");
}

#[test]
fn url_refusals() {
    let key = fixture("demo/demo.jwk.json");
    let url = |extra: &[&str]| {
        let mut args = vec!["url", "--key", &key, "--video", VIDEO];
        args.extend_from_slice(extra);
        cli(&args)
    };
    assert_eq!(
        url(&["--kind", "hls"]).fails(2),
        "the following required arguments were not provided: <--customer-code <CODE>|--host <HOST>>"
    );
    assert_eq!(
        url(&[
            "--kind",
            "hls",
            "--customer-code",
            "abc",
            "--host",
            "x.example"
        ])
        .fails(2),
        "the argument '--customer-code <CODE>' cannot be used with '--host <HOST>'"
    );
    assert_eq!(
        url(&["--kind", "hls", "--customer-code", "ABC"]).fails(2),
        r#"invalid value 'ABC' for '--customer-code <CODE>': invalid customer code: "ABC""#
    );
    assert_eq!(
        url(&["--kind", "hls", "--host", "https://x.example/videos"]).fails(2),
        "invalid value 'https://x.example/videos' for '--host <HOST>': invalid base URL: \
         \"https://x.example/videos\" (expected https://HOST[:PORT] or http://LOOPBACK[:PORT], \
         without path, query or user)"
    );
    assert_eq!(
        url(&["--kind", "flv", "--customer-code", "abc"]).fails(2),
        "invalid value 'flv' for '--kind <KIND>' [possible values: hls, dash, iframe, watch, thumbnail, gif, mp4, m4a, webrtc]"
    );
    assert_eq!(
        url(&[
            "--kind",
            "iframe",
            "--customer-code",
            "abc",
            "--param",
            "autoplay=true"
        ])
        .fails(2),
        r#"--kind iframe does not take parameter "autoplay": it takes no parameters"#
    );
    assert_eq!(
        url(&[
            "--kind",
            "thumbnail",
            "--customer-code",
            "abc",
            "--param",
            "time"
        ])
        .fails(2),
        r#"invalid value 'time' for '--param <NAME=VALUE>': invalid parameter "time": expected NAME=VALUE"#
    );
    assert_eq!(
        url(&[
            "--kind",
            "mp4",
            "--customer-code",
            "abc",
            "--param",
            "filename=a.mp4"
        ])
        .fails(2),
        r#"--param: invalid filename: "a.mp4""#
    );
    assert_eq!(
        cli(&[
            "url",
            "--video",
            VIDEO,
            "--kind",
            "hls",
            "--customer-code",
            "abc"
        ])
        .fails(1),
        "no signing key: give --key FILE or set CF_STREAM_SIGNING_KEY"
    );
}

#[test]
fn url_refuses_hosts_that_are_ipv4_to_a_browser() {
    let key = fixture("demo/demo.jwk.json");
    for host in ["0x7f000001", "1.2.3.0x4", "0177.0.0.1", "example.0x"] {
        assert_eq!(
            cli(&[
                "url", "--key", &key, "--video", VIDEO, "--kind", "iframe", "--host", host
            ])
            .fails(2),
            format!(
                "invalid value '{host}' for '--host <HOST>': invalid host: \"{host}\" (expected \
                 a host name with an optional port (videos.example.com, localhost:8443), without \
                 scheme, path or trailing dot; an IP address only if loopback, as in \
                 http://127.0.0.1:8080)"
            )
        );
    }
    let url = cli(&[
        "url", "--key", &key, "--video", VIDEO, "--kind", "iframe", "--host", "x.0a",
    ])
    .ok();
    assert!(url.starts_with("https://x.0a/"), "{url}");
}

#[test]
fn url_bandwidth_hints_are_bounded_and_short() {
    let key = fixture("demo/demo.jwk.json");
    let url = |hint: &str| {
        cli(&[
            "url",
            "--key",
            &key,
            "--video",
            VIDEO,
            "--kind",
            "hls",
            "--customer-code",
            "abc",
            "--param",
            &format!("clientBandwidthHint={hint}"),
        ])
    };
    assert_eq!(
        url("1e308").fails(2),
        r#"--param: invalid clientBandwidthHint: "1e308" (expected 0.001 to 1000 Mbps)"#
    );
    assert_eq!(
        url("0.0001").fails(2),
        r#"--param: invalid clientBandwidthHint: "0.0001" (expected 0.001 to 1000 Mbps)"#
    );
    let ok = url("1.23456").ok();
    assert!(
        ok.ends_with("/manifest/video.m3u8?clientBandwidthHint=1.235"),
        "{ok}"
    );
}

/// The range checks are the library's: values of the right type reach the
/// URL builder, whose refusal is a usage error (exit 2) saying what it
/// expects; text that is not of the type stops in the parser.
#[test]
fn url_parameter_ranges_are_checked_by_the_library() {
    let key = fixture("demo/demo.jwk.json");
    let url = |kind: &str, param: &str| {
        cli(&[
            "url",
            "--key",
            &key,
            "--video",
            VIDEO,
            "--kind",
            kind,
            "--customer-code",
            "abc",
            "--param",
            param,
        ])
    };
    for (kind, param, expected) in [
        (
            "gif",
            "fps=16",
            r#"--param: invalid fps: "16" (expected 1 to 15)"#,
        ),
        (
            "gif",
            "fps=0",
            r#"--param: invalid fps: "0" (expected 1 to 15)"#,
        ),
        (
            "thumbnail",
            "width=0",
            r#"--param: invalid width: "0" (expected a whole number of pixels above zero)"#,
        ),
        (
            "gif",
            "height=0",
            r#"--param: invalid height: "0" (expected a whole number of pixels above zero)"#,
        ),
        (
            "hls",
            "clientBandwidthHint=NaN",
            r#"--param: invalid clientBandwidthHint: "NaN" (expected 0.001 to 1000 Mbps)"#,
        ),
        (
            "dash",
            "clientBandwidthHint=-1",
            r#"--param: invalid clientBandwidthHint: "-1" (expected 0.001 to 1000 Mbps)"#,
        ),
        (
            "gif",
            "fps=300",
            r#"invalid fps "300": expected a whole number of frames (at most 255)"#,
        ),
        (
            "thumbnail",
            "width=wide",
            r#"invalid width "wide": expected a whole number of pixels (at most 4294967295)"#,
        ),
        (
            "hls",
            "clientBandwidthHint=fast",
            r#"invalid clientBandwidthHint "fast": expected a number of Mbps"#,
        ),
    ] {
        assert_eq!(url(kind, param).fails(2), expected, "{param}");
    }
    assert!(
        url("gif", "fps=15")
            .ok()
            .ends_with("/thumbnails/thumbnail.gif?fps=15")
    );
}

#[test]
fn url_host_takes_a_loopback_base_url_for_the_emulator_only() {
    let key = fixture("demo/demo.jwk.json");
    let url = |host: &str| {
        cli(&[
            "url", "--key", &key, "--video", VIDEO, "--kind", "hls", "--host", host,
        ])
    };
    for (host, origin) in [
        ("http://127.0.0.1:8787", "http://127.0.0.1:8787/"),
        ("http://[::1]:8787/", "http://[::1]:8787/"),
        ("https://videodelivery.net", "https://videodelivery.net/"),
    ] {
        let out = url(host).ok();
        let rest = out
            .strip_prefix(origin)
            .unwrap_or_else(|| panic!("{host}: {out}"));
        let (token, tail) = rest.split_once('/').unwrap();
        assert_eq!(tail, "manifest/video.m3u8");
        assert_eq!(demo_verifier().verify(token).unwrap().video(), &video());
    }
    let msg = url("http://192.0.2.1:8787").fails(2);
    assert!(
        msg.starts_with(
            "invalid value 'http://192.0.2.1:8787' for '--host <HOST>': invalid http host: \
             \"http://192.0.2.1:8787\" (http is allowed only for a loopback address"
        ),
        "{msg}"
    );
}
