//! Issue 9, items 2 to 9: what an outside attack on the crate found, each
//! with the exact refusal (item 1 is tests/fresh_keys.rs; item 7 is a
//! command-line matter, in tests/cli.rs).

use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use cf_stream_token::dangerous::decode_unverified;
use cf_stream_token::{
    AccessRule, Action, Dash, ErrorKind, Hls, MAX_TOKEN_LEN, MAX_URL_LEN, PlaybackUrls, PublicKey,
    SigningKey, StreamHost, Surface, TokenOptions, Verifier, hazmat,
};

use crate::common::*;

fn kind<T: std::fmt::Debug>(r: Result<T, cf_stream_token::Error>) -> ErrorKind {
    r.unwrap_err().into_kind()
}

/// A compact JWS of raw header and payload JSON, signed with the demo key.
fn signed(header: &str, payload: &str) -> String {
    let input = format!(
        "{}.{}",
        URL_SAFE_NO_PAD.encode(header),
        URL_SAFE_NO_PAD.encode(payload)
    );
    let sig = hazmat::sign_rs256(&demo_key(), input.as_bytes()).unwrap();
    format!("{input}.{}", URL_SAFE_NO_PAD.encode(sig))
}

fn demo_header() -> String {
    format!(r#"{{"alg":"RS256","kid":"{DEMO_KID}"}}"#)
}

fn payload_exp(exp: &str) -> String {
    format!(r#"{{"sub":"{VIDEO}","kid":"{DEMO_KID}","exp":{exp}}}"#)
}

fn malformed(reason: &'static str) -> ErrorKind {
    ErrorKind::MalformedToken { reason }
}

// ---- item 2: two key blocks ----

#[test]
fn two_private_key_blocks_are_refused_in_every_path() {
    let pkcs1 = text("demo/demo_pkcs1.pem");
    let pkcs8 = text("demo/demo_pkcs8.pem");
    let other = text("other/other_pkcs1.pem");
    let k = Some(kid(DEMO_KID));
    let two = ErrorKind::MultipleKeys { count: 2 };
    for doubled in [
        format!("{pkcs1}{pkcs1}"),
        format!("{pkcs1}\n{other}"),
        format!("{pkcs8}{pkcs1}"),
    ] {
        assert_eq!(kind(SigningKey::parse(&doubled, k)), two);
        assert_eq!(kind(PublicKey::parse(&doubled, k)), two);
        assert_eq!(kind(Verifier::parse(&doubled, k)), two);
        let b64 = STANDARD.encode(&doubled);
        assert_eq!(kind(SigningKey::parse(&b64, k)), two);
        assert_eq!(kind(SigningKey::from_base64_pem(&b64, kid(DEMO_KID))), two);
        let result = format!(r#"{{"id":"{DEMO_KID}","pem":"{b64}"}}"#);
        assert_eq!(kind(SigningKey::parse(&result, None)), two);
    }
    let double1 = format!("{pkcs1}{pkcs1}");
    assert_eq!(
        kind(SigningKey::from_pkcs1_pem(&double1, kid(DEMO_KID))),
        two
    );
    let double8 = format!("{pkcs8}{pkcs8}");
    assert_eq!(
        kind(SigningKey::from_pkcs8_pem(&double8, kid(DEMO_KID))),
        two
    );
    let three = format!("{pkcs1}{pkcs8}{other}");
    assert_eq!(
        kind(SigningKey::parse(&three, k)),
        ErrorKind::MultipleKeys { count: 3 }
    );

    // Public PEM blocks count as keys too.
    let spki = text("demo/demo_public_spki.pem");
    let public = text("demo/demo_public_pkcs1.pem");
    assert_eq!(kind(PublicKey::parse(format!("{spki}{spki}"), None)), two);
    assert_eq!(kind(Verifier::parse(format!("{spki}{public}"), None)), two);
    assert_eq!(kind(PublicKey::parse(format!("{pkcs1}{spki}"), None)), two);
}

#[test]
fn text_around_one_key_block_is_still_read() {
    let pkcs8 = text("demo/demo_pkcs8.pem");
    let want = demo_key().public_key().to_spki_der();
    // What `openssl pkcs12 -nodes` writes: bag attributes before the key,
    // a certificate (not a key) after it.
    let bundle = format!(
        "Bag Attributes\n    localKeyID: 01 02 03\n    friendlyName: stream\nKey Attributes: <No Attributes>\n{pkcs8}Bag Attributes\n    friendlyName: stream\nsubject=CN = example\n-----BEGIN CERTIFICATE-----\nAQID\n-----END CERTIFICATE-----\n"
    );
    let k = Some(kid(DEMO_KID));
    assert_eq!(
        SigningKey::parse(&bundle, k)
            .unwrap()
            .public_key()
            .to_spki_der(),
        want
    );
    assert_eq!(
        SigningKey::from_pkcs8_pem(&bundle, kid(DEMO_KID))
            .unwrap()
            .public_key()
            .to_spki_der(),
        want
    );
    assert_eq!(PublicKey::parse(&bundle, None).unwrap().to_spki_der(), want);
    let trailing = format!("{}\nsaved 2026-11-01 by ops\n", text("demo/demo_pkcs1.pem"));
    assert_eq!(
        SigningKey::parse(&trailing, k)
            .unwrap()
            .public_key()
            .to_spki_der(),
        want
    );
}

// ---- item 3: tokens and URLs that Cloudflare would refuse ----

/// The bound the crate documents, computed here independently: header and
/// payload with 32-character ids, 20-character `exp` and `nbf`,
/// `downloadable` counted, and an 8192-bit signature (1024 bytes).
fn expected_bound(rules_json: Option<usize>) -> usize {
    let b64 = |n: usize| (4 * n).div_ceil(3);
    let header = r#"{"alg":"RS256","kid":""}"#.len() + 32;
    let payload = 157 + rules_json.map_or(0, |r| r#","accessRules":"#.len() + r);
    b64(header) + 1 + b64(payload) + 1 + b64(1024)
}

fn network_rules(rules: usize, per_rule: usize) -> Vec<AccessRule> {
    (0..rules)
        .map(|r| {
            let ips: Vec<String> = (0..per_rule)
                .map(|i| format!("10.{r}.{}.{}", i / 250, i % 250))
                .collect();
            AccessRule::networks(Action::Block, ips).unwrap()
        })
        .collect()
}

fn options_with(rules: Vec<AccessRule>) -> Result<TokenOptions, cf_stream_token::Error> {
    TokenOptions::builder().access_rules(rules).build()
}

/// The most addresses one ip.src rule can hold (binary search).
fn most_that_fit() -> usize {
    let fits = |n| options_with(network_rules(1, n)).is_ok();
    let (mut lo, mut hi) = (1, 5000);
    assert!(fits(lo) && !fits(hi));
    while hi - lo > 1 {
        let mid = (lo + hi) / 2;
        if fits(mid) {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    lo
}

#[test]
fn the_limits_are_cloudflares_16_kb() {
    assert_eq!(MAX_URL_LEN, 16_384);
    assert_eq!(MAX_TOKEN_LEN, 16_128);
    assert_eq!(TokenOptions::default().max_token_len(), 1653);
    assert_eq!(expected_bound(None), 1653);
}

#[test]
fn options_whose_tokens_could_not_fit_a_url_are_refused_when_built() {
    // What the outside test did: five ip.src rules of thousands of addresses.
    let rules = network_rules(5, 2000);
    let json = serde_json::to_string(&rules).unwrap();
    assert_eq!(
        kind(options_with(rules)),
        ErrorKind::TokenTooLong {
            len: expected_bound(Some(json.len())),
            max: MAX_TOKEN_LEN
        }
    );

    // The boundary: the most addresses that fit, and one more.
    let fits = |n| options_with(network_rules(1, n));
    let n = most_that_fit();
    let last = fits(n).unwrap();
    let json = last.access_rules_json().unwrap().len();
    assert_eq!(last.max_token_len(), expected_bound(Some(json)));
    assert!(last.max_token_len() <= MAX_TOKEN_LEN);
    let over_json = serde_json::to_string(&network_rules(1, n + 1))
        .unwrap()
        .len();
    let over = expected_bound(Some(over_json));
    assert!(over > MAX_TOKEN_LEN && over - last.max_token_len() <= 20);
    assert_eq!(
        kind(fits(n + 1)),
        ErrorKind::TokenTooLong {
            len: over,
            max: MAX_TOKEN_LEN
        }
    );

    // Whatever is minted from the largest options fits the bound and
    // verifies: mint never prints a token its own verifier refuses.
    let signer = demo_signer();
    let token = signer.mint_at(at(NOW), &video(), &last).unwrap();
    assert!(token.as_str().len() <= last.max_token_len());
    assert!(token.as_str().len() > 10_000);
    let claims = signer
        .verifier()
        .verify_at(token.as_str(), at(NOW))
        .unwrap();
    assert_eq!(claims.access_rules().len(), 1);
    assert_eq!(decode_unverified(token.as_str()).unwrap().claims, claims);
}

#[test]
fn playback_urls_check_the_whole_url() {
    let big = options_with(network_rules(1, most_that_fit())).unwrap();
    let hls = Surface::Hls(Hls::new().client_bandwidth_hint(1.8));
    let suffix = "manifest/video.m3u8?clientBandwidthHint=1.8".len();

    // A 253-character host and the largest token cannot make a 16 KB URL.
    let label = "a".repeat(63);
    let host = format!("{label}.{label}.{label}.{}.example", "b".repeat(53));
    assert_eq!(host.len(), 253);
    let err = PlaybackUrls::builder(StreamHost::hostname(&host).unwrap(), video())
        .options(big.clone())
        .surface(Surface::Iframe)
        .surface(hls.clone())
        .build();
    assert_eq!(
        kind(err),
        ErrorKind::UrlTooLong {
            len: "https://".len() + 253 + 1 + big.max_token_len() + 1 + suffix,
            max: MAX_URL_LEN
        }
    );

    // The customer host leaves room: every URL minted is within the limit.
    let urls = PlaybackUrls::builder(StreamHost::customer_code("abc").unwrap(), video())
        .options(big)
        .surface(Surface::Iframe)
        .surface(hls)
        .build()
        .unwrap();
    let signed = urls.mint_at(at(NOW), &demo_signer()).unwrap();
    for url in signed.urls() {
        assert!(url.len() <= MAX_URL_LEN, "{}", url.len());
    }
    assert_eq!(
        signed.urls()[0].len(),
        "https://customer-abc.cloudflarestream.com/".len()
            + signed.token().as_str().len()
            + "/iframe".len()
    );
}

/// A token signed by the demo key of exactly `len` bytes, padded with an
/// unknown payload member (and, when base64 lengths need it, a header one).
fn token_of_len(len: usize) -> String {
    let b64 = |n: usize| (4 * n).div_ceil(3);
    // A 2048-bit signature: 256 bytes, 342 base64url characters.
    let sig = b64(256);
    for header_pad in 0..3 {
        let header = format!(
            r#"{{"alg":"RS256","kid":"{DEMO_KID}","x":"{}"}}"#,
            "h".repeat(header_pad)
        );
        let payload = |pad: usize| {
            format!(
                r#"{{"sub":"{VIDEO}","kid":"{DEMO_KID}","exp":{},"pad":"{}"}}"#,
                NOW + 60,
                "p".repeat(pad)
            )
        };
        let base = payload(0).len();
        let found = (0..len).find(|pad| b64(header.len()) + 1 + b64(base + pad) + 1 + sig == len);
        if let Some(pad) = found {
            let token = signed(&header, &payload(pad));
            assert_eq!(token.len(), len);
            return token;
        }
    }
    panic!("no token of {len} bytes");
}

#[test]
fn a_token_at_the_verifier_bound_verifies_one_byte_more_does_not() {
    let v = demo_signer().verifier();
    let at_bound = token_of_len(MAX_TOKEN_LEN);
    assert_eq!(at_bound.len(), 16_128);
    assert_eq!(v.verify_at(&at_bound, at(NOW)).unwrap().exp(), NOW + 60);
    assert_eq!(decode_unverified(&at_bound).unwrap().claims.exp(), NOW + 60);

    let over = token_of_len(MAX_TOKEN_LEN + 1);
    assert_eq!(over.len(), 16_129);
    assert_eq!(
        kind(v.verify_at(&over, at(NOW))),
        malformed("token is too long")
    );
    assert_eq!(
        kind(decode_unverified(&over)),
        malformed("token is too long")
    );
}

// ---- item 4: duplicate members ----

#[test]
fn duplicate_members_are_refused_by_verify_and_decode_alike() {
    let v = demo_signer().verifier();
    let repeated = malformed("a member name is repeated");
    let good_payload = payload_exp(&(NOW + 60).to_string());
    let cases = [
        signed(
            &format!(r#"{{"alg":"none","alg":"RS256","kid":"{DEMO_KID}"}}"#),
            &good_payload,
        ),
        signed(
            &format!(r#"{{"alg":"RS256","kid":"{DEMO_KID}","kid":"{DEMO_KID}"}}"#),
            &good_payload,
        ),
        signed(
            &format!(r#"{{"alg":"RS256","kid":"{DEMO_KID}","typ":"JWT","typ":"x"}}"#),
            &good_payload,
        ),
        signed(
            &demo_header(),
            &format!(
                r#"{{"sub":"{VIDEO}","kid":"{DEMO_KID}","exp":{},"exp":{}}}"#,
                NOW + 60,
                NOW + 7200
            ),
        ),
        signed(
            &demo_header(),
            &format!(
                r#"{{"sub":"{VIDEO}","kid":"{DEMO_KID}","exp":{},"accessRules":[{{"type":"any","action":"allow","action":"block"}}]}}"#,
                NOW + 60
            ),
        ),
    ];
    for token in &cases {
        assert_eq!(kind(v.verify_at(token, at(NOW))), repeated);
        assert_eq!(kind(decode_unverified(token)), repeated);
    }
    // The same token without the repetition is fine.
    let ok = signed(&demo_header(), &good_payload);
    assert_eq!(v.verify_at(&ok, at(NOW)).unwrap().exp(), NOW + 60);
}

// ---- item 5: crit ----

#[test]
fn any_crit_member_is_refused_null_included() {
    let v = demo_signer().verifier();
    let payload = payload_exp(&(NOW + 60).to_string());
    for crit in ["null", "[]", r#"["exp"]"#, "{}", "false"] {
        let header = format!(r#"{{"alg":"RS256","kid":"{DEMO_KID}","crit":{crit}}}"#);
        let token = signed(&header, &payload);
        assert_eq!(
            kind(v.verify_at(&token, at(NOW))),
            malformed("critical header extensions are not supported"),
            "crit {crit}"
        );
    }
}

// ---- item 6: numeric strings ----

#[test]
fn string_times_are_plain_ascii_digits() {
    let v = demo_signer().verifier();
    let exp = |s: &str| v.verify_at(&signed(&demo_header(), &payload_exp(s)), at(NOW));
    let bad_exp = malformed("exp is not a valid time");
    for s in [
        r#""+1700000060""#,
        r#""-1700000060""#,
        r#"" 1700000060""#,
        r#""1700000060 ""#,
        r#""""#,
        r#""01700000060""#,
        r#""1.7e9""#,
        r#""1700000060\u0000""#,
        r#""١٧٠٠٠٠٠٠٦٠""#,
        // Digits, but past i64 and past any date.
        r#""99999999999999999999999""#,
    ] {
        assert_eq!(kind(exp(s)), bad_exp, "exp {s}");
    }
    assert_eq!(exp(&format!("\"{}\"", NOW + 60)).unwrap().exp(), NOW + 60);
    // "0" is the one spelling with a leading zero: a valid (long past) time.
    assert_eq!(kind(exp(r#""0""#)), ErrorKind::Expired { exp: 0, now: NOW });

    let nbf = format!(
        r#"{{"sub":"{VIDEO}","kid":"{DEMO_KID}","exp":{},"nbf":"+1"}}"#,
        NOW + 60
    );
    assert_eq!(
        kind(v.verify_at(&signed(&demo_header(), &nbf), at(NOW))),
        malformed("nbf is not a valid time")
    );
    assert_eq!(
        kind(decode_unverified(&signed(&demo_header(), &nbf))),
        malformed("nbf is not a valid time")
    );
}

// ---- item 8: hosts that browsers read as IPv4 ----

#[test]
fn hosts_ending_in_a_number_are_ipv4_and_refused() {
    for host in [
        "0x7f000001",
        "0X7F000001",
        "0x7f000001:8443",
        "1.2.3.0x4",
        "1.2.3.0X4",
        "example.0x",
        "example.0xff",
        "2130706433",
        "0177.0.0.1",
        "1.2.3.04",
        "127.0.0.1",
        "video.example.08",
        "1.2.3.4:443",
    ] {
        assert_eq!(
            kind(StreamHost::hostname(host)),
            ErrorKind::InvalidUrlPart {
                what: "host",
                value: host.to_owned()
            },
            "{host}"
        );
    }
    // Not numbers to WHATWG: `0a` is neither octal nor hex, `0xg` not hex.
    for host in [
        "video.example.com",
        "1a.example",
        "x.0a",
        "example.0xg",
        "0x7f000001.example",
        "localhost:8443",
        "123.example",
    ] {
        assert_eq!(
            StreamHost::hostname(host).unwrap().as_str(),
            host.to_ascii_lowercase()
        );
    }
}

// ---- item 9: clientBandwidthHint ----

fn hint(mbps: f64) -> Result<String, cf_stream_token::Error> {
    let surface = Surface::Hls(Hls::new().client_bandwidth_hint(mbps));
    let dash = Surface::Dash(Dash::new().client_bandwidth_hint(mbps));
    let urls = PlaybackUrls::builder(StreamHost::customer_code("abc").unwrap(), video())
        .surfaces([surface.clone(), dash.clone()])
        .build()?;
    let signed = urls.mint_at(at(NOW), &demo_signer())?;
    let value = |s: &Surface| {
        signed
            .get(s)
            .unwrap()
            .split_once("clientBandwidthHint=")
            .unwrap()
            .1
            .to_owned()
    };
    assert_eq!(value(&surface), value(&dash));
    Ok(value(&surface))
}

#[test]
fn bandwidth_hints_are_bounded_and_short() {
    for (mbps, shown) in [
        (1.8, "1.8"),
        (2.0, "2"),
        (1.23456, "1.235"),
        (0.001, "0.001"),
        (0.0005, "0.001"),
        (1000.0, "1000"),
        (999.9999, "1000"),
        (0.1 + 0.2, "0.3"),
    ] {
        assert_eq!(hint(mbps).unwrap(), shown, "{mbps}");
    }
    for (mbps, echoed) in [
        (1e308, "1e308"),
        (f64::INFINITY, "inf"),
        (f64::NEG_INFINITY, "-inf"),
        (f64::NAN, "NaN"),
        (0.0, "0"),
        (-0.0, "-0"),
        (-1.0, "-1"),
        (0.0004, "0.0004"),
        (1e-300, "1e-300"),
        (1000.001, "1000.001"),
        (123456789012.5, "123456789012.5"),
        (1e17, "1e17"),
    ] {
        assert_eq!(
            kind(hint(mbps)),
            ErrorKind::InvalidUrlPart {
                what: "clientBandwidthHint",
                value: echoed.to_owned()
            },
            "{mbps}"
        );
    }
}
