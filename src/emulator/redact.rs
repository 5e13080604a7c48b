//! What the request log may hold of a path: never a token, and never much.
//!
//! A token is a bearer credential (its signature is the secret part), and a
//! client may put one anywhere: first in a playback path as Cloudflare
//! wants, after a video id, in an API path, percent-encoded. So every
//! segment of every logged path is judged on its own, decoded, and any
//! that could hold a token or a part of one is replaced by `<token>`; the
//! query is never logged. Each path is then cut to [`PATH_MAX`] bytes, so
//! that a client sending long paths cannot grow the log without bound.

use std::borrow::Cow;

/// The most bytes of one logged path, [`CUT`] included.
pub(crate) const PATH_MAX: usize = 1024;
/// What ends a path that was cut.
pub(crate) const CUT: &str = "<cut>";
/// What a token-like segment is logged as.
pub(crate) const TOKEN: &str = "<token>";
/// Longer decoded segments are token-like. Every identifier the emulator
/// serves (account, key, video) is 32 characters and every surface's
/// segment shorter; a token's payload and signature are each longer (a
/// minimal payload is over 100 characters, an RS256 signature 342).
const SEGMENT_MAX: usize = 40;
/// A method is at most this long in the log (hyper accepts extension
/// methods of any length).
const METHOD_MAX: usize = 16;

/// Could this path segment hold a token or a part of one: three or more
/// dot-separated parts (a compact JWS, any alphabet), or more than
/// [`SEGMENT_MAX`] bytes, both judged after percent-decoding.
pub(crate) fn token_like(segment: &str) -> bool {
    let decoded: Cow<'_, [u8]> = percent_decode(segment);
    decoded.len() > SEGMENT_MAX || decoded.iter().filter(|&&b| b == b'.').count() >= 2
}

fn percent_decode(text: &str) -> Cow<'_, [u8]> {
    if !text.contains('%') {
        return Cow::Borrowed(text.as_bytes());
    }
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |b: u8| char::from(b).to_digit(16);
        if bytes[i] == b'%'
            && let (Some(&h), Some(&l)) = (bytes.get(i + 1), bytes.get(i + 2))
            && let (Some(h), Some(l)) = (hex(h), hex(l))
        {
            out.push(u8::try_from(h * 16 + l).expect("two hex digits make a byte"));
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    Cow::Owned(out)
}

/// `path` as the log holds it: every token-like segment replaced, then cut
/// to [`PATH_MAX`] bytes with [`CUT`] at the end. Stops reading as soon as
/// the bound is reached, so a long path costs no more than a short one.
pub(crate) fn path(path: &str) -> String {
    let mut out = String::with_capacity(path.len().min(PATH_MAX));
    for (i, segment) in path.split('/').enumerate() {
        if i > 0 {
            out.push('/');
        }
        out.push_str(if token_like(segment) { TOKEN } else { segment });
        if out.len() > PATH_MAX {
            break;
        }
    }
    bound(out)
}

fn bound(mut text: String) -> String {
    if text.len() <= PATH_MAX {
        return text;
    }
    let mut end = PATH_MAX - CUT.len();
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    text.truncate(end);
    text.push_str(CUT);
    text
}

/// A playback path as the log holds it: a video id, or a path of one
/// segment, is redacted segment by segment ([`path`]); the first of several
/// segments that is not a video id is where Cloudflare wants the token, so
/// it is never shown.
pub(crate) fn playback_path(full: &str) -> String {
    let (first, rest) = full
        .strip_prefix('/')
        .and_then(|p| p.split_once('/'))
        .unwrap_or(("", ""));
    let video = crate::ids::VideoId::new(first).is_ok_and(|v| v.as_str() == first);
    if video || first.is_empty() {
        path(full)
    } else {
        path(&format!("/{TOKEN}/{rest}"))
    }
}

/// The method as the log holds it: at most [`METHOD_MAX`] bytes.
pub(crate) fn method(method: &str) -> String {
    if method.len() <= METHOD_MAX {
        return method.to_owned();
    }
    // Methods are tokens of ASCII characters (RFC 9110): any byte is a
    // boundary.
    format!("{}{CUT}", &method[..METHOD_MAX])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn what_is_token_like() {
        for shown in [
            "",
            "iframe",
            "video.m3u8",
            "thumbnail.jpg",
            "ea95132c15732412d22c1476fa83f27a",
            "a.b",
            &"x".repeat(SEGMENT_MAX),
        ] {
            assert!(!token_like(shown), "{shown}");
        }
        for hidden in [
            "a.b.c",
            "a.b.c.d",
            "..",
            "a%2Eb%2ec",
            &"x".repeat(SEGMENT_MAX + 1),
            // Forty-one bytes once decoded, whatever the encoding.
            &"%41".repeat(SEGMENT_MAX + 1),
        ] {
            assert!(token_like(hidden), "{hidden}");
        }
        // Forty bytes once decoded: shown, although longer as sent.
        assert!(!token_like(&"%41".repeat(SEGMENT_MAX)));
        // A malformed escape is taken as it stands.
        assert!(!token_like("%zz.%4"));
    }

    #[test]
    fn paths_are_redacted_segment_by_segment_and_bounded() {
        assert_eq!(path("/a.b.c/iframe"), "/<token>/iframe");
        assert_eq!(path("/v/a.b.c/x.y"), "/v/<token>/x.y");
        assert_eq!(path("/a//b/"), "/a//b/");
        let long = format!("/{}", "ab/".repeat(1000));
        let cut = path(&long);
        assert_eq!(cut.len(), PATH_MAX);
        assert!(cut.ends_with(CUT));
        assert_eq!(&cut[..PATH_MAX - CUT.len()], &long[..PATH_MAX - CUT.len()]);
        let exact = format!("/{}", "a".repeat(PATH_MAX - 1).replace("aaaa", "aaa/"));
        assert_eq!(exact.len(), PATH_MAX);
        assert_eq!(path(&exact), exact);
        // A multi-byte character at the cut is not split.
        let wide = format!("/{}", "é/".repeat(600));
        let cut = path(&wide);
        assert!(cut.len() <= PATH_MAX && cut.ends_with(CUT), "{}", cut.len());
        assert_eq!(method("GET"), "GET");
        assert_eq!(method(&"X".repeat(40)), format!("{}{CUT}", "X".repeat(16)));
    }
}
