//! The emulator's playback edge: every surface, every refusal, the clock
//! boundaries, the rules matrix.

use std::time::Duration;

use base64::Engine as _;
use cf_stream_token::emulator::Refusal;
use cf_stream_token::{AccessRule, Action, CountryCode, TokenOptions, Viewer};

use super::*;

fn reason(r: &str) -> Option<String> {
    Some(r.to_owned())
}

#[tokio::test]
async fn every_surface_plays_with_a_valid_body_of_its_kind() {
    let e = emulator().await;
    let signer = created_signer(&e).await;
    let token = mint(
        &signer,
        NOW,
        &TokenOptions::builder().downloadable(true).build().unwrap(),
    );
    for (suffix, status, content_type) in [
        ("iframe", 200, "text/html; charset=utf-8"),
        ("watch", 200, "text/html; charset=utf-8"),
        ("manifest/video.m3u8", 200, "application/vnd.apple.mpegurl"),
        ("manifest/video.mpd", 200, "application/dash+xml"),
        ("thumbnails/thumbnail.jpg", 200, "image/jpeg"),
        ("thumbnails/thumbnail.gif", 200, "image/gif"),
        ("downloads/default.mp4", 200, "video/mp4"),
        ("downloads/audio.m4a", 200, "audio/mp4"),
        ("webRTC/play", 201, "application/sdp"),
    ] {
        let p = play(&e, &token, suffix).await;
        assert_eq!((p.status, p.reason.as_deref()), (status, None), "{suffix}");
        assert_eq!(p.content_type.as_deref(), Some(content_type), "{suffix}");
        let b = &p.body;
        let ok = match suffix {
            "iframe" | "watch" => b.starts_with(b"<!doctype html>") && b.ends_with(b"</html>\n"),
            // The master playlist (its media playlist and segments: media.rs).
            "manifest/video.m3u8" => {
                b.starts_with(b"#EXTM3U\n")
                    && String::from_utf8_lossy(b).contains("#EXT-X-STREAM-INF:")
            }
            "manifest/video.mpd" => {
                String::from_utf8_lossy(b).contains("<MPD xmlns=\"urn:mpeg:dash:schema:mpd:2011\"")
            }
            // SOI, a JFIF APP0, a 320x180 frame header, EOI.
            "thumbnails/thumbnail.jpg" => {
                b.starts_with(&[0xff, 0xd8, 0xff, 0xe0])
                    && &b[6..11] == b"JFIF\0"
                    && b.windows(9)
                        .any(|w| w == [0xff, 0xc0, 0, 17, 8, 0, 180, 1, 64])
                    && b.ends_with(&[0xff, 0xd9])
            }
            "thumbnails/thumbnail.gif" => {
                b.starts_with(b"GIF89a\xa0\x00\x5a\x00") && b.ends_with(b";")
            }
            "downloads/default.mp4" => &b[4..12] == b"ftypisom" && &b[32..36] == b"moov",
            "downloads/audio.m4a" => &b[4..12] == b"ftypM4A " && &b[32..36] == b"moov",
            "webRTC/play" => b.starts_with(b"v=0\r\n"),
            _ => unreachable!(),
        };
        assert!(ok, "{suffix}: {:?}", String::from_utf8_lossy(b));
    }
    // The download name is honoured when it is one Cloudflare accepts.
    let r = get_edge(
        &e,
        &format!("/{token}/downloads/default.mp4?filename=clip_1"),
    )
    .await;
    assert_eq!(
        r.headers()["content-disposition"],
        "attachment; filename=\"clip_1.mp4\""
    );
    // An unknown surface is a plain 404; a GET of webRTC/play is 405.
    assert_eq!(
        verdict(&e, &token, "manifest/other.m3u8").await,
        (404, None)
    );
    let r = get_edge(&e, &format!("/{token}/webRTC/play")).await;
    assert_eq!(r.status(), 405);
}

