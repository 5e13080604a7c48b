//! Configuration from the environment, and `Debug` output without
//! credentials.

use super::*;

#[tokio::test]
async fn configuration_from_the_environment() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ok(json!([])))
        .expect(2)
        .mount(&server)
        .await;
    let uri = server.uri();
    let token_env = |name: &str| match name {
        "CLOUDFLARE_ACCOUNT_ID" => Some(ACCOUNT.to_owned()),
        "CLOUDFLARE_API_TOKEN" => Some(format!("{API_TOKEN}\n")),
        "CLOUDFLARE_BASE_URL" => Some(uri.clone()),
        _ => None,
    };
    let client = ClientBuilder::from_env_with(token_env)
        .unwrap()
        .build()
        .unwrap();
    assert_eq!(client.account().as_str(), ACCOUNT);
    assert_eq!(client.base_url(), uri);
    client.list_signing_keys().await.unwrap();

    let key_env = |name: &str| match name {
        "CLOUDFLARE_ACCOUNT_ID" => Some(ACCOUNT.to_owned()),
        "CLOUDFLARE_EMAIL" => Some(EMAIL.to_owned()),
        "CLOUDFLARE_API_KEY" => Some(GLOBAL_KEY.to_owned()),
        "CLOUDFLARE_BASE_URL" => Some(uri.clone()),
        _ => None,
    };
    ClientBuilder::from_env_with(key_env)
        .unwrap()
        .build()
        .unwrap()
        .list_signing_keys()
        .await
        .unwrap();

    let reqs = requests(&server).await;
    assert_bearer(&reqs[0]);
    assert_eq!(header(&reqs[1], "x-auth-email"), Some(EMAIL));
    assert_eq!(header(&reqs[1], "x-auth-key"), Some(GLOBAL_KEY));
    assert_eq!(header(&reqs[1], "authorization"), None);

    let kind = |f: &dyn Fn(&str) -> Option<String>| {
        ClientBuilder::from_env_with(f).unwrap_err().into_kind()
    };
    assert_eq!(
        kind(&|_| None),
        ErrorKind::MissingConfig {
            name: "CLOUDFLARE_ACCOUNT_ID"
        }
    );
    assert_eq!(
        kind(&|n| (n == "CLOUDFLARE_ACCOUNT_ID").then(|| ACCOUNT.to_owned())),
        ErrorKind::MissingCredentials
    );
    assert_eq!(
        kind(&|n| (n == "CLOUDFLARE_ACCOUNT_ID").then(|| "../keys".to_owned())),
        ErrorKind::InvalidAccountId
    );
    let plain_http = |n: &str| match n {
        "CLOUDFLARE_ACCOUNT_ID" => Some(ACCOUNT.to_owned()),
        "CLOUDFLARE_API_TOKEN" => Some(API_TOKEN.to_owned()),
        "CLOUDFLARE_BASE_URL" => Some("http://api.cloudflare.com/client/v4".to_owned()),
        _ => None,
    };
    let e = ClientBuilder::from_env_with(plain_http)
        .unwrap()
        .build()
        .unwrap_err();
    assert!(matches!(e.kind(), ErrorKind::InvalidConfig { .. }));
}

#[tokio::test]
async fn debug_output_never_shows_credentials() {
    let server = MockServer::start().await;
    let client = client(&server);
    let shown = format!("{client:?} {:?}", builder(&server));
    assert!(!shown.contains(API_TOKEN), "{shown}");
    assert!(shown.contains("Credentials::ApiToken(<redacted>)"));
    let global = Credentials::global_api_key(EMAIL, GLOBAL_KEY).unwrap();
    let shown = format!("{global:?}");
    assert!(!shown.contains(GLOBAL_KEY) && !shown.contains(EMAIL));
}
