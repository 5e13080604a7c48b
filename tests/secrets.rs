//! Secret audit: every public type that can hold a key, token or credential
//! shows none of it in `Debug` or `Display`, and no error built from a bad
//! key quotes the key.

use cf_stream_token::{KeyId, PublicKey, SigningKey, TokenOptions, Verifier};

use crate::common::*;

/// Runs of base64/base64url/hex characters longer than a key id (32): every
/// encoding of a key number, PEM line, JWK member or token part in `input`.
/// Key ids themselves are public and may be named in errors.
fn secret_runs(input: &[u8]) -> Vec<String> {
    let text = String::from_utf8_lossy(input);
    text.split(|c: char| !(c.is_ascii_alphanumeric() || "+/=_-".contains(c)))
        .filter(|run| run.len() > 32)
        // Public, fixed vocabulary that legitimately appears in messages.
        .filter(|run| !run.contains("PRIVATE") && !run.contains("PUBLIC"))
        .map(str::to_owned)
        .collect()
}

fn assert_hides(shown: &str, secrets: &[String], what: &str) {
    for s in secrets {
        assert!(
            !shown.contains(s.as_str()),
            "{what} shows secret {s:.20}…: {shown}"
        );
    }
}

#[test]
fn key_types_show_the_kid_only() {
    let secrets = demo_secrets();
    let key = demo_key();
    let shown = format!("{key:?}");
    assert_eq!(shown, format!("SigningKey {{ kid: \"{DEMO_KID}\", .. }}"));
    let signer = demo_signer();
    assert_eq!(
        format!("{signer:?}"),
        format!("Signer {{ kid: \"{DEMO_KID}\", .. }}")
    );
    let verifier = signer.verifier();
    assert_eq!(
        format!("{verifier:?}"),
        format!("Verifier {{ kid: Some(\"{DEMO_KID}\"), leeway_secs: 0 }}")
    );
    let public = PublicKey::parse(bytes("demo/demo_pkcs1.pem"), Some(kid(DEMO_KID))).unwrap();
    assert_eq!(
        format!("{public:?}"),
        format!("PublicKey {{ kid: Some(\"{DEMO_KID}\"), bits: 2048 }}")
    );
    for shown in [
        format!("{key:?}"),
        format!("{signer:?}"),
        format!("{verifier:?}"),
        format!("{public:?}"),
    ] {
        assert_hides(&shown, &secrets, "key type");
    }
    #[cfg(feature = "cache")]
    {
        let c = cf_stream_token::CachingSigner::builder(signer.clone())
            .build()
            .unwrap();
        let shown = format!("{c:?}");
        assert!(shown.starts_with("CachingSigner { kid: \"8f3c"), "{shown}");
        assert_hides(&shown, &secrets, "CachingSigner");
    }
}

#[test]
fn tokens_redact_their_signature_everywhere_but_display() {
    let t = demo_signer()
        .mint_at(at(NOW), &video(), &TokenOptions::default())
        .unwrap();
    let sig = t.as_str().rsplit('.').next().unwrap().to_owned();
    // The signature is what makes the token a credential; its first 16
    // characters are enough to tell whether any of it leaked.
    let leaked = [sig[..16].to_owned(), sig[sig.len() - 16..].to_owned()];
    assert_hides(&format!("{t:?}"), &leaked, "Token Debug");
    assert_hides(&format!("{:?}", t.claims()), &leaked, "Claims Debug");
    // Display is the token itself, by design: it goes into the URL.
    assert!(t.to_string().ends_with(&sig));
}

#[test]
fn verifier_errors_never_echo_the_token() {
    let t = demo_signer()
        .mint_at(at(NOW), &video(), &TokenOptions::default())
        .unwrap();
    let v = demo_signer().verifier();
    let parts: Vec<&str> = t.as_str().split('.').collect();
    let mut bad_sig = parts[2].to_owned();
    bad_sig.replace_range(
        0..2,
        if bad_sig.starts_with("AA") {
            "BB"
        } else {
            "AA"
        },
    );
    let cases = [
        t.as_str().to_owned(),                          // expired at the probe time
        format!("{}.{}.{bad_sig}", parts[0], parts[1]), // bad signature
        format!("{}.{}", parts[0], parts[1]),           // malformed
        format!("x{}", t.as_str()),                     // bad header
    ];
    for token in cases {
        let err = v.verify_at(&token, at(NOW + 86_400)).unwrap_err();
        let shown = format!("{err} {err:?}");
        assert_hides(&shown, &secret_runs(token.as_bytes()), "verifier error");
    }
}

