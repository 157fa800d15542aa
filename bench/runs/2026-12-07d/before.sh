#!/bin/sh
# Before: the build at this session's start (the confidential-address build, 50c2a09; 48305e1 changed no code on this path), with the sample config and layouts of 48305e1 (git archive into /tmp/bench/before); its own ledger in a new folder each run.
d=$(mktemp -d /tmp/bench/run.XXXXXX)
/tmp/kindly-rel-conf run /tmp/bench/export-$1.csv --config /tmp/bench/before/sample-data/kindly.toml --as-of 2026-11-30 --out $d/run --quiet --ledger $d/kindly-ledger.sqlite --new-ledger >> /tmp/bench/before-d-$1.log 2>&1
rc=$?; rm -rf $d; exit $rc
