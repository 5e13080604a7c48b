//! Parsers for the command line's own value syntaxes: `--rule SPEC`,
//! `--ttl DUR`, `--param k=v` and the `--kind` of a playback URL.
//!
//! Self-contained on purpose: this file uses only `std` and
//! `cf_stream_token` (no clap, no anyhow), so that a fuzz target can include
//! it with `#[path]`. Every parser returns `Err(String)`, a one-line message
//! that names the value given; none panics, whatever the input.

use std::time::Duration;

use cf_stream_token::{
    AccessRule, AnimatedThumbnail, Dash, Download, ErrorKind, Fit, Hls, Surface, Thumbnail,
    TokenOptions,
};

/// Longest input echoed back in an error message.
const ECHO_MAX: usize = 64;

/// A value as quoted in an error: cut to [`ECHO_MAX`] characters.
fn echo(s: &str) -> String {
    if s.chars().count() <= ECHO_MAX {
        format!("{s:?}")
    } else {
        let head: String = s.chars().take(ECHO_MAX).collect();
        format!("{head:?}...")
    }
}

/// `--rule SPEC`: the library's [`AccessRule`] syntax (`allow:country=GB`,
/// `block:ip=93.184.216.0/24`, `block:any`), its `FromStr`; a refused value
/// is named in the message.
pub(crate) fn parse_rule(spec: &str) -> Result<AccessRule, String> {
    spec.parse::<AccessRule>().map_err(|e| match e.kind() {
        ErrorKind::InvalidSyntax { .. } => e.to_string(),
        _ => format!("invalid rule {}: {e}", echo(spec)),
    })
}

/// A duration, as the library's [`cf_stream_token::parse_duration`] reads
/// it (`90`, `90s`, `30m`, `2h`, `1h30m`). Zero is allowed here.
pub(crate) fn parse_duration(text: &str) -> Result<Duration, String> {
    cf_stream_token::parse_duration(text).map_err(|e| e.to_string())
}

/// `--ttl DUR`: a token lifetime, as [`parse_duration`], that the library's
/// [`TokenOptions`] builder takes (more than zero, at most 24 hours); its
/// refusal is worded for the flag.
pub(crate) fn parse_ttl(text: &str) -> Result<Duration, String> {
    let d = parse_duration(text)?;
    match TokenOptions::builder().lifetime(d).build() {
        Ok(_) => Ok(d),
        Err(e) => match e.kind() {
            ErrorKind::LifetimeTooLong { seconds } => Err(format!(
                "invalid lifetime {}: {seconds} seconds exceeds the 24-hour cap",
                echo(text)
            )),
            ErrorKind::InvalidDuration { .. } => Err(format!(
                "invalid lifetime {}: it must be more than zero",
                echo(text)
            )),
            _ => Err(format!("invalid lifetime {}: {e}", echo(text))),
        },
    }
}

/// `--param k=v`: a query parameter of a playback URL, split at the first
/// `=`. The name must not be empty; the value may be.
pub(crate) fn parse_param(text: &str) -> Result<(String, String), String> {
    match text.split_once('=') {
        Some((k, v)) if !k.is_empty() => Ok((k.to_owned(), v.to_owned())),
        _ => Err(format!(
            "invalid parameter {}: expected NAME=VALUE",
            echo(text)
        )),
    }
}

/// What a playback URL serves (`--kind`): a row of the library's surface
/// table, which names each kind and lists the parameters it takes.
pub(crate) use cf_stream_token::SurfaceKind as Kind;

/// `--kind NAME`: a name of the surface table.
pub(crate) fn parse_kind(s: &str) -> Result<Kind, String> {
    Kind::from_name(s).ok_or_else(|| {
        let names: Vec<&str> = Kind::ALL.iter().map(|k| k.name()).collect();
        format!(
            "invalid kind {}: expected one of {}",
            echo(s),
            names.join(", ")
        )
    })
}

