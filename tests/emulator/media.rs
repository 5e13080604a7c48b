//! The media a player plays: the HLS presentation under the token, every
//! playlist and segment decided as the manifest is, and the loopback
//! viewer a browser cannot fake.

use std::time::Duration;

use base64::Engine as _;
use cf_stream_token::emulator::Emulator;
use cf_stream_token::{AccessRule, CountryCode, Signer, TokenOptions};
use reqwest::Method;
use serde_json::{Value, json};

use super::*;

/// What a player fetches for one presentation, in order.
const PLAYER_PATHS: [&str; 5] = [
    "manifest/video.m3u8",
    "manifest/stream.m3u8",
    "manifest/segment_0.ts",
    "manifest/segment_1.ts",
    "manifest/segment_2.ts",
];

fn reason(r: &str) -> Option<String> {
    Some(r.to_owned())
}

/// The URIs a playlist names (its non-comment lines).
fn uris(playlist: &[u8]) -> Vec<String> {
    String::from_utf8(playlist.to_vec())
        .unwrap()
        .lines()
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(str::to_owned)
        .collect()
}

/// `uri` resolved against the URL of the playlist that named it, as a
/// player resolves it (RFC 3986: relative to the last `/`).
fn resolve(base: &str, uri: &str) -> String {
    assert!(!uri.contains(':') && !uri.starts_with('/'), "{uri}");
    format!("{}/{uri}", base.rsplit_once('/').unwrap().0)
}

async fn get(url: &str) -> (u16, Option<String>, Option<String>, Vec<u8>) {
    let r = http().get(url).send().await.unwrap();
    let text = |name: &str| {
        r.headers()
            .get(name)
            .map(|v| v.to_str().unwrap().to_owned())
    };
    let (reason, ct) = (text("x-emulator-reason"), text("content-type"));
    (
        r.status().as_u16(),
        reason,
        ct,
        r.bytes().await.unwrap().to_vec(),
    )
}

