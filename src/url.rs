//! Playback URLs: where a token goes.
//!
//! The token takes the place of the video UID in
//! `https://<host>/<token>/<surface>[?<query>]`. One token serves every
//! surface of its video, so a [`PlaybackUrls`] mints once, with one
//! signature, for all the surfaces it was built with.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

#[cfg(not(target_arch = "wasm32"))]
use time::OffsetDateTime;

use crate::claims::{MAX_URL_LEN, TokenOptions};
use crate::error::{ECHO_MAX_CHARS, Error, ErrorKind, echo};
use crate::ids::VideoId;
#[cfg(not(target_arch = "wasm32"))]
use crate::source::TokenSource;
use crate::token::Token;

/// Longest download file name Cloudflare accepts.
const MAX_FILENAME_LEN: usize = 120;
/// Largest `clientBandwidthHint`, in Mbps. The hint picks the lowest
/// rendition to start from; Stream's highest renditions (4K) need some
/// 20 Mbps and consumer links top out near 1 Gbps, so a larger value is a
/// unit mistake (bits per second given as Mbps), not a hint.
const MAX_BANDWIDTH_MBPS: f64 = 1000.0;
/// `clientBandwidthHint` resolution: 0.001 Mbps (1 kbps), so that the value
/// is at most three decimals and at most 8 characters.
const BANDWIDTH_STEPS_PER_MBPS: f64 = 1000.0;
/// Animated thumbnails: Cloudflare's documented frame-rate range.
const FPS_RANGE: std::ops::RangeInclusive<u8> = 1..=15;

fn invalid(what: &'static str, value: impl fmt::Display) -> Error {
    ErrorKind::InvalidUrlPart {
        what,
        value: echo(&value.to_string(), ECHO_MAX_CHARS),
    }
    .into()
}

/// The host playback URLs point at: the account's customer subdomain
/// (`customer-<code>.cloudflarestream.com`), a host of your own (both over
/// `https`), or a loopback address over `http` (a local Stream such as the
/// crate's emulator, `http://127.0.0.1:PORT`).
///
/// ```
/// use cf_stream_token::StreamHost;
/// let host = StreamHost::customer_code("f33zs165nr7gyfy4")?;
/// assert_eq!(host.as_str(), "customer-f33zs165nr7gyfy4.cloudflarestream.com");
/// assert_eq!(host.origin(), "https://customer-f33zs165nr7gyfy4.cloudflarestream.com");
/// assert_eq!(StreamHost::hostname("videodelivery.net")?.as_str(), "videodelivery.net");
/// assert_eq!(StreamHost::parse("http://127.0.0.1:8080")?.origin(), "http://127.0.0.1:8080");
/// assert!(StreamHost::customer_code("F33ZS165NR7GYFY4").is_err());
/// assert!(StreamHost::hostname("https://videodelivery.net/").is_err());
/// // http only for loopback addresses.
/// assert!(StreamHost::parse("http://videodelivery.net").is_err());
/// # Ok::<(), cf_stream_token::Error>(())
/// ```
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct StreamHost {
    /// `https://host[:port]` or `http://loopback[:port]`: what a URL starts with.
    origin: Box<str>,
    /// Where the host starts in `origin` (after the scheme's `://`).
    host_at: usize,
}

/// The environment variable holding the account's customer code.
pub(crate) const ENV_CUSTOMER_CODE: &str = "CF_STREAM_CUSTOMER_CODE";
/// The environment variable holding a host of your own or a loopback base URL.
pub(crate) const ENV_HOST: &str = "CF_STREAM_HOST";

impl StreamHost {
    fn https(host: &str) -> Self {
        StreamHost {
            origin: format!("https://{host}").into_boxed_str(),
            host_at: "https://".len(),
        }
    }

    fn http(host: &str) -> Self {
        StreamHost {
            origin: format!("http://{host}").into_boxed_str(),
            host_at: "http://".len(),
        }
    }

