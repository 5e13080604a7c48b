//! `cf_stream_token._native`: the Python module, over the root crate.
//!
//! Every rule (key forms and checks, the 24-hour cap, rules, URLs,
//! verification, the emulator) is the root crate's: this file only turns
//! Python arguments into its types and its results and errors back into
//! Python objects. Signing and verifying release the GIL.

use std::time::Duration;

use cf_stream_token::api::{Client, Credentials};
use cf_stream_token::emulator::Emulator as RustEmulator;
use cf_stream_token::time::OffsetDateTime;
use cf_stream_token::{
    AccessRule, AccountId, Claims, Dash, Download, Error, ErrorKind, Fit, Hls, KeyId, Keyring,
    KeyringSigner, PlaybackTemplate, PublicKey, SignedUrls, Signer, SigningKey, StreamHost,
    Surface, Thumbnail, TokenOptions, TokenSource, Verifier, VideoId, parse_duration,
};
use pyo3::create_exception;
use pyo3::exceptions::{PyException, PyRuntimeError, PyTypeError};
use pyo3::prelude::*;
use pyo3::types::{PyBool, PyDict, PyList};

create_exception!(
    cf_stream_token,
    CfStreamTokenError,
    PyException,
    "Every refusal of the library: `.kind` is the stable snake_case name of the \
     error kind, `.http_status` the status a web handler answers with."
);

/// The account the emulator's helpers use when none is given.
const DEFAULT_ACCOUNT: &str = "023e105f4ecef8ad9ca31a8372d0c353";

/// A library error as `CfStreamTokenError`, with `kind` and `http_status`.
/// Its message is the error's `Display`, which never holds a secret.
fn to_py(py: Python<'_>, e: Error) -> PyErr {
    let err = CfStreamTokenError::new_err(e.to_string());
    let value = err.value(py);
    // Setting attributes on a fresh exception instance cannot fail.
    let _ = value.setattr("kind", e.kind().name());
    let _ = value.setattr("http_status", e.http_status());
    err
}

/// `"2h"`, `90` (seconds) or a `timedelta`, read by the crate's
/// `parse_duration` (a number goes through it as its decimal text, so a
/// negative or fractional one is refused there).
fn duration_arg(py: Python<'_>, obj: &Bound<'_, PyAny>, what: &str) -> PyResult<Duration> {
    if obj.is_instance_of::<PyBool>() {
        return Err(PyTypeError::new_err(format!(
            "{what}: expected a duration (\"2h\", seconds or timedelta), not a bool"
        )));
    }
    let text = if let Ok(s) = obj.extract::<String>() {
        s
    } else if let Ok(n) = obj.extract::<i128>() {
        n.to_string()
    } else if let Ok(f) = obj.extract::<f64>() {
        f.to_string()
    } else if let Ok(d) = obj.extract::<Duration>() {
        return Ok(d);
    } else {
        return Err(PyTypeError::new_err(format!(
            "{what}: expected a duration (\"2h\", seconds or timedelta)"
        )));
    };
    parse_duration(&text).map_err(|e| to_py(py, e))
}

/// A UNIX time in seconds, or a timezone-aware `datetime`.
fn time_arg(py: Python<'_>, obj: &Bound<'_, PyAny>, what: &str) -> PyResult<OffsetDateTime> {
    let unix = if obj.is_instance_of::<PyBool>() {
        return Err(PyTypeError::new_err(format!(
            "{what}: expected a UNIX time or a datetime"
        )));
    } else if let Ok(n) = obj.extract::<i64>() {
        n
    } else if obj.hasattr("tzinfo")? && obj.hasattr("timestamp")? {
        if obj.getattr("tzinfo")?.is_none() {
            return Err(PyTypeError::new_err(format!(
                "{what}: a naive datetime is ambiguous; give it a tzinfo (datetime.timezone.utc)"
            )));
        }
        let secs: f64 = obj.call_method0("timestamp")?.extract()?;
        secs.floor() as i64
    } else {
        return Err(PyTypeError::new_err(format!(
            "{what}: expected a UNIX time or a datetime"
        )));
    };
    OffsetDateTime::from_unix_timestamp(unix)
        .map_err(|_| to_py(py, Error::from(ErrorKind::TimeOutOfRange)))
}

