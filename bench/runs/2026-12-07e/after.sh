#!/bin/sh
# After, notice off: the build with the notice, the Noto fonts and the fonts mapped at setup (the release build of 3d5460c), with its sample config and layouts (git archive into /tmp/bench/final); its own ledger in a new folder each run.
d=$(mktemp -d /tmp/bench/run.XXXXXX)
/tmp/kindly-rel-final run /tmp/bench/export-$1.csv --config /tmp/bench/final/sample-data/kindly.toml --as-of 2026-11-30 --out $d/run --quiet --ledger $d/kindly-ledger.sqlite --new-ledger >> /tmp/bench/after-e-$1.log 2>&1
rc=$?; rm -rf $d; exit $rc