#[test]
fn errors_from_every_bad_key_fixture_quote_none_of_it() {
    let mut files: Vec<_> = std::fs::read_dir(path("bad"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    assert!(files.len() >= 20, "the bad fixtures are all here");
    let mut checked = 0;
    for file in files {
        let input = std::fs::read(&file).unwrap();
        let secrets = secret_runs(&input);
        for k in [None, Some(KeyId::new(DEMO_KID).unwrap())] {
            let errors = [
                SigningKey::parse(&input, k).err(),
                PublicKey::parse(&input, k).err(),
                Verifier::parse(&input, k).err(),
            ];
            for err in errors.into_iter().flatten() {
                let shown = format!("{err} {err:?}");
                assert_hides(&shown, &secrets, &file.display().to_string());
                checked += 1;
            }
        }
    }
    assert!(checked > 100, "only {checked} errors checked");
}

#[test]
fn errors_from_damaged_demo_keys_quote_none_of_them() {
    let secrets = demo_secrets();
    let jwk = text("demo/demo.jwk.json");
    let pem = text("demo/demo_pkcs1.pem");
    let damaged: Vec<Vec<u8>> = vec![
        // JSON damage that makes serde quote the offending value.
        jwk.replace("\"kty\":", "\"kty\" ").into_bytes(),
        jwk.replace("\"RSA\"", "5").into_bytes(),
        jwk.replacen("\"d\":\"", "\"d\":\"*", 1).into_bytes(),
        jwk.replacen("\"d\":\"", "\"d\":[\"", 1).into_bytes(),
        jwk.replacen("\"p\":\"", "\"p\":", 1).into_bytes(),
        // PEM and DER damage.
        pem.replace("-----END RSA PRIVATE KEY-----", "")
            .into_bytes(),
        pem.as_bytes()[..pem.len() / 2].to_vec(),
        pem.replacen('M', "!", 3).into_bytes(),
        bytes("demo/demo_pkcs1.der")[..300].to_vec(),
        // A create-key response whose inner layers are damaged.
        text("demo/demo_create_result.json")
            .replacen("\"pem\": \"", "\"pem\": \"*", 1)
            .into_bytes(),
        text("demo/demo_create_result.json")
            .replacen("\"jwk\": \"", "\"jwk\": \"**", 1)
            .into_bytes(),
    ];
    for input in damaged {
        let mine = secret_runs(&input);
        for k in [None, Some(kid(DEMO_KID))] {
            if let Err(e) = SigningKey::parse(&input, k) {
                let shown = format!("{e} {e:?}");
                assert_hides(&shown, &secrets, "damaged demo key");
                assert_hides(&shown, &mine, "damaged demo key");
            }
        }
    }
}

/// The API side: credentials, the client, a created key, the fallback minter
/// in both modes, and errors built from Cloudflare's answers.
#[cfg(feature = "api")]
#[tokio::test]
async fn api_types_hide_credentials_keys_and_tokens() {
    use cf_stream_token::FallbackMinter;
    use cf_stream_token::api::Credentials;
    use serde_json::json;
    use wiremock::matchers::{method, path};
    use wiremock::{Mock, MockServer, ResponseTemplate};

    use crate::api::{API_TOKEN, builder, keys_path, ok, token_path};

    const EMAIL: &str = "audit-ops@example.com";
    const GLOBAL: &str = "0f1e2d3c4b5a69788796a5b4c3d2e1f0";
    let mut secrets = demo_secrets();
    secrets.extend([API_TOKEN.to_owned(), GLOBAL.to_owned(), EMAIL.to_owned()]);

    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(keys_path()))
        .respond_with(ok(json("demo/demo_create_result.json")))
        .mount(&server)
        .await;
    let minted = demo_signer()
        .mint_at(at(NOW), &video(), &TokenOptions::default())
        .unwrap();
    let sig = minted.as_str().rsplit('.').next().unwrap()[..24].to_owned();
    Mock::given(method("POST"))
        .and(path(token_path()))
        .respond_with(ok(json!({ "token": minted.as_str() })))
        .mount(&server)
        .await;
    // Failures that quote the credential back, as a careless server might.
    Mock::given(method("GET"))
        .and(path(keys_path()))
        .respond_with(ResponseTemplate::new(403).set_body_json(json!({
            "success": false, "messages": [], "result": null,
            "errors": [{"code": 10000, "message": "Authentication error"}],
        })))
        .mount(&server)
        .await;

    let token_creds = Credentials::api_token(API_TOKEN).unwrap();
    let global_creds = Credentials::global_api_key(EMAIL, GLOBAL).unwrap();
    let client = builder(&server).build().unwrap();
    let created = client.create_signing_key().await.unwrap();
    let local = FallbackMinter::builder()
        .signer(demo_signer())
        .build()
        .unwrap();
    let remote = FallbackMinter::builder()
        .client(builder(&server).build().unwrap())
        .clock(|| at(NOW))
        .build()
        .unwrap();
    let remote_token = remote
        .mint(&video(), &TokenOptions::default())
        .await
        .unwrap();
    let list_err = client.list_signing_keys().await.unwrap_err();
    let missing = cf_stream_token::FallbackMinterBuilder::from_env_with(|_| None).unwrap_err();

    let shown = [
        format!("{token_creds:?}"),
        format!("{global_creds:?}"),
        format!("{client:?}"),
        format!("{:?}", builder(&server)),
        format!("{created:?}"),
        format!("{local:?}"),
        format!("{remote:?}"),
        format!("{remote_token:?}"),
        format!("{list_err} {list_err:?} {:?}", list_err.api_details()),
        format!("{missing} {missing:?}"),
    ];
    for s in &shown {
        assert_hides(s, &secrets, "API type");
        assert_hides(s, std::slice::from_ref(&sig), "API type");
    }
    assert_eq!(list_err.kind(), &cf_stream_token::ErrorKind::Forbidden);
    assert_eq!(
        remote_token.as_str(),
        minted.as_str(),
        "the remote token itself is intact"
    );
}

/// A scratch directory with a way to write a file into it.
trait WriteFile {
    fn file(&self, name: &str, contents: impl AsRef<[u8]>) -> String;
}

impl WriteFile for crate::common::Scratch {
    fn file(&self, name: &str, contents: impl AsRef<[u8]>) -> String {
        let path = self.join(name);
        std::fs::write(&path, contents).unwrap();
        path.to_str().unwrap().to_owned()
    }
}

/// The environment as a list of pairs.
fn env_of(pairs: Vec<(&'static str, String)>) -> impl Fn(&str) -> Option<String> {
    move |name| {
        pairs
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, v)| v.clone())
    }
}

