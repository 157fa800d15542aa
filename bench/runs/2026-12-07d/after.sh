#!/bin/sh
# After, notice off: the build with the language notice and the Noto fonts (f48e4c3), with its sample config and layouts (git archive into /tmp/bench/after); its own ledger in a new folder each run.
d=$(mktemp -d /tmp/bench/run.XXXXXX)
/tmp/kindly-rel-notice run /tmp/bench/export-$1.csv --config /tmp/bench/after/sample-data/kindly.toml --as-of 2026-11-30 --out $d/run --quiet --ledger $d/kindly-ledger.sqlite --new-ledger >> /tmp/bench/after-d-$1.log 2>&1
rc=$?; rm -rf $d; exit $rc