#[tokio::test]
async fn a_player_follows_the_manifest_to_every_segment_under_the_token() {
    let e = emulator().await;
    let signer = created_signer(&e).await;
    let token = mint(&signer, NOW, &TokenOptions::default());
    let master_url = format!("{}/{token}/manifest/video.m3u8", e.playback_base_url());

    let (status, _, ct, master) = get(&master_url).await;
    assert_eq!(
        (status, ct.as_deref()),
        (200, Some("application/vnd.apple.mpegurl"))
    );
    assert_eq!(master, bytes("media/video.m3u8"));
    let text = String::from_utf8(master.clone()).unwrap();
    assert!(text.starts_with("#EXTM3U\n"), "{text}");
    assert!(
        text.contains(r#"RESOLUTION=320x180,CODECS="avc1.42c01e,mp4a.40.2""#),
        "{text}"
    );
    let renditions = uris(&master);
    assert_eq!(renditions, ["stream.m3u8"]);

    let media_url = resolve(&master_url, &renditions[0]);
    assert_eq!(
        media_url,
        format!("{}/{token}/manifest/stream.m3u8", e.playback_base_url())
    );
    let (status, _, ct, media) = get(&media_url).await;
    assert_eq!(
        (status, ct.as_deref()),
        (200, Some("application/vnd.apple.mpegurl"))
    );
    let text = String::from_utf8(media.clone()).unwrap();
    assert!(text.contains("#EXT-X-PLAYLIST-TYPE:VOD\n"), "{text}");
    assert!(text.ends_with("#EXT-X-ENDLIST\n"), "{text}");
    let segments = uris(&media);
    assert_eq!(segments, ["segment_0.ts", "segment_1.ts", "segment_2.ts"]);
    for name in &segments {
        let (status, reason, ct, body) = get(&resolve(&media_url, name)).await;
        assert_eq!(
            (status, reason, ct.as_deref()),
            (200, None, Some("video/mp2t")),
            "{name}"
        );
        assert_eq!(body, bytes(&format!("media/{name}")), "{name}");
        // MPEG-TS: 188-byte packets, each starting with the sync byte.
        assert!(body.len() > 10_000 && body.len() % 188 == 0, "{name}");
        assert!(body.chunks(188).all(|p| p[0] == 0x47), "{name}");
    }

    // HEAD answers as GET without the body, on a segment too.
    let head = http()
        .head(resolve(&media_url, "segment_1.ts"))
        .send()
        .await
        .unwrap();
    assert_eq!(head.status(), 200);
    assert_eq!(
        head.headers()["content-length"],
        bytes("media/segment_1.ts").len().to_string().as_str()
    );
    assert!(head.bytes().await.unwrap().is_empty());

    // A page on another origin may read every answer, refusals included.
    for path in ["manifest/segment_0.ts", "manifest/stream.m3u8"] {
        for token in [token.as_str(), "x.y.z"] {
            let r = get_edge(&e, &format!("/{token}/{path}")).await;
            assert_eq!(r.headers()["access-control-allow-origin"], "*");
            assert_eq!(
                r.headers()["access-control-expose-headers"],
                "x-emulator-reason"
            );
        }
    }

    // Only the files the playlists name are served.
    for other in ["manifest/segment_3.ts", "manifest/stream_1.m3u8"] {
        assert_eq!(verdict(&e, &token, other).await, (404, None), "{other}");
    }

    // The log shows every fetch, none with the token.
    let log = e.requests();
    let logged: Vec<(&str, Option<u16>, &str)> = log[1..7]
        .iter()
        .map(|r| (r.path(), r.status(), r.decision()))
        .collect();
    assert_eq!(
        logged,
        [
            ("/<token>/manifest/video.m3u8", Some(200), "ok"),
            ("/<token>/manifest/stream.m3u8", Some(200), "ok"),
            ("/<token>/manifest/segment_0.ts", Some(200), "ok"),
            ("/<token>/manifest/segment_1.ts", Some(200), "ok"),
            ("/<token>/manifest/segment_2.ts", Some(200), "ok"),
            ("/<token>/manifest/segment_1.ts", Some(200), "ok"),
        ]
    );
    assert!(log[1..7].iter().all(|r| r.kid() == Some(signer.kid())));
    let text = format!("{log:?}");
    for part in token.split('.').skip(1) {
        assert!(!text.contains(part), "the log holds a part of the token");
    }
}

#[tokio::test]
async fn a_public_video_plays_its_segments_by_uid() {
    let e = emulator().await;
    e.register_video(&account(), &video(), true).unwrap();
    for path in PLAYER_PATHS {
        assert_eq!(verdict(&e, VIDEO, path).await, (200, None), "{path}");
    }
    let other = other_video();
    assert_eq!(
        verdict(&e, other.as_str(), "manifest/segment_0.ts").await,
        (401, reason("malformed"))
    );
}

/// Every reason the manifest is refused for, every playlist and segment is
/// refused for too, with the same status and `x-emulator-reason`.
#[tokio::test]
async fn every_refusal_reason_holds_for_every_playlist_and_segment() {
    let e = emulator().await;
    let c = client(&e);
    let signer = created_signer(&e).await;
    let good = mint(&signer, NOW, &TokenOptions::default());
    let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let (h, rest) = good.split_once('.').unwrap();
    let (_, s) = rest.split_once('.').unwrap();
    let tampered = format!(
        "{h}.{}.{s}",
        b64.encode(format!(
            r#"{{"sub":"{VIDEO}","kid":"{}","exp":{}}}"#,
            signer.kid(),
            NOW + 7200
        ))
    );
    let revoked = {
        let created = c.create_signing_key().await.unwrap();
        let kid = *created.id();
        let signer = Signer::new(created.into_signing_key().unwrap());
        let token = mint(&signer, NOW, &TokenOptions::default());
        c.delete_signing_key(&kid).await.unwrap();
        token
    };
    let blocked = mint(
        &signer,
        NOW,
        &TokenOptions::builder()
            .access_rules(AccessRule::allow_only_countries(["GB"]).unwrap())
            .build()
            .unwrap(),
    );
    type Case<'a> = (String, Vec<(&'a str, &'a str)>, u16, &'a str);
    let cases: Vec<Case<'_>> = vec![
        ("not-a-token".into(), vec![], 401, "malformed"),
        (tampered, vec![], 401, "bad-signature"),
        (
            mint(&demo_signer(), NOW, &TokenOptions::default()),
            vec![],
            401,
            "unknown-key",
        ),
        (revoked, vec![], 401, "revoked-key"),
        (
            mint(&signer, NOW - 3600, &TokenOptions::default()),
            vec![],
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
            vec![],
            401,
            "not-yet-valid",
        ),
        (
            mint(
                &signer,
                NOW + 20 * 3600,
                &TokenOptions::builder()
                    .lifetime(Duration::from_secs(86_400))
                    .build()
                    .unwrap(),
            ),
            vec![],
            401,
            "beyond-24h",
        ),
        (blocked.clone(), vec![], 403, "blocked-by-rule:2"),
        (
            blocked.clone(),
            vec![("cf-ipcountry", "US")],
            403,
            "blocked-by-rule:2",
        ),
        (
            good.clone(),
            vec![("cf-connecting-ip", "not-an-address")],
            400,
            "bad-cf-connecting-ip",
        ),
        (
            good.clone(),
            vec![("cf-ipcountry", "UK")],
            400,
            "bad-cf-ipcountry",
        ),
    ];
    for (token, headers, status, why) in &cases {
        for path in PLAYER_PATHS {
            let p = play_as(&e, token, path, headers).await;
            assert_eq!(
                (p.status, p.reason.as_deref()),
                (*status, Some(*why)),
                "{why} {path}"
            );
            assert!(
                String::from_utf8(p.body)
                    .unwrap()
                    .starts_with(&format!("refused: {why}\n")),
                "{why} {path}"
            );
        }
    }
    // The same tokens and viewers, where they may play, play every file.
    // Segments are not downloads: a token without `downloadable` plays them.
    for (token, headers) in [(&good, vec![]), (&blocked, vec![("cf-ipcountry", "GB")])] {
        for path in PLAYER_PATHS {
            assert_eq!(
                play_as(&e, token, path, &headers).await.status,
                200,
                "{path}"
            );
        }
    }
    // Every refusal was logged with its reason and without the token.
    let log = e.requests();
    let refused = log.iter().filter(|r| r.status() != Some(200)).count();
    assert_eq!(refused, cases.len() * PLAYER_PATHS.len());
    for r in log.iter().filter(|r| r.status() != Some(200)) {
        assert!(r.path().starts_with("/<token>/manifest/"), "{}", r.path());
    }
    // Nothing of any token, played or refused, is in the log, as the
    // control API serves it or as Debug shows it: not the whole token,
    // nor its signature.
    let served = serde_json::to_string(&log).unwrap();
    let debug = format!("{log:?}");
    assert!(
        served.contains("/<token>/manifest/segment_2.ts"),
        "{served}"
    );
    for (token, ..) in &cases {
        let signature = token.rsplit('.').next().unwrap();
        for shown in [&served, &debug] {
            assert!(!shown.contains(token.as_str()), "a token in the log");
            assert!(!shown.contains(signature), "a signature in the log");
        }
    }
}

