#!/usr/bin/env bash
# Mutation testing of the files that guard keys, tokens and the 24-hour cap.
#
# Runs `cargo mutants` (cargo-mutants 27.x) over the files in one pass and fails if a
# mutant survives (is "missed") that .cargo/mutants.toml does not list as
# equivalent. Test command, timeouts and the equivalents list live in
# .cargo/mutants.toml, so a bare `cargo mutants` does the same thing.
#
#   scripts/mutants.sh                      every file in FILES below (slow: see TESTING.md)
#   scripts/mutants.sh src/rules.rs ...     just these files
#   scripts/mutants.sh --since origin/main  only mutants in lines changed since that commit
#   scripts/mutants.sh --in-diff x.diff     only mutants in lines a diff touches
#   scripts/mutants.sh --list [FILE...]     list the mutants, run nothing
#
# The diff modes narrow to FILES (or the files given) and take seconds when a
# change touches a few lines: that is the CI mode (.ci/run, MUTANTS_SINCE).
#
# Environment:
#   MUTANTS_JOBS     parallel build/test jobs (default 1: the machine is shared)
#   MUTANTS_NICE     niceness of the run (default 10)
#   MUTANTS_TIMEOUT  per-mutant test timeout in seconds (default: cargo-mutants'
#                    own, from the baseline, at least minimum_test_timeout)
#   MUTANTS_OUT      directory for the mutants.out reports (default target/mutants)
#
# Exit status: 0 when every mutant was caught, unviable, timed out or listed
# as equivalent; 1 when one was missed or the run could not be made.
set -euo pipefail
cd "$(dirname "$0")/.."

# The files under mutation testing; a glob (`src/key/*.rs`) is expanded by
# the shell, so new files under it join at once. The remote-token checks
# (`check_remote_token` in src/api/client.rs) are tested by the `api`
# tests, which the default-features test command leaves out: they need a
# pass with `--features api` of their own (TESTING.md, "Not yet run").
FILES=(
    src/claims.rs
    src/verify.rs
    src/rules.rs
    src/decide.rs
    src/keyring.rs
    src/key/*.rs
)

want_version="27."
if ! version=$(cargo mutants --version 2>/dev/null); then
    echo "cargo-mutants is not installed: cargo install --locked cargo-mutants@27.1.0" >&2
    exit 1
fi
case "$version" in
    "cargo-mutants $want_version"*) ;;
    *) echo "warning: $version; this script is written against cargo-mutants ${want_version}x" >&2 ;;
esac

jobs=${MUTANTS_JOBS:-1}
niceness=${MUTANTS_NICE:-10}
out_root=${MUTANTS_OUT:-target/mutants}
diff_file=""
list=false
files=()

while [ $# -gt 0 ]; do
    case "$1" in
        --since)
            [ $# -ge 2 ] || { echo "--since needs a commit" >&2; exit 1; }
            mkdir -p "$out_root"
            diff_file="$out_root/since.diff"
            git diff "$2" -- 'src/*.rs' >"$diff_file"
            shift 2
            ;;
        --in-diff)
            [ $# -ge 2 ] || { echo "--in-diff needs a diff file" >&2; exit 1; }
            diff_file=$2
            shift 2
            ;;
        --list) list=true; shift ;;
        -h | --help) sed -n '2,27p' "$0"; exit 0 ;;
        -*) echo "unknown option $1 (see --help)" >&2; exit 1 ;;
        *) files+=("$1"); shift ;;
    esac
done
[ ${#files[@]} -gt 0 ] || files=("${FILES[@]}")

if [ -n "$diff_file" ] && [ ! -s "$diff_file" ]; then
    echo "the diff touches no source file: nothing to mutate"
    exit 0
fi

common=(--jobs "$jobs" --no-shuffle --colors never)
[ -z "${MUTANTS_TIMEOUT:-}" ] || common+=(--timeout "$MUTANTS_TIMEOUT")
[ -z "$diff_file" ] || common+=(--in-diff "$diff_file")

if $list; then
    args=()
    for f in "${files[@]}"; do args+=(--file "$f"); done
    exec cargo mutants --list "${args[@]}" ${diff_file:+--in-diff "$diff_file"}
fi

for f in "${files[@]}"; do
    [ -f "$f" ] || { echo "no such file: $f" >&2; exit 1; }
done

# One cargo-mutants run for all the files: the copy and the baseline build
# (two to three minutes) are paid once; the figures are then split per file.
file_args=()
for f in "${files[@]}"; do file_args+=(--file "$f"); done
out="$out_root/run"
rm -rf "$out/mutants.out"
mkdir -p "$out"
start=$(date +%s)
set +e
nice -n "$niceness" cargo mutants "${file_args[@]}" --output "$out" "${common[@]}"
status=$?
set -e
secs=$(( $(date +%s) - start ))
report="$out/mutants.out"

count() { # count OUTCOME FILE: mutants of FILE in OUTCOME.txt
    if [ -f "$report/$1.txt" ]; then grep -c "^$2:" "$report/$1.txt" || true; else echo 0; fi
}
echo
echo "== summary (whole run ${secs}s; reports in $report)"
for f in "${files[@]}"; do
    echo "$f: $(count caught "$f") caught, $(count missed "$f") missed," \
        "$(count unviable "$f") unviable, $(count timeout "$f") timeouts"
done

case $status in
    0 | 3) ;; # all caught or unviable; timeouts count as caught (the tests hung)
    2)
        echo
        echo "missed mutants (add a test that catches each, or list it in .cargo/mutants.toml"
        echo "exclude_re with a one-line reason if it is truly equivalent):"
        sed 's/^/  /' "$report/missed.txt"
        exit 1
        ;;
    *)
        echo "cargo mutants failed (exit $status): see $report/debug.log" >&2
        exit 1
        ;;
esac
