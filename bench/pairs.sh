#!/usr/bin/env bash
# Two commands timed in turn (A B A B ...), as whole processes, by
# /usr/bin/time: each run's wall, user and system seconds and peak memory,
# the medians, and A/B pair by pair. On a machine whose speed drifts, the
# ratio of neighbouring runs is what judges a change, not either time.
#
# Usage: bench/pairs.sh N 'COMMAND A' 'COMMAND B'
#   Each command is one string run by sh -c; its output is thrown away.
#   Example (see bench/runs/2026-12-07/a.sh, b.sh):
#   bench/pairs.sh 2 'bench/runs/2026-12-07/a.sh 100000' 'bench/runs/2026-12-07/b.sh 100000'
set -euo pipefail
if [ $# -ne 3 ]; then
  sed -n '2,10p' "$0" | sed 's/^# \{0,1\}//'
  exit 2
fi
n=$1 a=$2 b=$3
times=$(mktemp)
trap 'rm -f "$times"' EXIT
for i in $(seq 1 "$n"); do
  for which in A B; do
    if [ "$which" = A ]; then command=$a; else command=$b; fi
    /usr/bin/time -f "$which $i %e %U %S %M" -a -o "$times" sh -c "$command" >/dev/null 2>&1 ||
      echo "$which run $i exited with $?" >&2
  done
done
echo "A = $a"
echo "B = $b"
python3 - "$times" <<'EOF'
import statistics, sys
runs = {"A": {}, "B": {}}
for line in open(sys.argv[1]):
    which, i, wall, user, sys_s, kib = line.split()
    runs[which][int(i)] = (float(wall), float(user), float(sys_s), int(kib) / 1024)
print(f"{'':4} {'run':>4} {'wall s':>9} {'user s':>9} {'sys s':>8} {'peak MiB':>9}")
for which in "AB":
    for i, (wall, user, sys_s, mib) in sorted(runs[which].items()):
        print(f"{which:4} {i:>4} {wall:>9.1f} {user:>9.1f} {sys_s:>8.1f} {mib:>9.1f}")
for which in "AB":
    r = list(runs[which].values())
    print(f"{which} median: wall {statistics.median(x[0] for x in r):.1f} s, "
          f"peak {statistics.median(x[3] for x in r):.1f} MiB")
pairs = [runs["A"][i][0] / runs["B"][i][0] for i in sorted(runs["A"]) if i in runs["B"]]
print("A/B wall, pair by pair: " + ", ".join(f"{p:.3f}" for p in pairs)
      + f"; median {statistics.median(pairs):.3f}")
EOF
