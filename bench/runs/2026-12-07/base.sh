#!/bin/sh
# Before: the build at the start of the second session (273039b).
d=$(mktemp -d /tmp/bench/run.XXXXXX)
exec /tmp/kindly-rel-base run /tmp/bench/export-$1.csv --config /work/main/sample-data/kindly.toml --as-of 2026-11-30 --out $d/run --quiet --ledger $d/kindly-ledger.sqlite --new-ledger >> /tmp/bench/base-$1.log 2>&1
