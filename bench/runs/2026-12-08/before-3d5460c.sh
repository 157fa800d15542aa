#!/bin/sh
# The release build of 3d5460c (measured in ../2026-12-07e/), with its sample config and layouts (git archive into /tmp/bench/final); its own ledger in a new folder each run. Used for pairs-10000-vs-3d5460c.txt.
d=$(mktemp -d /tmp/bench/run.XXXXXX)
/tmp/kindly-rel-final run /tmp/bench/export-$1.csv --config /tmp/bench/final/sample-data/kindly.toml --as-of 2026-11-30 --out $d/run --quiet --ledger $d/kindly-ledger.sqlite --new-ledger >> /tmp/bench/before-3d-$1.log 2>&1
rc=$?; rm -rf $d; exit $rc
