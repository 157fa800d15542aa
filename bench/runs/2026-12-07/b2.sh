#!/bin/sh
# Before (9e18a0e): the ledger beside the run folder, new each run.
d=$(mktemp -d /tmp/bench/run.XXXXXX)
exec /root/.cache/kindly-base-target/release/kindly run /tmp/bench/export-$1.csv --config /tmp/base/sample-data/kindly.toml --as-of 2026-11-30 --out $d/run --quiet >> /tmp/bench/b2-$1.log 2>&1
