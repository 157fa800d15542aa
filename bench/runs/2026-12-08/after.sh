#!/bin/sh
# After: the release build of 11e361c (a cell with nothing that prints reads as empty), with its sample config and layouts (git archive into /tmp/bench/fix); its own ledger in a new folder each run.
d=$(mktemp -d /tmp/bench/run.XXXXXX)
/tmp/kindly-rel-fix run /tmp/bench/export-$1.csv --config /tmp/bench/fix/sample-data/kindly.toml --as-of 2026-11-30 --out $d/run --quiet --ledger $d/kindly-ledger.sqlite --new-ledger >> /tmp/bench/after-f-$1.log 2>&1
rc=$?; rm -rf $d; exit $rc
