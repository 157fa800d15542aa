#!/usr/bin/env bash
# kindly's benchmark: `kindly run` on generated exports (default 1,000, 10,000
# and 100,000 accounts), then the same letters through the renderers a
# practice would use instead, with the ratios, in one run (see compare.py).
#
# Usage: bench/run.sh [--smoke] [--last-month] [--config FILE] [--pairs N] [SIZES...]
#   --smoke       a quick check that the benchmark works (debug build, no
#                 peers), as CI runs it; its numbers mean nothing.
#   --last-month  run the month before first (not measured), so the measured
#                 run decides with a ledger that holds every account.
#   --config FILE another config than sample-data/kindly.toml (e.g. one with
#                 [print] combined = false).
#   --pairs N     how many more times to run kindly on the smallest export
#                 and the typst-py loop with one process per core, one right
#                 after the other, for their ratio (default 7; the median
#                 is the one judged).
# The peers (typst and WeasyPrint from PyPI) go into bench/.venv, which is
# not committed. Numbers are for a release build.
set -euo pipefail
cd "$(dirname "$0")/.."
smoke=false
extra=()
while [ $# -gt 0 ]; do
  case "$1" in
    --smoke) smoke=true ;;
    --last-month) extra+=(--last-month) ;;
    --config) extra+=(--config "$(realpath "$2")"); shift ;;
    --pairs) extra+=(--pairs "$2"); shift ;;
    *) break ;;
  esac
  shift
done
sizes=("$@")
# The same compiled dependencies as .ci/run: a release build into a new
# target/ would first spend about ten minutes on Typst.
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/kindly-target}"
target="$CARGO_TARGET_DIR"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
if $smoke; then
  [ ${#sizes[@]} -gt 0 ] || sizes=(1000)
  cargo build --quiet --bin kindly
  python3 bench/compare.py --kindly "$target/debug/kindly" --work "$work" --sizes "${sizes[@]}" --no-peers "${extra[@]}"
  exit
fi
[ ${#sizes[@]} -gt 0 ] || sizes=(1000 10000 100000)
venv=bench/.venv
[ -x "$venv/bin/python" ] || python3 -m venv "$venv"
"$venv/bin/pip" install --quiet --disable-pip-version-check typst==0.15.2 weasyprint==70.0
cargo build --quiet --release --bin kindly
"$venv/bin/python" bench/compare.py --kindly "$target/release/kindly" --work "$work" --sizes "${sizes[@]}" "${extra[@]}"