#[tokio::test]
async fn the_crates_own_playback_urls_play_on_every_surface() {
    use cf_stream_token::{
        AnimatedThumbnail, Dash, Download, Hls, PlaybackUrls, StreamHost, Surface, Thumbnail,
    };
    let e = emulator().await;
    let signer = created_signer(&e).await;
    let urls = PlaybackUrls::builder(StreamHost::customer_code("abc123").unwrap(), video())
        .surfaces([
            Surface::Iframe,
            Surface::Watch,
            Surface::Hls(Hls::new().low_latency(true)),
            Surface::Dash(Dash::new()),
            Surface::Thumbnail(Thumbnail::new().width(320)),
            Surface::AnimatedThumbnail(AnimatedThumbnail::new().fps(5)),
            Surface::Mp4Download(Download::new().filename("clip")),
            Surface::AudioDownload(Download::new()),
        ])
        .build()
        .unwrap();
    let signed = urls.mint_at(at(NOW), &signer).unwrap();
    assert_eq!(signed.urls().len(), 8);
    for url in signed.urls() {
        let path = url.split_once(".cloudflarestream.com").unwrap().1;
        let r = get_edge(&e, path).await;
        assert_eq!(r.status(), 200, "{path}");
    }
}

#[tokio::test]
async fn every_refusal_reason() {
    let e = emulator().await;
    let signer = created_signer(&e).await;
    let good = mint(&signer, NOW, &TokenOptions::default());
    let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let (h, rest) = good.split_once('.').unwrap();
    let (p, s) = rest.split_once('.').unwrap();
    let hs256 = format!(
        "{}.{p}.{s}",
        b64.encode(format!(r#"{{"alg":"HS256","kid":"{}"}}"#, signer.kid()))
    );
    let tampered = format!(
        "{h}.{}.{s}",
        b64.encode(format!(
            r#"{{"sub":"{VIDEO}","kid":"{}","exp":{}}}"#,
            signer.kid(),
            NOW + 7200
        ))
    );
    // Signed by another key under this key's kid.
    let forged = {
        let other = other_signer();
        let sig = cf_stream_token::hazmat::sign_rs256(other.key(), format!("{h}.{p}").as_bytes())
            .unwrap();
        format!("{h}.{p}.{}", b64.encode(sig))
    };
    let not_claims = {
        let payload = b64.encode(r#"{"hello":"world"}"#);
        let sig = b64.encode(signer_sign(&signer, &format!("{h}.{payload}")));
        format!("{h}.{payload}.{sig}")
    };
    let cases: Vec<(String, &str, u16, &str)> = vec![
        ("not-a-token".into(), "iframe", 401, "malformed"),
        (format!("{h}.{p}"), "iframe", 401, "malformed"),
        (hs256, "iframe", 401, "malformed"),
        (not_claims, "iframe", 401, "malformed"),
        (tampered, "iframe", 401, "bad-signature"),
        (forged, "iframe", 401, "bad-signature"),
        (
            mint(&demo_signer(), NOW, &TokenOptions::default()),
            "iframe",
            401,
            "unknown-key",
        ),
        (
            mint(&signer, NOW - 3600, &TokenOptions::default()),
            "iframe",
            401,
            "expired",
        ),
        (
            mint(
                &signer,
                NOW,
                &TokenOptions::builder()
                    .not_before(at(NOW + 60))
                    .build()
                    .unwrap(),
            ),
            "iframe",
            401,
            "not-yet-valid",
        ),
        // Signed 20 hours ahead with a 24-hour life: 44 hours ahead of the edge's clock.
        (
            mint(
                &signer,
                NOW + 20 * 3600,
                &TokenOptions::builder()
                    .lifetime(Duration::from_secs(86_400))
                    .build()
                    .unwrap(),
            ),
            "iframe",
            401,
            "beyond-24h",
        ),
        (
            good.clone(),
            "downloads/default.mp4",
            403,
            "not-downloadable",
        ),
        (good.clone(), "downloads/audio.m4a", 403, "not-downloadable"),
        (
            mint(
                &signer,
                NOW,
                &TokenOptions::builder()
                    .access_rule(AccessRule::any(Action::Block))
                    .build()
                    .unwrap(),
            ),
            "iframe",
            403,
            "blocked-by-rule:1",
        ),
    ];
    for (token, suffix, status, why) in cases {
        let got = verdict(&e, &token, suffix).await;
        assert_eq!(got, (status, reason(why)), "{why}");
        let parsed = Refusal::from_header_value(why).unwrap();
        assert_eq!(parsed.status(), status);
        assert_eq!(parsed.to_string(), why);
    }
    assert_eq!(verdict(&e, &good, "iframe").await, (200, None));
    // The refusal body says it is a model.
    let p = play(&e, "x.y.z", "iframe").await;
    assert_eq!(
        String::from_utf8(p.body).unwrap(),
        "refused: malformed\n(an emulator's model: Cloudflare does not document its refusal bodies)\n"
    );
}

/// The edge reads a token as the verifier does: what the verifier refuses
/// as malformed, signed with a live key, is refused as malformed here too.
#[tokio::test]
async fn the_edge_is_as_strict_as_the_verifier() {
    let e = emulator().await;
    let signer = created_signer(&e).await;
    let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let kid = signer.kid();
    let signed = |header: String, payload: String| {
        let input = format!("{}.{}", b64.encode(header), b64.encode(payload));
        let sig = b64.encode(signer_sign(&signer, &input));
        format!("{input}.{sig}")
    };
    let header = format!(r#"{{"alg":"RS256","kid":"{kid}"}}"#);
    let claims = |exp: &str| format!(r#"{{"sub":"{VIDEO}","kid":"{kid}","exp":{exp}}}"#);
    let exp = (NOW + 3600).to_string();
    // The well-formed control plays.
    let good = signed(header.clone(), claims(&exp));
    assert_eq!(verdict(&e, &good, "iframe").await, (200, None));
    let cases = [
        (
            "exp \"+5\"",
            signed(header.clone(), claims(&format!(r#""+{exp}""#))),
        ),
        (
            "exp with a leading zero",
            signed(header.clone(), claims(&format!(r#""0{exp}""#))),
        ),
        (
            "duplicate header member",
            signed(
                format!(r#"{{"alg":"RS256","kid":"{kid}","kid":"{kid}"}}"#),
                claims(&exp),
            ),
        ),
        (
            "duplicate payload member",
            signed(
                header.clone(),
                format!(r#"{{"sub":"{VIDEO}","kid":"{kid}","exp":{exp},"exp":{exp}}}"#),
            ),
        ),
        (
            "crit header",
            signed(
                format!(r#"{{"alg":"RS256","kid":"{kid}","crit":["exp"]}}"#),
                claims(&exp),
            ),
        ),
        (
            "null crit header",
            signed(
                format!(r#"{{"alg":"RS256","kid":"{kid}","crit":null}}"#),
                claims(&exp),
            ),
        ),
        (
            "header array",
            signed(format!(r#"["RS256","{kid}"]"#), claims(&exp)),
        ),
    ];
    for (what, token) in cases {
        assert_eq!(
            verdict(&e, &token, "iframe").await,
            (401, reason("malformed")),
            "{what}"
        );
    }
}

fn signer_sign(signer: &Signer, input: &str) -> Vec<u8> {
    cf_stream_token::hazmat::sign_rs256(signer.key(), input.as_bytes()).unwrap()
}

#[tokio::test]
async fn the_24_hour_check_can_be_switched_off() {
    let e = emulator().await;
    let signer = created_signer(&e).await;
    let far = mint(
        &signer,
        NOW + 3600,
        &TokenOptions::builder()
            .lifetime(Duration::from_secs(86_400))
            .build()
            .unwrap(),
    );
    assert_eq!(
        verdict(&e, &far, "iframe").await,
        (401, reason("beyond-24h"))
    );
    e.set_check_24h(false);
    assert_eq!(verdict(&e, &far, "iframe").await, (200, None));
    // Exactly 24 hours ahead is within the cap.
    e.set_check_24h(true);
    let day = mint(
        &signer,
        NOW,
        &TokenOptions::builder()
            .lifetime(Duration::from_secs(86_400))
            .build()
            .unwrap(),
    );
    assert_eq!(verdict(&e, &day, "iframe").await, (200, None));
}

#[tokio::test]
async fn the_clock_at_the_exact_exp_and_nbf_boundaries() {
    let e = emulator().await;
    let signer = created_signer(&e).await;
    let opts = TokenOptions::builder()
        .expires_at(at(NOW + 100))
        .not_before(at(NOW + 10))
        .build()
        .unwrap();
    let token = mint(&signer, NOW, &opts);
    e.set_now(at(NOW + 9)).unwrap();
    assert_eq!(
        verdict(&e, &token, "iframe").await,
        (401, reason("not-yet-valid"))
    );
    e.advance(Duration::from_secs(1)).unwrap(); // now == nbf
    assert_eq!(e.now(), at(NOW + 10));
    assert_eq!(verdict(&e, &token, "iframe").await, (200, None));
    e.set_now(at(NOW + 99)).unwrap(); // one second before exp
    assert_eq!(verdict(&e, &token, "iframe").await, (200, None));
    e.advance(Duration::from_secs(1)).unwrap(); // now == exp
    assert_eq!(
        verdict(&e, &token, "iframe").await,
        (401, reason("expired"))
    );
}

#[tokio::test]
async fn downloadable_tokens_download_and_others_do_not() {
    let e = emulator().await;
    let signer = created_signer(&e).await;
    let yes = mint(
        &signer,
        NOW,
        &TokenOptions::builder().downloadable(true).build().unwrap(),
    );
    let no = mint(
        &signer,
        NOW,
        &TokenOptions::builder().downloadable(false).build().unwrap(),
    );
    for suffix in ["downloads/default.mp4", "downloads/audio.m4a"] {
        assert_eq!(verdict(&e, &yes, suffix).await, (200, None));
        assert_eq!(
            verdict(&e, &no, suffix).await,
            (403, reason("not-downloadable"))
        );
    }
    // Not a download: both play.
    assert_eq!(
        verdict(&e, &no, "thumbnails/thumbnail.jpg").await,
        (200, None)
    );
}

#[tokio::test]
async fn the_rules_matrix_over_ipv4_ipv6_and_countries() {
    let e = emulator().await;
    let signer = created_signer(&e).await;
    let rules = vec![
        AccessRule::networks(Action::Block, ["192.0.2.0/24", "2001:db8:bad::/48"]).unwrap(),
        AccessRule::networks(Action::Allow, ["198.51.100.7", "2001:db8::/32"]).unwrap(),
        AccessRule::countries(Action::Allow, ["GB", "US"]).unwrap(),
        AccessRule::countries(Action::Block, ["T1"]).unwrap(),
        AccessRule::any(Action::Block),
    ];
    let opts = TokenOptions::builder().access_rules(rules).build().unwrap();
    let token = mint(&signer, NOW, &opts);
    let claims = signer.verifier().verify_at(&token, at(NOW)).unwrap();
    for (ip, country, status, why) in [
        ("192.0.2.55", "GB", 403, Some("blocked-by-rule:1")),
        ("2001:db8:bad:1::9", "US", 403, Some("blocked-by-rule:1")),
        ("198.51.100.7", "FR", 200, None),
        ("198.51.100.8", "FR", 403, Some("blocked-by-rule:5")),
        ("2001:db8:1::1", "FR", 200, None),
        ("203.0.113.1", "GB", 200, None),
        ("2400:cb00::1", "US", 200, None),
        ("203.0.113.1", "T1", 403, Some("blocked-by-rule:4")),
        ("203.0.113.1", "XX", 403, Some("blocked-by-rule:5")),
        ("::ffff:192.0.2.1", "GB", 403, Some("blocked-by-rule:1")),
    ] {
        let p = play_as(
            &e,
            &token,
            "iframe",
            &[("cf-connecting-ip", ip), ("cf-ipcountry", country)],
        )
        .await;
        assert_eq!(
            (p.status, p.reason.as_deref()),
            (status, why),
            "{ip} {country}"
        );
        // The library call decides the same, without a server.
        let d = claims.decide(&Viewer {
            ip: ip.parse().unwrap(),
            country: CountryCode::new(country).unwrap(),
        });
        assert_eq!(d.is_allowed(), status == 200, "{ip} {country}");
        if let Some(why) = why {
            assert_eq!(
                Some(Refusal::BlockedByRule(d.rule().unwrap())),
                Refusal::from_header_value(why)
            );
        }
    }
}

#[tokio::test]
async fn without_cloudflare_headers_the_peer_address_and_xx_are_used() {
    let e = emulator().await;
    let signer = created_signer(&e).await;
    let block_loopback = mint(
        &signer,
        NOW,
        &TokenOptions::builder()
            .access_rule(AccessRule::networks(Action::Block, ["127.0.0.0/8"]).unwrap())
            .build()
            .unwrap(),
    );
    assert_eq!(
        verdict(&e, &block_loopback, "iframe").await,
        (403, reason("blocked-by-rule:1"))
    );
    let p = play_as(
        &e,
        &block_loopback,
        "iframe",
        &[("cf-connecting-ip", "203.0.113.9")],
    )
    .await;
    assert_eq!(p.status, 200);
    let block_unknown = mint(
        &signer,
        NOW,
        &TokenOptions::builder()
            .access_rule(AccessRule::countries(Action::Block, ["XX"]).unwrap())
            .build()
            .unwrap(),
    );
    assert_eq!(
        verdict(&e, &block_unknown, "iframe").await,
        (403, reason("blocked-by-rule:1"))
    );
    // A country header that is not a country is refused (it was read as
    // unknown before, which let a block rule pass by mistake).
    let p = play_as(&e, &block_unknown, "iframe", &[("cf-ipcountry", "ZZZ")]).await;
    assert_eq!((p.status, p.reason), (400, reason("bad-cf-ipcountry")));
    let p = play_as(&e, &block_unknown, "iframe", &[("cf-ipcountry", "de")]).await;
    assert_eq!(p.status, 200);
}

#[tokio::test]
async fn a_new_key_plays_only_after_the_activation_delay() {
    let e = Emulator::builder()
        .api_token(API_TOKEN)
        .clock_at(at(NOW))
        .key_activation_delay(Duration::from_secs(30))
        .start()
        .await
        .unwrap();
    let signer = created_signer(&e).await;
    let token = mint(&signer, NOW, &TokenOptions::default());
    assert_eq!(
        verdict(&e, &token, "iframe").await,
        (401, reason("unknown-key"))
    );
    e.advance(Duration::from_secs(29)).unwrap();
    assert_eq!(
        verdict(&e, &token, "iframe").await,
        (401, reason("unknown-key"))
    );
    e.advance(Duration::from_secs(1)).unwrap();
    assert_eq!(verdict(&e, &token, "iframe").await, (200, None));
    // Changed at run time: only keys made afterwards are affected.
    e.set_key_activation_delay(Duration::ZERO);
    let next = created_signer(&e).await;
    assert_eq!(
        verdict(
            &e,
            &mint(&next, NOW + 30, &TokenOptions::default()),
            "iframe"
        )
        .await,
        (200, None)
    );
}

#[tokio::test]
async fn public_videos_play_by_uid_and_others_need_a_token() {
    let e = emulator().await;
    e.register_video(&account(), &other_video(), true).unwrap();
    let p = play(&e, other_video().as_str(), "manifest/video.m3u8").await;
    assert_eq!((p.status, p.reason), (200, None));
    assert_eq!(
        verdict(&e, other_video().as_str(), "downloads/default.mp4").await,
        (200, None)
    );
    assert_eq!(
        verdict(&e, VIDEO, "iframe").await,
        (401, reason("malformed"))
    );
    e.register_video(&account(), &video(), false).unwrap();
    assert_eq!(
        verdict(&e, VIDEO, "iframe").await,
        (401, reason("malformed"))
    );
}

#[tokio::test]
async fn a_key_plays_only_for_videos_of_its_own_account() {
    let e = emulator().await;
    let signer = created_signer(&e).await;
    let token = mint(&signer, NOW, &TokenOptions::default());
    // An unregistered video belongs to nobody in particular: it plays.
    assert_eq!(verdict(&e, &token, "iframe").await, (200, None));
    let elsewhere: AccountId = "ffffffffffffffffffffffffffffffff".parse().unwrap();
    e.register_video(&elsewhere, &video(), false).unwrap();
    assert_eq!(
        verdict(&e, &token, "iframe").await,
        (401, reason("unknown-key"))
    );
    assert!(e.register_video(&account(), &video(), false).is_err());
    e.reset();
    e.import_public_key(&account(), signer.key().public_key())
        .unwrap();
    e.register_video(&account(), &video(), false).unwrap();
    assert_eq!(verdict(&e, &token, "iframe").await, (200, None));
}

#[tokio::test]
async fn an_imported_fixture_key_plays() {
    let e = emulator().await;
    e.import_public_key(&account(), demo_signer().key().public_key())
        .unwrap();
    let token = mint(&demo_signer(), NOW, &TokenOptions::default());
    assert_eq!(verdict(&e, &token, "iframe").await, (200, None));
    assert_eq!(e.keys(&account()), [kid(DEMO_KID)]);
    // Once known, a kid cannot be imported again.
    assert!(
        e.import_public_key(&account(), demo_signer().key().public_key())
            .is_err()
    );
}
