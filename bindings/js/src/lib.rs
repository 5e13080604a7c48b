//! The JavaScript package's native half: the root crate's key parsing,
//! options, rules, URLs and `WebCryptoSigner`, exported with wasm-bindgen.
//! Every rule is the crate's; this file only converts arguments and errors.
#![cfg(target_arch = "wasm32")]

use std::cell::RefCell;
use std::rc::Rc;
use std::time::Duration;

use cf_stream_token::time::OffsetDateTime;
use cf_stream_token::{
    AccessRule, Claims, Dash, Download, Error, ErrorKind, Fit, Hls, KeyId, PlaybackTemplate,
    PublicKey, SigningKey, StreamHost, Surface, Thumbnail, TokenOptions, VideoId, WebCryptoSigner,
    WebCryptoVerifier, parse_duration,
};
use js_sys::{Promise, Reflect, Uint8Array};
use wasm_bindgen::JsCast as _;
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::{JsFuture, future_to_promise};

/// A library error as a JS `Error` named `CfStreamTokenError`, with `kind`
/// (the stable snake_case name) and `httpStatus`. Its message never holds a
/// secret.
fn js_error(e: &Error) -> JsValue {
    let err = js_sys::Error::new(&e.to_string());
    err.set_name("CfStreamTokenError");
    let _ = Reflect::set(&err, &"kind".into(), &e.kind().name().into());
    let _ = Reflect::set(&err, &"httpStatus".into(), &e.http_status().into());
    err.into()
}

fn type_error(message: &str) -> JsValue {
    js_sys::TypeError::new(message).into()
}

/// A property of an options object (`undefined` when absent or no object).
fn prop(obj: &JsValue, name: &str) -> JsValue {
    if obj.is_object() {
        Reflect::get(obj, &name.into()).unwrap_or(JsValue::UNDEFINED)
    } else {
        JsValue::UNDEFINED
    }
}

/// `"2h"` or a number of seconds (as its decimal text, through the crate's
/// `parse_duration`, so negative and fractional numbers are refused there).
fn duration(v: &JsValue, what: &str) -> Result<Duration, JsValue> {
    let text = if let Some(s) = v.as_string() {
        s
    } else if let Some(n) = v.as_f64() {
        if n.fract() == 0.0 && n.abs() < 1e18 {
            format!("{}", n as i64)
        } else {
            format!("{n}")
        }
    } else {
        return Err(type_error(&format!(
            "{what}: expected a duration (\"2h\" or seconds)"
        )));
    };
    parse_duration(&text).map_err(|e| js_error(&e))
}

/// UNIX seconds or a `Date`.
fn time(v: &JsValue, what: &str) -> Result<OffsetDateTime, JsValue> {
    let secs = if let Some(date) = v.dyn_ref::<js_sys::Date>() {
        (date.get_time() / 1000.0).floor()
    } else if let Some(n) = v.as_f64() {
        if n.fract() != 0.0 {
            return Err(type_error(&format!("{what}: expected whole UNIX seconds")));
        }
        n
    } else {
        return Err(type_error(&format!(
            "{what}: expected UNIX seconds or a Date"
        )));
    };
    if !(-1e15..=1e15).contains(&secs) {
        return Err(js_error(&ErrorKind::TimeOutOfRange.into()));
    }
    OffsetDateTime::from_unix_timestamp(secs as i64)
        .map_err(|_| js_error(&ErrorKind::TimeOutOfRange.into()))
}

/// `options.now`, the clock a test sets (UNIX seconds or a `Date`), if any.
fn now_option(options: &JsValue) -> Result<Option<OffsetDateTime>, JsValue> {
    let now = prop(options, "now");
    if now.is_undefined() {
        Ok(None)
    } else {
        time(&now, "now").map(Some)
    }
}

