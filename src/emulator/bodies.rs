//! What a played surface answers: the real media of `media.rs` for HLS and
//! the thumbnails, small but valid bodies of their kind for the others (the
//! DASH manifest, the downloads and the WebRTC answer are structural
//! placeholders), and the deliberately broken answer of a dropped
//! connection.

use std::pin::Pin;
use std::task::{Context, Poll};

use axum::body::{Body, Bytes};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::Response;
use http_body::Frame;
use serde_json::{Value, json};

use super::media::{self, MediaFile};

/// The playback surfaces: the rows of the crate's one surface table (names,
/// paths, methods, downloads), so the edge serves exactly what the URL
/// builder makes.
pub(crate) use crate::url::SurfaceKind as Surface;

const HTML: &str = "<!doctype html>\n<html><head><meta charset=\"utf-8\">\
<title>Stream (emulator)</title></head>\n<body><video controls playsinline></video></body></html>\n";

const DASH: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<MPD xmlns="urn:mpeg:dash:schema:mpd:2011" profiles="urn:mpeg:dash:profile:isoff-on-demand:2011" type="static" mediaPresentationDuration="PT1S" minBufferTime="PT1S">
  <Period>
    <AdaptationSet contentType="video" mimeType="video/mp4">
      <Representation id="0" bandwidth="1000" width="1" height="1" codecs="avc1.42E00A">
        <BaseURL>video.mp4</BaseURL>
      </Representation>
    </AdaptationSet>
  </Period>
</MPD>
"#;

const SDP_ANSWER: &str = "v=0\r\no=- 0 0 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n";

fn iso_box(kind: &[u8; 4], content: &[u8]) -> Vec<u8> {
    let size = u32::try_from(8 + content.len()).expect("small box");
    let mut out = Vec::with_capacity(8 + content.len());
    out.extend_from_slice(&size.to_be_bytes());
    out.extend_from_slice(kind);
    out.extend_from_slice(content);
    out
}

/// An ISO BMFF file with no tracks: `ftyp` and a `moov` holding one `mvhd`
/// (ISO/IEC 14496-12, version 0, time scale 1000, duration 0).
pub(crate) fn bmff(major: &[u8; 4], compatible: &[&[u8; 4]]) -> Vec<u8> {
    let mut ftyp = Vec::new();
    ftyp.extend_from_slice(major);
    ftyp.extend_from_slice(&0x200u32.to_be_bytes());
    for c in compatible {
        ftyp.extend_from_slice(*c);
    }
    let mut mvhd = Vec::with_capacity(100);
    mvhd.extend_from_slice(&[0; 4]); // version 0, flags 0
    mvhd.extend_from_slice(&[0; 8]); // creation and modification times
    mvhd.extend_from_slice(&1000u32.to_be_bytes()); // time scale
    mvhd.extend_from_slice(&0u32.to_be_bytes()); // duration
    mvhd.extend_from_slice(&0x0001_0000u32.to_be_bytes()); // rate 1.0
    mvhd.extend_from_slice(&0x0100u16.to_be_bytes()); // volume 1.0
    mvhd.extend_from_slice(&[0; 10]); // reserved
    for v in [0x0001_0000u32, 0, 0, 0, 0x0001_0000, 0, 0, 0, 0x4000_0000] {
        mvhd.extend_from_slice(&v.to_be_bytes()); // the unity matrix
    }
    mvhd.extend_from_slice(&[0; 24]); // pre_defined
    mvhd.extend_from_slice(&1u32.to_be_bytes()); // next track id
    let mut out = iso_box(b"ftyp", &ftyp);
    out.extend_from_slice(&iso_box(b"moov", &iso_box(b"mvhd", &mvhd)));
    out
}

/// A download's `filename`: 1 to 120 of `A-Z a-z 0-9 _ -`.
fn download_name(query: Option<&str>) -> Option<String> {
    form_urlencoded::parse(query?.as_bytes())
        .find(|(k, _)| k == "filename")
        .map(|(_, v)| v.into_owned())
        .filter(|v| {
            (1..=120).contains(&v.len())
                && v.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
        })
}