/// The surfaces for several `--kind`s (in order, each once), each with the
/// parameters it takes; a parameter no kind takes is refused.
pub(crate) fn surfaces(
    kinds: &[Kind],
    params: &[(String, String)],
) -> Result<Vec<Surface>, String> {
    if let [kind] = kinds {
        return surface(*kind, params).map(|s| vec![s]);
    }
    for (i, kind) in kinds.iter().enumerate() {
        if kinds[..i].contains(kind) {
            return Err(format!("--kind {kind} is given twice"));
        }
    }
    if let Some((name, _)) = params
        .iter()
        .find(|(name, _)| !kinds.iter().any(|k| k.params().contains(&name.as_str())))
    {
        let names: Vec<&str> = kinds.iter().map(|k| k.name()).collect();
        return Err(format!(
            "parameter {} is taken by none of --kind {}",
            echo(name),
            names.join(", ")
        ));
    }
    kinds
        .iter()
        .map(|kind| {
            let own: Vec<(String, String)> = params
                .iter()
                .filter(|(name, _)| kind.params().contains(&name.as_str()))
                .cloned()
                .collect();
            surface(*kind, &own)
        })
        .collect()
}

/// The surface for `kind` with its query parameters, in the order given.
///
/// Each name may appear once and must be one `kind` takes
/// ([`Kind::params`]). Values are read into the types the library's
/// builders take and handed over as they are: `time`/`duration` as
/// [`parse_duration`], `width`/`height`/`fps` whole numbers, `fit` one of
/// `crop clip scale fill`, `clientBandwidthHint` a number (Mbps),
/// `protocol=llhls`, `filename` any text. Their ranges (pixels above zero,
/// fps 1 to 15, 0.001 to 1000 Mbps, the file name's characters) are the
/// library's to check, when the URL is built.
pub(crate) fn surface(kind: Kind, params: &[(String, String)]) -> Result<Surface, String> {
    for (i, (name, _)) in params.iter().enumerate() {
        if !kind.params().contains(&name.as_str()) {
            let takes = match kind.params() {
                [] => "takes no parameters".to_owned(),
                names => format!("takes {}", names.join(", ")),
            };
            return Err(format!(
                "--kind {kind} does not take parameter {}: it {takes}",
                echo(name)
            ));
        }
        if params[..i].iter().any(|(earlier, _)| earlier == name) {
            return Err(format!("parameter {} is given twice", echo(name)));
        }
    }
    let get = |name: &str| {
        params
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    };
    let bad = |name: &str, value: &str, why: &str| format!("invalid {name} {}: {why}", echo(value));
    let pixels = |name: &str| -> Result<Option<u32>, String> {
        get(name)
            .map(|v| {
                v.parse::<u32>().map_err(|_| {
                    bad(
                        name,
                        v,
                        "expected a whole number of pixels (at most 4294967295)",
                    )
                })
            })
            .transpose()
    };
    let duration = |name: &str| get(name).map(parse_duration).transpose();
    let fit = get("fit")
        .map(|v| match v {
            "crop" => Ok(Fit::Crop),
            "clip" => Ok(Fit::Clip),
            "scale" => Ok(Fit::Scale),
            "fill" => Ok(Fit::Fill),
            _ => Err(bad("fit", v, "expected crop, clip, scale or fill")),
        })
        .transpose()?;
    let bandwidth = get("clientBandwidthHint")
        .map(|v| {
            v.parse::<f64>()
                .map_err(|_| bad("clientBandwidthHint", v, "expected a number of Mbps"))
        })
        .transpose()?;

    Ok(match kind {
        Kind::Hls => {
            let mut hls = Hls::new();
            if let Some(mbps) = bandwidth {
                hls = hls.client_bandwidth_hint(mbps);
            }
            match get("protocol") {
                None => {}
                Some("llhls") => hls = hls.low_latency(true),
                Some(v) => return Err(bad("protocol", v, "the only protocol is llhls")),
            }
            Surface::Hls(hls)
        }
        Kind::Dash => {
            let mut dash = Dash::new();
            if let Some(mbps) = bandwidth {
                dash = dash.client_bandwidth_hint(mbps);
            }
            Surface::Dash(dash)
        }
        Kind::Iframe => Surface::Iframe,
        Kind::Watch => Surface::Watch,
        Kind::WebRtc => Surface::WebRtc,
        Kind::Thumbnail => {
            let mut still = Thumbnail::new();
            if let Some(t) = duration("time")? {
                still = still.time(t);
            }
            if let Some(w) = pixels("width")? {
                still = still.width(w);
            }
            if let Some(h) = pixels("height")? {
                still = still.height(h);
            }
            if let Some(fit) = fit {
                still = still.fit(fit);
            }
            Surface::Thumbnail(still)
        }
        Kind::AnimatedThumbnail => {
            let mut gif = AnimatedThumbnail::new();
            if let Some(t) = duration("time")? {
                gif = gif.time(t);
            }
            if let Some(w) = pixels("width")? {
                gif = gif.width(w);
            }
            if let Some(h) = pixels("height")? {
                gif = gif.height(h);
            }
            if let Some(fit) = fit {
                gif = gif.fit(fit);
            }
            if let Some(d) = duration("duration")? {
                gif = gif.duration(d);
            }
            if let Some(v) = get("fps") {
                let fps = v.parse::<u8>().map_err(|_| {
                    bad("fps", v, "expected a whole number of frames (at most 255)")
                })?;
                gif = gif.fps(fps);
            }
            Surface::AnimatedThumbnail(gif)
        }
        Kind::Mp4Download | Kind::AudioDownload => {
            let mut dl = Download::new();
            if let Some(name) = get("filename") {
                dl = dl.filename(name);
            }
            if kind == Kind::Mp4Download {
                Surface::Mp4Download(dl)
            } else {
                Surface::AudioDownload(dl)
            }
        }
        // A kind the library added after this tool learnt its parameters.
        _ => return Err(format!("--kind {kind} is not supported by this tool yet")),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule_json(spec: &str) -> String {
        serde_json::to_string(&parse_rule(spec).unwrap()).unwrap()
    }

    #[test]
    fn rules_in_every_form() {
        assert_eq!(rule_json("block:any"), r#"{"type":"any","action":"block"}"#);
        assert_eq!(rule_json("allow:any"), r#"{"type":"any","action":"allow"}"#);
        assert_eq!(
            rule_json("allow:country=GB"),
            r#"{"type":"ip.geoip.country","action":"allow","country":["GB"]}"#
        );
        assert_eq!(
            rule_json("block:country=us, mx ,T1"),
            r#"{"type":"ip.geoip.country","action":"block","country":["US","MX","T1"]}"#
        );
        assert_eq!(
            rule_json("block:ip=93.184.216.0/24,2400:CB00::/32,1.2.3.4"),
            r#"{"type":"ip.src","action":"block","ip":["93.184.216.0/24","2400:cb00::/32","1.2.3.4"]}"#
        );
    }

    #[test]
    fn bad_rules_name_the_spec_and_the_problem() {
        let err = |spec: &str| parse_rule(spec).unwrap_err();
        assert_eq!(
            err("allow"),
            r#"invalid rule "allow": expected ACTION:TARGET, e.g. allow:country=GB or block:any"#
        );
        assert_eq!(
            err("deny:any"),
            r#"invalid rule "deny:any": the action must be `allow` or `block`"#
        );
        assert_eq!(
            err("Allow:any"),
            r#"invalid rule "Allow:any": the action must be `allow` or `block`"#
        );
        assert_eq!(
            err("allow:all"),
            r#"invalid rule "allow:all": the target must be `any`, `country=CC[,CC..]` or `ip=ADDR[,..]`"#
        );
        assert_eq!(
            err("allow:asn=13335"),
            r#"invalid rule "allow:asn=13335": the target must be `any`, `country=...` or `ip=...`"#
        );
        assert_eq!(
            err("allow:country="),
            r#"invalid rule "allow:country=": the list has an empty item"#
        );
        assert_eq!(
            err("allow:country=GB,"),
            r#"invalid rule "allow:country=GB,": the list has an empty item"#
        );
        assert_eq!(
            err("allow:country=UK"),
            r#"invalid rule "allow:country=UK": "UK" is not an ISO 3166-1 alpha-2 country code (the United Kingdom is GB)"#
        );
        assert_eq!(
            err("block:ip=1.2.3.4/33"),
            r#"invalid rule "block:ip=1.2.3.4/33": "1.2.3.4/33" is not an IP address or CIDR network"#
        );
        assert_eq!(
            err("block:any=1"),
            r#"invalid rule "block:any=1": the target must be `any`, `country=...` or `ip=...`"#
        );
        assert_eq!(
            err(""),
            r#"invalid rule "": expected ACTION:TARGET, e.g. allow:country=GB or block:any"#
        );
    }

    #[test]
    fn long_inputs_are_cut_in_messages() {
        let spec = format!("allow:country={}", "G".repeat(500));
        let msg = parse_rule(&spec).unwrap_err();
        assert!(msg.len() < 700, "{msg}");
        assert!(
            msg.starts_with(r#"invalid rule "allow:country=GGGG"#),
            "{msg}"
        );
    }

    #[test]
    fn durations() {
        let secs = |s: &str| parse_duration(s).unwrap().as_secs();
        assert_eq!(secs("0"), 0);
        assert_eq!(secs("90"), 90);
        assert_eq!(secs("90s"), 90);
        assert_eq!(secs("30m"), 1800);
        assert_eq!(secs("2h"), 7200);
        assert_eq!(secs("24h"), 86_400);
        assert_eq!(secs("1h30m"), 5400);
        assert_eq!(secs("1m2s"), 62);
        assert_eq!(secs("1h0m5s"), 3605);
        assert_eq!(secs("0s"), 0);
        for bad in [
            "", "s", "h1", "1x", "1.5h", "-1", "+1", " 1", "1 ", "1h1h", "1s1m", "30m1h", "1h2",
            "1H", "１",
        ] {
            assert!(parse_duration(bad).is_err(), "{bad:?} parsed");
        }
        assert_eq!(
            parse_duration("1m1h").unwrap_err(),
            "invalid duration \"1m1h\": expected whole seconds (90) or whole numbers with the \
             units h, m and s, largest first, each once (90s, 30m, 2h, 1h30m, 1m2s)"
        );
        // Overflow is an error, not a wrap or a panic.
        for huge in [
            "18446744073709551616",
            "5124095576030432h",
            "18446744073709551615s1",
        ] {
            assert!(parse_duration(huge).is_err(), "{huge}");
        }
        // u64::MAX seconds is 5124095576030431 h 15 s.
        assert_eq!(secs("5124095576030431h15s"), u64::MAX);
        assert!(parse_duration("5124095576030431h16s").is_err());
    }

    #[test]
    fn ttl_is_positive_and_capped_at_24h() {
        assert_eq!(parse_ttl("24h").unwrap().as_secs(), 86_400);
        assert_eq!(parse_ttl("86400").unwrap().as_secs(), 86_400);
        assert_eq!(parse_ttl("1").unwrap().as_secs(), 1);
        assert_eq!(
            parse_ttl("86401").unwrap_err(),
            r#"invalid lifetime "86401": 86401 seconds exceeds the 24-hour cap"#
        );
        assert_eq!(
            parse_ttl("24h1s").unwrap_err(),
            r#"invalid lifetime "24h1s": 86401 seconds exceeds the 24-hour cap"#
        );
        assert_eq!(
            parse_ttl("0m").unwrap_err(),
            r#"invalid lifetime "0m": it must be more than zero"#
        );
    }

    #[test]
    fn params() {
        assert_eq!(
            parse_param("time=8s").unwrap(),
            ("time".to_owned(), "8s".to_owned())
        );
        assert_eq!(
            parse_param("filename=a=b").unwrap(),
            ("filename".to_owned(), "a=b".to_owned())
        );
        assert_eq!(parse_param("k=").unwrap(), ("k".to_owned(), String::new()));
        for bad in ["", "=v", "time"] {
            assert!(parse_param(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn kinds_round_trip() {
        for kind in Kind::ALL {
            assert_eq!(parse_kind(kind.name()).unwrap(), kind);
        }
        assert_eq!(
            parse_kind("HLS").unwrap_err(),
            r#"invalid kind "HLS": expected one of hls, dash, iframe, watch, thumbnail, gif, mp4, m4a, webrtc"#
        );
    }

    fn p(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    #[test]
    fn surfaces_from_params() {
        assert_eq!(surface(Kind::Iframe, &[]).unwrap(), Surface::Iframe);
        assert_eq!(surface(Kind::WebRtc, &[]).unwrap(), Surface::WebRtc);
        assert_eq!(
            surface(
                Kind::Thumbnail,
                &p(&[("time", "1m2s"), ("width", "320"), ("fit", "clip")])
            )
            .unwrap(),
            Surface::Thumbnail(
                Thumbnail::new()
                    .time(Duration::from_secs(62))
                    .width(320)
                    .fit(Fit::Clip)
            )
        );
        assert_eq!(
            surface(
                Kind::AnimatedThumbnail,
                &p(&[("duration", "3s"), ("fps", "12"), ("height", "90")])
            )
            .unwrap(),
            Surface::AnimatedThumbnail(
                AnimatedThumbnail::new()
                    .duration(Duration::from_secs(3))
                    .fps(12)
                    .height(90)
            )
        );
        assert_eq!(
            surface(
                Kind::Hls,
                &p(&[("clientBandwidthHint", "1.8"), ("protocol", "llhls")])
            )
            .unwrap(),
            Surface::Hls(Hls::new().client_bandwidth_hint(1.8).low_latency(true))
        );
        assert_eq!(
            surface(Kind::AudioDownload, &p(&[("filename", "talk")])).unwrap(),
            Surface::AudioDownload(Download::new().filename("talk"))
        );
        assert!(surface(Kind::Mp4Download, &[]).unwrap().is_download());
    }

    /// The checks this parser used to make itself (pixels above zero, fps
    /// 1 to 15, a positive finite bandwidth) are the library's: the values
    /// pass through, and the URL builder refuses them saying what it expects.
    #[test]
    fn range_checks_are_the_librarys() {
        use cf_stream_token::{ErrorKind, PlaybackUrls, StreamHost, VideoId};
        let refusal = |kind, pairs: &[(&str, &str)]| {
            let surface = surface(kind, &p(pairs)).expect("passed through");
            let video = VideoId::new("ea95132c15732412d22c1476fa83f27a").unwrap();
            let e = PlaybackUrls::builder(StreamHost::customer_code("abc").unwrap(), video)
                .surface(surface)
                .build()
                .unwrap_err();
            assert!(
                matches!(e.kind(), ErrorKind::InvalidUrlPart { .. }),
                "{:?}",
                e.kind()
            );
            e.to_string()
        };
        assert_eq!(
            refusal(Kind::Thumbnail, &[("width", "0")]),
            r#"invalid width: "0" (expected a whole number of pixels above zero)"#
        );
        assert_eq!(
            refusal(Kind::AnimatedThumbnail, &[("height", "0")]),
            r#"invalid height: "0" (expected a whole number of pixels above zero)"#
        );
        for fps in ["0", "16"] {
            assert_eq!(
                refusal(Kind::AnimatedThumbnail, &[("fps", fps)]),
                format!(r#"invalid fps: "{fps}" (expected 1 to 15)"#)
            );
        }
        for (hint, shown) in [("NaN", "NaN"), ("inf", "inf"), ("0", "0"), ("-1", "-1")] {
            assert_eq!(
                refusal(Kind::Dash, &[("clientBandwidthHint", hint)]),
                format!(r#"invalid clientBandwidthHint: "{shown}" (expected 0.001 to 1000 Mbps)"#)
            );
        }
    }

    #[test]
    fn surface_refusals() {
        let err = |kind, pairs: &[(&str, &str)]| surface(kind, &p(pairs)).unwrap_err();
        assert_eq!(
            err(Kind::Iframe, &[("autoplay", "true")]),
            r#"--kind iframe does not take parameter "autoplay": it takes no parameters"#
        );
        assert_eq!(
            err(Kind::Hls, &[("time", "8s")]),
            r#"--kind hls does not take parameter "time": it takes clientBandwidthHint, protocol"#
        );
        assert_eq!(
            err(Kind::Thumbnail, &[("width", "1"), ("width", "2")]),
            r#"parameter "width" is given twice"#
        );
        // Values of the right type go to the library as they are; only
        // text that is not of the type stops here.
        assert_eq!(
            err(Kind::Thumbnail, &[("width", "-1")]),
            r#"invalid width "-1": expected a whole number of pixels (at most 4294967295)"#
        );
        assert_eq!(
            err(Kind::AnimatedThumbnail, &[("height", "4294967296")]),
            r#"invalid height "4294967296": expected a whole number of pixels (at most 4294967295)"#
        );
        assert_eq!(
            err(Kind::Thumbnail, &[("fit", "cover")]),
            r#"invalid fit "cover": expected crop, clip, scale or fill"#
        );
        assert_eq!(
            err(Kind::Thumbnail, &[("time", "8 s")]),
            "invalid duration \"8 s\": expected whole seconds (90) or whole numbers with the \
             units h, m and s, largest first, each once (90s, 30m, 2h, 1h30m, 1m2s)"
        );
        for fps in ["300", "x", "-1"] {
            assert_eq!(
                err(Kind::AnimatedThumbnail, &[("fps", fps)]),
                format!(r#"invalid fps "{fps}": expected a whole number of frames (at most 255)"#)
            );
        }
        assert_eq!(
            err(Kind::Dash, &[("clientBandwidthHint", "fast")]),
            r#"invalid clientBandwidthHint "fast": expected a number of Mbps"#
        );
        assert_eq!(
            err(Kind::Hls, &[("protocol", "dash")]),
            r#"invalid protocol "dash": the only protocol is llhls"#
        );
    }
}

/// The `cli_parsers` fuzz target's body (it includes this file with
/// `#[path]`): every parser on one input, with the contract each keeps.
/// Also replayed over `fuzz/regressions/cli_parsers/` by the unit tests.
#[cfg(any(fuzzing, test))]
pub(crate) fn fuzz_one(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    // One line, and bounded whatever the input: at most two echoes of 64
    // characters, each escaped to at most 10 (`\u{10ffff}`), plus the words.
    let bounded = |e: &String| {
        assert!(
            e.len() < 2 * 64 * 10 + 512 && !e.contains('\n'),
            "error text ({} bytes): {e:.80}",
            e.len()
        )
    };
    match parse_rule(&text) {
        Ok(rule) => {
            // What parses, serialises; and reads back to the same rule.
            let json = serde_json::to_string(&rule).expect("rules serialise");
            let back: AccessRule = serde_json::from_str(&json).expect("a rule reads back");
            assert_eq!(back, rule);
        }
        Err(e) => bounded(&e),
    }
    match parse_ttl(&text) {
        Ok(d) => {
            assert!(d.as_secs() >= 1 && d.as_secs() <= cf_stream_token::MAX_LIFETIME.as_secs())
        }
        Err(e) => bounded(&e),
    }
    if let Err(e) = parse_duration(&text) {
        bounded(&e);
    }
    let params: Vec<(String, String)> = text
        .split('&')
        .filter_map(|p| parse_param(p).map_err(|e| bounded(&e)).ok())
        .collect();
    for kind in [
        Kind::Hls,
        Kind::Dash,
        Kind::Iframe,
        Kind::Watch,
        Kind::Thumbnail,
        Kind::AnimatedThumbnail,
        Kind::Mp4Download,
        Kind::AudioDownload,
        Kind::WebRtc,
    ] {
        if let Err(e) = surface(kind, &params) {
            bounded(&e);
        }
    }
    if let Err(e) = parse_kind(&text) {
        bounded(&e);
    }
}

#[cfg(test)]
mod fuzz_replay {
    /// Every committed input of the `cli_parsers` fuzz target, and hand-made
    /// nasty ones, through the target's own body.
    #[test]
    fn regressions_and_nasty_specs_replay_cleanly() {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/fuzz/regressions/cli_parsers");
        let mut inputs: Vec<Vec<u8>> = std::fs::read_dir(dir)
            .map(|d| {
                d.map(|f| std::fs::read(f.unwrap().path()).unwrap())
                    .collect()
            })
            .unwrap_or_default();
        for s in [
            "allow:country=GB,US",
            "block:ip=93.184.216.0/24, 2400:cb00::/32",
            "allow:any",
            "allow:country=",
            "allow:ip=1.2.3.4/33",
            "99999999999999999999999h",
            "24h",
            "86401",
            "0s",
            "time=8s&width=320&fit=crop&duration=5s&fps=15&filename=a-b_c",
            "time=-1s&width=99999999999&fps=0",
            "\u{0}\u{7f}:\u{feff}=",
        ] {
            inputs.push(s.as_bytes().to_vec());
        }
        inputs.push("allow:country=".repeat(10_000).into_bytes());
        for input in inputs {
            super::fuzz_one(&input);
        }
    }
}
