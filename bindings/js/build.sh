#!/usr/bin/env bash
# Build the package's wasm module and its wasm-bindgen glue into pkg/.
# Needs the wasm32-unknown-unknown target and wasm-bindgen-cli 0.2.129 (the
# version the crate pins; .ci/run installs both).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
cd "$root"
cargo build --release --locked -p cf-stream-token-js --target wasm32-unknown-unknown
target_dir="${CARGO_TARGET_DIR:-$root/target}"
wasm-bindgen --target web --out-dir "$here/pkg" \
    "$target_dir/wasm32-unknown-unknown/release/cf_stream_token_js.wasm"