/// `str` or `bytes` (a DER key is binary).
fn bytes_arg(obj: &Bound<'_, PyAny>, what: &str) -> PyResult<Vec<u8>> {
    if let Ok(s) = obj.extract::<String>() {
        Ok(s.into_bytes())
    } else if obj.is_instance_of::<pyo3::types::PyBytes>() {
        obj.extract::<Vec<u8>>()
    } else {
        Err(PyTypeError::new_err(format!(
            "{what}: expected str or bytes"
        )))
    }
}

fn kid_arg(py: Python<'_>, kid: Option<&str>) -> PyResult<Option<KeyId>> {
    kid.map(|k| KeyId::new(k).map_err(|e| to_py(py, e)))
        .transpose()
}

fn video_arg(py: Python<'_>, video: &str) -> PyResult<VideoId> {
    VideoId::new(video).map_err(|e| to_py(py, e))
}

/// The token options, as the CLI's flags: `ttl`, `exp`, `nbf`, `backdate`,
/// `downloadable`, `rules` (`"allow:country=GB"`).
#[allow(clippy::too_many_arguments)]
fn options_arg(
    py: Python<'_>,
    ttl: Option<&Bound<'_, PyAny>>,
    exp: Option<&Bound<'_, PyAny>>,
    nbf: Option<&Bound<'_, PyAny>>,
    backdate: Option<&Bound<'_, PyAny>>,
    downloadable: bool,
    rules: Option<Vec<String>>,
) -> PyResult<TokenOptions> {
    let mut b = TokenOptions::builder().downloadable(downloadable);
    if let Some(ttl) = ttl {
        b = b.lifetime(duration_arg(py, ttl, "ttl")?);
    }
    if let Some(exp) = exp {
        b = b.expires_at(time_arg(py, exp, "exp")?);
    }
    if let Some(nbf) = nbf {
        b = b.not_before(time_arg(py, nbf, "nbf")?);
    }
    if let Some(backdate) = backdate {
        b = b.backdate_not_before(duration_arg(py, backdate, "backdate")?);
    }
    for spec in rules.unwrap_or_default() {
        b = b.access_rule(spec.parse::<AccessRule>().map_err(|e| to_py(py, e))?);
    }
    b.build().map_err(|e| to_py(py, e))
}

fn now_arg(py: Python<'_>, now: Option<&Bound<'_, PyAny>>) -> PyResult<Option<OffsetDateTime>> {
    now.map(|n| time_arg(py, n, "now")).transpose()
}

/// A JSON value as Python objects (through the `json` module: one parser,
/// the standard one).
fn json_to_py<'py>(py: Python<'py>, value: &serde_json::Value) -> PyResult<Bound<'py, PyAny>> {
    let text = serde_json::to_string(value).map_err(|e| PyRuntimeError::new_err(e.to_string()))?;
    py.import("json")?.call_method1("loads", (text,))
}

fn claims_to_py<'py>(py: Python<'py>, claims: &Claims) -> PyResult<Bound<'py, PyAny>> {
    let value = serde_json::to_value(claims).map_err(|e| PyRuntimeError::new_err(e.to_string()))?;
    json_to_py(py, &value)
}

fn mint_with(
    py: Python<'_>,
    source: &(dyn TokenSource + Send + Sync),
    video: &VideoId,
    opts: &TokenOptions,
    now: Option<OffsetDateTime>,
) -> PyResult<String> {
    let token = py.detach(|| match now {
        Some(now) => source.mint_at(now, video, opts),
        None => source.mint(video, opts),
    });
    token.map(|t| t.into_string()).map_err(|e| to_py(py, e))
}

/// An RSA signing key, checked in full when loaded. Shows only its key id.
#[pyclass(frozen, name = "SigningKey", module = "cf_stream_token")]
struct PySigningKey {
    // A `Signer` is the key behind an `Arc`: `Signer(key)` shares it.
    signer: Signer,
}

#[pymethods]
impl PySigningKey {
    /// Any key form: PKCS#1 or PKCS#8 PEM or DER, base64 of a PEM, a private
    /// JWK or base64 of one, Cloudflare's create-key answer.
    #[staticmethod]
    #[pyo3(signature = (text, kid=None))]
    fn parse(py: Python<'_>, text: &Bound<'_, PyAny>, kid: Option<&str>) -> PyResult<Self> {
        let input = bytes_arg(text, "text")?;
        let kid = kid_arg(py, kid)?;
        let key = SigningKey::parse(&input, kid).map_err(|e| to_py(py, e))?;
        Ok(Self {
            signer: Signer::new(key),
        })
    }