    /// The customer subdomain for `code`, the account's customer code as
    /// shown in the Stream dashboard (e.g. `f33zs165nr7gyfy4`).
    ///
    /// # Errors
    /// [`ErrorKind::InvalidUrlPart`] (`what: "customer code"`) unless `code`
    /// is 1 to 63 of `a-z 0-9`.
    pub fn customer_code(code: &str) -> Result<Self, Error> {
        let ok = (1..=63).contains(&code.len())
            && code
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit());
        if !ok {
            return Err(invalid("customer code", code));
        }
        Ok(Self::https(&format!(
            "customer-{code}.cloudflarestream.com"
        )))
    }

    /// A host name of your own (or the legacy `videodelivery.net`),
    /// optionally with a port: `videos.example.com`, `localhost:8443`.
    /// Stored in lower case; its URLs use `https`.
    ///
    /// # Errors
    /// [`ErrorKind::InvalidUrlPart`] (`what: "host"`) unless `host` is a DNS
    /// name (labels of 1 to 63 of `A-Z a-z 0-9 -`, not starting or ending
    /// with `-`, at most 253 characters, the last label not all digits) with
    /// an optional port 1 to 65535. A scheme, path, user, IP literal or
    /// trailing dot is refused. As in the WHATWG URL host parser (which
    /// browsers follow), a host whose last label is a number in any form
    /// (`1`, `0x7f000001`, `0x`, `0177`) is an IPv4 address and is refused:
    /// `1a.example` and `x.0a` are names. A loopback address is a
    /// [`StreamHost::loopback`] or [`StreamHost::parse`] base URL.
    pub fn hostname(host: &str) -> Result<Self, Error> {
        let bad = || invalid("host", host);
        let (name, port) = match host.split_once(':') {
            Some((name, port)) => (name, Some(port)),
            None => (host, None),
        };
        if port.is_some_and(|p| !port_ok(p)) {
            return Err(bad());
        }
        if name.is_empty() || name.len() > 253 {
            return Err(bad());
        }
        let label_ok = |l: &str| {
            (1..=63).contains(&l.len())
                && l.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
                && !l.starts_with('-')
                && !l.ends_with('-')
        };
        if !name.split('.').all(label_ok) {
            return Err(bad());
        }
        // WHATWG URL "ends in a number": a last label of digits (decimal,
        // or octal with a leading 0) or `0x`/`0X` and hex digits (none at
        // all included) makes the whole host an IPv4 address to a browser,
        // `0x7f000001` and `1.2.3.0x4` alike. RFC 1123 also rules out an
        // all-digit top-level label.
        let last = name.rsplit('.').next().unwrap_or_default();
        let hex = last
            .strip_prefix("0x")
            .or_else(|| last.strip_prefix("0X"))
            .is_some_and(|h| h.bytes().all(|b| b.is_ascii_hexdigit()));
        if hex || last.bytes().all(|b| b.is_ascii_digit()) {
            return Err(bad());
        }
        Ok(Self::https(&host.to_ascii_lowercase()))
    }

    /// A loopback address and port, over `http`: where a local Stream (the
    /// crate's emulator, `Emulator::stream_host`) serves playback.
    ///
    /// ```
    /// use cf_stream_token::StreamHost;
    /// let host = StreamHost::loopback("127.0.0.1:8080".parse().unwrap())?;
    /// assert_eq!(host.origin(), "http://127.0.0.1:8080");
    /// assert_eq!(StreamHost::loopback("[::1]:8080".parse().unwrap())?.origin(), "http://[::1]:8080");
    /// assert!(StreamHost::loopback("192.0.2.1:8080".parse().unwrap()).is_err());
    /// # Ok::<(), cf_stream_token::Error>(())
    /// ```
    ///
    /// # Errors
    /// [`ErrorKind::InvalidUrlPart`] (`what: "http host"`) for an address
    /// that is not loopback (`127.0.0.0/8`, `::1`): tokens are bearer
    /// credentials, and plain `http` would hand them to the network.
    pub fn loopback(addr: std::net::SocketAddr) -> Result<Self, Error> {
        if !addr.ip().is_loopback() {
            return Err(invalid("http host", addr));
        }
        Ok(Self::http(&addr.to_string()))
    }

    /// Any address over `http`, for the crate's emulator only (one bound to
    /// an address of the machine that is not loopback).
    #[cfg(feature = "emulator")]
    pub(crate) fn emulator(addr: std::net::SocketAddr) -> Self {
        Self::http(&addr.to_string())
    }

    /// A host name ([`StreamHost::hostname`]) or a base URL:
    /// `https://HOST[:PORT]`, or `http://` with a loopback address
    /// (`127.0.0.0/8`, `[::1]` or `localhost`) and an optional port, such
    /// as the emulator's `http://127.0.0.1:PORT`. One trailing `/` is
    /// allowed. What `CF_STREAM_HOST` and the CLI's `--host` hold.
    ///
    /// # Errors
    /// [`ErrorKind::InvalidUrlPart`]: `what: "http host"` for `http` with a
    /// host that is not loopback (a token sent in the clear over a network
    /// is anyone's), `what: "base URL"` for another scheme, a path, a query
    /// or a user, `what: "host"` for a host that
    /// [`StreamHost::hostname`] refuses (an IP address included, unless it
    /// is loopback).
    pub fn parse(value: &str) -> Result<Self, Error> {
        let Some((scheme, rest)) = value.split_once("://") else {
            return Self::hostname(value);
        };
        let authority = rest.strip_suffix('/').unwrap_or(rest);
        if authority.contains(['/', '?', '#', '@', '\\']) || authority.is_empty() {
            return Err(invalid("base URL", value));
        }
        let (host, port) = split_authority(authority);
        if !port.is_empty() && !port.strip_prefix(':').is_some_and(port_ok) {
            return Err(invalid("base URL", value));
        }
        let loopback = is_loopback(host);
        let authority = authority.to_ascii_lowercase();
        match scheme.to_ascii_lowercase().as_str() {
            "http" if loopback => Ok(Self::http(&authority)),
            "http" => Err(invalid("http host", value)),
            "https" if loopback => Ok(Self::https(&authority)),
            "https" => Self::hostname(&authority),
            _ => Err(invalid("base URL", value)),
        }
    }

    /// The host from the environment: `CF_STREAM_CUSTOMER_CODE` (the
    /// account's customer code, [`StreamHost::customer_code`]) or
    /// `CF_STREAM_HOST` (a host of your own or a loopback base URL such as
    /// the emulator's, [`StreamHost::parse`]). Values are trimmed.
    ///
    /// # Errors
    /// [`ErrorKind::MissingConfig`] when neither is set (or both are
    /// blank); [`ErrorKind::ConflictingConfig`] when both are; else as
    /// [`StreamHost::customer_code`] or [`StreamHost::parse`].
    pub fn from_env() -> Result<Self, Error> {
        Self::from_env_with(|name| std::env::var(name).ok())
    }

    /// As [`StreamHost::from_env`], reading variables through `var` (for
    /// tests, or settings kept elsewhere).
    ///
    /// ```
    /// use cf_stream_token::StreamHost;
    /// let host = StreamHost::from_env_with(|name| {
    ///     (name == "CF_STREAM_HOST").then(|| "http://127.0.0.1:8080".to_owned())
    /// })?;
    /// assert_eq!(host.origin(), "http://127.0.0.1:8080");
    /// let host = StreamHost::from_env_with(|name| {
    ///     (name == "CF_STREAM_CUSTOMER_CODE").then(|| "f33zs165nr7gyfy4".to_owned())
    /// })?;
    /// assert_eq!(host.as_str(), "customer-f33zs165nr7gyfy4.cloudflarestream.com");
    /// # Ok::<(), cf_stream_token::Error>(())
    /// ```
    ///
    /// # Errors
    /// As [`StreamHost::from_env`].
    pub fn from_env_with(var: impl Fn(&str) -> Option<String>) -> Result<Self, Error> {
        let set = |name: &str| var(name).filter(|v| !v.trim().is_empty());
        match (set(ENV_CUSTOMER_CODE), set(ENV_HOST)) {
            (Some(_), Some(_)) => Err(ErrorKind::ConflictingConfig {
                first: ENV_CUSTOMER_CODE,
                second: ENV_HOST,
            }
            .into()),
            (Some(code), None) => Self::customer_code(code.trim()),
            (None, Some(host)) => Self::parse(host.trim()),
            (None, None) => Err(ErrorKind::MissingConfig {
                name: "CF_STREAM_CUSTOMER_CODE or CF_STREAM_HOST",
            }
            .into()),
        }
    }

    /// The host, with its port if one was given (no scheme).
    pub fn as_str(&self) -> &str {
        &self.origin[self.host_at..]
    }

    /// The scheme and host every URL starts with:
    /// `https://customer-<code>.cloudflarestream.com`, `http://127.0.0.1:8080`.
    pub fn origin(&self) -> &str {
        &self.origin
    }

    /// Whether URLs use plain `http` (a loopback address only).
    pub fn is_loopback_http(&self) -> bool {
        self.host_at == "http://".len()
    }
}

/// A port as a URL carries it: 1 to 65535, digits only, no leading zero.
fn port_ok(port: &str) -> bool {
    !port.is_empty()
        && port.bytes().all(|b| b.is_ascii_digit())
        && !port.starts_with('0')
        && port.parse::<u16>().is_ok()
}

/// `authority` as host and port (with its `:`, or empty); an IPv6 host
/// keeps its brackets.
fn split_authority(authority: &str) -> (&str, &str) {
    let at = if authority.starts_with('[') {
        authority.find(']').map_or(authority.len(), |end| end + 1)
    } else {
        authority.find(':').unwrap_or(authority.len())
    };
    authority.split_at(at)
}

/// Whether `host` is a loopback address: `127.0.0.0/8` in dotted decimal,
/// `[::1]`, or `localhost`.
fn is_loopback(host: &str) -> bool {
    match host.strip_prefix('[').and_then(|h| h.strip_suffix(']')) {
        Some(v6) => v6
            .parse::<std::net::Ipv6Addr>()
            .is_ok_and(|a| a.is_loopback()),
        None => {
            host.eq_ignore_ascii_case("localhost")
                || host
                    .parse::<std::net::Ipv4Addr>()
                    .is_ok_and(|a| a.is_loopback())
        }
    }
}

impl fmt::Display for StreamHost {
    /// The host ([`StreamHost::as_str`]), or the whole origin for a
    /// loopback `http` host, so that its scheme is never mistaken.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(if self.is_loopback_http() {
            self.origin()
        } else {
            self.as_str()
        })
    }
}

impl fmt::Debug for StreamHost {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "StreamHost({:?})", self.to_string())
    }
}

/// How a thumbnail fills a `width` × `height` that does not match the
/// video's shape (Cloudflare's default is [`Fit::Crop`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Fit {
    /// Cut off what does not fit.
    Crop,
    /// Keep the whole frame, shrunk to fit inside.
    Clip,
    /// Stretch the frame to the size.
    Scale,
    /// Keep the whole frame and fill the rest with black.
    Fill,
}

impl Fit {
    /// The query value: `crop`, `clip`, `scale` or `fill`.
    pub fn as_str(self) -> &'static str {
        match self {
            Fit::Crop => "crop",
            Fit::Clip => "clip",
            Fit::Scale => "scale",
            Fit::Fill => "fill",
        }
    }
}