#[test]
fn the_signing_key_can_come_from_a_file_named_by_its_file_variable() {
    use cf_stream_token::ErrorKind;
    let dir = crate::common::Scratch::new("cf-stream-token-secrets-key-file");
    let jwk = dir.file("key.json", bytes("demo/demo.jwk.json"));
    let pem = dir.file("key.pem", bytes("demo/demo_pkcs1.pem"));
    let der = dir.file("key.der", bytes("demo/demo_pkcs8.der"));

    let key = SigningKey::from_env_with(env_of(vec![(
        "CF_STREAM_SIGNING_KEY_FILE",
        format!("{jwk}\n"),
    )]))
    .unwrap();
    assert_eq!(key.kid().as_str(), DEMO_KID);
    // PEM and DER carry no kid: CF_STREAM_KEY_ID gives it, as for the value.
    for path in [&pem, &der] {
        let key = SigningKey::from_env_with(env_of(vec![
            ("CF_STREAM_SIGNING_KEY_FILE", path.clone()),
            ("CF_STREAM_KEY_ID", DEMO_KID.to_owned()),
        ]))
        .unwrap();
        assert_eq!(key.public_key(), demo_key().public_key(), "{path}");
        let e =
            SigningKey::from_env_with(env_of(vec![("CF_STREAM_SIGNING_KEY_FILE", path.clone())]))
                .unwrap_err();
        assert_eq!(e.kind(), &ErrorKind::KeyIdRequired, "{path}");
    }
    // A blank file variable is unset.
    let key = SigningKey::from_env_with(env_of(vec![
        ("CF_STREAM_SIGNING_KEY", text("demo/demo.jwk.json")),
        ("CF_STREAM_SIGNING_KEY_FILE", " ".to_owned()),
    ]))
    .unwrap();
    assert_eq!(key.kid().as_str(), DEMO_KID);

    // Both set: an error naming both, and no key material.
    let e = SigningKey::from_env_with(env_of(vec![
        ("CF_STREAM_SIGNING_KEY", text("demo/demo.jwk.json")),
        ("CF_STREAM_SIGNING_KEY_FILE", jwk.clone()),
    ]))
    .unwrap_err();
    assert_eq!(
        e.kind(),
        &ErrorKind::ConflictingConfig {
            first: "CF_STREAM_SIGNING_KEY",
            second: "CF_STREAM_SIGNING_KEY_FILE"
        }
    );
    assert_eq!(
        e.to_string(),
        "both CF_STREAM_SIGNING_KEY and CF_STREAM_SIGNING_KEY_FILE are set: set only one"
    );

    // A missing file, a directory, a file over 1 MiB: the file's kinds,
    // without its name or contents.
    let missing = dir.join("nope.pem");
    let e = SigningKey::from_env_with(env_of(vec![(
        "CF_STREAM_SIGNING_KEY_FILE",
        missing.to_str().unwrap().to_owned(),
    )]))
    .unwrap_err();
    assert_eq!(
        e.kind(),
        &ErrorKind::KeyFileUnreadable {
            io: std::io::ErrorKind::NotFound
        }
    );
    assert!(!e.to_string().contains("nope.pem"), "{e}");
    let mut big = bytes("demo/demo_pkcs1.pem");
    big.resize((1 << 20) + 1, b'\n');
    let big = dir.file("big.pem", &big);
    let e =
        SigningKey::from_env_with(env_of(vec![("CF_STREAM_SIGNING_KEY_FILE", big)])).unwrap_err();
    assert_eq!(e.kind(), &ErrorKind::KeyFileTooLarge);
    assert_hides(&format!("{e} {e:?}"), &demo_secrets(), "too-large error");

    // A damaged key in the file: its error quotes none of it.
    let mut damaged = text("demo/demo.jwk.json");
    damaged = damaged.replacen("\"n\"", "\"m\"", 1);
    let damaged = dir.file("damaged.json", damaged);
    let e = SigningKey::from_env_with(env_of(vec![("CF_STREAM_SIGNING_KEY_FILE", damaged)]))
        .unwrap_err();
    assert!(e.is_key(), "{e:?}");
    assert_hides(&format!("{e} {e:?}"), &demo_secrets(), "damaged key error");
}