/// `{ttl, exp, nbf, backdate, downloadable, rules}`, as the CLI's flags.
fn options(opts: &JsValue) -> Result<TokenOptions, JsValue> {
    let mut b = TokenOptions::builder().downloadable(prop(opts, "downloadable").is_truthy());
    let ttl = prop(opts, "ttl");
    if !ttl.is_undefined() {
        b = b.lifetime(duration(&ttl, "ttl")?);
    }
    let exp = prop(opts, "exp");
    if !exp.is_undefined() {
        b = b.expires_at(time(&exp, "exp")?);
    }
    let nbf = prop(opts, "nbf");
    if !nbf.is_undefined() {
        b = b.not_before(time(&nbf, "nbf")?);
    }
    let backdate = prop(opts, "backdate");
    if !backdate.is_undefined() {
        b = b.backdate_not_before(duration(&backdate, "backdate")?);
    }
    let rules = prop(opts, "rules");
    if !rules.is_undefined() {
        if !js_sys::Array::is_array(&rules) {
            return Err(type_error("rules: expected an array of strings"));
        }
        for rule in js_sys::Array::from(&rules).iter() {
            let spec = rule
                .as_string()
                .ok_or_else(|| type_error("rules: expected an array of strings"))?;
            b = b.access_rule(spec.parse::<AccessRule>().map_err(|e| js_error(&e))?);
        }
    }
    b.build().map_err(|e| js_error(&e))
}

/// An RSA signing key in any form, checked in full when parsed.
#[wasm_bindgen(js_name = SigningKey)]
pub struct JsSigningKey {
    key: RefCell<Option<SigningKey>>,
    kid: String,
    bits: usize,
}

#[wasm_bindgen(js_class = SigningKey)]
impl JsSigningKey {
    /// `input`: a string (PEM, base64, JWK, Cloudflare's create-key answer)
    /// or a `Uint8Array` (DER too); `options.kid` where the form has none.
    pub fn parse(input: &JsValue, options: &JsValue) -> Result<JsSigningKey, JsValue> {
        let key =
            SigningKey::parse(key_bytes(input)?, kid_option(options)?).map_err(|e| js_error(&e))?;
        Ok(JsSigningKey {
            kid: key.kid().to_string(),
            bits: key.bits(),
            key: RefCell::new(Some(key)),
        })
    }

    #[wasm_bindgen(getter)]
    pub fn kid(&self) -> String {
        self.kid.clone()
    }

    #[wasm_bindgen(getter)]
    pub fn bits(&self) -> usize {
        self.bits
    }
}

/// The signer once imported, shared: each mint clones the `Rc`, never the
/// signer (its public key and header would be copied per token).
type Imported = Rc<RefCell<Option<Result<Rc<WebCryptoSigner>, Error>>>>;

/// Mints tokens with one key, imported into WebCrypto once.
#[wasm_bindgen(js_name = Signer)]
pub struct JsSigner {
    kid: String,
    public: PublicKey,
    ready: Promise,
    imported: Imported,
}

#[wasm_bindgen(js_class = Signer)]
impl JsSigner {
    /// Takes the key (a `SigningKey` makes one `Signer`) and starts its
    /// import into WebCrypto; `mint` waits for it. `options.importSigner`,
    /// when given, replaces WebCrypto: called once with the private JWK, it
    /// returns a synchronous `sign(bytes) -> Uint8Array` (the package's Node
    /// entry passes `node:crypto`'s).
    #[wasm_bindgen(constructor)]
    pub fn new(key: &JsSigningKey, options: &JsValue) -> Result<JsSigner, JsValue> {
        let import_signer = prop(options, "importSigner");
        let taken = key
            .key
            .borrow_mut()
            .take()
            .ok_or_else(|| type_error("this key was already handed to a Signer"))?;
        let public = taken.public_key().clone();
        let imported: Imported = Rc::new(RefCell::new(None));
        let ready = if let Some(import) = import_signer.dyn_ref::<js_sys::Function>() {
            // Synchronous: the function is ready now, and mint needs no wait.
            *imported.borrow_mut() =
                Some(WebCryptoSigner::with_sign_function(taken, import).map(Rc::new));
            Promise::resolve(&JsValue::UNDEFINED)
        } else if import_signer.is_undefined() || import_signer.is_null() {
            let slot = imported.clone();
            future_to_promise(async move {
                let result = WebCryptoSigner::new(taken).await.map(Rc::new);
                *slot.borrow_mut() = Some(result);
                Ok(JsValue::UNDEFINED)
            })
        } else {
            return Err(type_error("importSigner: expected a function"));
        };
        Ok(JsSigner {
            kid: key.kid.clone(),
            public,
            ready,
            imported,
        })
    }

    /// A verifier for this signer's tokens (`options.leeway`).
    pub fn verifier(&self, options: &JsValue) -> Result<JsVerifier, JsValue> {
        let public = self.public.clone();
        JsVerifier::start(async move { WebCryptoVerifier::new(public).await }, options)
    }

    #[wasm_bindgen(getter)]
    pub fn kid(&self) -> String {
        self.kid.clone()
    }