/// HLS manifest options (`manifest/video.m3u8`).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Hls {
    bandwidth_hint: Option<f64>,
    low_latency: bool,
}

impl Hls {
    /// No query parameters.
    pub fn new() -> Self {
        Hls::default()
    }

    /// `clientBandwidthHint`: only renditions of at least this many Mbps
    /// (0.001 to 1000, rounded to three decimals; checked when the URLs are
    /// built).
    #[must_use]
    pub fn client_bandwidth_hint(mut self, mbps: f64) -> Self {
        self.bandwidth_hint = Some(mbps);
        self
    }

    /// `protocol=llhls`: the low-latency HLS manifest of a live input.
    #[must_use]
    pub fn low_latency(mut self, yes: bool) -> Self {
        self.low_latency = yes;
        self
    }
}

/// DASH manifest options (`manifest/video.mpd`).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Dash {
    bandwidth_hint: Option<f64>,
}

impl Dash {
    /// No query parameters.
    pub fn new() -> Self {
        Dash::default()
    }

    /// `clientBandwidthHint`: only renditions of at least this many Mbps
    /// (0.001 to 1000, rounded to three decimals; checked when the URLs are
    /// built). Cloudflare documents the hint for both manifests.
    #[must_use]
    pub fn client_bandwidth_hint(mut self, mbps: f64) -> Self {
        self.bandwidth_hint = Some(mbps);
        self
    }
}

/// Still thumbnail options (`thumbnails/thumbnail.jpg`). Unset values are
/// left to Cloudflare's defaults (time 0 s, 640 × 640, crop).
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct Thumbnail {
    time: Option<Duration>,
    width: Option<u32>,
    height: Option<u32>,
    fit: Option<Fit>,
}

impl Thumbnail {
    /// No query parameters.
    pub fn new() -> Self {
        Thumbnail::default()
    }

    /// `time`: the frame this far into the video (whole seconds; checked
    /// when the URLs are built). Sent as seconds, e.g. `62s`.
    #[must_use]
    pub fn time(mut self, at: Duration) -> Self {
        self.time = Some(at);
        self
    }

    /// `width` in pixels (not zero; checked when the URLs are built).
    #[must_use]
    pub fn width(mut self, px: u32) -> Self {
        self.width = Some(px);
        self
    }

    /// `height` in pixels (not zero; checked when the URLs are built).
    #[must_use]
    pub fn height(mut self, px: u32) -> Self {
        self.height = Some(px);
        self
    }

    /// `fit`: what to do when the size does not match the video's shape.
    #[must_use]
    pub fn fit(mut self, fit: Fit) -> Self {
        self.fit = Some(fit);
        self
    }

    /// An animated thumbnail with these options (start `time`, size, fit).
    #[must_use]
    pub fn animated(self) -> AnimatedThumbnail {
        AnimatedThumbnail::from(self)
    }

    fn append(&self, q: &mut Query) -> Result<(), Error> {
        if let Some(t) = self.time {
            q.pair("time", &seconds("time", t, true)?);
        }
        if let Some(h) = self.height {
            q.pair("height", &pixels("height", h)?);
        }
        if let Some(w) = self.width {
            q.pair("width", &pixels("width", w)?);
        }
        if let Some(fit) = self.fit {
            q.pair("fit", fit.as_str());
        }
        Ok(())
    }
}

/// Animated thumbnail options (`thumbnails/thumbnail.gif`): a still's
/// [`Thumbnail`] (the start `time`, size and fit), plus `duration` and `fps`.
/// Build one from a still with [`Thumbnail::animated`] (or `From`); the
/// still's setters are repeated here for convenience. Unset values are left
/// to Cloudflare's defaults (5 s, 8 fps).
///
/// ```
/// use std::time::Duration;
/// use cf_stream_token::{AnimatedThumbnail, Thumbnail};
/// let still = Thumbnail::new().time(Duration::from_secs(8)).width(320);
/// let gif = still.clone().animated().fps(10);
/// assert_eq!(gif.still(), &still);
/// assert_eq!(gif, AnimatedThumbnail::new().time(Duration::from_secs(8)).width(320).fps(10));
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct AnimatedThumbnail {
    still: Thumbnail,
    duration: Option<Duration>,
    fps: Option<u8>,
}

impl From<Thumbnail> for AnimatedThumbnail {
    fn from(still: Thumbnail) -> Self {
        AnimatedThumbnail {
            still,
            duration: None,
            fps: None,
        }
    }
}

impl AnimatedThumbnail {
    /// No query parameters.
    pub fn new() -> Self {
        AnimatedThumbnail::default()
    }

    /// The still options the animation starts from.
    pub fn still(&self) -> &Thumbnail {
        &self.still
    }

    /// `time`: start this far into the video (whole seconds).
    #[must_use]
    pub fn time(mut self, at: Duration) -> Self {
        self.still = self.still.time(at);
        self
    }

    /// `width` in pixels (not zero).
    #[must_use]
    pub fn width(mut self, px: u32) -> Self {
        self.still = self.still.width(px);
        self
    }

    /// `height` in pixels (not zero).
    #[must_use]
    pub fn height(mut self, px: u32) -> Self {
        self.still = self.still.height(px);
        self
    }

    /// `fit`: what to do when the size does not match the video's shape.
    #[must_use]
    pub fn fit(mut self, fit: Fit) -> Self {
        self.still = self.still.fit(fit);
        self
    }

    /// `duration` of the animation (whole seconds, not zero; checked when
    /// the URLs are built).
    #[must_use]
    pub fn duration(mut self, length: Duration) -> Self {
        self.duration = Some(length);
        self
    }

    /// `fps`: frames per second, 1 to 15 (checked when the URLs are built).
    #[must_use]
    pub fn fps(mut self, fps: u8) -> Self {
        self.fps = Some(fps);
        self
    }
}

/// Download options (`downloads/default.mp4`, `downloads/audio.m4a`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct Download {
    filename: Option<String>,
}

impl Download {
    /// No query parameters: Cloudflare picks the file name.
    pub fn new() -> Self {
        Download::default()
    }

    /// `filename` the browser saves under (1 to 120 of `A-Z a-z 0-9 _ -`,
    /// no extension; checked when the URLs are built).
    #[must_use]
    pub fn filename(mut self, name: impl Into<String>) -> Self {
        self.filename = Some(name.into());
        self
    }
}

/// The kinds of playback surface, without their parameters: the one table of
/// names, paths, query parameters, downloads and methods that the URL
/// builder, the command line's `--kind` and the emulator's edge all read.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum SurfaceKind {
    /// [`Surface::Iframe`].
    Iframe,
    /// [`Surface::Watch`].
    Watch,
    /// [`Surface::Hls`].
    Hls,
    /// [`Surface::Dash`].
    Dash,
    /// [`Surface::Thumbnail`].
    Thumbnail,
    /// [`Surface::AnimatedThumbnail`].
    AnimatedThumbnail,
    /// [`Surface::Mp4Download`].
    Mp4Download,
    /// [`Surface::AudioDownload`].
    AudioDownload,
    /// [`Surface::WebRtc`].
    WebRtc,
}

/// One row of the surface table.
struct Row {
    kind: SurfaceKind,
    name: &'static str,
    path: &'static str,
    params: &'static [&'static str],
    download: bool,
    method: &'static str,
}

