#!/usr/bin/env bash
# Writes to FILE the shipped sample config with the wording trial of
# `sample-export --months --trial` ([trials.warm-reminder]: the reminder,
# half usual, half warm), its layouts named by absolute path, and with
# --by-letters-sent the demo's escalation line taken out (a practice's
# setting: letters by letters sent).
#
# Usage: bench/trial-config.sh FILE [--by-letters-sent]
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
out=$1
drop='^$^'
[ "${2:-}" = --by-letters-sent ] && drop='^escalation = "by_age"'
sed -e "s#^layouts = .*#layouts = \"$repo/layouts\"#" -e "/$drop/d" "$repo/sample-data/kindly.toml" > "$out"
printf '\n[trials.warm-reminder]\nstage = "reminder"\nvariants = { usual = 50, warm = 50 }\n' >> "$out"
