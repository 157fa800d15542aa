#!/usr/bin/env bash
# Benchmark of `kindly run` on generated exports: letters per second and peak
# memory, per export size. Usage: bench/run.sh [ACCOUNTS...]  (default: 1000 10000)
# Numbers come from kindly's own closing summary (wall time of the whole run,
# peak resident memory read from /proc).
set -euo pipefail
cd "$(dirname "$0")/.."
sizes=("$@")
[ ${#sizes[@]} -gt 0 ] || sizes=(1000 10000)
cargo build --quiet --bin kindly
bin="${CARGO_TARGET_DIR:-target}/debug/kindly"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
printf '%-10s %-8s %-8s %-10s %-12s %s\n' accounts letters pages seconds letters/s "peak MiB"
for n in "${sizes[@]}"; do
  "$bin" sample-export --accounts "$n" --seed 42 --as-of 2026-11-30 -o "$work/export-$n.csv"
  summary=$("$bin" run "$work/export-$n.csv" --config sample-data/kindly.toml --as-of 2026-11-30 \
    --out "$work/run-$n" --quiet 2>&1)
  summary=${summary%%$'\n'*}
  # kindly: L letters (P pages, S sheets), H holds, R rejected rows in T s (X letters/s, peak memory M MiB)
  read -r letters pages seconds rate peak < <(sed -E \
    's/^kindly: ([0-9]+) letters \(([0-9]+) pages.* in ([0-9.]+) s \(([0-9]+) letters\/s, peak memory ([0-9]+) MiB\)$/\1 \2 \3 \4 \5/' \
    <<<"$summary")
  printf '%-10s %-8s %-8s %-10s %-12s %s\n' "$n" "$letters" "$pages" "$seconds" "$rate" "$peak"
  rm -rf "$work/run-$n"
done
