#!/bin/sh
# After: this session's kindly, its own ledger in a new folder each run.
d=$(mktemp -d /tmp/bench/run.XXXXXX)
exec /tmp/bench/kindly-new run /tmp/bench/export-$1.csv --config /work/main/sample-data/kindly.toml --as-of 2026-11-30 --out $d/run --quiet --ledger $d/kindly-ledger.sqlite --new-ledger >> /tmp/bench/a2-$1.log 2>&1
