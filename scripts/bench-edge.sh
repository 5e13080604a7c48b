#!/usr/bin/env bash
# Playback requests per second on the emulator's edge, measured with wrk
# (Debian package `wrk`), against a baseline in the same run: a public
# video's playlist, which skips every token check. Each kind is measured
# in alternating slices so that background load hits both alike.
#
#   scripts/bench-edge.sh [SECONDS_PER_SLICE] [SLICES]    # default 5 and 3
#
# Needs wrk (apt-get install wrk) and curl. The emulator and wrk share the
# machine's cores: the ratio is the figure to read, not the absolute rate.
set -euo pipefail
cd "$(dirname "$0")/.."
SLICE="${1:-5}"
SLICES="${2:-3}"
ACCOUNT=023e105f4ecef8ad9ca31a8372d0c353
VIDEO=ea95132c15732412d22c1476fa83f27a
PUBLIC=0000000000000000000000000000beef
TOKEN="bench-$RANDOM$RANDOM"
WORK=target/bench-edge
mkdir -p "$WORK"
command -v wrk >/dev/null || { echo "wrk is missing: apt-get install wrk"; exit 1; }

cargo build --quiet --release --features cli --bin cf-stream-token
BIN=target/release/cf-stream-token

: >"$WORK/ready.json"
"$BIN" emulate --api-token "$TOKEN" >"$WORK/ready.json" &
EMU_PID=$!
trap 'kill "$EMU_PID" 2>/dev/null || true; wait "$EMU_PID" 2>/dev/null || true' EXIT
for _ in $(seq 1 100); do [ -s "$WORK/ready.json" ] && break; sleep 0.05; done
field() { python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])' "$WORK/ready.json" "$1"; }
API=$(field api); PLAYBACK=$(field playback); CONTROL=$(field control)

rm -f "$WORK/key.json"
CLOUDFLARE_BASE_URL="$API" CLOUDFLARE_API_TOKEN="$TOKEN" \
    "$BIN" keys create --account-id "$ACCOUNT" --out "$WORK/key.json" >/dev/null
SIGNED=$("$BIN" mint --key "$WORK/key.json" --video "$VIDEO" --ttl 2h)
curl -fsS -X POST "$CONTROL/videos" -H 'content-type: application/json' \
    -d "{\"account\":\"$ACCOUNT\",\"video\":\"$PUBLIC\",\"public\":true}" >/dev/null
curl -fsS -o /dev/null "$PLAYBACK/$SIGNED/manifest/video.m3u8"

rps() { wrk -t2 -c32 -d"${SLICE}s" "$1" | awk '/Requests\/sec/ {print $2}'; }
echo "slice  public_rps  signed_rps"
for i in $(seq 1 "$SLICES"); do
    p=$(rps "$PLAYBACK/$PUBLIC/manifest/video.m3u8")
    s=$(rps "$PLAYBACK/$SIGNED/manifest/video.m3u8")
    echo "$i  $p  $s"
done | tee "$WORK/result.txt"
awk 'NR>1 {p+=$2; s+=$3} END {printf "mean public %.0f/s, signed %.0f/s, ratio %.3f\n", p/(NR-1), s/(NR-1), s/p}' "$WORK/result.txt"
