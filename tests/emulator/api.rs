//! The emulator's API: Cloudflare's shapes, through the crate's client and
//! raw HTTP.

use std::time::{Duration, Instant};

use base64::Engine as _;
use cf_stream_token::api::{Client, Credentials};
use cf_stream_token::emulator::{Emulator, MAX_KEYS_PER_ACCOUNT};
use cf_stream_token::{AccessRule, Action, ErrorKind, KeyId, PublicKey, SigningKey, TokenOptions};
use reqwest::Method;
use serde_json::{Value, json};

use super::*;

fn is_hex32(s: &str) -> bool {
    s.len() == 32
        && s.bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

#[tokio::test]
async fn create_answers_cloudflares_exact_shapes_and_the_crate_loads_them() {
    let e = emulator().await;
    let (status, _, body) = api_call(
        &e,
        Method::POST,
        &format!("/accounts/{ACCOUNT}/stream/keys"),
        Some(json!({})),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(body["success"], true);
    assert_eq!(body["errors"], json!([]));
    assert_eq!(body["messages"], json!([]));
    let result = &body["result"];
    let members: Vec<&str> = result
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(members.len(), 4, "{members:?}");
    let id = result["id"].as_str().unwrap();
    assert!(is_hex32(id), "{id}");
    assert_eq!(result["created"], "2023-11-14T22:13:20Z");

    let std = base64::engine::general_purpose::STANDARD;
    let pem = String::from_utf8(std.decode(result["pem"].as_str().unwrap()).unwrap()).unwrap();
    assert!(
        pem.starts_with("-----BEGIN RSA PRIVATE KEY-----\n"),
        "{}",
        &pem[..40]
    );
    assert!(pem.ends_with("-----END RSA PRIVATE KEY-----\n"));
    let jwk_text = String::from_utf8(std.decode(result["jwk"].as_str().unwrap()).unwrap()).unwrap();
    let order: Vec<&str> = jwk_text.split('"').skip(1).step_by(4).take(12).collect();
    assert_eq!(
        order,
        [
            "use", "kty", "kid", "alg", "n", "e", "d", "p", "q", "dp", "dq", "qi"
        ]
    );
    let jwk: Value = serde_json::from_str(&jwk_text).unwrap();
    assert_eq!(
        (
            &jwk["use"],
            &jwk["kty"],
            &jwk["kid"],
            &jwk["alg"],
            &jwk["e"]
        ),
        (
            &json!("sig"),
            &json!("RSA"),
            &json!(id),
            &json!("RS256"),
            &json!("AQAB")
        )
    );

    // Every form the answer carries loads with the crate's own parser.
    let whole = SigningKey::parse(result.to_string(), None).unwrap();
    assert_eq!(whole.kid().as_str(), id);
    assert_eq!(whole.bits(), 2048);
    let from_pem = SigningKey::parse(
        result["pem"].as_str().unwrap(),
        Some(KeyId::new(id).unwrap()),
    )
    .unwrap();
    let from_jwk = SigningKey::parse(result["jwk"].as_str().unwrap(), None).unwrap();
    assert!(from_pem.public_key() == whole.public_key());
    assert!(from_jwk.public_key() == whole.public_key());

    // List shows {id, created} only; the private half is never shown again.
    let (status, _, list) = api_call(
        &e,
        Method::GET,
        &format!("/accounts/{ACCOUNT}/stream/keys"),
        None,
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(
        list["result"],
        json!([{ "id": id, "created": "2023-11-14T22:13:20Z" }])
    );
}

#[tokio::test]
async fn create_mint_play_delete_then_revoked() {
    let e = emulator().await;
    let c = client(&e);
    let created = c.create_signing_key().await.unwrap();
    let kid = *created.id();
    assert_eq!(created.created(), Some(at(NOW)));
    let signer = Signer::new(created.into_signing_key().unwrap());
    let token = mint(&signer, NOW, &TokenOptions::default());
    assert_eq!(
        verdict(&e, &token, "manifest/video.m3u8").await,
        (200, None)
    );

    let listed = c.list_signing_keys().await.unwrap();
    assert_eq!(listed.iter().map(|k| *k.id()).collect::<Vec<_>>(), [kid]);
    assert_eq!(e.keys(&account()), [kid]);

    c.delete_signing_key(&kid).await.unwrap();
    assert_eq!(
        verdict(&e, &token, "manifest/video.m3u8").await,
        (401, Some("revoked-key".to_owned()))
    );
    assert!(c.list_signing_keys().await.unwrap().is_empty());
    // Deleting it again: it is no longer a key of the account.
    let err = c.delete_signing_key(&kid).await.unwrap_err();
    assert_eq!(err.kind(), &ErrorKind::NotFound);
}

#[tokio::test]
async fn delete_answers_ok_and_an_unknown_key_is_a_404_with_an_error_entry() {
    let e = emulator().await;
    let signer = created_signer(&e).await;
    let (status, _, body) = api_call(
        &e,
        Method::DELETE,
        &format!("/accounts/{ACCOUNT}/stream/keys/{}", signer.kid()),
        None,
    )
    .await;
    assert_eq!(
        (status, &body["success"], &body["result"]),
        (200, &json!(true), &json!("ok"))
    );

    let (status, _, body) = api_call(
        &e,
        Method::DELETE,
        &format!("/accounts/{ACCOUNT}/stream/keys/{OTHER_KID}"),
        None,
    )
    .await;
    assert_eq!(status, 404);
    assert_eq!(body["success"], false);
    assert_eq!(body["errors"][0]["code"], 10003);
    assert_eq!(body["errors"][0]["message"], "signing key not found");
    assert_eq!(body["result"], Value::Null);
}

#[tokio::test]
async fn keys_are_per_account() {
    let e = emulator().await;
    let signer = created_signer(&e).await;
    let other: AccountId = "ffffffffffffffffffffffffffffffff".parse().unwrap();
    let c2 = Client::builder(other, Credentials::api_token(API_TOKEN).unwrap())
        .base_url(e.api_base_url())
        .build()
        .unwrap();
    assert!(c2.list_signing_keys().await.unwrap().is_empty());
    assert_eq!(
        c2.delete_signing_key(signer.kid())
            .await
            .unwrap_err()
            .kind(),
        &ErrorKind::NotFound
    );
    assert_eq!(client(&e).list_signing_keys().await.unwrap().len(), 1);
}

#[tokio::test]
async fn authentication_failures_give_code_10000() {
    let e = Emulator::builder()
        .api_token(API_TOKEN)
        .read_only_api_token("read-only-token")
        .global_api_key("ops@example.com", "global-key-1")
        .start()
        .await
        .unwrap();
    let url = format!("{}/accounts/{ACCOUNT}/stream/keys", e.api_base_url());
    let cases: Vec<(reqwest::RequestBuilder, u16)> = vec![
        (http().get(&url), 401),
        (http().get(&url).bearer_auth("wrong-token"), 401),
        (http().get(&url).header("authorization", "Basic abc"), 401),
        (
            http()
                .get(&url)
                .header("x-auth-email", "ops@example.com")
                .header("x-auth-key", "wrong"),
            401,
        ),
        (
            http().get(&url).header("x-auth-email", "ops@example.com"),
            401,
        ),
        (
            http().post(&url).bearer_auth("read-only-token").body("{}"),
            403,
        ),
    ];
    for (req, want) in cases {
        let r = req.send().await.unwrap();
        assert_eq!(r.status().as_u16(), want);
        let body: Value = r.json().await.unwrap();
        assert_eq!(body["success"], false);
        assert_eq!(body["errors"][0]["code"], 10000);
        assert_eq!(body["errors"][0]["message"], "Authentication error");
    }
    // What does work: the global key for everything, the read-only token for listing.
    let r = http()
        .post(&url)
        .header("x-auth-email", "ops@example.com")
        .header("x-auth-key", "global-key-1")
        .body("{}")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let r = http()
        .get(&url)
        .bearer_auth("read-only-token")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["result"].as_array().unwrap().len(), 1);

    // The client reads it as Unauthorized.
    let wrong = Client::builder(account(), Credentials::api_token("nope").unwrap())
        .base_url(e.api_base_url())
        .build()
        .unwrap();
    assert_eq!(
        wrong.list_signing_keys().await.unwrap_err().kind(),
        &ErrorKind::Unauthorized
    );
    let global = Client::builder(
        account(),
        Credentials::global_api_key("ops@example.com", "global-key-1").unwrap(),
    )
    .base_url(e.api_base_url())
    .build()
    .unwrap();
    assert_eq!(global.list_signing_keys().await.unwrap().len(), 1);
}

#[tokio::test]
async fn bad_ids_and_unknown_routes() {
    let e = emulator().await;
    let (status, _, body) =
        api_call(&e, Method::GET, "/accounts/not%2Fan-id/stream/keys", None).await;
    assert_eq!((status, &body["errors"][0]["code"]), (400, &json!(7003)));
    let (status, _, body) = api_call(
        &e,
        Method::GET,
        &format!("/accounts/{ACCOUNT}/stream/nothing"),
        None,
    )
    .await;
    assert_eq!((status, &body["errors"][0]["code"]), (404, &json!(7000)));
    let (status, _, body) = api_call(
        &e,
        Method::POST,
        &format!("/accounts/{ACCOUNT}/stream/not-a-video/token"),
        None,
    )
    .await;
    assert_eq!((status, &body["errors"][0]["code"]), (400, &json!(7003)));
}

#[tokio::test]
async fn an_account_holds_at_most_1000_keys() {
    let e = emulator().await;
    assert_eq!(MAX_KEYS_PER_ACCOUNT, 1000);
    let spki = text("demo/demo_public_spki.pem");
    for i in 0..1000u32 {
        let kid = KeyId::new(&format!("{i:032x}")).unwrap();
        let key = PublicKey::parse(&spki, Some(kid)).unwrap();
        e.import_public_key(&account(), &key).unwrap();
    }
    let (status, _, body) = api_call(
        &e,
        Method::POST,
        &format!("/accounts/{ACCOUNT}/stream/keys"),
        Some(json!({})),
    )
    .await;
    assert_eq!(status, 400);
    assert_eq!(body["errors"][0]["code"], 10011);
    assert_eq!(
        body["errors"][0]["message"],
        "an account can have at most 1000 signing keys"
    );
    assert_eq!(client(&e).list_signing_keys().await.unwrap().len(), 1000);
    let one_more = PublicKey::parse(&spki, Some(KeyId::new("x1001").unwrap())).unwrap();
    assert!(matches!(
        e.import_public_key(&account(), &one_more)
            .unwrap_err()
            .kind(),
        ErrorKind::InvalidConfig { .. }
    ));
    // Deleting one makes room again.
    client(&e)
        .delete_signing_key(&KeyId::new(&format!("{:032x}", 7)).unwrap())
        .await
        .unwrap();
    assert!(client(&e).create_signing_key().await.is_ok());
}

#[tokio::test]
async fn a_smaller_cap_can_be_configured() {
    let e = Emulator::builder()
        .api_token(API_TOKEN)
        .max_keys_per_account(1)
        .start()
        .await
        .unwrap();
    let c = client(&e);
    c.create_signing_key().await.unwrap();
    let err = c.create_signing_key().await.unwrap_err();
    assert_eq!(err.kind(), &ErrorKind::ApiError { status: 400 });
    assert!(err.api_details().unwrap().has_code(10011));
}

#[tokio::test]
async fn the_token_endpoint_mirrors_cloudflares_sample_and_its_tokens_play() {
    let e = emulator().await;
    let (status, _, body) = api_call(
        &e,
        Method::POST,
        &format!("/accounts/{ACCOUNT}/stream/{VIDEO}/token"),
        None,
    )
    .await;
    assert_eq!(status, 200);
    let token = body["result"]["token"].as_str().unwrap().to_owned();
    let cf_stream_token::dangerous::Unverified { header, claims, .. } =
        cf_stream_token::dangerous::decode_unverified(&token).unwrap();
    let kid = header.kid().unwrap();
    assert_eq!(
        (header.alg(), header.typ(), header.has_crit()),
        ("RS256", None, false)
    );
    assert!(header.other_members().is_empty());
    assert!(is_hex32(kid));
    // exp and nbf are strings, as in the documented sample.
    let payload = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(token.split('.').nth(1).unwrap())
        .unwrap();
    assert_eq!(
        String::from_utf8(payload).unwrap(),
        format!(
            r#"{{"sub":"{VIDEO}","kid":"{kid}","exp":"{}","nbf":"{}"}}"#,
            NOW + 3600,
            NOW - 3600
        )
    );
    assert_eq!((claims.exp(), claims.nbf()), (NOW + 3600, Some(NOW - 3600)));
    assert_eq!(verdict(&e, &token, "iframe").await, (200, None));
    // The emulator's own key is not one of the account's listed keys.
    assert!(client(&e).list_signing_keys().await.unwrap().is_empty());
    // The same key signs the account's next token.
    let (_, _, again) = api_call(
        &e,
        Method::POST,
        &format!("/accounts/{ACCOUNT}/stream/{VIDEO}/token"),
        Some(json!({})),
    )
    .await;
    let again =
        cf_stream_token::dangerous::decode_unverified(again["result"]["token"].as_str().unwrap())
            .unwrap();
    assert_eq!(again.header.kid(), Some(kid));
}

#[tokio::test]
async fn remote_tokens_through_the_client_carry_and_enforce_the_options() {
    let e = emulator().await;
    let opts = TokenOptions::builder()
        .lifetime(Duration::from_secs(600))
        .downloadable(true)
        .access_rules([
            AccessRule::countries(Action::Block, ["FR"]).unwrap(),
            AccessRule::countries(Action::Block, ["T1"]).unwrap(),
        ])
        .build()
        .unwrap();
    let token = client(&e)
        .create_token_at(at(NOW), &video(), &opts)
        .await
        .unwrap();
    assert_eq!(token.exp(), NOW + 600);
    assert!(token.claims().downloadable());
    assert_eq!(token.claims().access_rules().len(), 2);
    let t = token.as_str();
    assert_eq!(verdict(&e, t, "downloads/default.mp4").await.0, 200);
    let fr = play_as(&e, t, "iframe", &[("cf-ipcountry", "FR")]).await;
    assert_eq!(
        (fr.status, fr.reason.as_deref()),
        (403, Some("blocked-by-rule:1"))
    );
    e.advance(Duration::from_secs(600)).unwrap();
    assert_eq!(
        verdict(&e, t, "iframe").await,
        (401, Some("expired".to_owned()))
    );
}

/// A string `exp`/`nbf` in the body is read as a token's are (one reader,
/// `crate::jws`): ASCII digits, no sign, blank or leading zero.
#[tokio::test]
async fn the_token_endpoint_reads_string_times_as_the_verifier_does() {
    let e = emulator().await;
    let path = format!("/accounts/{ACCOUNT}/stream/{VIDEO}/token");
    let exp = NOW + 3600;
    for (body, message) in [
        (
            json!({ "exp": format!("+{exp}") }),
            "exp is not a unix time",
        ),
        (
            json!({ "exp": format!(" {exp}") }),
            "exp is not a unix time",
        ),
        (
            json!({ "exp": format!("0{exp}") }),
            "exp is not a unix time",
        ),
        (json!({ "exp": exp, "nbf": "+5" }), "nbf is not a unix time"),
        (json!({ "exp": 1.5 }), "the body is not a token request"),
    ] {
        let (status, _, answer) = api_call(&e, Method::POST, &path, Some(body.clone())).await;
        assert_eq!(status, 400, "{body}");
        assert_eq!(answer["errors"][0]["code"], 10005);
        let got = answer["errors"][0]["message"].as_str().unwrap();
        assert!(got.contains(message), "{body}: {got}");
    }
    let (status, _, _) = api_call(
        &e,
        Method::POST,
        &path,
        Some(json!({ "exp": exp.to_string() })),
    )
    .await;
    assert_eq!(status, 200);
}

#[tokio::test]
async fn the_token_endpoint_refuses_what_cloudflare_documents_as_refused() {
    let e = emulator().await;
    let path = format!("/accounts/{ACCOUNT}/stream/{VIDEO}/token");
    for (body, message) in [
        (
            json!({ "exp": NOW + 86_401 }),
            "is 24h1s after signing, over the 24-hour cap",
        ),
        (json!({ "exp": NOW }), "is not after"),
        (
            json!({ "id": DEMO_KID }),
            "id and pem must be given together",
        ),
        (json!({ "exp": "soon" }), "exp is not a unix time"),
        (
            json!({ "accessRules": [{ "type": "any", "action": "maybe" }] }),
            "the body is not a token request",
        ),
    ] {
        let (status, _, answer) = api_call(&e, Method::POST, &path, Some(body.clone())).await;
        assert_eq!(status, 400, "{body}");
        assert_eq!(answer["success"], false);
        assert_eq!(answer["errors"][0]["code"], 10005);
        let got = answer["errors"][0]["message"].as_str().unwrap();
        assert!(got.contains(message), "{body}: {got}");
    }
    // Exactly 24 hours is allowed, and exp as a string too.
    let (status, _, _) = api_call(
        &e,
        Method::POST,
        &path,
        Some(json!({ "exp": (NOW + 86_400).to_string() })),
    )
    .await;
    assert_eq!(status, 200);
}

/// Cloudflare's token endpoint checks a rule list's shape, not whether each
/// rule decides something: an allow-only list gets a token (the crate's
/// own builder refuses it), and with no rule that blocks, everyone plays.
#[tokio::test]
async fn the_token_endpoint_accepts_an_allow_only_list_as_cloudflare_does() {
    let allow_gb = json!({ "type": "ip.geoip.country", "action": "allow", "country": ["GB"] });
    let strict = TokenOptions::builder()
        .access_rule(AccessRule::countries(Action::Allow, ["GB"]).unwrap())
        .build()
        .unwrap_err();
    assert!(
        matches!(strict.kind(), ErrorKind::RuleHasNoEffect { rule: 1, .. }),
        "{strict:?}"
    );

    let e = emulator().await;
    let path = format!("/accounts/{ACCOUNT}/stream/{VIDEO}/token");
    let (status, _, body) = api_call(
        &e,
        Method::POST,
        &path,
        Some(json!({ "accessRules": [allow_gb.clone()] })),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let token = body["result"]["token"].as_str().unwrap();
    let claims = cf_stream_token::dangerous::decode_unverified(token)
        .unwrap()
        .claims;
    assert_eq!(
        claims.access_rules(),
        [AccessRule::countries(Action::Allow, ["GB"]).unwrap()]
    );
    for country in ["GB", "US"] {
        let played = play_as(&e, token, "iframe", &[("cf-ipcountry", country)]).await;
        assert_eq!((played.status, played.reason), (200, None), "{country}");
    }

    // The shape is still checked: six rules, a rule after `any`, a bad
    // country.
    let any = json!({ "type": "any", "action": "allow" });
    for (rules, message) in [
        (json!(vec![allow_gb.clone(); 6]), "at most 5"),
        (json!([any, allow_gb]), "follows an `any` rule"),
        (
            json!([{ "type": "ip.geoip.country", "action": "allow", "country": ["UK"] }]),
            "the body is not a token request",
        ),
    ] {
        let (status, _, answer) = api_call(
            &e,
            Method::POST,
            &path,
            Some(json!({ "accessRules": rules })),
        )
        .await;
        assert_eq!(status, 400, "{rules}");
        assert_eq!(answer["errors"][0]["code"], 10005);
        let got = answer["errors"][0]["message"].as_str().unwrap();
        assert!(got.contains(message), "{rules}: {got}");
    }
}

#[tokio::test]
async fn the_token_endpoint_signs_with_a_key_sent_as_id_and_pem() {
    let e = emulator().await;
    e.import_public_key(&account(), demo_signer().key().public_key())
        .unwrap();
    let (status, _, body) = api_call(
        &e,
        Method::POST,
        &format!("/accounts/{ACCOUNT}/stream/{VIDEO}/token"),
        Some(json!({ "id": DEMO_KID, "pem": text("demo/demo_pkcs1.pem.b64").trim(), "downloadable": true })),
    )
    .await;
    assert_eq!(status, 200);
    let token = body["result"]["token"].as_str().unwrap();
    let claims = demo_signer().verifier().verify_at(token, at(NOW)).unwrap();
    assert_eq!(claims.kid().as_str(), DEMO_KID);
    assert!(claims.downloadable());
    assert_eq!(verdict(&e, token, "downloads/audio.m4a").await.0, 200);
}

#[tokio::test]
async fn the_rate_limit_answers_429_code_971_with_cloudflares_headers() {
    let e = Emulator::builder()
        .api_token(API_TOKEN)
        .api_token("second-token")
        .rate_limit(3, Duration::from_secs(60))
        .clock_at(at(NOW))
        .start()
        .await
        .unwrap();
    let path = format!("/accounts/{ACCOUNT}/stream/keys");
    for remaining in [2, 1, 0] {
        let (status, h, _) = api_call(&e, Method::GET, &path, None).await;
        assert_eq!(status, 200);
        assert_eq!(
            h["ratelimit"],
            format!("\"default\";r={remaining};t=60").as_str()
        );
        assert_eq!(h["ratelimit-policy"], "\"default\";q=3;w=60");
        assert!(h.get("retry-after").is_none());
    }
    e.advance(Duration::from_secs(20)).unwrap();
    let (status, h, body) = api_call(&e, Method::GET, &path, None).await;
    assert_eq!(status, 429);
    assert_eq!(h["retry-after"], "40");
    assert_eq!(h["ratelimit"], "\"default\";r=0;t=40");
    assert_eq!(h["ratelimit-policy"], "\"default\";q=3;w=60");
    assert_eq!(body["errors"][0]["code"], 971);
    assert_eq!(
        body["errors"][0]["message"],
        "Please wait and consider throttling your request speed"
    );
    // The client reads it, and does not wait 40 s.
    let err = Client::builder(account(), Credentials::api_token(API_TOKEN).unwrap())
        .base_url(e.api_base_url())
        .build()
        .unwrap()
        .list_signing_keys()
        .await
        .unwrap_err();
    assert_eq!(
        err.kind(),
        &ErrorKind::RateLimited {
            retry_after: Some(Duration::from_secs(40))
        }
    );
    // Per credential: the second token has its own quota.
    let r = http()
        .get(format!("{}{path}", e.api_base_url()))
        .bearer_auth("second-token")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    // A new window once the old one ends.
    e.advance(Duration::from_secs(40)).unwrap();
    assert_eq!(api_call(&e, Method::GET, &path, None).await.0, 200);
}

#[tokio::test]
async fn the_default_rate_limit_is_1200_per_5_minutes() {
    let e = emulator().await;
    let (_, h, _) = api_call(
        &e,
        Method::GET,
        &format!("/accounts/{ACCOUNT}/stream/keys"),
        None,
    )
    .await;
    assert_eq!(h["ratelimit-policy"], "\"default\";q=1200;w=300");
    assert_eq!(h["ratelimit"], "\"default\";r=1199;t=300");
}

#[tokio::test]
async fn it_starts_in_under_a_second_and_makes_up_a_token_when_given_none() {
    let t = Instant::now();
    let e = Emulator::start().await.unwrap();
    let took = t.elapsed();
    assert!(took < Duration::from_secs(1), "start took {took:?}");
    let token = e.secret_api_token().unwrap().to_owned();
    assert_eq!(token.len(), 40);
    assert_eq!(
        format!("{e:?}"),
        format!("Emulator {{ addr: {}, .. }}", e.local_addr())
    );
    let c = Client::builder(account(), Credentials::api_token(token).unwrap())
        .base_url(e.api_base_url())
        .build()
        .unwrap();
    assert!(c.list_signing_keys().await.unwrap().is_empty());
    assert_eq!(
        e.api_base_url(),
        format!("http://{}/client/v4", e.local_addr())
    );
    assert_eq!(e.playback_base_url(), format!("http://{}", e.local_addr()));
    assert_eq!(
        e.control_base_url(),
        format!("http://{}/__emulator", e.local_addr())
    );
}

#[tokio::test]
async fn dropping_the_handle_stops_the_server_and_its_open_connections() {
    let e = emulator().await;
    let url = format!("{}/accounts/{ACCOUNT}/stream/keys", e.api_base_url());
    // A keep-alive connection, open when the handle goes.
    let kept = reqwest::Client::new();
    let r = kept.get(&url).bearer_auth(API_TOKEN).send().await.unwrap();
    assert_eq!(r.status(), 200);
    r.bytes().await.unwrap();
    drop(e);
    tokio::time::sleep(Duration::from_millis(100)).await;
    let err = reqwest::Client::new().get(&url).send().await.unwrap_err();
    assert!(err.is_connect(), "{err}");
    let err = kept
        .get(&url)
        .bearer_auth(API_TOKEN)
        .send()
        .await
        .unwrap_err();
    assert!(err.is_connect() || err.is_request(), "{err}");
}

#[test]
fn debug_output_never_shows_a_credential() {
    let b = Emulator::builder()
        .api_token("SECRET-TOKEN")
        .global_api_key("ops@example.com", "SECRET-KEY");
    let shown = format!("{b:?}");
    assert!(!shown.contains("SECRET"), "{shown}");
    assert!(shown.contains("credentials: 2"), "{shown}");
}

#[tokio::test]
async fn the_state_file_keeps_keys_revocations_and_token_keys_across_restarts() {
    let dir = crate::common::Scratch::new("cf-emu-state");
    let file = dir.join("state.json");
    let _ = std::fs::remove_file(&file);
    let start = || {
        Emulator::builder()
            .api_token(API_TOKEN)
            .clock_at(at(NOW))
            .state_file(&file)
            .start()
    };
    let e = start().await.unwrap();
    let c = client(&e);
    let kept = c.create_signing_key().await.unwrap();
    let kept_json = kept.secret_result_json().to_owned();
    let kept = Signer::new(kept.into_signing_key().unwrap());
    let gone = created_signer(&e).await;
    c.delete_signing_key(gone.kid()).await.unwrap();
    let remote = c
        .create_token_at(at(NOW), &video(), &TokenOptions::default())
        .await
        .unwrap();
    e.register_video(&account(), &other_video(), true).unwrap();
    drop(e);

    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let mode = std::fs::metadata(&file).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    let saved = std::fs::read_to_string(&file).unwrap();
    // The API key's private half was handed out and not kept.
    let d = serde_json::from_str::<Value>(
        &String::from_utf8(
            base64::engine::general_purpose::STANDARD
                .decode(
                    serde_json::from_str::<Value>(&kept_json).unwrap()["jwk"]
                        .as_str()
                        .unwrap(),
                )
                .unwrap(),
        )
        .unwrap(),
    )
    .unwrap()["d"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(!saved.contains(&d[..32]));

    let e = start().await.unwrap();
    let c = client(&e);
    assert_eq!(
        c.list_signing_keys()
            .await
            .unwrap()
            .iter()
            .map(|k| *k.id())
            .collect::<Vec<_>>(),
        [*kept.kid()]
    );
    assert_eq!(
        verdict(&e, &mint(&kept, NOW, &TokenOptions::default()), "iframe")
            .await
            .0,
        200
    );
    assert_eq!(
        verdict(&e, &mint(&gone, NOW, &TokenOptions::default()), "iframe").await,
        (401, Some("revoked-key".to_owned()))
    );
    assert_eq!(verdict(&e, remote.as_str(), "iframe").await.0, 200);
    // The token endpoint still signs with the same key.
    let again = c
        .create_token_at(at(NOW), &video(), &TokenOptions::default())
        .await
        .unwrap();
    assert_eq!(again.kid(), remote.kid());
    assert_eq!(verdict(&e, other_video().as_str(), "iframe").await.0, 200);
    drop(e);

    std::fs::write(&file, "not json").unwrap();
    let err = start().await.unwrap_err();
    assert_eq!(err.kind(), std::io::ErrorKind::InvalidData);
    std::fs::remove_dir_all(&dir).unwrap();
}