    /// `CF_STREAM_SIGNING_KEY` (and `CF_STREAM_KEY_ID` where the form has no kid).
    #[staticmethod]
    fn from_env(py: Python<'_>) -> PyResult<Self> {
        let key = SigningKey::from_env().map_err(|e| to_py(py, e))?;
        Ok(Self {
            signer: Signer::new(key),
        })
    }

    /// A key file in any form, read with a size bound.
    #[staticmethod]
    #[pyo3(signature = (path, kid=None))]
    fn from_file(py: Python<'_>, path: std::path::PathBuf, kid: Option<&str>) -> PyResult<Self> {
        let kid = kid_arg(py, kid)?;
        let key = SigningKey::from_file(&path, kid).map_err(|e| to_py(py, e))?;
        Ok(Self {
            signer: Signer::new(key),
        })
    }

    #[getter]
    fn kid(&self) -> String {
        self.signer.kid().to_string()
    }

    #[getter]
    fn bits(&self) -> usize {
        self.signer.key().bits()
    }

    /// The public half as SubjectPublicKeyInfo PEM.
    fn public_key_pem(&self) -> String {
        self.signer.key().public_key().to_spki_pem()
    }

    /// The public half as a JWK (JSON text).
    fn public_jwk(&self) -> String {
        self.signer.key().public_key().to_jwk_json()
    }

    fn __repr__(&self) -> String {
        format!("SigningKey(kid={:?})", self.signer.kid().as_str())
    }
}

/// Mints tokens with one key.
#[pyclass(frozen, name = "Signer", module = "cf_stream_token")]
struct PySigner {
    inner: Signer,
}

#[pymethods]
impl PySigner {
    #[new]
    fn new(key: &PySigningKey) -> Self {
        Self {
            inner: key.signer.clone(),
        }
    }

    #[getter]
    fn kid(&self) -> String {
        self.inner.kid().to_string()
    }

    /// One token for `video`. `now` (UNIX seconds or an aware datetime)
    /// replaces the system clock, for tests.
    #[pyo3(signature = (video, *, ttl=None, exp=None, nbf=None, backdate=None, downloadable=false, rules=None, now=None))]
    #[allow(clippy::too_many_arguments)]
    fn mint(
        &self,
        py: Python<'_>,
        video: &str,
        ttl: Option<&Bound<'_, PyAny>>,
        exp: Option<&Bound<'_, PyAny>>,
        nbf: Option<&Bound<'_, PyAny>>,
        backdate: Option<&Bound<'_, PyAny>>,
        downloadable: bool,
        rules: Option<Vec<String>>,
        now: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<String> {
        let video = video_arg(py, video)?;
        let opts = options_arg(py, ttl, exp, nbf, backdate, downloadable, rules)?;
        let now = now_arg(py, now)?;
        mint_with(py, &self.inner, &video, &opts, now)
    }

    /// A verifier for this signer's tokens.
    fn verifier(&self) -> PyVerifier {
        PyVerifier {
            inner: self.inner.verifier(),
        }
    }

    fn __repr__(&self) -> String {
        format!("Signer(kid={:?})", self.inner.kid().as_str())
    }
}

/// Checks tokens: RS256 only, signature, `exp`, `nbf`.
#[pyclass(frozen, name = "Verifier", module = "cf_stream_token")]
struct PyVerifier {
    inner: Verifier,
}

#[pymethods]
impl PyVerifier {
    /// From a public key (SPKI or PKCS#1 PEM, DER, public JWK) or a
    /// private one (its public half is kept).
    #[new]
    #[pyo3(signature = (public_key, kid=None))]
    fn new(py: Python<'_>, public_key: &Bound<'_, PyAny>, kid: Option<&str>) -> PyResult<Self> {
        let input = bytes_arg(public_key, "public_key")?;
        let kid = kid_arg(py, kid)?;
        let key = match PublicKey::parse(&input, kid) {
            Ok(key) => key,
            Err(public_err) => match SigningKey::parse(&input, kid) {
                Ok(private) => private.public_key().clone(),
                Err(_) => return Err(to_py(py, public_err)),
            },
        };
        Ok(Self {
            inner: Verifier::new(key),
        })
    }

