#!/bin/sh
# Before: the release build of c31ef98 (the last commit before this session's changes), with its sample config and layouts (git archive into /tmp/bench/c31); its own ledger in a new folder each run.
d=$(mktemp -d /tmp/bench/run.XXXXXX)
/tmp/kindly-rel-c31 run /tmp/bench/export-$1.csv --config /tmp/bench/c31/sample-data/kindly.toml --as-of 2026-11-30 --out $d/run --quiet --ledger $d/kindly-ledger.sqlite --new-ledger >> /tmp/bench/before-f-$1.log 2>&1
rc=$?; rm -rf $d; exit $rc