#[test]
fn the_keyring_can_come_from_a_file_named_by_its_file_variable() {
    use cf_stream_token::{ErrorKind, KEYRING_FILE_ENV, KEYRING_FILE_LIMIT, Keyring};
    assert_eq!(KEYRING_FILE_ENV, "CF_STREAM_KEYRING_FILE");
    let dir = crate::common::Scratch::new("cf-stream-token-secrets-ring-file");
    let ring = Keyring::start_at(at(NOW), &text("demo/demo_create_result.json")).unwrap();
    let doc = ring.secret_document().unwrap();
    let path = dir.file("ring.json", doc.as_bytes());

    let read = Keyring::from_env_with(env_of(vec![(
        "CF_STREAM_KEYRING_FILE",
        format!(" {path}\n"),
    )]))
    .unwrap();
    assert_eq!(read.current().kid().as_str(), DEMO_KID);

    let e = Keyring::from_env_with(env_of(vec![
        ("CF_STREAM_KEYRING", doc.to_string()),
        ("CF_STREAM_KEYRING_FILE", path.clone()),
    ]))
    .unwrap_err();
    assert_eq!(
        e.kind(),
        &ErrorKind::ConflictingConfig {
            first: "CF_STREAM_KEYRING",
            second: "CF_STREAM_KEYRING_FILE"
        }
    );
    assert_hides(&format!("{e} {e:?}"), &demo_secrets(), "conflict error");
    assert_eq!(
        Keyring::from_env_with(env_of(vec![("CF_STREAM_KEYRING_FILE", "  ".to_owned())]))
            .unwrap_err()
            .kind(),
        &ErrorKind::MissingConfig {
            name: "CF_STREAM_KEYRING"
        }
    );
    let e = Keyring::from_env_with(env_of(vec![(
        "CF_STREAM_KEYRING_FILE",
        dir.join("nope.json").to_str().unwrap().to_owned(),
    )]))
    .unwrap_err();
    assert_eq!(
        e.kind(),
        &ErrorKind::KeyringFileUnreadable {
            io: std::io::ErrorKind::NotFound
        }
    );
    let mut big = doc.as_bytes().to_vec();
    big.resize(usize::try_from(KEYRING_FILE_LIMIT).unwrap() + 1, b' ');
    let big = dir.file("big.json", &big);
    let e = Keyring::from_env_with(env_of(vec![("CF_STREAM_KEYRING_FILE", big)])).unwrap_err();
    assert_eq!(e.kind(), &ErrorKind::KeyringFileTooLarge);
    let latin1 = dir.file("latin1.json", b"{\"keys\":[\xe9]}");
    let e = Keyring::from_env_with(env_of(vec![("CF_STREAM_KEYRING_FILE", latin1)])).unwrap_err();
    assert_eq!(
        e.kind(),
        &ErrorKind::InvalidKeyring {
            reason: "the file is not UTF-8"
        }
    );
    // A damaged document: its error quotes none of the keys.
    let pem_at = doc
        .find("\"pem\"")
        .expect("the ring keeps the create-key result")
        + 300;
    let mut damaged = doc.as_bytes().to_vec();
    damaged[pem_at] = if damaged[pem_at] == b'A' { b'B' } else { b'A' };
    let damaged = dir.file("damaged.json", damaged);
    let e = Keyring::from_env_with(env_of(vec![("CF_STREAM_KEYRING_FILE", damaged)])).unwrap_err();
    assert!(
        matches!(e.kind(), ErrorKind::KeyringKeyUnusable { index: 0, .. }),
        "{e:?}"
    );
    assert_hides(&format!("{e} {e:?}"), &demo_secrets(), "damaged ring error");
}
