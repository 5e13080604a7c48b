//! What the library's messages say: times in RFC 3339 with a human span,
//! the country code meant, why a host is refused, a URL where a token
//! belongs, and no command-line advice to a service's operator.

use std::time::Duration;

use cf_stream_token::{ErrorKind, StreamHost, TokenOptions};

use crate::common::*;

fn mint_err(opts: TokenOptions) -> String {
    demo_signer()
        .mint_at(at(NOW), &video(), &opts)
        .unwrap_err()
        .to_string()
}

// NOW is 2023-11-14T22:13:20Z.

#[test]
fn an_expiry_past_the_cap_says_when_and_how_far() {
    let opts = TokenOptions::builder()
        .expires_at(at(NOW + 25 * 3600))
        .build()
        .unwrap();
    assert_eq!(
        mint_err(opts),
        "exp 2023-11-15T23:13:20Z is 25h after signing, over the 24-hour cap \
         (latest allowed 2023-11-15T22:13:20Z)"
    );
    let opts = TokenOptions::builder()
        .expires_at(at(NOW - 300))
        .build()
        .unwrap();
    assert_eq!(
        mint_err(opts),
        "exp 2023-11-14T22:08:20Z is not after the signing time 2023-11-14T22:13:20Z \
         (5m before it)"
    );
    let e = TokenOptions::builder()
        .not_before(at(NOW + 7200))
        .expires_at(at(NOW + 3600))
        .build()
        .unwrap_err();
    assert_eq!(
        e.to_string(),
        "nbf 2023-11-15T00:13:20Z is not before exp 2023-11-14T23:13:20Z (1h after it)"
    );
    let e = TokenOptions::builder()
        .lifetime(Duration::from_secs(24 * 3600 + 90))
        .build()
        .unwrap_err();
    assert_eq!(
        e.to_string(),
        "token lifetime of 24h1m30s exceeds the 24-hour cap"
    );
}

#[test]
fn verification_times_say_when_and_how_long_ago() {
    let signer = demo_signer();
    let token = signer
        .mint_at(at(NOW), &video(), &TokenOptions::default())
        .unwrap();
    let e = signer
        .verifier()
        .verify_at(token.as_str(), at(NOW + 3600 + 90))
        .unwrap_err();
    assert_eq!(
        e.to_string(),
        "token expired at 2023-11-14T23:13:20Z, 1m30s ago (now 2023-11-14T23:14:50Z)"
    );
    let later = TokenOptions::builder()
        .not_before(at(NOW + 600))
        .build()
        .unwrap();
    let token = signer.mint_at(at(NOW), &video(), &later).unwrap();
    let e = signer
        .verifier()
        .verify_at(token.as_str(), at(NOW))
        .unwrap_err();
    assert_eq!(
        e.to_string(),
        "token is not valid before 2023-11-14T22:23:20Z, 10m from now \
         (now 2023-11-14T22:13:20Z)"
    );
}

#[test]
fn keyring_times_are_rfc3339() {
    let kid = || DEMO_KID.to_owned();
    for (kind, text) in [
        (
            ErrorKind::KeyTooYoung {
                kid: kid(),
                ready_at: NOW,
            },
            format!(
                "next key {DEMO_KID} is too young to promote; it may be promoted from 2023-11-14T22:13:20Z"
            ),
        ),
        (
            ErrorKind::RetireTooEarly {
                kid: kid(),
                safe_at: NOW,
            },
            format!(
                "previous key {DEMO_KID} may still have tokens playing; it can be retired from 2023-11-14T22:13:20Z"
            ),
        ),
        (
            ErrorKind::TokenOutlivesRing {
                exp: NOW + 7200,
                max: NOW + 3600,
            },
            "exp 2023-11-15T00:13:20Z is 1h past the keyring's maximum token lifetime \
             (latest allowed 2023-11-14T23:13:20Z)"
                .to_owned(),
        ),
    ] {
        assert_eq!(kind.to_string(), text);
    }
    // A time RFC 3339 cannot show is still shown, as a unix time.
    let shown = ErrorKind::Expired {
        exp: i64::MIN,
        now: NOW,
    }
    .to_string();
    assert!(
        shown.starts_with(&format!("token expired at unix time {}, ", i64::MIN)),
        "{shown}"
    );
    assert!(
        shown.ends_with(" ago (now 2023-11-14T22:13:20Z)"),
        "{shown}"
    );
}