    /// One token for `video`: `{ttl, exp, nbf, backdate, downloadable,
    /// rules, now}`; `now` (UNIX seconds or a Date) replaces the clock.
    pub fn mint(&self, video: String, options: JsValue) -> Promise {
        let ready = self.ready.clone();
        let imported = self.imported.clone();
        future_to_promise(async move {
            let video = VideoId::new(&video).map_err(|e| js_error(&e))?;
            let opts = self::options(&options)?;
            let now = now_option(&options)?;
            let signer = signer_when_ready(ready, imported).await?;
            let token = match now {
                Some(now) => signer.mint_at(now, &video, &opts).await,
                None => signer.mint(&video, &opts).await,
            }
            .map_err(|e| js_error(&e))?;
            Ok(JsValue::from(token.into_string()))
        })
    }
}

/// The imported signer, once its import has finished.
async fn signer_when_ready(
    ready: Promise,
    imported: Imported,
) -> Result<Rc<WebCryptoSigner>, JsValue> {
    JsFuture::from(ready).await?;
    match &*imported.borrow() {
        Some(Ok(signer)) => Ok(Rc::clone(signer)),
        Some(Err(e)) => Err(js_error(e)),
        None => Err(type_error("the key import did not finish")),
    }
}

/// Any public or private key form as bytes: a string or a `Uint8Array`.
fn key_bytes(input: &JsValue) -> Result<Vec<u8>, JsValue> {
    if let Some(s) = input.as_string() {
        Ok(s.into_bytes())
    } else if let Some(a) = input.dyn_ref::<Uint8Array>() {
        Ok(a.to_vec())
    } else {
        Err(type_error("input: expected a string or a Uint8Array"))
    }
}

/// `options.kid`, checked.
fn kid_option(options: &JsValue) -> Result<Option<KeyId>, JsValue> {
    let kid = prop(options, "kid");
    if kid.is_undefined() || kid.is_null() {
        return Ok(None);
    }
    let text = kid
        .as_string()
        .ok_or_else(|| type_error("kid: expected a string"))?;
    KeyId::new(&text).map(Some).map_err(|e| js_error(&e))
}

/// Claims as the JSON object Stream and the other packages read:
/// `{sub, kid, exp, nbf, downloadable, accessRules}`.
fn claims_object(claims: &Claims) -> Result<JsValue, JsValue> {
    let text = serde_json::to_string(claims).map_err(|e| type_error(&e.to_string()))?;
    js_sys::JSON::parse(&text)
}

/// The verifier once imported, shared as the signer is.
type ImportedVerifier = Rc<RefCell<Option<Result<Rc<WebCryptoVerifier>, Error>>>>;

/// Verifies tokens (RS256 only) with one key or several chosen by `kid`,
/// imported into WebCrypto once; `verify` returns a promise of the claims.
#[wasm_bindgen(js_name = Verifier)]
pub struct JsVerifier {
    ready: Promise,
    imported: ImportedVerifier,
}

#[wasm_bindgen(js_class = Verifier)]
impl JsVerifier {
    /// A verifier for one key, in any public or private form (a private
    /// key's public half is used); `options`: `{kid, leeway}`. A key with a
    /// kid refuses another kid's tokens.
    pub fn parse(input: &JsValue, options: &JsValue) -> Result<JsVerifier, JsValue> {
        let key =
            PublicKey::parse(key_bytes(input)?, kid_option(options)?).map_err(|e| js_error(&e))?;
        Self::start(async move { WebCryptoVerifier::new(key).await }, options)
    }

    /// A verifier for several keys (an array of key inputs, each with its
    /// kid), each token checked with the one its `kid` names; `options`:
    /// `{leeway}`.
    #[wasm_bindgen(js_name = fromKeys)]
    pub fn from_keys(inputs: &JsValue, options: &JsValue) -> Result<JsVerifier, JsValue> {
        if !js_sys::Array::is_array(inputs) {
            return Err(type_error("keys: expected an array of keys"));
        }
        let mut keys = Vec::new();
        for input in js_sys::Array::from(inputs).iter() {
            keys.push(PublicKey::parse(key_bytes(&input)?, None).map_err(|e| js_error(&e))?);
        }
        Self::start(
            async move { WebCryptoVerifier::from_keys(keys).await },
            options,
        )
    }

