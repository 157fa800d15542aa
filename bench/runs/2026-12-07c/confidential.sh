#!/bin/sh
# After, with a confidential-address file naming every 100th account of the export (bench/runs/2026-12-07c/confidential-file.sh).
d=$(mktemp -d /tmp/bench/run.XXXXXX)
[ -f /tmp/bench/confidential-$1.csv ] || /work/main/bench/runs/2026-12-07c/confidential-file.sh $1
/tmp/kindly-rel-conf run /tmp/bench/export-$1.csv --config /work/main/sample-data/kindly.toml --as-of 2026-11-30 --out $d/run --quiet --ledger $d/kindly-ledger.sqlite --new-ledger --confidential /tmp/bench/confidential-$1.csv >> /tmp/bench/confidential-c-$1.log 2>&1
rc=$?; rm -rf $d; exit $rc
