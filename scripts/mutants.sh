#!/usr/bin/env bash
# Mutation testing of the files that guard keys, tokens and the 24-hour cap.
#
# Runs `cargo mutants` (cargo-mutants 27.x) over the files and fails if a
# mutant survives (is "missed") that .cargo/mutants.toml does not list as
# equivalent. Test command, timeouts and the equivalents list live in
# .cargo/mutants.toml, so a bare `cargo mutants` does the core pass.
#
#   scripts/mutants.sh                      every file below, both passes (slow: see TESTING.md)
#   scripts/mutants.sh src/rules.rs ...     just these files
#   scripts/mutants.sh --since COMMIT       only mutants in lines changed since COMMIT
#   scripts/mutants.sh --in-diff x.diff     only mutants in lines a diff touches
#   scripts/mutants.sh --list [FILE...]     list the mutants, run nothing
#   scripts/mutants.sh --max N ...          do nothing (exit 0, say so) when more
#                                           than N mutants would run: the CI budget
#   scripts/mutants.sh --equivalents        list the mutants .cargo/mutants.toml
#                                           excludes, and fail if an entry there
#                                           matches none (stale after an edit)
#
# Two passes, because cargo-mutants builds one feature set per run:
#   core      CORE below, default features (the unit tests and tests/lib.rs);
#   features  FEATURE below with `--features api,emulator`: the emulator's
#             key maker and playback edge, and the checks on a token from the
#             API's token endpoint (only `check_remote_token` in client.rs:
#             the rest of the client is transport, tested against servers).
# A file given on the command line goes to the pass it belongs to.
#
# Environment:
#   MUTANTS_JOBS     parallel build/test jobs (default 1: the machine is shared)
#   MUTANTS_NICE     niceness of the run (default 10)
#   MUTANTS_TIMEOUT  per-mutant test timeout in seconds (default: cargo-mutants'
#                    own, from the baseline, at least minimum_test_timeout)
#   MUTANTS_OUT      directory for the mutants.out reports (default target/mutants)
#
# Exit status: 0 when every mutant was caught, unviable, timed out or listed
# as equivalent (or --max was exceeded); 1 when one was missed or a run could
# not be made.
set -euo pipefail
cd "$(dirname "$0")/.."