    /// The claims of a valid token, as a dict (`sub`, `kid`, `exp`, and
    /// `nbf`, `downloadable`, `accessRules` when set). With `video`, a token
    /// for another video is refused (`wrong_video`).
    #[pyo3(signature = (token, video=None, *, now=None))]
    fn verify<'py>(
        &self,
        py: Python<'py>,
        token: &str,
        video: Option<&str>,
        now: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let video = video.map(|v| video_arg(py, v)).transpose()?;
        let now = now_arg(py, now)?;
        let claims = py
            .detach(|| match (&video, now) {
                (Some(video), Some(now)) => self.inner.verify_for_at(video, token, now),
                (Some(video), None) => self.inner.verify_for(video, token),
                (None, Some(now)) => self.inner.verify_at(token, now),
                (None, None) => self.inner.verify(token),
            })
            .map_err(|e| to_py(py, e))?;
        claims_to_py(py, &claims)
    }
}

/// A keyring document (next/current/previous keys) and its signer.
#[pyclass(frozen, name = "Keyring", module = "cf_stream_token")]
struct PyKeyring {
    inner: Keyring,
}

#[pymethods]
impl PyKeyring {
    #[staticmethod]
    fn from_document(py: Python<'_>, text: &str) -> PyResult<Self> {
        let inner = Keyring::from_document(text).map_err(|e| to_py(py, e))?;
        Ok(Self { inner })
    }

    /// `CF_STREAM_KEYRING`: the document itself, or `@path` to a file.
    #[staticmethod]
    fn from_env(py: Python<'_>) -> PyResult<Self> {
        let inner = Keyring::from_env().map_err(|e| to_py(py, e))?;
        Ok(Self { inner })
    }

    #[staticmethod]
    fn from_file(py: Python<'_>, path: std::path::PathBuf) -> PyResult<Self> {
        let inner = Keyring::from_file(&path).map_err(|e| to_py(py, e))?;
        Ok(Self { inner })
    }

    /// The key id tokens are signed with now.
    #[getter]
    fn current_kid(&self) -> String {
        self.inner.current().kid().to_string()
    }

    /// Every key id in the ring with its state (`next`, `current`, `previous`).
    fn keys(&self) -> Vec<(String, String)> {
        self.inner
            .keys()
            .iter()
            .map(|k| (k.kid().to_string(), k.state().as_str().to_owned()))
            .collect()
    }

    /// The ring's signer: the current key, under the ring's maximum lifetime.
    fn signer(&self) -> PyKeyringSigner {
        PyKeyringSigner {
            inner: self.inner.signer(),
        }
    }

    /// A verifier for every key of the ring, by kid.
    fn verifier(&self) -> PyVerifier {
        PyVerifier {
            inner: self.inner.verifier(),
        }
    }
}

/// A keyring's signer.
#[pyclass(frozen, name = "KeyringSigner", module = "cf_stream_token")]
struct PyKeyringSigner {
    inner: KeyringSigner,
}

#[pymethods]
impl PyKeyringSigner {
    #[getter]
    fn kid(&self) -> String {
        self.inner.kid().to_string()
    }

