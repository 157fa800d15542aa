#!/bin/sh
# After: this session's build with confidential addresses (50c2a09), no confidential file; its own ledger in a new folder each run.
d=$(mktemp -d /tmp/bench/run.XXXXXX)
/tmp/kindly-rel-conf run /tmp/bench/export-$1.csv --config /work/main/sample-data/kindly.toml --as-of 2026-11-30 --out $d/run --quiet --ledger $d/kindly-ledger.sqlite --new-ledger >> /tmp/bench/after-c-$1.log 2>&1
rc=$?; rm -rf $d; exit $rc
