#!/bin/sh
# Before: the build at this session's start (03be215), the sample config; its own ledger in a new folder each run.
d=$(mktemp -d /tmp/bench/run.XXXXXX)
/tmp/kindly-rel-base run /tmp/bench/export-$1.csv --config /work/main/sample-data/kindly.toml --as-of 2026-11-30 --out $d/run --quiet --ledger $d/kindly-ledger.sqlite --new-ledger >> /tmp/bench/base-c-$1.log 2>&1
rc=$?; rm -rf $d; exit $rc
