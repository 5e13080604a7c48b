//! The command line's own advice beside the library's messages, and a URL
//! that carries no token.

use super::*;

#[test]
fn the_command_line_adds_its_flag_to_the_librarys_message() {
    let pem = fixture("demo/demo_pkcs8.pem");
    let msg = cli(&["mint", "--key", &pem, "--video", VIDEO]).fails(1);
    assert!(
        msg.ends_with(
            "this key form (PEM or DER) carries no key id; give one with the key \
             (CF_STREAM_KEY_ID beside CF_STREAM_SIGNING_KEY); or pass --key-id"
        ),
        "{msg}"
    );
    let msg = cli(&["mint", "--video", VIDEO])
        .env("CF_STREAM_SIGNING_KEY", "/etc/stream/key.pem")
        .fails(1);
    assert!(
        msg.ends_with("or read the file with SigningKey::from_file; or pass --key FILE"),
        "{msg}"
    );
}

#[test]
fn a_url_without_a_token_says_so() {
    let expected = "the URL carries no token: a signed URL's first path segment is the token \
                    (https://HOST/TOKEN/manifest/video.m3u8), where an unsigned one has the \
                    video id";
    for url in [
        format!(
            "https://customer-f33zs165nr7gyfy4.cloudflarestream.com/{VIDEO}/manifest/video.m3u8"
        ),
        "https://customer-f33zs165nr7gyfy4.cloudflarestream.com/".to_owned(),
    ] {
        assert_eq!(cli(&["inspect", &url]).fails(1), expected);
    }
    // Without a scheme, the library sees a path where a token belongs.
    assert_eq!(
        cli(&[
            "inspect",
            "customer-f33zs165nr7gyfy4.cloudflarestream.com/a.b.c/iframe"
        ])
        .fails(1),
        "malformed token: this is a URL or a path, not a token (a signed URL's token is its \
         first path segment)"
    );
}