    /// As `Signer.mint`, under the ring's maximum token lifetime.
    #[pyo3(signature = (video, *, ttl=None, exp=None, nbf=None, backdate=None, downloadable=false, rules=None, now=None))]
    #[allow(clippy::too_many_arguments)]
    fn mint(
        &self,
        py: Python<'_>,
        video: &str,
        ttl: Option<&Bound<'_, PyAny>>,
        exp: Option<&Bound<'_, PyAny>>,
        nbf: Option<&Bound<'_, PyAny>>,
        backdate: Option<&Bound<'_, PyAny>>,
        downloadable: bool,
        rules: Option<Vec<String>>,
        now: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<String> {
        let video = video_arg(py, video)?;
        let opts = options_arg(py, ttl, exp, nbf, backdate, downloadable, rules)?;
        let now = now_arg(py, now)?;
        mint_with(py, &self.inner, &video, &opts, now)
    }
}

/// One surface from a name (`"hls"`) or a dict (`{"kind": "thumbnail",
/// "width": 640}`).
fn surface_arg(py: Python<'_>, obj: &Bound<'_, PyAny>) -> PyResult<Surface> {
    let (kind, params) = if let Ok(name) = obj.extract::<String>() {
        (name, None)
    } else if let Ok(dict) = obj.cast::<PyDict>() {
        let kind: String = dict
            .get_item("kind")?
            .ok_or_else(|| PyTypeError::new_err("a surface dict needs a \"kind\""))?
            .extract()?;
        (kind, Some(dict.clone()))
    } else {
        return Err(PyTypeError::new_err(
            "a surface is a name (\"hls\") or a dict with a \"kind\"",
        ));
    };
    let get = |key: &str| -> PyResult<Option<Bound<'_, PyAny>>> {
        match &params {
            Some(d) => d.get_item(key),
            None => Ok(None),
        }
    };
    let known: &[&str] = match kind.as_str() {
        "hls" => &["client_bandwidth_hint", "low_latency"],
        "dash" => &["client_bandwidth_hint"],
        "thumbnail" => &["time", "width", "height", "fit"],
        "mp4" | "m4a" => &["filename"],
        "iframe" | "watch" | "webrtc" => &[],
        _ => {
            return Err(PyTypeError::new_err(format!(
                "unknown surface {kind:?}: expected hls, dash, iframe, watch, thumbnail, mp4, m4a or webrtc"
            )));
        }
    };
    if let Some(d) = &params {
        for key in d.keys() {
            let key: String = key.extract()?;
            if key != "kind" && !known.contains(&key.as_str()) {
                return Err(PyTypeError::new_err(format!(
                    "surface {kind:?} has no parameter {key:?}"
                )));
            }
        }
    }
    let surface = match kind.as_str() {
        "hls" => {
            let mut hls = Hls::new();
            if let Some(v) = get("client_bandwidth_hint")? {
                hls = hls.client_bandwidth_hint(v.extract()?);
            }
            if let Some(v) = get("low_latency")? {
                hls = hls.low_latency(v.extract()?);
            }
            Surface::Hls(hls)
        }
        "dash" => {
            let mut dash = Dash::new();
            if let Some(v) = get("client_bandwidth_hint")? {
                dash = dash.client_bandwidth_hint(v.extract()?);
            }
            Surface::Dash(dash)
        }
        "thumbnail" => {
            let mut t = Thumbnail::new();
            if let Some(v) = get("time")? {
                t = t.time(duration_arg(py, &v, "time")?);
            }
            if let Some(v) = get("width")? {
                t = t.width(v.extract()?);
            }
            if let Some(v) = get("height")? {
                t = t.height(v.extract()?);
            }
            if let Some(v) = get("fit")? {
                let fit: String = v.extract()?;
                let found = [Fit::Crop, Fit::Clip, Fit::Scale, Fit::Fill]
                    .into_iter()
                    .find(|f| f.as_str() == fit);
                t = t.fit(found.ok_or_else(|| {
                    PyTypeError::new_err(format!(
                        "unknown fit {fit:?}: expected crop, clip, scale or fill"
                    ))
                })?);
            }
            Surface::Thumbnail(t)
        }
        "mp4" | "m4a" => {
            let mut d = Download::new();
            if let Some(v) = get("filename")? {
                d = d.filename(v.extract::<String>()?);
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
    };
    Ok(surface)
}

/// The URLs of every surface asked for, around one token.
#[pyclass(frozen, name = "PlaybackTemplate", module = "cf_stream_token")]
struct PyPlaybackTemplate {
    inner: PlaybackTemplate,
}

#[pymethods]
impl PyPlaybackTemplate {
    /// `customer_code` (`customer-<code>.cloudflarestream.com`) or `host`;
    /// `surfaces`: names or dicts; the token options as `Signer.mint`'s.
    #[new]
    #[pyo3(signature = (*, customer_code=None, host=None, surfaces=None, ttl=None, exp=None, nbf=None, backdate=None, downloadable=false, rules=None))]
    #[allow(clippy::too_many_arguments)]
    fn new(
        py: Python<'_>,
        customer_code: Option<&str>,
        host: Option<&str>,
        surfaces: Option<&Bound<'_, PyList>>,
        ttl: Option<&Bound<'_, PyAny>>,
        exp: Option<&Bound<'_, PyAny>>,
        nbf: Option<&Bound<'_, PyAny>>,
        backdate: Option<&Bound<'_, PyAny>>,
        downloadable: bool,
        rules: Option<Vec<String>>,
    ) -> PyResult<Self> {
        let host = match (customer_code, host) {
            (Some(code), None) => StreamHost::customer_code(code),
            (None, Some(host)) => StreamHost::hostname(host),
            _ => {
                return Err(PyTypeError::new_err(
                    "give exactly one of customer_code and host",
                ));
            }
        }
        .map_err(|e| to_py(py, e))?;
        let opts = options_arg(py, ttl, exp, nbf, backdate, downloadable, rules)?;
        let mut b = PlaybackTemplate::builder(host).options(opts);
        match surfaces {
            Some(list) => {
                for item in list.iter() {
                    b = b.surface(surface_arg(py, &item)?);
                }
            }
            None => b = b.surface(Surface::Hls(Hls::new())),
        }
        let inner = b.build().map_err(|e| to_py(py, e))?;
        Ok(Self { inner })
    }

    /// One token, every URL: `{surface name: url}`.
    #[pyo3(signature = (signer, video, *, now=None))]
    fn mint<'py>(
        &self,
        py: Python<'py>,
        signer: &Bound<'py, PyAny>,
        video: &str,
        now: Option<&Bound<'py, PyAny>>,
    ) -> PyResult<Bound<'py, PyDict>> {
        let video = video_arg(py, video)?;
        let now = now_arg(py, now)?;
        let source: Box<dyn TokenSource + Send + Sync> =
            if let Ok(s) = signer.extract::<PyRef<'_, PySigner>>() {
                Box::new(s.inner.clone())
            } else if let Ok(s) = signer.extract::<PyRef<'_, PyKeyringSigner>>() {
                Box::new(s.inner.clone())
            } else {
                return Err(PyTypeError::new_err(
                    "signer: expected a Signer or a KeyringSigner",
                ));
            };
        let urls: Result<SignedUrls, Error> = py.detach(|| match now {
            Some(now) => self.inner.mint_at(now, &*source, &video),
            None => self.inner.mint(&*source, &video),
        });
        let urls = urls.map_err(|e| to_py(py, e))?;
        let out = PyDict::new(py);
        for (surface, url) in urls.iter() {
            out.set_item(surface.name(), url)?;
        }
        Ok(out)
    }
}

