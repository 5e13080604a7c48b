//! Retries and time limits: `Retry-After` in both forms and its cap,
//! back-off, which calls are retried, timeouts.

use super::*;

#[tokio::test]
async fn rate_limited_with_retry_after_1_waits_and_retries() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(
            failure(429, json!([{"code": 971, "message": "rate limited"}]))
                .insert_header("retry-after", "1"),
        )
        .up_to_n_times(1)
        .with_priority(1)
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .respond_with(ok(json!([])))
        .expect(1)
        .mount(&server)
        .await;

    let started = Instant::now();
    let keys = client(&server).list_signing_keys().await.unwrap();
    assert!(keys.is_empty());
    assert!(started.elapsed() >= Duration::from_secs(1));
    assert_eq!(requests(&server).await.len(), 2);
}

#[tokio::test]
async fn rate_limited_with_retry_after_300_returns_at_once() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(token_path()))
        .respond_with(
            failure(429, json!([{"code": 971, "message": "rate limited"}]))
                .insert_header("retry-after", "300"),
        )
        .expect(1)
        .mount(&server)
        .await;

    let started = Instant::now();
    let e = client(&server)
        .create_token(&video(), &TokenOptions::default())
        .await
        .unwrap_err();
    assert!(started.elapsed() < Duration::from_secs(1));
    assert_eq!(
        e.kind(),
        &ErrorKind::RateLimited {
            retry_after: Some(Duration::from_secs(300))
        }
    );
    assert_eq!(e.api_details().unwrap().errors()[0].code(), 971);
    assert_eq!(requests(&server).await.len(), 1);
}

#[tokio::test]
async fn retry_after_as_an_http_date_is_read_against_the_clock() {
    let server = MockServer::start().await;
    // One hour after the client's clock: over the cap, so returned at once.
    let date = httpdate::fmt_http_date(at(NOW + 3600).into());
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(503).insert_header("retry-after", date.as_str()))
        .expect(1)
        .mount(&server)
        .await;
    let e = client(&server).list_signing_keys().await.unwrap_err();
    assert_eq!(
        e.kind(),
        &ErrorKind::ServerError {
            status: 503,
            retry_after: Some(Duration::from_secs(3600))
        }
    );
}

#[tokio::test]
async fn the_retry_after_cap_is_inclusive() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(429).insert_header("retry-after", "1"))
        .up_to_n_times(1)
        .with_priority(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .respond_with(ok(json!([])))
        .mount(&server)
        .await;
    let client = builder(&server)
        .max_retry_after(Duration::from_secs(1))
        .build()
        .unwrap();
    client.list_signing_keys().await.unwrap();
    assert_eq!(requests(&server).await.len(), 2);
}

#[tokio::test]
async fn rate_limited_without_retry_after_backs_off_and_gives_up() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(429))
        .expect(3)
        .mount(&server)
        .await;
    let e = client(&server).list_signing_keys().await.unwrap_err();
    assert_eq!(e.kind(), &ErrorKind::RateLimited { retry_after: None });
    // The raw body is empty, not a secret: kept as it came.
    assert_eq!(e.api_details().unwrap().raw_body(), Some(""));
}

#[tokio::test]
async fn get_503_then_200_is_retried() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(failure(503, json!([])))
        .up_to_n_times(1)
        .with_priority(1)
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .respond_with(ok(
            json!([{"id": DEMO_KID, "created": "2014-01-02T02:20:00Z"}]),
        ))
        .expect(1)
        .mount(&server)
        .await;
    let keys = client(&server).list_signing_keys().await.unwrap();
    assert_eq!(keys.len(), 1);
    let reqs = requests(&server).await;
    assert_eq!(reqs.len(), 2);
    for req in &reqs {
        assert_eq!(req.url.path(), keys_path());
        assert_bearer(req);
    }
}

#[tokio::test]
async fn token_and_delete_calls_are_retried_too() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(500))
        .up_to_n_times(1)
        .with_priority(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .respond_with(MintFromBody)
        .mount(&server)
        .await;
    Mock::given(method("DELETE"))
        .respond_with(ResponseTemplate::new(408))
        .up_to_n_times(1)
        .with_priority(1)
        .mount(&server)
        .await;
    Mock::given(method("DELETE"))
        .respond_with(ok(json!("Revoked")))
        .mount(&server)
        .await;
    let client = client(&server);
    client
        .create_token(&video(), &TokenOptions::default())
        .await
        .unwrap();
    client.delete_signing_key(&kid(DEMO_KID)).await.unwrap();
    assert_eq!(requests(&server).await.len(), 4);
}

#[tokio::test]
async fn timeouts_are_hit_and_retried_for_safe_calls() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ok(json!([])).set_delay(Duration::from_secs(2)))
        .expect(2)
        .mount(&server)
        .await;
    let client = builder(&server)
        .timeout(Duration::from_millis(150))
        .max_retries(1)
        .build()
        .unwrap();
    let started = Instant::now();
    let e = client.list_signing_keys().await.unwrap_err();
    assert_eq!(e.kind(), &ErrorKind::Timeout);
    assert!(started.elapsed() < Duration::from_secs(1));
    no_secret_in(&e);
}
