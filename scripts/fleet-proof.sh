#!/usr/bin/env bash
# The fleet proof (docs/fleet.md, BENCHMARKS.md): the emulator, four
# instances of examples/axum_playback.rs and a fifth that never reloads (the
# negative control), each its own process, the ring in a directory updated
# as the kubelet updates a mounted Secret, and the CLI rotating it
# (rotate, policy, promote, retire) with the policy scaled down to seconds,
# while examples/fleet_driver.rs mints and plays URLs as GB and US viewers
# and checks every outcome. About a minute and a half once built.
#
#   scripts/fleet-proof.sh                  # 3 rotations, 6 workers
#   FLEET_ROTATIONS=2 FLEET_WORKERS=4 scripts/fleet-proof.sh
#
# Exit 0 only when no URL that should play was refused, none that should
# be refused played, every member took every publication within the reload
# bound, and the control failed after the retire as it must. Debug builds
# (what `cargo test` already built in CI); the figures go to BENCHMARKS.md.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --quiet --all-features --bin cf-stream-token --example axum_playback --example fleet_driver
exec target/debug/examples/fleet_driver target/debug/cf-stream-token target/debug/examples/axum_playback