struct Running {
    runtime: tokio::runtime::Runtime,
    emulator: RustEmulator,
}

/// A local Cloudflare Stream on 127.0.0.1, for tests: the signing-key API
/// and a playback edge that enforces tokens. A context manager.
#[pyclass(name = "Emulator", module = "cf_stream_token")]
struct PyEmulator {
    api_token: String,
    account: AccountId,
    running: Option<Running>,
}

impl PyEmulator {
    fn running(&self) -> PyResult<&Running> {
        self.running
            .as_ref()
            .ok_or_else(|| PyRuntimeError::new_err("the emulator is not running (use `with`)"))
    }
}

#[pymethods]
impl PyEmulator {
    #[new]
    #[pyo3(signature = (api_token="test-token", *, account_id=DEFAULT_ACCOUNT))]
    fn new(py: Python<'_>, api_token: &str, account_id: &str) -> PyResult<Self> {
        let account = account_id.parse::<AccountId>().map_err(|e| to_py(py, e))?;
        Ok(Self {
            api_token: api_token.to_owned(),
            account,
            running: None,
        })
    }

    /// Start serving (what `with` does).
    fn start(&mut self, py: Python<'_>) -> PyResult<()> {
        if self.running.is_some() {
            return Ok(());
        }
        let token = self.api_token.clone();
        let running = py.detach(|| -> std::io::Result<Running> {
            let runtime = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .thread_name("cf-stream-emulator")
                .enable_all()
                .build()?;
            let emulator = runtime.block_on(RustEmulator::builder().api_token(token).start())?;
            Ok(Running { runtime, emulator })
        });
        self.running =
            Some(running.map_err(|e| {
                PyRuntimeError::new_err(format!("the emulator did not start: {e}"))
            })?);
        Ok(())
    }

    /// Stop serving and wait for open connections to finish.
    fn close(&mut self, py: Python<'_>) {
        if let Some(Running { runtime, emulator }) = self.running.take() {
            py.detach(move || {
                runtime.block_on(emulator.shutdown());
                drop(runtime);
            });
        }
    }