/// The surface table, in the order the command line's help lists them.
const TABLE: [Row; 9] = [
    Row {
        kind: SurfaceKind::Hls,
        name: "hls",
        path: "manifest/video.m3u8",
        params: &["clientBandwidthHint", "protocol"],
        download: false,
        method: "GET",
    },
    Row {
        kind: SurfaceKind::Dash,
        name: "dash",
        path: "manifest/video.mpd",
        params: &["clientBandwidthHint"],
        download: false,
        method: "GET",
    },
    Row {
        kind: SurfaceKind::Iframe,
        name: "iframe",
        path: "iframe",
        params: &[],
        download: false,
        method: "GET",
    },
    Row {
        kind: SurfaceKind::Watch,
        name: "watch",
        path: "watch",
        params: &[],
        download: false,
        method: "GET",
    },
    Row {
        kind: SurfaceKind::Thumbnail,
        name: "thumbnail",
        path: "thumbnails/thumbnail.jpg",
        params: &["time", "width", "height", "fit"],
        download: false,
        method: "GET",
    },
    Row {
        kind: SurfaceKind::AnimatedThumbnail,
        name: "gif",
        path: "thumbnails/thumbnail.gif",
        params: &["time", "width", "height", "fit", "duration", "fps"],
        download: false,
        method: "GET",
    },
    Row {
        kind: SurfaceKind::Mp4Download,
        name: "mp4",
        path: "downloads/default.mp4",
        params: &["filename"],
        download: true,
        method: "GET",
    },
    Row {
        kind: SurfaceKind::AudioDownload,
        name: "m4a",
        path: "downloads/audio.m4a",
        params: &["filename"],
        download: true,
        method: "GET",
    },
    Row {
        kind: SurfaceKind::WebRtc,
        name: "webrtc",
        path: "webRTC/play",
        params: &[],
        download: false,
        method: "POST",
    },
];

impl SurfaceKind {
    /// Every kind, in the order the command line's help lists them.
    pub const ALL: [SurfaceKind; 9] = {
        let mut all = [SurfaceKind::Hls; 9];
        let mut i = 0;
        while i < TABLE.len() {
            all[i] = TABLE[i].kind;
            i += 1;
        }
        all
    };

    fn row(self) -> &'static Row {
        // The table lists every kind once; its test pins the order.
        let i = match self {
            SurfaceKind::Hls => 0,
            SurfaceKind::Dash => 1,
            SurfaceKind::Iframe => 2,
            SurfaceKind::Watch => 3,
            SurfaceKind::Thumbnail => 4,
            SurfaceKind::AnimatedThumbnail => 5,
            SurfaceKind::Mp4Download => 6,
            SurfaceKind::AudioDownload => 7,
            SurfaceKind::WebRtc => 8,
        };
        &TABLE[i]
    }

    /// The short name, the command line's `--kind`: `hls`, `dash`, `iframe`,
    /// `watch`, `thumbnail`, `gif`, `mp4`, `m4a`, `webrtc`.
    pub fn name(self) -> &'static str {
        self.row().name
    }

    /// The path after the token, e.g. `manifest/video.m3u8`.
    pub fn path(self) -> &'static str {
        self.row().path
    }

    /// The query parameters the surface takes, as Cloudflare names them.
    pub fn params(self) -> &'static [&'static str] {
        self.row().params
    }

    /// Whether the surface needs a token with `downloadable: true`.
    pub fn is_download(self) -> bool {
        self.row().download
    }

    /// The HTTP method a player uses: `GET` (and so `HEAD`), or `POST` for
    /// WebRTC's WHEP, where the viewer posts an SDP offer.
    pub fn method(self) -> &'static str {
        self.row().method
    }

    /// The kind of this [`name`](Self::name).
    pub fn from_name(name: &str) -> Option<SurfaceKind> {
        TABLE.iter().find(|r| r.name == name).map(|r| r.kind)
    }

    /// The kind served at this [`path`](Self::path) (what follows the token).
    pub fn from_path(path: &str) -> Option<SurfaceKind> {
        TABLE.iter().find(|r| r.path == path).map(|r| r.kind)
    }
}

impl fmt::Display for SurfaceKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A playback surface: what a URL serves, with its query parameters.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub enum Surface {
    /// `iframe`: the Stream Player embed.
    Iframe,
    /// `watch`: the hosted watch page.
    Watch,
    /// `manifest/video.m3u8`: HLS.
    Hls(Hls),
    /// `manifest/video.mpd`: DASH.
    Dash(Dash),
    /// `thumbnails/thumbnail.jpg`: a still.
    Thumbnail(Thumbnail),
    /// `thumbnails/thumbnail.gif`: an animation.
    AnimatedThumbnail(AnimatedThumbnail),
    /// `downloads/default.mp4`: the MP4 download (the token is made
    /// downloadable).
    Mp4Download(Download),
    /// `downloads/audio.m4a`: the audio-only download (the token is made
    /// downloadable).
    AudioDownload(Download),
    /// `webRTC/play`: WebRTC (WHEP) playback of a live input.
    WebRtc,
}

impl Surface {
    /// The surface's kind: its row of the surface table.
    pub fn kind(&self) -> SurfaceKind {
        match self {
            Surface::Iframe => SurfaceKind::Iframe,
            Surface::Watch => SurfaceKind::Watch,
            Surface::Hls(_) => SurfaceKind::Hls,
            Surface::Dash(_) => SurfaceKind::Dash,
            Surface::Thumbnail(_) => SurfaceKind::Thumbnail,
            Surface::AnimatedThumbnail(_) => SurfaceKind::AnimatedThumbnail,
            Surface::Mp4Download(_) => SurfaceKind::Mp4Download,
            Surface::AudioDownload(_) => SurfaceKind::AudioDownload,
            Surface::WebRtc => SurfaceKind::WebRtc,
        }
    }

    /// A short name for the surface, the command line's `--kind`
    /// ([`SurfaceKind::name`]). [`SignedUrls`] serialises its URLs under
    /// these names and has an accessor of each name.
    pub fn name(&self) -> &'static str {
        self.kind().name()
    }

    /// The path after the token, e.g. `manifest/video.m3u8`.
    pub fn path(&self) -> &'static str {
        self.kind().path()
    }

    /// Whether the surface needs a token with `downloadable: true`.
    pub fn is_download(&self) -> bool {
        self.kind().is_download()
    }

    /// Path and query, every value checked and percent-encoded.
    fn suffix(&self) -> Result<String, Error> {
        let mut q = Query::default();
        match self {
            Surface::Iframe | Surface::Watch | Surface::WebRtc => {}
            Surface::Hls(hls) => {
                if let Some(mbps) = hls.bandwidth_hint {
                    q.pair("clientBandwidthHint", &bandwidth(mbps)?);
                }
                if hls.low_latency {
                    q.pair("protocol", "llhls");
                }
            }
            Surface::Dash(dash) => {
                if let Some(mbps) = dash.bandwidth_hint {
                    q.pair("clientBandwidthHint", &bandwidth(mbps)?);
                }
            }
            Surface::Thumbnail(still) => still.append(&mut q)?,
            Surface::AnimatedThumbnail(gif) => {
                gif.still.append(&mut q)?;
                if let Some(d) = gif.duration {
                    q.pair("duration", &seconds("duration", d, false)?);
                }
                if let Some(fps) = gif.fps {
                    if !FPS_RANGE.contains(&fps) {
                        return Err(invalid("fps", fps));
                    }
                    q.pair("fps", &fps.to_string());
                }
            }
            Surface::Mp4Download(dl) | Surface::AudioDownload(dl) => {
                if let Some(name) = &dl.filename {
                    q.pair("filename", checked_filename(name)?);
                }
            }
        }
        let query = q.0.finish();
        let path = self.path();
        let mut out = String::with_capacity(path.len() + 1 + query.len());
        out.push_str(path);
        if !query.is_empty() {
            out.push('?');
            out.push_str(&query);
        }
        Ok(out)
    }
}