/// The 200 (201 for WebRTC) answer for `surface`.
pub(crate) fn serve(surface: Surface, query: Option<&str>) -> Response {
    let (content_type, body): (&'static str, Body) = match surface {
        Surface::Iframe | Surface::Watch => ("text/html; charset=utf-8", Body::from(HTML)),
        Surface::Hls => (
            "application/vnd.apple.mpegurl",
            Body::from(media::MASTER_PLAYLIST),
        ),
        Surface::Dash => ("application/dash+xml", Body::from(DASH)),
        Surface::Thumbnail => ("image/jpeg", Body::from(media::THUMBNAIL_JPEG)),
        Surface::AnimatedThumbnail => ("image/gif", Body::from(media::THUMBNAIL_GIF)),
        Surface::Mp4Download => (
            "video/mp4",
            Body::from(bmff(b"isom", &[b"isom", b"iso2", b"mp41"])),
        ),
        Surface::AudioDownload => (
            "audio/mp4",
            Body::from(bmff(b"M4A ", &[b"M4A ", b"mp42", b"isom"])),
        ),
        Surface::WebRtc => ("application/sdp", Body::from(SDP_ANSWER)),
    };
    let mut r = Response::new(body);
    let h = r.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    if surface == Surface::WebRtc {
        // WHEP (RFC 9725): 201 Created with the answer and the session's URL.
        *r.status_mut() = StatusCode::CREATED;
        r.headers_mut().insert(
            header::LOCATION,
            HeaderValue::from_static("/webRTC/play/session"),
        );
    } else if surface.is_download()
        && let Some(name) = download_name(query)
    {
        let ext = if surface == Surface::Mp4Download {
            "mp4"
        } else {
            "m4a"
        };
        if let Ok(v) = HeaderValue::from_str(&format!("attachment; filename=\"{name}.{ext}\"")) {
            r.headers_mut().insert(header::CONTENT_DISPOSITION, v);
        }
    }
    r
}

/// A file of the HLS presentation.
pub(crate) fn serve_media(file: &MediaFile) -> Response {
    let mut r = Response::new(Body::from(file.bytes));
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(file.content_type),
    );
    r
}

/// A body that fails at once: hyper then closes the connection without a
/// complete answer, which is what a client sees of a dropped connection.
struct Broken;

impl http_body::Body for Broken {
    type Data = Bytes;
    type Error = std::io::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        _cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Self::Data>, Self::Error>>> {
        Poll::Ready(Some(Err(std::io::Error::new(
            std::io::ErrorKind::ConnectionAborted,
            "connection dropped by an emulator fault",
        ))))
    }
}

pub(crate) fn dropped() -> Response {
    Response::new(Body::new(Broken))
}

/// A JSON answer with its content type: the control endpoints' answers and,
/// inside Cloudflare's envelope, the API's.
pub(crate) fn json_answer(status: StatusCode, body: &Value) -> Response {
    let mut r = Response::new(Body::from(body.to_string()));
    *r.status_mut() = status;
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    r
}

/// Cloudflare's generic code, for the emulator's own failures.
pub(crate) const CODE_INTERNAL: i64 = 1000;

/// An answer in Cloudflare's envelope (`result`, `success`, `errors`,
/// `messages`).
pub(crate) fn envelope(
    status: StatusCode,
    success: bool,
    errors: Value,
    result: Value,
) -> Response {
    let body = json!({
        "result": result,
        "success": success,
        "errors": errors,
        "messages": [],
    });
    let mut r = Response::new(Body::from(body.to_string()));
    *r.status_mut() = status;
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    r
}

pub(crate) fn failure(status: StatusCode, code: i64, message: &str) -> Response {
    envelope(
        status,
        false,
        json!([{ "code": code, "message": message }]),
        Value::Null,
    )
}

/// A plain-text answer (the edge's own refusals, an injected fault).
pub(crate) fn plain(status: StatusCode, text: &'static str) -> Response {
    let mut r = Response::new(Body::from(text));
    *r.status_mut() = status;
    r
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_crate_surface_has_a_path_here() {
        for (path, s) in [
            ("iframe", Surface::Iframe),
            ("watch", Surface::Watch),
            ("manifest/video.m3u8", Surface::Hls),
            ("manifest/video.mpd", Surface::Dash),
            ("thumbnails/thumbnail.jpg", Surface::Thumbnail),
            ("thumbnails/thumbnail.gif", Surface::AnimatedThumbnail),
            ("downloads/default.mp4", Surface::Mp4Download),
            ("downloads/audio.m4a", Surface::AudioDownload),
            ("webRTC/play", Surface::WebRtc),
        ] {
            assert_eq!(Surface::from_path(path), Some(s));
        }
        assert_eq!(Surface::from_path("manifest/video.m3u"), None);
    }

    #[test]
    fn bmff_boxes_add_up() {
        let mp4 = bmff(b"isom", &[b"isom", b"iso2", b"mp41"]);
        // ftyp: 8 + 8 + 12; moov: 8 + mvhd (8 + 100).
        assert_eq!(mp4.len(), 28 + 116);
        assert_eq!(&mp4[4..8], b"ftyp");
        assert_eq!(u32::from_be_bytes(mp4[28..32].try_into().unwrap()), 116);
        assert_eq!(&mp4[32..36], b"moov");
        assert_eq!(u32::from_be_bytes(mp4[36..40].try_into().unwrap()), 108);
        assert_eq!(&mp4[40..44], b"mvhd");
    }

    #[test]
    fn only_well_formed_download_names_are_used() {
        assert_eq!(
            download_name(Some("filename=my_clip-1")).as_deref(),
            Some("my_clip-1")
        );
        assert_eq!(download_name(Some("filename=a%2Fb")), None);
        assert_eq!(
            download_name(Some(&format!("filename={}", "a".repeat(121)))),
            None
        );
        assert_eq!(download_name(None), None);
    }
}
