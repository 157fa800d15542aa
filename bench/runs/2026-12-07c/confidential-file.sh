#!/bin/sh
# A confidential-address file for /tmp/bench/export-N.csv: every 100th account (by first appearance) at a PO box of its own.
python3 - "$1" <<'PY'
import csv, sys
n = sys.argv[1]
with open(f"/tmp/bench/export-{n}.csv", encoding="utf-8", newline="") as f:
    accounts = list(dict.fromkeys(row["Account"] for row in csv.DictReader(f)))[::100]
with open(f"/tmp/bench/confidential-{n}.csv", "w", encoding="utf-8", newline="") as f:
    w = csv.writer(f)
    w.writerow(["account", "name", "address1", "address2", "city", "state", "zip", "until", "note"])
    for i, a in enumerate(accounts):
        w.writerow([a, "", f"PO Box {1000 + i}", "", "Eugene", "OR", "97440", "", "bench"])
PY