/// `application/x-www-form-urlencoded` query, as browsers and Cloudflare read it.
struct Query(form_urlencoded::Serializer<'static, String>);

impl Default for Query {
    fn default() -> Self {
        Query(form_urlencoded::Serializer::new(String::new()))
    }
}

impl Query {
    fn pair(&mut self, name: &str, value: &str) {
        self.0.append_pair(name, value);
    }
}

fn seconds(what: &'static str, d: Duration, zero_ok: bool) -> Result<String, Error> {
    if d.subsec_nanos() != 0 || (!zero_ok && d.is_zero()) {
        return Err(invalid(what, format_args!("{d:?}")));
    }
    Ok(format!("{}s", d.as_secs()))
}

fn pixels(what: &'static str, px: u32) -> Result<String, Error> {
    if px == 0 {
        return Err(invalid(what, px));
    }
    Ok(px.to_string())
}

fn bandwidth(mbps: f64) -> Result<String, Error> {
    // NaN fails both comparisons; the infinities fail one.
    let in_range = mbps > 0.0 && mbps <= MAX_BANDWIDTH_MBPS;
    let steps = (mbps * BANDWIDTH_STEPS_PER_MBPS).round();
    if !in_range || steps < 1.0 {
        // As written when short, else in exponent form: a refused 1e308 is
        // echoed in 5 characters, not 309.
        let shown = mbps.to_string();
        return Err(if shown.len() <= 16 {
            invalid("clientBandwidthHint", shown)
        } else {
            invalid("clientBandwidthHint", format_args!("{mbps:e}"))
        });
    }
    // `steps` is a whole number up to 10^6, so the division gives the double
    // nearest a three-decimal value, and `Display` (the shortest text that
    // reads back the same, never an exponent) prints it: 1.8 -> "1.8",
    // 2.0 -> "2", 1.23456 -> "1.235".
    Ok((steps / BANDWIDTH_STEPS_PER_MBPS).to_string())
}

fn checked_filename(name: &str) -> Result<&str, Error> {
    let ok = (1..=MAX_FILENAME_LEN).contains(&name.len())
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    if ok {
        Ok(name)
    } else {
        Err(invalid("filename", name))
    }
}

/// Signed playback URLs for one video: a [`PlaybackTemplate`] (host, token
/// options and the surfaces wanted, checked once by
/// [`PlaybackUrlsBuilder::build`]) and the video, minted any number of times.
///
/// Each mint makes one token, with one RSA signature, and puts it in the URL
/// of every surface. If any surface is a download, that token carries
/// `downloadable: true`. Any [`TokenSource`] mints; an async source's finished
/// token goes through [`PlaybackUrls::with_token`].
///
/// ```
/// use std::time::Duration;
/// use cf_stream_token::{
///     Download, Fit, Hls, PlaybackUrls, Signer, SigningKey, StreamHost, Surface, Thumbnail,
///     TokenOptions, VideoId,
/// };
/// use time::macros::datetime;
///
/// let signer = Signer::new(SigningKey::parse(include_str!("../fixtures/demo/demo.jwk.json"), None)?);
/// let video: VideoId = "ea95132c15732412d22c1476fa83f27a".parse()?;
///
/// let poster = Surface::Thumbnail(
///     Thumbnail::new().time(Duration::from_secs(8)).height(270).fit(Fit::Clip),
/// );
/// let hls = Surface::Hls(Hls::new().client_bandwidth_hint(1.8));
/// let mp4 = Surface::Mp4Download(Download::new().filename("launch-keynote"));
///
/// let urls = PlaybackUrls::builder(StreamHost::customer_code("f33zs165nr7gyfy4")?, video)
///     .options(TokenOptions::builder().lifetime(Duration::from_secs(2 * 3600)).build()?)
///     .surfaces([Surface::Iframe, poster.clone(), hls.clone(), mp4.clone()])
///     .build()?;
///
/// // One mint, one signature, four URLs.
/// let signed = urls.mint_at(datetime!(2023-11-14 22:13:20 UTC), &signer)?;
/// let token = signed.token();
/// assert_eq!(token.exp(), 1_700_007_200);
/// assert!(token.claims().downloadable()); // because of the MP4 download
///
/// let base = format!("https://customer-f33zs165nr7gyfy4.cloudflarestream.com/{token}");
/// assert_eq!(signed.get(&Surface::Iframe), Some(&*format!("{base}/iframe")));
/// assert_eq!(
///     signed.get(&poster),
///     Some(&*format!("{base}/thumbnails/thumbnail.jpg?time=8s&height=270&fit=clip"))
/// );
/// assert_eq!(
///     signed.get(&hls),
///     Some(&*format!("{base}/manifest/video.m3u8?clientBandwidthHint=1.8"))
/// );
/// assert_eq!(
///     signed.get(&mp4),
///     Some(&*format!("{base}/downloads/default.mp4?filename=launch-keynote"))
/// );
///
/// // The token in any of the URLs verifies with the key's public half.
/// let claims = signer
///     .verifier()
///     .verify_at(token.as_str(), datetime!(2023-11-14 22:14:00 UTC))?;
/// assert_eq!(claims.video(), &video);
/// # Ok::<(), cf_stream_token::Error>(())
/// ```
#[derive(Clone, Debug)]
pub struct PlaybackUrls {
    video: VideoId,
    template: PlaybackTemplate,
}

/// A host, token options and surfaces, checked and rendered once: what
/// [`PlaybackTemplate`] holds.
#[derive(Clone, Debug)]
struct Rendered {
    host: StreamHost,
    options: TokenOptions,
    surfaces: Arc<[Surface]>,
    /// Path and query of each surface, rendered once.
    suffixes: Box<[Box<str>]>,
    /// Length of the longest of them.
    longest_suffix: usize,
    /// Whether a surface is a download (its token must be downloadable).
    download: bool,
}

impl Rendered {
    /// Check every surface and render its path and query once.
    fn new(host: StreamHost, options: TokenOptions, surfaces: Vec<Surface>) -> Result<Self, Error> {
        let suffixes: Box<[Box<str>]> = surfaces
            .iter()
            .map(|s| s.suffix().map(String::into_boxed_str))
            .collect::<Result<_, _>>()?;
        let download = surfaces.iter().any(Surface::is_download);
        let options = if download {
            options.with_downloadable()
        } else {
            options
        };
        let longest_suffix = suffixes.iter().map(|s| s.len()).max().unwrap_or(0);
        let bound = url_len(host.origin.len(), options.max_token_len(), longest_suffix);
        if bound > MAX_URL_LEN {
            return Err(ErrorKind::UrlTooLong {
                len: bound,
                max: MAX_URL_LEN,
            }
            .into());
        }
        Ok(Rendered {
            host,
            options,
            surfaces: Arc::from(surfaces),
            suffixes,
            longest_suffix,
            download,
        })
    }

    /// One token for `video` as of `now`, spliced into every URL; with
    /// `options` instead of the built ones when given (made downloadable
    /// when a surface is a download).
    #[cfg(not(target_arch = "wasm32"))]
    fn mint_at<S: TokenSource + ?Sized>(
        &self,
        now: OffsetDateTime,
        source: &S,
        video: &VideoId,
        options: Option<&TokenOptions>,
    ) -> Result<SignedUrls, Error> {
        let token = match options {
            None => source.mint_at(now, video, &self.options)?,
            Some(o) if !o.downloadable() && self.download => {
                source.mint_at(now, video, &o.with_downloadable())?
            }
            Some(o) => source.mint_at(now, video, o)?,
        };
        self.splice(token)
    }

    /// Every surface's URL with a token minted elsewhere: refused unless it
    /// is downloadable when a surface is a download, and fits every URL.
    fn with_token(&self, token: Token) -> Result<SignedUrls, Error> {
        if self.download && !token.claims().downloadable() {
            return Err(ErrorKind::NotDownloadable.into());
        }
        self.splice(token)
    }

    /// Every surface's URL with `token`.
    fn splice(&self, token: Token) -> Result<SignedUrls, Error> {
        // `build` bounded the tokens of its own options; options given per
        // mint and tokens minted elsewhere are measured here.
        let longest = url_len(
            self.host.origin.len(),
            token.as_str().len(),
            self.longest_suffix,
        );
        if longest > MAX_URL_LEN {
            return Err(ErrorKind::UrlTooLong {
                len: longest,
                max: MAX_URL_LEN,
            }
            .into());
        }
        let origin = self.host.origin();
        let mut base = String::with_capacity(origin.len() + 2 + token.as_str().len());
        base.push_str(origin);
        base.push('/');
        base.push_str(token.as_str());
        base.push('/');
        let urls = self
            .suffixes
            .iter()
            .map(|suffix| {
                let mut url = String::with_capacity(base.len() + suffix.len());
                url.push_str(&base);
                url.push_str(suffix);
                url
            })
            .collect();
        Ok(SignedUrls {
            token,
            surfaces: Arc::clone(&self.surfaces),
            urls,
        })
    }
}

/// Length of `<origin>/<token>/<suffix>`.
fn url_len(origin: usize, token: usize, suffix: usize) -> usize {
    origin + 1 + token + 1 + suffix
}

impl PlaybackUrls {
    /// Start building URLs for `video` on `host`, with default token options
    /// and no surfaces.
    pub fn builder(host: StreamHost, video: VideoId) -> PlaybackUrlsBuilder {
        PlaybackUrlsBuilder {
            video,
            template: PlaybackTemplate::builder(host),
        }
    }

    /// The host.
    pub fn host(&self) -> &StreamHost {
        self.template.host()
    }

    /// The video.
    pub fn video(&self) -> &VideoId {
        &self.video
    }

    /// The token options minting uses: those given, made downloadable when
    /// a surface is a download.
    pub fn token_options(&self) -> &TokenOptions {
        self.template.token_options()
    }

    /// The surfaces, in the order given.
    pub fn surfaces(&self) -> &[Surface] {
        self.template.surfaces()
    }

    /// The template these URLs fill in for their video.
    pub fn template(&self) -> &PlaybackTemplate {
        &self.template
    }

    /// Mint one token from `source` as of `now` and make every surface's URL
    /// with it.
    ///
    /// # Errors
    /// As [`TokenSource::mint_at`]: the token policy against `now`, the
    /// source's own policy, or a signing failure.
    #[cfg(not(target_arch = "wasm32"))]
    pub fn mint_at(
        &self,
        now: OffsetDateTime,
        source: &(impl TokenSource + ?Sized),
    ) -> Result<SignedUrls, Error> {
        self.template
            .rendered
            .mint_at(now, source, &self.video, None)
    }

    /// Mint as of the system clock.
    ///
    /// # Errors
    /// As [`PlaybackUrls::mint_at`].
    #[cfg(not(target_arch = "wasm32"))]
    pub fn mint(&self, source: &(impl TokenSource + ?Sized)) -> Result<SignedUrls, Error> {
        self.mint_at(crate::clock::system_now(), source)
    }

    /// Every surface's URL with a token minted elsewhere: by an async source
    /// (`FallbackMinter`, `WebCryptoSigner`) with
    /// [`PlaybackUrls::token_options`] for [`PlaybackUrls::video`].
    ///
    /// # Errors
    /// [`ErrorKind::WrongVideo`] for a token of another video (its `sub`);
    /// [`ErrorKind::NotDownloadable`] for a token without
    /// `downloadable: true` when a surface is a download;
    /// [`ErrorKind::UrlTooLong`] when a URL would pass [`MAX_URL_LEN`].
    pub fn with_token(&self, token: Token) -> Result<SignedUrls, Error> {
        self.template.with_token_for(&self.video, token)
    }
}

/// Builder for [`PlaybackUrls`]: a [`PlaybackTemplateBuilder`] and a video;
/// [`build`](PlaybackUrlsBuilder::build) checks every surface's parameters.
#[derive(Clone, Debug)]
#[must_use]
pub struct PlaybackUrlsBuilder {
    video: VideoId,
    template: PlaybackTemplateBuilder,
}

impl PlaybackUrlsBuilder {
    /// Token options (default: [`TokenOptions::default`]). `downloadable` is
    /// turned on for you when a surface is a download.
    pub fn options(mut self, options: TokenOptions) -> Self {
        self.template = self.template.options(options);
        self
    }

    /// Add a surface.
    pub fn surface(mut self, surface: Surface) -> Self {
        self.template = self.template.surface(surface);
        self
    }

    /// Add several surfaces, in order.
    pub fn surfaces(mut self, surfaces: impl IntoIterator<Item = Surface>) -> Self {
        self.template = self.template.surfaces(surfaces);
        self
    }

    /// Check every surface and render its path and query once.
    ///
    /// # Errors
    /// As [`PlaybackTemplateBuilder::build`].
    pub fn build(self) -> Result<PlaybackUrls, Error> {
        Ok(PlaybackUrls {
            video: self.video,
            template: self.template.build()?,
        })
    }
}

/// Playback URLs for any video: a host, token options and surfaces, checked
/// and rendered once at start-up by [`PlaybackTemplateBuilder::build`], then
/// minted for each video a request names. Each [`mint`](Self::mint) is one
/// token (one RSA signature) from any [`TokenSource`] spliced into every
/// surface's URL; nothing is checked or rendered again.
///
/// ```
/// use std::time::Duration;
/// use cf_stream_token::{
///     AccessRule, Hls, PlaybackTemplate, Signer, SigningKey, StreamHost, Surface, Thumbnail,
///     TokenOptions, VideoId,
/// };
///
/// // At start-up.
/// let signer = Signer::new(SigningKey::parse(include_str!("../fixtures/demo/demo.jwk.json"), None)?);
/// let template = PlaybackTemplate::builder(StreamHost::customer_code("f33zs165nr7gyfy4")?)
///     .options(
///         TokenOptions::builder()
///             .lifetime(Duration::from_secs(2 * 3600))
///             .access_rules(AccessRule::allow_only_countries(["GB"])?)
///             .build()?,
///     )
///     .surfaces([
///         Surface::Hls(Hls::new()),
///         Surface::Thumbnail(Thumbnail::new().time(Duration::from_secs(1))),
///     ])
///     .build()?;
///
/// // Per request.
/// let video: VideoId = "ea95132c15732412d22c1476fa83f27a".parse()?;
/// let signed = template.mint(&signer, &video)?;
/// let token = signed.token();
/// assert_eq!(
///     signed.hls(),
///     Some(&*format!("https://customer-f33zs165nr7gyfy4.cloudflarestream.com/{token}/manifest/video.m3u8"))
/// );
/// assert!(signed.thumbnail().unwrap().ends_with("/thumbnails/thumbnail.jpg?time=1s"));
/// assert_eq!(signed.dash(), None); // not asked for
/// # Ok::<(), cf_stream_token::Error>(())
/// ```
#[derive(Clone, Debug)]
pub struct PlaybackTemplate {
    rendered: Rendered,
}

impl PlaybackTemplate {
    /// Start building a template for `host`, with default token options and
    /// no surfaces.
    pub fn builder(host: StreamHost) -> PlaybackTemplateBuilder {
        PlaybackTemplateBuilder {
            host,
            options: TokenOptions::default(),
            surfaces: Vec::new(),
        }
    }

    /// The host.
    pub fn host(&self) -> &StreamHost {
        &self.rendered.host
    }

    /// The token options minting uses: those given, made downloadable when
    /// a surface is a download.
    pub fn token_options(&self) -> &TokenOptions {
        &self.rendered.options
    }

    /// The surfaces, in the order given.
    pub fn surfaces(&self) -> &[Surface] {
        &self.rendered.surfaces
    }

    /// Mint one token for `video` from `source` as of `now` and make every
    /// surface's URL with it.
    ///
    /// # Errors
    /// As [`TokenSource::mint_at`]: the token policy against `now`, the
    /// source's own policy, or a signing failure.
    #[cfg(not(target_arch = "wasm32"))]
    pub fn mint_at(
        &self,
        now: OffsetDateTime,
        source: &(impl TokenSource + ?Sized),
        video: &VideoId,
    ) -> Result<SignedUrls, Error> {
        self.rendered.mint_at(now, source, video, None)
    }

    /// Mint for `video` as of the system clock.
    ///
    /// # Errors
    /// As [`PlaybackTemplate::mint_at`].
    #[cfg(not(target_arch = "wasm32"))]
    pub fn mint(
        &self,
        source: &(impl TokenSource + ?Sized),
        video: &VideoId,
    ) -> Result<SignedUrls, Error> {
        self.rendered
            .mint_at(crate::clock::system_now(), source, video, None)
    }

    /// Mint for `video` as of `now` with `options` instead of the
    /// template's (access rules from the request, say); made downloadable
    /// when a surface is a download. Options built apart from the template
    /// were not measured against its URLs, so a URL over
    /// [`MAX_URL_LEN`] is refused here.
    ///
    /// # Errors
    /// As [`PlaybackTemplate::mint_at`], and [`ErrorKind::UrlTooLong`].
    #[cfg(not(target_arch = "wasm32"))]
    pub fn mint_with_at(
        &self,
        now: OffsetDateTime,
        source: &(impl TokenSource + ?Sized),
        video: &VideoId,
        options: &TokenOptions,
    ) -> Result<SignedUrls, Error> {
        self.rendered.mint_at(now, source, video, Some(options))
    }

    /// [`PlaybackTemplate::mint_with_at`] as of the system clock.
    ///
    /// # Errors
    /// As [`PlaybackTemplate::mint_with_at`].
    #[cfg(not(target_arch = "wasm32"))]
    pub fn mint_with(
        &self,
        source: &(impl TokenSource + ?Sized),
        video: &VideoId,
        options: &TokenOptions,
    ) -> Result<SignedUrls, Error> {
        self.rendered
            .mint_at(crate::clock::system_now(), source, video, Some(options))
    }

    /// Every surface's URL with a token minted elsewhere, for the token's
    /// video (its `sub`): the second step of an async source
    /// (`FallbackMinter`, `WebCryptoSigner`).
    ///
    /// # Errors
    /// [`ErrorKind::NotDownloadable`] for a token without
    /// `downloadable: true` when a surface is a download;
    /// [`ErrorKind::UrlTooLong`] when a URL would pass [`MAX_URL_LEN`].
    pub fn with_token(&self, token: Token) -> Result<SignedUrls, Error> {
        self.rendered.with_token(token)
    }

    /// [`with_token`](Self::with_token) for a token that must be for
    /// `video`: what a handler that asked an async source for `video`'s
    /// token calls, so a token of another video never becomes its URLs.
    ///
    /// # Errors
    /// [`ErrorKind::WrongVideo`] for a token of another video (its `sub`),
    /// and as [`with_token`](Self::with_token).
    pub fn with_token_for(&self, video: &VideoId, token: Token) -> Result<SignedUrls, Error> {
        if token.video() != video {
            return Err(ErrorKind::WrongVideo {
                expected: video.to_string(),
                found: token.video().to_string(),
            }
            .into());
        }
        self.rendered.with_token(token)
    }
}

/// Builder for [`PlaybackTemplate`]; [`build`](PlaybackTemplateBuilder::build)
/// checks every surface's parameters.
#[derive(Clone, Debug)]
#[must_use]
pub struct PlaybackTemplateBuilder {
    host: StreamHost,
    options: TokenOptions,
    surfaces: Vec<Surface>,
}

impl PlaybackTemplateBuilder {
    /// Token options (default: [`TokenOptions::default`]). `downloadable` is
    /// turned on for you when a surface is a download.
    pub fn options(mut self, options: TokenOptions) -> Self {
        self.options = options;
        self
    }

    /// Add a surface.
    pub fn surface(mut self, surface: Surface) -> Self {
        self.surfaces.push(surface);
        self
    }

    /// Add several surfaces, in order.
    pub fn surfaces(mut self, surfaces: impl IntoIterator<Item = Surface>) -> Self {
        self.surfaces.extend(surfaces);
        self
    }

    /// Check every surface and render its path and query once.
    ///
    /// # Errors
    /// [`ErrorKind::InvalidUrlPart`] naming the parameter and its value: a
    /// `time` or `duration` that is not whole seconds (or a zero
    /// `duration`), a zero `width` or `height`, an `fps` outside 1 to 15, a
    /// `clientBandwidthHint` outside 0.001 to 1000, a `filename`
    /// that is not 1 to 120 of `A-Z a-z 0-9 _ -`; [`ErrorKind::UrlTooLong`]
    /// when a URL (host, the longest token these options can make, path and
    /// query) could pass [`MAX_URL_LEN`].
    pub fn build(self) -> Result<PlaybackTemplate, Error> {
        Ok(PlaybackTemplate {
            rendered: Rendered::new(self.host, self.options, self.surfaces)?,
        })
    }
}

/// The URLs of one mint: one token, in every requested surface's URL.
///
/// The URLs are bearer credentials until the token expires; `Debug` shows
/// the surfaces and the token with its signature redacted, not the URLs.
#[derive(Clone)]
pub struct SignedUrls {
    token: Token,
    surfaces: Arc<[Surface]>,
    urls: Vec<String>,
}

impl SignedUrls {
    /// The token every URL carries.
    pub fn token(&self) -> &Token {
        &self.token
    }

    /// The URL of the first requested surface equal to `surface`.
    pub fn get(&self, surface: &Surface) -> Option<&str> {
        self.surfaces
            .iter()
            .position(|s| s == surface)
            .map(|i| self.urls[i].as_str())
    }

    /// The URLs, in the order the surfaces were given.
    pub fn urls(&self) -> &[String] {
        &self.urls
    }

    /// Each surface with its URL, in the order given.
    pub fn iter(&self) -> impl Iterator<Item = (&Surface, &str)> {
        self.surfaces
            .iter()
            .zip(self.urls.iter().map(String::as_str))
    }

    /// The URLs, owned, in the order the surfaces were given.
    pub fn into_urls(self) -> Vec<String> {
        self.urls
    }

    /// The URL of the first surface of this [`Surface::name`] (`"hls"`,
    /// `"thumbnail"`, ...), whatever its parameters.
    pub fn by_name(&self, name: &str) -> Option<&str> {
        self.surfaces
            .iter()
            .position(|s| s.name() == name)
            .map(|i| self.urls[i].as_str())
    }

    /// The first [`Surface::Iframe`] URL (the player embed).
    pub fn iframe(&self) -> Option<&str> {
        self.by_name("iframe")
    }

    /// The first [`Surface::Watch`] URL (the hosted watch page).
    pub fn watch(&self) -> Option<&str> {
        self.by_name("watch")
    }

    /// The first [`Surface::Hls`] URL.
    pub fn hls(&self) -> Option<&str> {
        self.by_name("hls")
    }

    /// The first [`Surface::Dash`] URL.
    pub fn dash(&self) -> Option<&str> {
        self.by_name("dash")
    }

    /// The first [`Surface::Thumbnail`] URL (a still).
    pub fn thumbnail(&self) -> Option<&str> {
        self.by_name("thumbnail")
    }

    /// The first [`Surface::AnimatedThumbnail`] URL.
    pub fn gif(&self) -> Option<&str> {
        self.by_name("gif")
    }

    /// The first [`Surface::Mp4Download`] URL.
    pub fn mp4(&self) -> Option<&str> {
        self.by_name("mp4")
    }

    /// The first [`Surface::AudioDownload`] URL.
    pub fn m4a(&self) -> Option<&str> {
        self.by_name("m4a")
    }

    /// The first [`Surface::WebRtc`] URL.
    pub fn webrtc(&self) -> Option<&str> {
        self.by_name("webrtc")
    }
}

/// A JSON object from each surface's [`name`](Surface::name) to its URL,
/// in the order given, then `expires_at`, when the token expires (RFC 3339,
/// UTC), so that a client knows when to ask again:
/// `{"hls": "https://...", "thumbnail": "https://...", "expires_at":
/// "2026-11-22T14:00:00Z"}`. A name given again gets its position:
/// `thumbnail_2`, `thumbnail_3`.
impl serde::Serialize for SignedUrls {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::{Error as _, SerializeMap as _};
        let expires_at = self
            .token
            .expires_at()
            .format(&time::format_description::well_known::Rfc3339)
            .map_err(|_| S::Error::custom("the token's exp cannot be shown in RFC 3339"))?;
        let mut map = s.serialize_map(Some(self.urls.len() + 1))?;
        for (i, (surface, url)) in self.iter().enumerate() {
            let name = surface.name();
            let seen = self.surfaces[..i]
                .iter()
                .filter(|s| s.name() == name)
                .count();
            if seen == 0 {
                map.serialize_entry(name, url)?;
            } else {
                map.serialize_entry(&format!("{name}_{}", seen + 1), url)?;
            }
        }
        map.serialize_entry("expires_at", &expires_at)?;
        map.end()
    }
}

