//! The media a played video serves: a real HLS presentation and real
//! thumbnails, six seconds of a test pattern with a tone (made once by
//! `scripts/make-media.sh` with ffmpeg; see `fixtures/README.md`).
//!
//! The master playlist is the HLS surface itself
//! (`/{token}/manifest/video.m3u8`); the media playlist and the segments
//! it names are relative to it, so a player fetches each of them under the
//! same token (`/{token}/manifest/stream.m3u8`,
//! `/{token}/manifest/segment_0.ts`, ...) and the edge decides each request
//! as it decides the manifest.

/// The HLS master playlist: one rendition, `stream.m3u8`.
pub(crate) const MASTER_PLAYLIST: &[u8] = include_bytes!("../../fixtures/media/video.m3u8");
/// The still thumbnail: the pattern at 2 s, 320x180.
pub(crate) const THUMBNAIL_JPEG: &[u8] = include_bytes!("../../fixtures/media/thumbnail.jpg");
/// The animated thumbnail: 2 s at 8 fps, 160x90.
pub(crate) const THUMBNAIL_GIF: &[u8] = include_bytes!("../../fixtures/media/thumbnail.gif");

/// A file the HLS presentation names, served beside the master playlist.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct MediaFile {
    /// Its name under `manifest/`.
    pub(crate) name: &'static str,
    pub(crate) content_type: &'static str,
    pub(crate) bytes: &'static [u8],
}

const PLAYLIST: &str = "application/vnd.apple.mpegurl";
const TS: &str = "video/mp2t";

/// The media playlist and its segments.
pub(crate) const FILES: [MediaFile; 4] = [
    MediaFile {
        name: "stream.m3u8",
        content_type: PLAYLIST,
        bytes: include_bytes!("../../fixtures/media/stream.m3u8"),
    },
    MediaFile {
        name: "segment_0.ts",
        content_type: TS,
        bytes: include_bytes!("../../fixtures/media/segment_0.ts"),
    },
    MediaFile {
        name: "segment_1.ts",
        content_type: TS,
        bytes: include_bytes!("../../fixtures/media/segment_1.ts"),
    },
    MediaFile {
        name: "segment_2.ts",
        content_type: TS,
        bytes: include_bytes!("../../fixtures/media/segment_2.ts"),
    },
];

#[cfg(test)]
mod tests {
    use super::*;

    fn lines(playlist: &[u8]) -> Vec<&str> {
        std::str::from_utf8(playlist).unwrap().lines().collect()
    }

    /// Every URI a playlist names is served, relative to the manifest, so
    /// that it carries the manifest's token.
    #[test]
    fn every_uri_the_playlists_name_is_a_file_served_beside_them() {
        let served: Vec<&str> = FILES.iter().map(|f| f.name).collect();
        let master = lines(MASTER_PLAYLIST);
        assert_eq!(master[0], "#EXTM3U");
        assert!(
            master.iter().any(|l| l.starts_with("#EXT-X-STREAM-INF:")
                && l.contains(r#"CODECS="avc1.42c01e,mp4a.40.2""#)),
            "{master:?}"
        );
        let media = lines(FILES[0].bytes);
        assert_eq!(media[0], "#EXTM3U");
        assert_eq!(media.last(), Some(&"#EXT-X-ENDLIST"));
        let mut named: Vec<&str> = master
            .iter()
            .chain(&media)
            .filter(|l| !l.is_empty() && !l.starts_with('#'))
            .copied()
            .collect();
        named.sort_unstable();
        let mut expected = served.clone();
        expected.sort_unstable();
        assert_eq!(named, expected);
        assert!(named.iter().all(|u| !u.contains('/') && !u.contains(':')));
    }

    #[test]
    fn segments_are_mpeg_ts_and_thumbnails_are_images() {
        for f in &FILES[1..] {
            // 188-byte packets, each starting with the sync byte.
            assert_eq!(f.bytes.len() % 188, 0, "{}", f.name);
            assert!(f.bytes.chunks(188).all(|p| p[0] == 0x47), "{}", f.name);
        }
        assert!(THUMBNAIL_JPEG.starts_with(&[0xff, 0xd8, 0xff]));
        assert!(THUMBNAIL_JPEG.ends_with(&[0xff, 0xd9]));
        assert!(THUMBNAIL_GIF.starts_with(b"GIF89a"));
        assert!(THUMBNAIL_GIF.ends_with(b";"));
    }
}
