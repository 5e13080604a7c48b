#!/usr/bin/env bash
# Makes the emulator's media fixtures (fixtures/media/) once, with ffmpeg:
# what `cf_stream_token::emulator` serves on a played video. Six seconds of
# ffmpeg's `testsrc2` pattern (a moving colour test card with a frame
# counter) and a 440 Hz tone that beeps every second, in codecs every
# Chromium with proprietary codecs (Debian's) plays under hls.js:
#
#   video.m3u8        HLS master playlist (one rendition, CODECS and RESOLUTION)
#   stream.m3u8       its VOD media playlist: three 2-second segments
#   segment_N.ts      MPEG-TS: H.264 Constrained Baseline 3.0, 320x180, 24 fps;
#                     AAC-LC, mono, 44.1 kHz
#   thumbnail.jpg     the pattern at 2 s, 320x180
#   thumbnail.gif     2 s of the pattern at 8 fps, 160x90, 32 colours
#
# The files are committed: running this again is needed only to change
# them (the emulator embeds them with include_bytes!). Bit-exact flags and
# one thread keep the output the same from run to run with one ffmpeg
# version (they were made with Debian 12's ffmpeg 5.1).
#
#   apt-get install -y ffmpeg && scripts/make-media.sh
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=fixtures/media
mkdir -p "$OUT"
rm -f "$OUT"/*.ts "$OUT"/*.m3u8 "$OUT"/*.jpg "$OUT"/*.gif

FF=(ffmpeg -hide_banner -loglevel error -y -threads 1)
PATTERN="testsrc2=size=320x180:rate=24:duration=6"
TONE="sine=frequency=440:beep_factor=2:sample_rate=44100:duration=6"
# H.264 Constrained Baseline 3.0 (avc1.42c01e), a key frame every 2 s
# exactly (so each segment starts with one), about 150 kb/s; AAC-LC 32 kb/s.
CODECS=(
    -c:v libx264 -profile:v baseline -level:v 3.0 -pix_fmt yuv420p
    -preset veryslow -crf 32 -maxrate 150k -bufsize 300k
    -g 48 -keyint_min 48 -sc_threshold 0
    -c:a aac -b:a 32k -ac 1 -ar 44100
    -fflags +bitexact -flags:v +bitexact -flags:a +bitexact -map_metadata -1
)

# HLS: segments, the media playlist and the master playlist.
"${FF[@]}" -f lavfi -i "$PATTERN" -f lavfi -i "$TONE" "${CODECS[@]}" \
    -f hls -hls_time 2 -hls_playlist_type vod -hls_flags independent_segments \
    -hls_segment_filename "$OUT/segment_%d.ts" -master_pl_name video.m3u8 \
    "$OUT/stream.m3u8"

# Thumbnails: a still at 2 s, and an animated GIF of 2 s.
"${FF[@]}" -f lavfi -i "$PATTERN" -ss 2 -frames:v 1 -q:v 6 \
    -fflags +bitexact -flags:v +bitexact "$OUT/thumbnail.jpg"
"${FF[@]}" -f lavfi -i "testsrc2=size=320x180:rate=24:duration=2" \
    -vf "fps=8,scale=160:90,split[a][b];[a]palettegen=max_colors=32[p];[b][p]paletteuse=dither=none" \
    -loop 0 -fflags +bitexact "$OUT/thumbnail.gif"

ls -l "$OUT"
du -cb "$OUT"/* | tail -1