    /// The claims of a valid token, or a rejection with a
    /// `CfStreamTokenError`; `options`: `{video, now}` (`video`: the token
    /// must be for it; `now` replaces the clock, for tests).
    pub fn verify(&self, token: String, options: JsValue) -> Promise {
        let ready = self.ready.clone();
        let imported = self.imported.clone();
        future_to_promise(async move {
            let video = prop(&options, "video");
            let video = if video.is_undefined() || video.is_null() {
                None
            } else {
                let text = video
                    .as_string()
                    .ok_or_else(|| type_error("video: expected a string"))?;
                Some(VideoId::new(&text).map_err(|e| js_error(&e))?)
            };
            let now = now_option(&options)?;
            JsFuture::from(ready).await?;
            let verifier = match &*imported.borrow() {
                Some(Ok(v)) => Rc::clone(v),
                Some(Err(e)) => return Err(js_error(e)),
                None => return Err(type_error("the key import did not finish")),
            };
            let claims = match (video, now) {
                (Some(video), Some(now)) => verifier.verify_for_at(&video, &token, now).await,
                (Some(video), None) => verifier.verify_for(&video, &token).await,
                (None, Some(now)) => verifier.verify_at(&token, now).await,
                (None, None) => verifier.verify(&token).await,
            }
            .map_err(|e| js_error(&e))?;
            claims_object(&claims)
        })
    }
}

impl JsVerifier {
    /// Start the import; `verify` waits for it. `options.leeway` applies.
    fn start(
        import: impl std::future::Future<Output = Result<WebCryptoVerifier, Error>> + 'static,
        options: &JsValue,
    ) -> Result<JsVerifier, JsValue> {
        let leeway = prop(options, "leeway");
        let leeway = if leeway.is_undefined() {
            None
        } else {
            Some(duration(&leeway, "leeway")?)
        };
        let imported: ImportedVerifier = Rc::new(RefCell::new(None));
        let slot = imported.clone();
        let ready = future_to_promise(async move {
            let result = import.await.map(|v| {
                Rc::new(match leeway {
                    Some(l) => v.with_leeway(l),
                    None => v,
                })
            });
            *slot.borrow_mut() = Some(result);
            Ok(JsValue::UNDEFINED)
        });
        Ok(JsVerifier { ready, imported })
    }
}

fn number(v: &JsValue, what: &str) -> Result<f64, JsValue> {
    v.as_f64()
        .ok_or_else(|| type_error(&format!("{what}: expected a number")))
}

fn pixels(v: &JsValue, what: &str) -> Result<u32, JsValue> {
    let n = number(v, what)?;
    if n.fract() != 0.0 || !(0.0..=f64::from(u32::MAX)).contains(&n) {
        return Err(type_error(&format!("{what}: expected a whole number")));
    }
    Ok(n as u32)
}