/// Playback stops mid-stream: the manifest was fetched, then the clock
/// passes `exp` (or the key is revoked) and the next segment is refused.
#[tokio::test]
async fn the_next_segment_is_refused_once_the_token_expires_or_its_key_is_revoked() {
    let e = emulator().await;
    let c = client(&e);
    let created = c.create_signing_key().await.unwrap();
    let kid = *created.id();
    let signer = Signer::new(created.into_signing_key().unwrap());
    let token = mint(
        &signer,
        NOW,
        &TokenOptions::builder()
            .lifetime(Duration::from_secs(120))
            .build()
            .unwrap(),
    );
    for path in &PLAYER_PATHS[..3] {
        assert_eq!(verdict(&e, &token, path).await, (200, None), "{path}");
    }
    e.advance(Duration::from_secs(119)).unwrap();
    assert_eq!(
        verdict(&e, &token, "manifest/segment_1.ts").await,
        (200, None)
    );
    e.advance(Duration::from_secs(1)).unwrap();
    assert_eq!(
        verdict(&e, &token, "manifest/segment_2.ts").await,
        (401, reason("expired"))
    );

    e.set_now(at(NOW)).unwrap();
    assert_eq!(
        verdict(&e, &token, "manifest/segment_2.ts").await,
        (200, None)
    );
    c.delete_signing_key(&kid).await.unwrap();
    assert_eq!(
        verdict(&e, &token, "manifest/segment_2.ts").await,
        (401, reason("revoked-key"))
    );
}

async fn control(e: &Emulator, method: Method, path: &str, body: Option<Value>) -> (u16, Value) {
    let mut req = http().request(method, format!("{}{path}", e.control_base_url()));
    if let Some(b) = body {
        req = req.json(&b);
    }
    let r = req.send().await.unwrap();
    (r.status().as_u16(), r.json().await.unwrap())
}

