#!/usr/bin/env bash
# End to end in a real browser: a backend's signed URL played by hls.js in
# headless Chromium against `cf-stream-token emulate`, for whom and until
# when. examples/player.rs serves a page (a <video> and hls.js) that asks
# it for a signed HLS URL (GB viewers only, one hour); the emulator serves
# a real six-second stream and decides every playlist and segment request.
# scripts/browser-test.cjs then checks, in Chromium:
#   1. a GB viewer's video advances (currentTime grows, frames decoded),
#      and saves a screenshot: target/browser-test/playing.png;
#   2. a US viewer's player fails with the edge's 403 blocked-by-rule:2;
#   3. once the emulator's clock passes the token's expiry, the next
#      segment is refused (401 expired) and playback stops;
#   4. once the signing key is deleted, the next segment is refused
#      (401 revoked-key) and playback stops.
#
# Installs what it needs when missing: Debian's `chromium` (apt-get; its
# H.264/AAC decoders are what hls.js needs), Node and npm (apt-get), and
# playwright-core and hls.js from npm into target/browser-test/ (never a
# browser download, never a CDN). Needs network access for those installs
# only; the test itself stays on 127.0.0.1.
#
#   scripts/browser-test.sh
#   CHROMIUM=/path/to/chromium scripts/browser-test.sh
set -euo pipefail
cd "$(dirname "$0")/.."

PLAYWRIGHT_CORE="${PLAYWRIGHT_CORE:-playwright-core@1.65.2}"
HLS_JS="${HLS_JS_PACKAGE:-hls.js@1.7.4}"
CHROMIUM="${CHROMIUM:-/usr/bin/chromium}"
ACCOUNT=023e105f4ecef8ad9ca31a8372d0c353
VIDEO=ea95132c15732412d22c1476fa83f27a
TOKEN="browser-test-$RANDOM$RANDOM"
WORK=target/browser-test
mkdir -p "$WORK"
STARTED=$(date +%s)

step() { printf '\n== %s\n' "$*"; }
as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

step "install what is missing"
missing=()
[ -x "$CHROMIUM" ] || missing+=(chromium)
command -v node >/dev/null || missing+=(nodejs)
command -v npm >/dev/null || missing+=(npm)
if [ "${#missing[@]}" -gt 0 ]; then
    as_root apt-get update -qq
    as_root apt-get install -y -qq "${missing[@]}"
fi
"$CHROMIUM" --version 2>/dev/null
echo "node $(node --version)"
want="${PLAYWRIGHT_CORE##*@} ${HLS_JS##*@}"
have=$(cd "$WORK" && node -e 'const v = p => { try { return require(`./node_modules/${p}/package.json`).version } catch { return "none" } }; console.log(v("playwright-core"), v("hls.js"))')
if [ "$have" != "$want" ]; then
    [ -f "$WORK/package.json" ] || echo '{ "private": true, "name": "browser-test", "version": "0.0.0" }' >"$WORK/package.json"
    PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm install --prefix "$WORK" --no-audit --no-fund \
        --ignore-scripts --save-exact "$PLAYWRIGHT_CORE" "$HLS_JS"
fi
echo "playwright-core and hls.js: $want"

step "build cf-stream-token and examples/player.rs"
cargo build --quiet --features cli --bin cf-stream-token
cargo build --quiet --example player
BIN=target/debug/cf-stream-token

PIDS=()
# Stop exactly the processes this script started.
cleanup() {
    for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
    for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
}
trap cleanup EXIT
# Wait for a process's one-line JSON ready line in FILE.
ready() {
    for _ in $(seq 1 200); do
        [ -s "$1" ] && return 0
        sleep 0.05
    done
    echo "$2 did not start:"
    cat "$1.err"
    exit 1
}
field() { node -e 'console.log(JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"))[process.argv[2]])' "$1" "$2"; }

step "start cf-stream-token emulate"
: >"$WORK/emulate.json"
"$BIN" emulate --api-token "$TOKEN" >"$WORK/emulate.json" 2>"$WORK/emulate.json.err" &
PIDS+=($!)
ready "$WORK/emulate.json" emulate
API=$(field "$WORK/emulate.json" api)
PLAYBACK=$(field "$WORK/emulate.json" playback)
CONTROL=$(field "$WORK/emulate.json" control)
echo "playback $PLAYBACK"

step "create a signing key on the emulator"
rm -f "$WORK/stream-key.json"
KID=$(CLOUDFLARE_BASE_URL="$API" CLOUDFLARE_API_TOKEN="$TOKEN" CLOUDFLARE_ACCOUNT_ID="$ACCOUNT" \
    "$BIN" keys create --out "$WORK/stream-key.json" |
    node -e 'let s = ""; process.stdin.on("data", d => s += d).on("end", () => console.log(JSON.parse(s).id))')
echo "kid $KID"

step "start examples/player.rs"
: >"$WORK/player.json"
CF_STREAM_SIGNING_KEY="$(cat "$WORK/stream-key.json")" CF_STREAM_HOST="$PLAYBACK" \
    HLS_JS="$WORK/node_modules/hls.js/dist/hls.min.js" \
    target/debug/examples/player >"$WORK/player.json" 2>"$WORK/player.json.err" &
PIDS+=($!)
ready "$WORK/player.json" player
PAGE=$(field "$WORK/player.json" url)
echo "page $PAGE"

step "headless Chromium: play, block, expire, revoke"
BROWSER_STARTED=$(date +%s)
NODE_PATH="$WORK/node_modules" CHROMIUM="$CHROMIUM" PAGE="$PAGE" VIDEO="$VIDEO" \
    CONTROL="$CONTROL" API="$API" TOKEN="$TOKEN" ACCOUNT="$ACCOUNT" KID="$KID" \
    SCREENSHOT="$WORK/playing.png" PROFILE_PARENT="$WORK" \
    node scripts/browser-test.cjs
END=$(date +%s)
echo
echo "browser test passed: $((END - BROWSER_STARTED)) s in the browser, $((END - STARTED)) s in all"
echo "screenshot: $WORK/playing.png"
