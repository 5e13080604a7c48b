//! Tokens from Cloudflare's token endpoint are checked against the
//! request before they are handed out.

use super::*;

/// A compact JWS of `header` and `payload` with a signature of `sig_len`
/// bytes (RS256 with the demo key when `sign`).
fn remote_jws(header: &Value, payload: &Value, sig_len: usize) -> String {
    let b64 = |b: &[u8]| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(b);
    format!(
        "{}.{}.{}",
        b64(header.to_string().as_bytes()),
        b64(payload.to_string().as_bytes()),
        b64(&vec![7u8; sig_len])
    )
}

#[tokio::test]
async fn remote_tokens_that_do_not_answer_the_request_are_refused() {
    let server = MockServer::start().await;
    let client = client(&server);
    let rules = [
        AccessRule::countries(Action::Allow, ["GB"]).unwrap(),
        AccessRule::any(Action::Block),
    ];
    let asked = TokenOptions::builder()
        .access_rules(rules.clone())
        .build()
        .unwrap();
    let kid = "e9db990a82666dd571c77f944a5c5c8d";
    let rules_json = serde_json::to_value(&rules).unwrap();
    let good_payload =
        json!({"sub": VIDEO, "kid": kid, "exp": NOW + 3600, "accessRules": rules_json});
    let rs256 = json!({"alg": "RS256", "kid": kid});
    let with = |f: &dyn Fn(&mut Value)| {
        let mut p = good_payload.clone();
        f(&mut p);
        p
    };
    let invalid = |what| ErrorKind::InvalidResponse { what };
    let cases = [
        (
            remote_jws(&json!({"alg": "none", "kid": kid}), &good_payload, 0),
            invalid("token algorithm is not RS256"),
        ),
        (
            remote_jws(&json!({"alg": "HS256", "kid": kid}), &good_payload, 32),
            invalid("token algorithm is not RS256"),
        ),
        (
            remote_jws(&json!({"alg": "RS256"}), &good_payload, 256),
            invalid("token header has no kid"),
        ),
        (
            remote_jws(
                &json!({"alg": "RS256", "kid": OTHER_KID}),
                &good_payload,
                256,
            ),
            invalid("token header kid is not the payload kid"),
        ),
        (
            remote_jws(
                &json!({"alg": "RS256", "kid": kid, "crit": ["x"]}),
                &good_payload,
                256,
            ),
            invalid("token header has critical extensions"),
        ),
        // A header that is JSON but no JWS header (the reader's own
        // MalformedToken) is reported as the answer's fault too.
        (
            remote_jws(&json!(["RS256", kid]), &good_payload, 256),
            invalid("result is not a Stream token"),
        ),
        (
            remote_jws(&json!({"alg": 256, "kid": kid}), &good_payload, 256),
            invalid("result is not a Stream token"),
        ),
        (
            remote_jws(&rs256, &good_payload, 32),
            invalid("token signature is not an RS256 signature"),
        ),
        (
            remote_jws(
                &rs256,
                &with(&|p| {
                    p.as_object_mut()
                        .unwrap()
                        .remove("accessRules")
                        .map(drop)
                        .unwrap()
                }),
                256,
            ),
            invalid("token access rules are not those asked"),
        ),
        (
            remote_jws(&rs256, &with(&|p| p["downloadable"] = json!(true)), 256),
            invalid("token downloadable is not what was asked"),
        ),
        (
            remote_jws(
                &rs256,
                &with(&|p| p["sub"] = json!("00000000000000000000000000000001")),
                256,
            ),
            invalid("token is for another video"),
        ),
        (
            remote_jws(&rs256, &with(&|p| p["exp"] = json!(NOW + 86_401)), 256),
            invalid("token expires more than 24 hours ahead"),
        ),
        (
            remote_jws(&rs256, &with(&|p| p["exp"] = json!(NOW)), 256),
            invalid("token has already expired"),
        ),
    ];
    for (token, kind) in cases {
        server.reset().await;
        Mock::given(method("POST"))
            .respond_with(ok(json!({ "token": token })))
            .mount(&server)
            .await;
        let e = client.create_token(&video(), &asked).await.unwrap_err();
        assert_eq!(e.kind(), &kind, "{token}");
        assert!(!format!("{e:?}").contains(&token));
    }
    // The one that answers the request is accepted, string times and all,
    // and so are the edges of the window: one second ahead and exactly 24
    // hours ahead (the cap is inclusive, as it is when minting locally).
    for exp in [
        json!((NOW + 3600).to_string()),
        json!(NOW + 1),
        json!(NOW + 86_400),
    ] {
        server.reset().await;
        let good = remote_jws(&rs256, &with(&|p| p["exp"] = exp.clone()), 256);
        Mock::given(method("POST"))
            .respond_with(ok(json!({ "token": good })))
            .mount(&server)
            .await;
        let token = client.create_token(&video(), &asked).await.unwrap();
        assert_eq!(token.as_str(), good);
        assert_eq!(token.claims().access_rules(), rules);
    }
}

#[tokio::test]
async fn the_original_flag_goes_in_the_body_only_when_asked_for() {
    use cf_stream_token::api::TokenFlags;
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(token_path()))
        .respond_with(MintFromBody)
        .mount(&server)
        .await;
    let client = client(&server);
    let opts = TokenOptions::default();
    let plain = client
        .create_token_at(at(NOW), &video(), &opts)
        .await
        .unwrap();
    let original = client
        .create_token_with_at(at(NOW), &video(), &opts, TokenFlags::new().original(true))
        .await
        .unwrap();
    let unset = client
        .create_token_with_at(at(NOW), &video(), &opts, TokenFlags::new().original(false))
        .await
        .unwrap();
    // The flag is Cloudflare's to act on, not a claim: the tokens' claims
    // are the same.
    assert_eq!(plain.claims(), original.claims());
    assert_eq!(plain.claims(), unset.claims());
    let bodies: Vec<Value> = requests(&server)
        .await
        .iter()
        .map(|r| r.body_json().unwrap())
        .collect();
    assert_eq!(
        bodies,
        [
            json!({"exp": NOW + 3600}),
            json!({"exp": NOW + 3600, "flags": {"original": true}}),
            json!({"exp": NOW + 3600}),
        ]
    );
}