    fn __enter__(mut slf: PyRefMut<'_, Self>) -> PyResult<PyRefMut<'_, Self>> {
        let py = slf.py();
        slf.start(py)?;
        Ok(slf)
    }

    #[pyo3(signature = (*_exc))]
    fn __exit__(&mut self, py: Python<'_>, _exc: &Bound<'_, pyo3::types::PyTuple>) -> bool {
        self.close(py);
        false
    }

    /// The account the helpers use.
    #[getter]
    fn account_id(&self) -> String {
        self.account.to_string()
    }

    #[getter]
    fn api_base_url(&self) -> PyResult<String> {
        Ok(self.running()?.emulator.api_base_url())
    }

    #[getter]
    fn playback_base_url(&self) -> PyResult<String> {
        Ok(self.running()?.emulator.playback_base_url())
    }

    #[getter]
    fn control_base_url(&self) -> PyResult<String> {
        Ok(self.running()?.emulator.control_base_url())
    }

    /// The emulator's clock, in UNIX seconds.
    #[getter]
    fn now(&self) -> PyResult<i64> {
        Ok(self.running()?.emulator.now().unix_timestamp())
    }

    /// Move the clock forward (`"2h"`, seconds or a timedelta).
    fn advance(&self, py: Python<'_>, by: &Bound<'_, PyAny>) -> PyResult<()> {
        let by = duration_arg(py, by, "advance")?;
        self.running()?
            .emulator
            .advance(by)
            .map_err(|e| to_py(py, e))
    }

    /// Stop the clock at `now` (UNIX seconds or an aware datetime).
    fn set_now(&self, py: Python<'_>, now: &Bound<'_, PyAny>) -> PyResult<()> {
        let now = time_arg(py, now, "now")?;
        self.running()?
            .emulator
            .set_now(now)
            .map_err(|e| to_py(py, e))
    }

    /// Create a signing key through the emulator's API, as Cloudflare's
    /// `POST .../stream/keys` would: its tokens play here.
    fn create_key(&self, py: Python<'_>) -> PyResult<PySigningKey> {
        let running = self.running()?;
        let credentials =
            Credentials::api_token(self.api_token.clone()).map_err(|e| to_py(py, e))?;
        let client = Client::builder(self.account, credentials)
            .base_url(running.emulator.api_base_url())
            .build()
            .map_err(|e| to_py(py, e))?;
        let key = py
            .detach(|| {
                running
                    .runtime
                    .block_on(client.create_signing_key())?
                    .into_signing_key()
            })
            .map_err(|e| to_py(py, e))?;
        Ok(PySigningKey {
            signer: Signer::new(key),
        })
    }

    /// Make a key you hold (a fixture, a keyring's) play here.
    fn import_key(&self, py: Python<'_>, key: &PySigningKey) -> PyResult<()> {
        self.running()?
            .emulator
            .import_public_key(&self.account, key.signer.key().public_key())
            .map_err(|e| to_py(py, e))
    }

    /// The kids of the account's live keys.
    fn keys(&self) -> PyResult<Vec<String>> {
        Ok(self
            .running()?
            .emulator
            .keys(&self.account)
            .iter()
            .map(ToString::to_string)
            .collect())
    }

    fn __repr__(&self) -> String {
        match &self.running {
            Some(r) => format!("Emulator(running at {})", r.emulator.local_addr()),
            None => "Emulator(stopped)".to_owned(),
        }
    }
}

impl Drop for PyEmulator {
    fn drop(&mut self) {
        if let Some(Running { runtime, emulator }) = self.running.take() {
            drop(emulator);
            runtime.shutdown_background();
        }
    }
}

/// The version of the crate the module was built from.
#[pyfunction]
fn _version() -> &'static str {
    env!("CARGO_PKG_VERSION")
}

#[pymodule]
fn _native(m: &Bound<'_, PyModule>) -> PyResult<()> {
    let py = m.py();
    m.add("CfStreamTokenError", py.get_type::<CfStreamTokenError>())?;
    m.add_class::<PySigningKey>()?;
    m.add_class::<PySigner>()?;
    m.add_class::<PyVerifier>()?;
    m.add_class::<PyKeyring>()?;
    m.add_class::<PyKeyringSigner>()?;
    m.add_class::<PyPlaybackTemplate>()?;
    m.add_class::<PyEmulator>()?;
    m.add_function(wrap_pyfunction!(_version, m)?)?;
    Ok(())
}
