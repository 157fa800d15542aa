#!/bin/sh
# After: the build at the end of the second session (outcomes, the house), its own ledger in a new folder each run.
d=$(mktemp -d /tmp/bench/run.XXXXXX)
exec /tmp/kindly-rel-new2 run /tmp/bench/export-$1.csv --config /work/main/sample-data/kindly.toml --as-of 2026-11-30 --out $d/run --quiet --ledger $d/kindly-ledger.sqlite --new-ledger >> /tmp/bench/new-$1.log 2>&1