/// A browser sends no `CF-IPCountry`: the loopback viewer stands in for
/// it, set through the handle or the control API; a header still wins.
#[tokio::test]
async fn the_loopback_viewer_decides_for_requests_without_viewer_headers() {
    let e = emulator().await;
    let signer = created_signer(&e).await;
    let gb_only = mint(
        &signer,
        NOW,
        &TokenOptions::builder()
            .access_rules(AccessRule::allow_only_countries(["GB"]).unwrap())
            .build()
            .unwrap(),
    );
    let net_only = mint(
        &signer,
        NOW,
        &TokenOptions::builder()
            .access_rules(AccessRule::allow_only_networks(["203.0.113.0/24"]).unwrap())
            .build()
            .unwrap(),
    );
    let seg = "manifest/segment_0.ts";
    let blocked = (403, reason("blocked-by-rule:2"));
    // By default a loopback request is the peer's address and `XX`.
    assert_eq!(verdict(&e, &gb_only, seg).await, blocked);
    assert_eq!(verdict(&e, &net_only, seg).await, blocked);
    assert_eq!(
        control(&e, Method::GET, "/viewer", None).await,
        (200, json!({ "ip": null, "country": null }))
    );

    // Through the handle: requests from 127.0.0.1 come from GB.
    e.set_loopback_viewer(None, Some(CountryCode::new("GB").unwrap()));
    for path in PLAYER_PATHS {
        assert_eq!(verdict(&e, &gb_only, path).await, (200, None), "{path}");
    }
    assert_eq!(verdict(&e, &net_only, seg).await, blocked);
    // A header the request sends wins.
    let us = play_as(&e, &gb_only, seg, &[("cf-ipcountry", "US")]).await;
    assert_eq!((us.status, us.reason), blocked);
    assert_eq!(
        control(&e, Method::GET, "/viewer", None).await,
        (200, json!({ "ip": null, "country": "GB" }))
    );

    // Through the control API: a US viewer at an address in the network.
    assert_eq!(
        control(
            &e,
            Method::POST,
            "/viewer",
            Some(json!({ "ip": "203.0.113.7", "country": "us" }))
        )
        .await,
        (200, json!({ "ip": "203.0.113.7", "country": "US" }))
    );
    assert_eq!(verdict(&e, &gb_only, seg).await, blocked);
    assert_eq!(verdict(&e, &net_only, seg).await, (200, None));
    let gb = play_as(&e, &gb_only, seg, &[("cf-ipcountry", "GB")]).await;
    assert_eq!(gb.status, 200);
    let elsewhere = play_as(&e, &net_only, seg, &[("cf-connecting-ip", "198.51.100.1")]).await;
    assert_eq!((elsewhere.status, elsewhere.reason), blocked);
    // An unreadable header is still refused, never replaced by the setting.
    let bad = play_as(&e, &gb_only, seg, &[("cf-ipcountry", "??")]).await;
    assert_eq!((bad.status, bad.reason), (400, reason("bad-cf-ipcountry")));

    // Bad bodies change nothing.
    for body in [
        json!({ "country": "UK" }),
        json!({ "country": "GBR" }),
        json!({ "ip": "203.0.113.300" }),
        json!({ "ip": 7 }),
        json!({ "city": "London" }),
    ] {
        let (status, answer) = control(&e, Method::POST, "/viewer", Some(body.clone())).await;
        assert_eq!(status, 400, "{body}");
        assert!(answer["error"].is_string(), "{body}");
    }
    assert_eq!(
        control(&e, Method::GET, "/viewer", None).await.1,
        json!({ "ip": "203.0.113.7", "country": "US" })
    );

    // An empty body, or reset, is the default again.
    assert_eq!(
        control(&e, Method::POST, "/viewer", Some(json!({}))).await,
        (200, json!({ "ip": null, "country": null }))
    );
    assert_eq!(verdict(&e, &net_only, seg).await, blocked);
    e.set_loopback_viewer(
        Some("203.0.113.9".parse().unwrap()),
        Some(CountryCode::new("GB").unwrap()),
    );
    assert_eq!(verdict(&e, &net_only, seg).await, (200, None));
    e.reset();
    assert_eq!(
        control(&e, Method::GET, "/viewer", None).await.1,
        json!({ "ip": null, "country": null })
    );
}

#[tokio::test]
async fn thumbnails_are_the_real_images() {
    let e = emulator().await;
    let signer = created_signer(&e).await;
    let token = mint(&signer, NOW, &TokenOptions::default());
    let jpg = play(&e, &token, "thumbnails/thumbnail.jpg?time=2s&width=320").await;
    assert_eq!(
        (jpg.status, jpg.content_type.as_deref()),
        (200, Some("image/jpeg"))
    );
    assert_eq!(jpg.body, bytes("media/thumbnail.jpg"));
    // A baseline frame header (SOF0) of 320x180, 3 components.
    assert!(
        jpg.body
            .windows(10)
            .any(|w| w == [0xff, 0xc0, 0, 17, 8, 0, 180, 1, 64, 3]),
        "no 320x180 SOF0"
    );
    let gif = play(&e, &token, "thumbnails/thumbnail.gif").await;
    assert_eq!(
        (gif.status, gif.content_type.as_deref()),
        (200, Some("image/gif"))
    );
    assert_eq!(gif.body, bytes("media/thumbnail.gif"));
    // GIF89a, 160x90, looping (NETSCAPE2.0), many frames (a graphic
    // control extension before each).
    assert_eq!(&gif.body[..10], b"GIF89a\xa0\x00\x5a\x00");
    assert!(gif.body.windows(11).any(|w| w == b"NETSCAPE2.0"));
    let frames = gif
        .body
        .windows(3)
        .filter(|w| *w == [0x21, 0xf9, 0x04])
        .count();
    assert!(frames >= 16, "{frames} frames");
}
