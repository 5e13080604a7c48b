//! The conformance vectors (`vectors/cases.json`), which every language
//! package runs too: inputs written by hand, each `expect` written here.
//!
//! `CF_STREAM_BLESS=1 cargo test --test lib conformance::every` rewrites every
//! `expect` from what the crate does now (review the diff: each change is a
//! change of behaviour in every language); without it, any difference
//! fails.

use std::path::PathBuf;
use std::time::Duration;

use cf_stream_token::{
    AccessRule, Dash, Download, Error, Fit, Hls, KeyId, PlaybackTemplate, PublicKey, Signer,
    SigningKey, StreamHost, Surface, Thumbnail, TokenOptions, Verifier, VideoId, parse_duration,
};
use serde_json::{Map, Value, json};
use time::OffsetDateTime;

fn cases_path() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("vectors/cases.json")
}

/// What a case fails with: the stable kind name, as every language reports it.
fn kind(e: Error) -> Value {
    json!({ "error": e.kind().name() })
}

fn root_file(rel: &str) -> Vec<u8> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(rel);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// A key input: `{"file": path from the repository root}` or `{"text": ...}`.
fn key_input(spec: &Value) -> (Vec<u8>, Option<&str>) {
    let input = match (spec.get("file"), spec.get("text")) {
        (Some(f), None) => root_file(f.as_str().expect("file is a string")),
        (None, Some(t)) => t.as_str().expect("text is a string").as_bytes().to_vec(),
        _ => panic!("a key has exactly one of file and text: {spec}"),
    };
    (input, spec.get("kid").and_then(Value::as_str))
}

fn kid(k: Option<&str>) -> Result<Option<KeyId>, Error> {
    k.map(KeyId::new).transpose()
}

fn signing_key(spec: &Value) -> Result<SigningKey, Error> {
    let (input, k) = key_input(spec);
    SigningKey::parse(&input, kid(k)?)
}

/// A verifier from a public key, or from a private one's public half (as
/// the packages' `Verifier(key)` reads it).
fn verifier(spec: &Value) -> Result<Verifier, Error> {
    let (input, k) = key_input(spec);
    let k = kid(k)?;
    match PublicKey::parse(&input, k) {
        Ok(key) => Ok(Verifier::new(key)),
        Err(public_err) => match SigningKey::parse(&input, k) {
            Ok(private) => Ok(Verifier::new(private.public_key().clone())),
            Err(_) => Err(public_err),
        },
    }
}

/// `"2h"` or a number of seconds (its decimal text, through `parse_duration`).
fn duration(v: &Value) -> Result<Duration, Error> {
    match v {
        Value::String(s) => parse_duration(s),
        Value::Number(n) => parse_duration(&n.to_string()),
        other => panic!("a duration is a string or a number: {other}"),
    }
}

fn time(v: &Value) -> Result<OffsetDateTime, Error> {
    let unix = v.as_i64().expect("a time is UNIX seconds");
    OffsetDateTime::from_unix_timestamp(unix)
        .map_err(|_| cf_stream_token::ErrorKind::TimeOutOfRange.into())
}

/// The token options of a `mint` or `urls` object: `ttl`, `exp`, `nbf`,
/// `backdate`, `downloadable`, `rules`.
fn options(o: &Value) -> Result<TokenOptions, Error> {
    let mut b = TokenOptions::builder()
        .downloadable(o.get("downloadable").and_then(Value::as_bool) == Some(true));
    if let Some(v) = o.get("ttl") {
        b = b.lifetime(duration(v)?);
    }
    if let Some(v) = o.get("exp") {
        b = b.expires_at(time(v)?);
    }
    if let Some(v) = o.get("nbf") {
        b = b.not_before(time(v)?);
    }
    if let Some(v) = o.get("backdate") {
        b = b.backdate_not_before(duration(v)?);
    }
    for spec in o
        .get("rules")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        b = b.access_rule(
            spec.as_str()
                .expect("a rule is a string")
                .parse::<AccessRule>()?,
        );
    }
    b.build()
}

/// A surface: a name, or `{"kind": name, parameters...}` (the Python
/// package's form).
fn surface(v: &Value) -> Result<Surface, Error> {
    let (kind, p) = match v {
        Value::String(s) => (s.as_str(), Map::new()),
        Value::Object(m) => (m["kind"].as_str().expect("kind"), m.clone()),
        other => panic!("a surface is a name or an object: {other}"),
    };
    Ok(match kind {
        "hls" => {
            let mut s = Hls::new();
            if let Some(x) = p.get("client_bandwidth_hint") {
                s = s.client_bandwidth_hint(x.as_f64().unwrap());
            }
            if let Some(x) = p.get("low_latency") {
                s = s.low_latency(x.as_bool().unwrap());
            }
            Surface::Hls(s)
        }
        "dash" => {
            let mut s = Dash::new();
            if let Some(x) = p.get("client_bandwidth_hint") {
                s = s.client_bandwidth_hint(x.as_f64().unwrap());
            }
            Surface::Dash(s)
        }
        "thumbnail" => {
            let mut t = Thumbnail::new();
            if let Some(x) = p.get("time") {
                t = t.time(duration(x)?);
            }
            if let Some(x) = p.get("width") {
                t = t.width(u32::try_from(x.as_u64().unwrap()).unwrap());
            }
            if let Some(x) = p.get("height") {
                t = t.height(u32::try_from(x.as_u64().unwrap()).unwrap());
            }
            if let Some(x) = p.get("fit") {
                let name = x.as_str().unwrap();
                let fit = [Fit::Crop, Fit::Clip, Fit::Scale, Fit::Fill]
                    .into_iter()
                    .find(|f| f.as_str() == name)
                    .expect("a fit");
                t = t.fit(fit);
            }
            Surface::Thumbnail(t)
        }
        "mp4" | "m4a" => {
            let mut d = Download::new();
            if let Some(x) = p.get("filename") {
                d = d.filename(x.as_str().unwrap());
            }
            if kind == "mp4" {
                Surface::Mp4Download(d)
            } else {
                Surface::AudioDownload(d)
            }
        }
        "iframe" => Surface::Iframe,
        "watch" => Surface::Watch,
        "webrtc" => Surface::WebRtc,
        other => panic!("unknown surface {other}"),
    })
}