impl fmt::Debug for SignedUrls {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SignedUrls")
            .field("token", &self.token)
            .field("surfaces", &self.surfaces)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::key::SigningKey;
    use crate::signer::Signer;

    const NOW: i64 = 1_700_000_000;

    fn signer() -> Signer {
        let jwk = include_str!("../fixtures/demo/demo.jwk.json");
        Signer::new(SigningKey::parse(jwk, None).unwrap())
    }

    #[test]
    fn one_mint_one_token_for_every_surface() {
        let video = VideoId::new("ea95132c15732412d22c1476fa83f27a").unwrap();
        let urls = PlaybackUrls::builder(StreamHost::customer_code("abc").unwrap(), video)
            .surfaces([
                Surface::Iframe,
                Surface::Watch,
                Surface::Hls(Hls::new()),
                Surface::Dash(Dash::new()),
                Surface::Thumbnail(Thumbnail::new()),
                Surface::AnimatedThumbnail(AnimatedThumbnail::new()),
                Surface::Mp4Download(Download::new()),
                Surface::AudioDownload(Download::new()),
                Surface::WebRtc,
            ])
            .build()
            .unwrap();
        let now = OffsetDateTime::from_unix_timestamp(NOW).unwrap();
        let signed = urls.mint_at(now, &signer()).unwrap();
        let token = signed.token().as_str();
        assert_eq!(signed.urls().len(), 9);
        for (surface, url) in signed.iter() {
            let rest = url
                .strip_prefix("https://customer-abc.cloudflarestream.com/")
                .unwrap();
            // The one token, then the surface: nothing minted per URL.
            assert_eq!(rest, format!("{token}/{}", surface.path()));
        }
        let shown = format!("{signed:?}");
        assert!(!shown.contains(token), "{shown}");
    }