# The files under mutation testing; a glob (`src/key/*.rs`) is expanded by
# the shell, so a new file under it joins at once.
CORE=(
    src/claims.rs
    src/jws.rs
    src/verify.rs
    src/rules.rs
    src/decide.rs
    src/keyring.rs
    src/key/*.rs
)
FEATURE=(
    src/key/export.rs
    src/emulator/edge.rs
    src/api/client.rs
)
FEATURES=api,emulator
# In the feature pass, only these mutants (regexes on the mutant's name).
FEATURE_RE=(
    '^src/key/export\.rs:'
    '^src/emulator/edge\.rs:'
    '^src/api/client\.rs:.* in check_remote_token$'
)

# Mutants of CORE files in code that only the feature pass compiles (under
# `#[cfg(feature = "api")]` or `"emulator"`): the core pass would build
# them and let them survive unseen, so it leaves them out and the feature
# pass runs them. The files, and one regex (on the mutant's name) each.
CORE_FEATURE_FILES=(src/claims.rs src/jws.rs src/keyring.rs)
CORE_FEATURE_RE=(
    '^src/claims\.rs:.* in TokenOptionsBuilder::build_shape_only$'
    "^src/jws\.rs:.* replace RawHeader<'_>::kid_str -> "
    '^src/keyring\.rs:.* replace Keyring::from_file -> '
)

in_feature_pass() {
    case "$1" in
        src/key/export.rs | src/emulator/* | src/api/*) return 0 ;;
        *) return 1 ;;
    esac
}
# Not compiled for the host, so never mutated here (its tests are wasm32's).
skip() { [ "$1" = src/key/backend_wasm.rs ]; }

want_version="27."
if ! version=$(cargo mutants --version 2>/dev/null); then
    echo "cargo-mutants is not installed: cargo install --locked cargo-mutants@27.1.0" >&2
    exit 1
fi
case "$version" in
    "cargo-mutants $want_version"*) ;;
    *) echo "warning: $version; this script is written against cargo-mutants ${want_version}x" >&2 ;;
esac

# .cargo/mutants.toml runs the tests with cargo-nextest (stop at the first failure).
if ! cargo nextest --version >/dev/null 2>&1; then
    echo "cargo-nextest is not installed: cargo install --locked cargo-nextest" >&2
    exit 1
fi

jobs=${MUTANTS_JOBS:-1}
niceness=${MUTANTS_NICE:-10}
out_root=${MUTANTS_OUT:-target/mutants}
diff_file=""
list=false
equivalents=false
max=""
files=()

while [ $# -gt 0 ]; do
    case "$1" in
        --since)
            [ $# -ge 2 ] || { echo "--since needs a commit" >&2; exit 1; }
            git rev-parse --verify --quiet "$2^{commit}" >/dev/null ||
                { echo "--since: no commit $2 here" >&2; exit 1; }
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
        --max)
            [ $# -ge 2 ] && [[ $2 =~ ^[0-9]+$ ]] || { echo "--max needs a number" >&2; exit 1; }
            max=$2
            shift 2
            ;;
        --list) list=true; shift ;;
        --equivalents) equivalents=true; shift ;;
        -h | --help) sed -n '2,36p' "$0"; exit 0 ;;
        -*) echo "unknown option $1 (see --help)" >&2; exit 1 ;;
        *) files+=("$1"); shift ;;
    esac
done
[ ${#files[@]} -gt 0 ] || files=("${CORE[@]}" "${FEATURE[@]}")

# Each file once, in the pass it belongs to (the glob in CORE also matches
# src/key/export.rs, which FEATURE names).
core=()
feature=()
declare -A seen=()
for f in "${files[@]}"; do
    [ -f "$f" ] || { echo "no such file: $f" >&2; exit 1; }
    if skip "$f" || [ -n "${seen[$f]:-}" ]; then continue; fi
    seen[$f]=1
    if in_feature_pass "$f"; then feature+=("$f"); else core+=("$f"); fi
done

if [ -n "$diff_file" ] && [ ! -s "$diff_file" ]; then
    echo "the diff touches no source file: nothing to mutate"
    exit 0
fi

common=(--no-shuffle --colors never)
[ -z "$diff_file" ] || common+=(--in-diff "$diff_file")

# pass_args NAME: the cargo-mutants arguments of one pass, in PASS_ARGS.
pass_args() {
    PASS_ARGS=()
    local f r
    if [ "$1" = core ]; then
        for f in "${core[@]}"; do PASS_ARGS+=(--file "$f"); done
        for r in "${CORE_FEATURE_RE[@]}"; do PASS_ARGS+=(--exclude-re "$r"); done
    else
        for f in "${feature[@]}" "${core_feature[@]}"; do PASS_ARGS+=(--file "$f"); done
        for r in "${FEATURE_RE[@]}" "${CORE_FEATURE_RE[@]}"; do PASS_ARGS+=(--re "$r"); done
        PASS_ARGS+=(--features "$FEATURES")
    fi
}

# The core files of this run that have mutants only the feature pass compiles.
core_feature=()
for f in "${CORE_FEATURE_FILES[@]}"; do
    [ -z "${seen[$f]:-}" ] || in_feature_pass "$f" || core_feature+=("$f")
done

passes=()
[ ${#core[@]} -eq 0 ] || passes+=(core)
[ $((${#feature[@]} + ${#core_feature[@]})) -eq 0 ] || passes+=(features)

if $equivalents; then
    # What the config excludes: the listing without it, less the one with it.
    excluded=""
    for p in "${passes[@]}"; do
        pass_args "$p"
        excluded+=$(comm -13 \
            <(cargo mutants --list "${PASS_ARGS[@]}" "${common[@]}" | sort) \
            <(cargo mutants --list --no-config "${PASS_ARGS[@]}" "${common[@]}" | sort))
        excluded+=$'\n'
    done
    excluded=$(printf '%s' "$excluded" | grep . || true)
    echo "excluded as equivalent ($(printf '%s' "$excluded" | grep -c . || true) mutants):"
    [ -z "$excluded" ] || printf '%s\n' "$excluded" | sed 's/^/  /'
    # Every exclude_re entry (a TOML literal '...' as is, a basic string
    # "..." with its \\ unescaped) must still match a mutant of these files.
    stale=0
    while IFS= read -r re; do
        if ! printf '%s\n' "$excluded" | grep -qE -- "$re"; then
            echo "stale: matches no mutant: $re"
            stale=1
        fi
    done < <(sed -n -e "s/^ *'\(.*\)',\$/\1/p" \
        -e 's/^ *"\(.*\)",$/\1/p' .cargo/mutants.toml | sed 's/\\\\/\\/g')
    exit "$stale"
fi

if $list || [ -n "$max" ]; then
    total=0
    for p in "${passes[@]}"; do
        pass_args "$p"
        listing=$(cargo mutants --list "${PASS_ARGS[@]}" "${common[@]}")
        if $list; then [ -z "$listing" ] || printf '%s\n' "$listing"; fi
        total=$((total + $(printf '%s' "$listing" | grep -c . || true)))
    done
    if $list; then exit 0; fi
    if [ "$total" -gt "$max" ]; then
        echo "$total mutants to test: more than --max $max; not run here."
        echo "Run scripts/mutants.sh before the release (TESTING.md)."
        exit 0
    fi
    echo "$total mutants to test (within --max $max)"
    [ "$total" -gt 0 ] || exit 0
fi

count() { # count REPORT OUTCOME FILE: mutants of FILE in OUTCOME.txt
    if [ -f "$1/$2.txt" ]; then grep -c "^$3:" "$1/$2.txt" || true; else echo 0; fi
}

failed=0
missed_lists=()
summary=()
for p in "${passes[@]}"; do
    pass_args "$p"
    out="$out_root/$p"
    rm -rf "$out/mutants.out"
    mkdir -p "$out"
    echo "== pass $p: cargo mutants ${PASS_ARGS[*]} --jobs $jobs"
    start=$(date +%s)
    set +e
    nice -n "$niceness" cargo mutants "${PASS_ARGS[@]}" --output "$out" \
        --jobs "$jobs" ${MUTANTS_TIMEOUT:+--timeout "$MUTANTS_TIMEOUT"} "${common[@]}"
    status=$?
    set -e
    secs=$(($(date +%s) - start))
    report="$out/mutants.out"
    summary+=("pass $p: ${secs}s (reports in $report)")
    if [ "$p" = core ]; then these=("${core[@]}"); else these=("${feature[@]}"); fi
    for f in "${these[@]}"; do
        line="  $f: $(count "$report" caught "$f") caught, $(count "$report" missed "$f") missed,"
        summary+=("$line $(count "$report" unviable "$f") unviable, $(count "$report" timeout "$f") timeouts")
    done
    case $status in
        0 | 3) ;; # all caught or unviable; timeouts count as caught (the tests hung)
        2) failed=1; missed_lists+=("$report/missed.txt") ;;
        *)
            echo "cargo mutants failed (exit $status): see $report/debug.log" >&2
            failed=1
            ;;
    esac
done

echo
echo "== summary"
printf '%s\n' "${summary[@]}"
if [ ${#missed_lists[@]} -gt 0 ]; then
    echo
    echo "missed mutants (add a test that catches each, or list it in .cargo/mutants.toml"
    echo "exclude_re with a one-line reason if it is truly equivalent):"
    sed 's/^/  /' "${missed_lists[@]}"
fi
exit $failed