/// One surface: a name (`"hls"`) or `{kind, clientBandwidthHint,
/// lowLatency, time, width, height, fit, filename}`.
fn surface(v: &JsValue) -> Result<Surface, JsValue> {
    let (kind, params) = if let Some(name) = v.as_string() {
        (name, JsValue::UNDEFINED)
    } else if v.is_object() {
        let kind = prop(v, "kind")
            .as_string()
            .ok_or_else(|| type_error("a surface object needs a string \"kind\""))?;
        (kind, v.clone())
    } else {
        return Err(type_error(
            "a surface is a name (\"hls\") or an object with a \"kind\"",
        ));
    };
    let known: &[&str] = match kind.as_str() {
        "hls" => &["clientBandwidthHint", "lowLatency"],
        "dash" => &["clientBandwidthHint"],
        "thumbnail" => &["time", "width", "height", "fit"],
        "mp4" | "m4a" => &["filename"],
        "iframe" | "watch" | "webrtc" => &[],
        _ => {
            return Err(type_error(&format!(
                "unknown surface {kind:?}: expected hls, dash, iframe, watch, thumbnail, mp4, m4a or webrtc"
            )));
        }
    };
    if params.is_object() {
        for key in js_sys::Object::keys(params.unchecked_ref::<js_sys::Object>()).iter() {
            let key = key.as_string().unwrap_or_default();
            if key != "kind" && !known.contains(&key.as_str()) {
                return Err(type_error(&format!(
                    "surface {kind:?} has no parameter {key:?}"
                )));
            }
        }
    }
    let get = |name: &str| {
        let v = prop(&params, name);
        (!v.is_undefined()).then_some(v)
    };
    Ok(match kind.as_str() {
        "hls" => {
            let mut hls = Hls::new();
            if let Some(v) = get("clientBandwidthHint") {
                hls = hls.client_bandwidth_hint(number(&v, "clientBandwidthHint")?);
            }
            if let Some(v) = get("lowLatency") {
                hls = hls.low_latency(v.is_truthy());
            }
            Surface::Hls(hls)
        }
        "dash" => {
            let mut dash = Dash::new();
            if let Some(v) = get("clientBandwidthHint") {
                dash = dash.client_bandwidth_hint(number(&v, "clientBandwidthHint")?);
            }
            Surface::Dash(dash)
        }
        "thumbnail" => {
            let mut t = Thumbnail::new();
            if let Some(v) = get("time") {
                t = t.time(duration(&v, "time")?);
            }
            if let Some(v) = get("width") {
                t = t.width(pixels(&v, "width")?);
            }
            if let Some(v) = get("height") {
                t = t.height(pixels(&v, "height")?);
            }
            if let Some(v) = get("fit") {
                let name = v.as_string().unwrap_or_default();
                let fit = [Fit::Crop, Fit::Clip, Fit::Scale, Fit::Fill]
                    .into_iter()
                    .find(|f| f.as_str() == name)
                    .ok_or_else(|| type_error("fit: expected crop, clip, scale or fill"))?;
                t = t.fit(fit);
            }
            Surface::Thumbnail(t)
        }
        "mp4" | "m4a" => {
            let mut d = Download::new();
            if let Some(v) = get("filename") {
                d = d.filename(
                    v.as_string()
                        .ok_or_else(|| type_error("filename: expected a string"))?,
                );
            }
            if kind == "mp4" {
                Surface::Mp4Download(d)
            } else {
                Surface::AudioDownload(d)
            }
        }
        "iframe" => Surface::Iframe,
        "watch" => Surface::Watch,
        _ => Surface::WebRtc,
    })
}

/// The URLs of every surface asked for, around one token.
#[wasm_bindgen(js_name = PlaybackTemplate)]
pub struct JsPlaybackTemplate {
    inner: PlaybackTemplate,
}

#[wasm_bindgen(js_class = PlaybackTemplate)]
impl JsPlaybackTemplate {
    /// `{customerCode | host, surfaces, ttl, exp, nbf, backdate,
    /// downloadable, rules}`; surfaces default to `["hls"]`.
    #[wasm_bindgen(constructor)]
    pub fn new(config: &JsValue) -> Result<JsPlaybackTemplate, JsValue> {
        let code = prop(config, "customerCode").as_string();
        let host = prop(config, "host").as_string();
        let host = match (code, host) {
            (Some(code), None) => StreamHost::customer_code(&code),
            (None, Some(host)) => StreamHost::hostname(&host),
            _ => return Err(type_error("give exactly one of customerCode and host")),
        }
        .map_err(|e| js_error(&e))?;
        let mut b = PlaybackTemplate::builder(host).options(options(config)?);
        let surfaces = prop(config, "surfaces");
        if surfaces.is_undefined() {
            b = b.surface(Surface::Hls(Hls::new()));
        } else if js_sys::Array::is_array(&surfaces) {
            for s in js_sys::Array::from(&surfaces).iter() {
                b = b.surface(surface(&s)?);
            }
        } else {
            return Err(type_error("surfaces: expected an array"));
        }
        let inner = b.build().map_err(|e| js_error(&e))?;
        Ok(JsPlaybackTemplate { inner })
    }

    /// One token, every URL: a promise of `{surface name: url}`.
    /// `options.now` replaces the clock, for tests.
    pub fn mint(&self, signer: &JsSigner, video: String, options: JsValue) -> Promise {
        let template = self.inner.clone();
        let (ready, imported) = (signer.ready.clone(), signer.imported.clone());
        future_to_promise(async move {
            let video = VideoId::new(&video).map_err(|e| js_error(&e))?;
            let now = now_option(&options)?;
            let signer = signer_when_ready(ready, imported).await?;
            let opts = template.token_options();
            let token = match now {
                Some(now) => signer.mint_at(now, &video, opts).await,
                None => signer.mint(&video, opts).await,
            }
            .map_err(|e| js_error(&e))?;
            let urls = template.with_token(token).map_err(|e| js_error(&e))?;
            let out = js_sys::Object::new();
            for (surface, url) in urls.iter() {
                Reflect::set(&out, &surface.name().into(), &url.into())?;
            }
            Ok(out.into())
        })
    }
}