    /// The table lists every kind once, `row` finds each kind's own row,
    /// and a surface's name, path and download are its kind's.
    #[test]
    fn the_surface_table_is_one_row_per_kind() {
        for (i, kind) in SurfaceKind::ALL.into_iter().enumerate() {
            assert_eq!(TABLE[i].kind, kind);
            assert_eq!(kind.row().kind, kind);
            assert_eq!(SurfaceKind::from_name(kind.name()), Some(kind));
            assert_eq!(SurfaceKind::from_path(kind.path()), Some(kind));
        }
        assert_eq!(SurfaceKind::from_path("manifest/video.m3u"), None);
        assert_eq!(SurfaceKind::from_name("HLS"), None);
        let downloads: Vec<_> = SurfaceKind::ALL
            .into_iter()
            .filter(|k| k.is_download())
            .map(SurfaceKind::name)
            .collect();
        assert_eq!(downloads, ["mp4", "m4a"]);
        let posts: Vec<_> = SurfaceKind::ALL
            .into_iter()
            .filter(|k| k.method() == "POST")
            .map(SurfaceKind::name)
            .collect();
        assert_eq!(posts, ["webrtc"]);
        let gif = Surface::AnimatedThumbnail(AnimatedThumbnail::new());
        assert_eq!(gif.kind(), SurfaceKind::AnimatedThumbnail);
        assert_eq!(
            (gif.name(), gif.path(), gif.is_download()),
            ("gif", "thumbnails/thumbnail.gif", false)
        );
        assert_eq!(
            SurfaceKind::AnimatedThumbnail.params(),
            ["time", "width", "height", "fit", "duration", "fps"]
        );
    }

