#!/usr/bin/env bash
# `kindly outcomes` over a ledger of 12 monthly runs of N accounts (default
# 100,000), timed by /usr/bin/time (wall seconds, peak memory).
#
# The ledger: month 1 of `sample-export --months 1 --trial` made by a real
# run (a config with the trial, letters by letters sent), then runs 2 to 12
# added in SQL as copies of it, each a month later, with its own piece ids;
# in every other copy a third of the accounts (by account number) owe a
# tenth less, so that letters lead to payments as well as to none. 12 x N
# decisions, as a year of a practice's runs would hold, made in minutes
# instead of hours of letters. The outcomes are made up; the time is the
# reading of 12 x N rows one account at a time, which is what is measured.
#
# Needs the sqlite3 command (Debian: sqlite3).
#
# Usage: bench/outcomes-ledger.sh KINDLY [N] [WORK]
#   KINDLY  the kindly binary (a release build)
#   WORK    a folder to make the ledger in (default: a new temporary one),
#           kept; a second call with the same WORK only times outcomes.
set -euo pipefail
kindly=$(realpath "$1")
n=${2:-100000}
work=${3:-$(mktemp -d)}
mkdir -p "$work"
cd "$(dirname "$0")"
ledger=$work/kindly-ledger.sqlite
if [ ! -f "$work/ledger-done" ]; then
  rm -rf "$work/exports" "$work/runs" "$ledger"
  ./trial-config.sh "$work/kindly.toml" --by-letters-sent
  "$kindly" sample-export --accounts "$n" --seed 42 --as-of 2025-12-15 --months 1 --trial -o "$work/exports"
  "$kindly" run "$work/exports/export-2025-12-15.csv" --config "$work/kindly.toml" --as-of 2025-12-15 \
    --out "$work/runs/2025-12-15" --ledger "$ledger" --quiet --new-ledger
  sql=""
  for k in $(seq 2 12); do
    paid="balance_cents"
    [ $((k % 2)) -eq 0 ] && paid="CASE WHEN CAST(account AS INTEGER) % 3 = 0 THEN balance_cents * 9 / 10 ELSE balance_cents END"
    sql+="
INSERT INTO runs (id, as_of, recorded_at, folder, run_json_sha256, kindly_version, typst_version,
  export_sha256, config_sha256, mapping_sha256, layouts_sha256, accounts, letters, holds,
  rerun_of, hold_list_sha256, needs_approval)
SELECT $k, date('2025-12-15', '+$((k - 1)) months'), recorded_at, folder || '-copy-$k',
  run_json_sha256, kindly_version, typst_version, export_sha256, config_sha256, mapping_sha256,
  layouts_sha256, accounts, letters, holds, NULL, hold_list_sha256, needs_approval
FROM runs WHERE id = 1;
INSERT INTO decisions (run_id, account, decision, stage, hold_code, reason, balance_cents,
  oldest_unpaid, piece_id, wording_sha256, letter_language, print_size, last_payment,
  wording_variant)
SELECT $k, account, decision, stage, hold_code, reason, $paid, oldest_unpaid,
  piece_id || '-$k', wording_sha256, letter_language, print_size, last_payment, wording_variant
FROM decisions WHERE run_id = 1;
INSERT INTO pieces (piece_id, run_id, stage, sha256, recipient, address, state, state_on, file,
  state_reason, printed_address)
SELECT piece_id || '-$k', $k, stage, sha256, recipient, address, state, state_on, file,
  state_reason, printed_address
FROM pieces WHERE run_id = 1;"
  done
  sqlite3 "$ledger" "BEGIN; $sql COMMIT;"
  touch "$work/ledger-done"
fi
echo "ledger: $(sqlite3 "$ledger" 'SELECT COUNT(*) FROM runs') runs, $(sqlite3 "$ledger" 'SELECT COUNT(*) FROM decisions') decisions, $(du -m "$ledger" | cut -f1) MB"
/usr/bin/time -f "kindly outcomes: %e s wall, %U s user, %M KiB peak" \
  "$kindly" outcomes --ledger "$ledger" > "$work/outcomes.txt" 2> "$work/outcomes-stderr.txt"
tail -n 1 "$work/outcomes-stderr.txt"
