#!/bin/sh
# Before: the build before the language notice and the Noto fonts (50c2a09), with the sample config and layouts of 48305e1 (git archive into /tmp/bench/before; three Inter fonts); its own ledger in a new folder each run.
d=$(mktemp -d /tmp/bench/run.XXXXXX)
/tmp/kindly-rel-conf run /tmp/bench/export-$1.csv --config /tmp/bench/before/sample-data/kindly.toml --as-of 2026-11-30 --out $d/run --quiet --ledger $d/kindly-ledger.sqlite --new-ledger >> /tmp/bench/before-e-$1.log 2>&1
rc=$?; rm -rf $d; exit $rc