/// Run one case: what it produces, as `expect` holds it.
fn run(case: &Value) -> Value {
    match run_inner(case) {
        Ok(v) => v,
        Err(e) => kind(e),
    }
}

fn run_inner(case: &Value) -> Result<Value, Error> {
    let key = signing_key(&case["key"])?;
    let signer = Signer::new(key);
    let mut token = None;
    if let Some(m) = case.get("mint") {
        let video = VideoId::new(m["video"].as_str().unwrap())?;
        let opts = options(m)?;
        token = Some(
            signer
                .mint_at(time(&m["now"])?, &video, &opts)?
                .into_string(),
        );
    }
    if let Some(u) = case.get("urls") {
        let host = match (u.get("customer_code"), u.get("host")) {
            (Some(c), None) => StreamHost::customer_code(c.as_str().unwrap())?,
            (None, Some(h)) => StreamHost::hostname(h.as_str().unwrap())?,
            _ => panic!("urls: exactly one of customer_code and host"),
        };
        let mut b = PlaybackTemplate::builder(host).options(options(u)?);
        for s in u["surfaces"].as_array().unwrap() {
            b = b.surface(surface(s)?);
        }
        let template = b.build()?;
        let video = VideoId::new(u["video"].as_str().unwrap())?;
        let urls = template.mint_at(time(&u["now"])?, &signer, &video)?;
        let mut out = Map::new();
        for (surface, url) in urls.iter() {
            out.insert(surface.name().to_owned(), Value::from(url));
        }
        return Ok(json!({ "urls": out }));
    }
    if let Some(v) = case.get("verify") {
        let verifier = match v.get("verifier") {
            Some(spec) => verifier(spec)?,
            None => signer.verifier(),
        };
        let token = match v.get("token") {
            Some(t) => t.as_str().unwrap().to_owned(),
            None => token.expect("a verify case mints or gives a token"),
        };
        let claims = verifier.verify_at(&token, time(&v["now"])?)?;
        if let Some(video) = v.get("video") {
            claims.check_video(&VideoId::new(video.as_str().unwrap())?)?;
        }
        return Ok(json!({ "claims": serde_json::to_value(&claims).unwrap() }));
    }
    if let Some(token) = token {
        return Ok(json!({ "token": token }));
    }
    Ok(json!({ "kid": signer.kid().as_str(), "bits": signer.key().bits() }))
}

#[test]
fn every_case_gives_exactly_its_expectation() {
    let path = cases_path();
    let mut doc: Value = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
    let bless = std::env::var_os("CF_STREAM_BLESS").is_some_and(|v| v == "1");
    let mut failures = Vec::new();
    let mut names = std::collections::HashSet::new();
    for case in doc["cases"].as_array_mut().unwrap() {
        let name = case["name"].as_str().unwrap().to_owned();
        assert!(names.insert(name.clone()), "case {name} appears twice");
        let got = run(case);
        if bless {
            case["expect"] = got;
        } else if case.get("expect") != Some(&got) {
            failures.push(format!(
                "{name}: expected {}, got {got}",
                case.get("expect").unwrap_or(&Value::Null)
            ));
        }
    }
    if bless {
        let text = serde_json::to_string_pretty(&doc).unwrap() + "\n";
        std::fs::write(&path, text).unwrap();
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn the_cases_cover_every_area_and_both_outcomes() {
    let doc: Value = serde_json::from_slice(&std::fs::read(cases_path()).unwrap()).unwrap();
    let cases = doc["cases"].as_array().unwrap();
    for area in ["key/", "mint/", "urls/", "verify/"] {
        let of_area: Vec<&Value> = cases
            .iter()
            .filter(|c| c["name"].as_str().unwrap().starts_with(area))
            .collect();
        assert!(
            of_area.iter().any(|c| c["expect"].get("error").is_some()),
            "{area}: no refusal"
        );
        assert!(
            of_area.iter().any(|c| c["expect"].get("error").is_none()),
            "{area}: no success"
        );
    }
    // The cap, both sides of it.
    let expect = |name: &str| {
        cases
            .iter()
            .find(|c| c["name"] == name)
            .unwrap_or_else(|| panic!("no case {name}"))["expect"]
            .clone()
    };
    assert!(expect("mint/ttl_24h_cap")["token"].is_string());
    assert_eq!(
        expect("mint/ttl_over_cap"),
        json!({"error": "lifetime_too_long"})
    );
    assert_eq!(
        expect("mint/exp_over_cap"),
        json!({"error": "expiry_too_far"})
    );
    // One key in every form mints one token.
    assert_eq!(expect("mint/pkcs8_pem_same_token")["token"], {
        let mut c = cases
            .iter()
            .find(|c| c["name"] == "mint/pkcs8_pem_same_token")
            .unwrap()
            .clone();
        c["key"] = json!({"file": "fixtures/demo/demo.jwk.json"});
        run(&c)["token"].clone()
    });
}
