#!/bin/sh
# B0 = f760199 (session start), N0 = cec9b97 without a trial, N1 = cec9b97 with [trials.warm-reminder]; 30,000 accounts, in turn.
for i in 1 2 3; do
for v in "B0 /tmp/kindly-rel-new2 /work/main/sample-data/kindly.toml" "N0 /tmp/kindly-rel-trial /work/main/sample-data/kindly.toml" "N1 /tmp/kindly-rel-trial /tmp/bench/trial.toml"; do
set -- $v; d=$(mktemp -d /tmp/bench/run.XXXXXX)
/usr/bin/time -f "$1 $i %e s wall %U s user %M KiB" -a -o /tmp/bench/three-30000.txt $2 run /tmp/bench/export-30000.csv --config $3 --as-of 2026-11-30 --out $d/run --quiet --ledger $d/l.sqlite --new-ledger >> /tmp/bench/three-30000.log 2>&1
rm -rf $d
done; done
