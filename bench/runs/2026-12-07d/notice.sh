#!/bin/sh
# After, notice on: the same build and layouts, with kindly-notice.toml (notice-config.py): English and 15 languages of test words in Latin, Chinese, Vietnamese, Korean, Cyrillic, Arabic, Japanese and Persian script, on a page after each letter.
d=$(mktemp -d /tmp/bench/run.XXXXXX)
/tmp/kindly-rel-notice run /tmp/bench/export-$1.csv --config /tmp/bench/after/sample-data/kindly-notice.toml --as-of 2026-11-30 --out $d/run --quiet --ledger $d/kindly-ledger.sqlite --new-ledger >> /tmp/bench/notice-d-$1.log 2>&1
rc=$?; rm -rf $d; exit $rc