#[test]
fn a_refused_host_says_why() {
    for (host, why) in [
        ("", "the host is empty"),
        (
            "https://videos.example.com",
            "give the host name alone, without a scheme (playback URLs are https)",
        ),
        (
            "videos.example.com/hls",
            "give the host name alone, without a path",
        ),
        (
            "user@videos.example.com",
            "give the host name alone, without a user",
        ),
        (
            "203.0.113.7",
            "an IP address is not a host name: give a DNS name (a loopback address is allowed \
             over http, as in http://127.0.0.1:8080)",
        ),
        (
            "[2001:db8::1]",
            "an IP address is not a host name: give a DNS name (a loopback address is allowed \
             over http, as in http://127.0.0.1:8080)",
        ),
        ("videos.example.com.", "drop the trailing dot"),
        (
            "videos.example.com:0443",
            "the port must be 1 to 65535, without a leading zero",
        ),
        (
            "videos.example.com:70000",
            "the port must be 1 to 65535, without a leading zero",
        ),
        (
            "0x7f000001",
            "its last label is a number, so browsers read it as an IPv4 address: give a DNS name",
        ),
        (
            "-videos.example.com",
            "expected a DNS name (labels of 1 to 63 of A-Z, a-z, 0-9 and '-', not starting or \
             ending with '-') and an optional :PORT",
        ),
    ] {
        let e = StreamHost::hostname(host).unwrap_err();
        assert!(
            matches!(e.kind(), ErrorKind::InvalidUrlPart { what: "host", .. }),
            "{host}"
        );
        assert_eq!(e.to_string(), format!("invalid host {host:?}: {why}"));
    }
    let long = format!("{}.example", "a.".repeat(130));
    assert!(
        StreamHost::hostname(&long)
            .unwrap_err()
            .to_string()
            .ends_with(": a host name is at most 253 characters")
    );
}

#[test]
fn a_url_given_for_a_token_says_so() {
    let verifier = demo_signer().verifier();
    for given in [
        "https://customer-f33zs165nr7gyfy4.cloudflarestream.com/ea95132c15732412d22c1476fa83f27a/manifest/video.m3u8",
        "customer-f33zs165nr7gyfy4.cloudflarestream.com/abc.def.ghi/iframe",
    ] {
        let e = verifier.verify_at(given, at(NOW)).unwrap_err();
        assert_eq!(
            e.to_string(),
            "malformed token: this is a URL or a path, not a token (a signed URL's token is \
             its first path segment)"
        );
    }
}

/// A service's operator reads these: they name the library's settings,
/// never the command line's flags.
#[test]
fn library_messages_give_no_command_line_advice() {
    let path = cf_stream_token::SigningKey::from_env_with(|name| {
        (name == "CF_STREAM_SIGNING_KEY").then(|| "/etc/stream/key.pem".to_owned())
    })
    .unwrap_err();
    let pem = cf_stream_token::SigningKey::parse(
        std::fs::read(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/fixtures/demo/demo_pkcs8.pem"
        ))
        .unwrap(),
        None,
    )
    .unwrap_err();
    assert_eq!(
        path.to_string(),
        "CF_STREAM_SIGNING_KEY looks like a path, not a key: set it to the key's contents, or \
         read the file with SigningKey::from_file"
    );
    assert_eq!(
        pem.to_string(),
        "this key form (PEM or DER) carries no key id; give one with the key (CF_STREAM_KEY_ID \
         beside CF_STREAM_SIGNING_KEY)"
    );
    for e in [path, pem] {
        let text = e.to_string();
        assert!(
            !text.contains("--") && !text.contains("command line"),
            "{text}"
        );
    }
}
