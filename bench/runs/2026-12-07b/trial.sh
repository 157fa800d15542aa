#!/bin/sh
# After: this session's build with wording trials (cec9b97), the sample config with [trials.warm-reminder] (bench/trial-config.sh); its own ledger in a new folder each run.
d=$(mktemp -d /tmp/bench/run.XXXXXX)
[ -f /tmp/bench/trial.toml ] || /work/main/bench/trial-config.sh /tmp/bench/trial.toml
/tmp/kindly-rel-trial run /tmp/bench/export-$1.csv --config /tmp/bench/trial.toml --as-of 2026-11-30 --out $d/run --quiet --ledger $d/kindly-ledger.sqlite --new-ledger >> /tmp/bench/trial-$1.log 2>&1
rc=$?; rm -rf $d; exit $rc