    #[test]
    fn query_values_are_form_encoded() {
        let mut q = Query::default();
        q.pair("a", "x y&z=/?");
        q.pair("b", "é");
        assert_eq!(q.0.finish(), "a=x+y%26z%3D%2F%3F&b=%C3%A9");
    }

    /// The refusals the command line used to word itself say what is
    /// expected, with the bounds this file enforces.
    #[test]
    fn refused_parameters_say_what_is_expected() {
        let shown = |surface: Surface| {
            let video = VideoId::new("ea95132c15732412d22c1476fa83f27a").unwrap();
            PlaybackUrls::builder(StreamHost::customer_code("abc").unwrap(), video)
                .surface(surface)
                .build()
                .unwrap_err()
                .to_string()
        };
        assert_eq!(
            shown(Surface::AnimatedThumbnail(AnimatedThumbnail::new().fps(16))),
            format!(
                "invalid fps: \"16\" (expected {} to {})",
                FPS_RANGE.start(),
                FPS_RANGE.end()
            )
        );
        assert_eq!(
            shown(Surface::Thumbnail(Thumbnail::new().width(0))),
            "invalid width: \"0\" (expected a whole number of pixels above zero)"
        );
        assert_eq!(
            shown(Surface::AnimatedThumbnail(
                AnimatedThumbnail::new().height(0)
            )),
            "invalid height: \"0\" (expected a whole number of pixels above zero)"
        );
        assert_eq!(
            shown(Surface::Dash(Dash::new().client_bandwidth_hint(f64::NAN))),
            format!(
                "invalid clientBandwidthHint: \"NaN\" (expected {} to {} Mbps)",
                1.0 / BANDWIDTH_STEPS_PER_MBPS,
                MAX_BANDWIDTH_MBPS
            )
        );
        // Parts whose message already says enough keep it.
        assert_eq!(
            shown(Surface::Mp4Download(Download::new().filename("a.mp4"))),
            "invalid filename: \"a.mp4\""
        );
    }
}
