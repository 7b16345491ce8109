#!/usr/bin/env bash
# Where the CPU and the context switches of running JVMs go, by thread: samples every thread's CPU
# time and context switches from /proc over a window, names the threads with jstack, and prints
# per process the busiest thread groups (digits in names folded, so "grpc-default-executor-3" and
# "-7" count together), the processes' totals and the machine's busy share over the same window.
# Used for the per-entry analysis in README "Benchmarks"; Linux only.
#
# Usage: bench/threads.sh [--seconds S | --while PID] [--min-percent P] PID...
#   --seconds S      length of the window (default 10)
#   --while PID      the window lasts until process PID exits (bench/run.sh --threads: one run)
#   --min-percent P  hide thread groups below P % of a core (default 1)
# Example, during a benchmark of a cluster started by bench/run.sh --keep:
#   bench/threads.sh --seconds 10 $(pgrep -f 'SluiceCli server')
set -euo pipefail

seconds=10
while_pid=
min_percent=1
pids=()
while [[ $# -gt 0 ]]; do
  case "$1" in
    --seconds) seconds="$2"; shift 2 ;;
    --while) while_pid="$2"; shift 2 ;;
    --min-percent) min_percent="$2"; shift 2 ;;
    -h|--help) sed -n '2,14p' "${BASH_SOURCE[0]}"; exit 0 ;;
    -*) echo "bench/threads.sh: error: unknown option $1 (see --help)" >&2; exit 2 ;;
    *) pids+=("$1"); shift ;;
  esac
done
if [[ ${#pids[@]} -eq 0 ]]; then
  echo "bench/threads.sh: error: no process id given (see --help)" >&2
  exit 2
fi
for pid in "${pids[@]}"; do
  [[ "$pid" =~ ^[0-9]+$ && -d "/proc/$pid" ]] || { echo "bench/threads.sh: error: no process $pid" >&2; exit 2; }
done
[[ "$seconds" =~ ^[0-9]+$ && "$seconds" -gt 0 ]] || { echo "bench/threads.sh: error: --seconds must be a positive whole number, got '$seconds'" >&2; exit 2; }
[[ -z "$while_pid" || "$while_pid" =~ ^[0-9]+$ ]] || { echo "bench/threads.sh: error: --while takes a process id, got '$while_pid'" >&2; exit 2; }
jstack="${JAVA_HOME:+$JAVA_HOME/bin/}jstack"

# One line per thread: pid/tid cpu_ticks context_switches kernel_name. A thread that ends in
# between is skipped.
sample() {
  local pid
  for pid in "${pids[@]}"; do
    awk -v pid="$pid" '
      FNR == 1 && FILENAME ~ /\/stat$/ {
        split(FILENAME, f, "/"); tid = f[5]
        c = $0; sub(/^[^(]*\(/, "", c); sub(/\) [^)]*$/, "", c); gsub(/[ \t]/, "_", c); comm[tid] = c
        sub(/^.*\) /, ""); split($0, s, " "); ticks[tid] = s[12] + s[13]
      }
      FILENAME ~ /\/status$/ && /^(non)?voluntary_ctxt_switches/ { split(FILENAME, f, "/"); cs[f[5]] += $2 }
      END { for (t in ticks) print pid "/" t, ticks[t], cs[t] + 0, comm[t] }
    ' /proc/"$pid"/task/*/stat /proc/"$pid"/task/*/status 2>/dev/null || true
  done | sort
}
machine() { head -1 /proc/stat | awk '{busy = 0; for (i = 2; i <= 9; i++) if (i != 5 && i != 6) busy += $i; print busy}'; }

hz=$(getconf CLK_TCK)
before=$(sample); busy_before=$(machine); start=$(date +%s%N)
if [[ -n "$while_pid" ]]; then
  while kill -0 "$while_pid" 2>/dev/null; do sleep 0.2; done
else
  sleep "$seconds"
fi
busy_after=$(machine); after=$(sample)
seconds=$(awk -v a="$start" -v b="$(date +%s%N)" 'BEGIN { printf "%.3f", (b - a) / 1e9 }')

# Java thread names by native id (jstack's nid is the Linux tid in hex).
names=$(for pid in "${pids[@]}"; do
  { "$jstack" "$pid" 2>/dev/null || true; } | sed -n 's/^"\([^"]*\)".* nid=\(0x[0-9a-f]*\) .*/\2 \1/p' |
    while read -r nid name; do echo "$pid/$((nid)) ${name// /_}"; done
done | sort)

# Joined: pid/tid ticks cs kernel_name ticks' cs' kernel_name' [java_name]. Threads jstack does not
# list (native ones such as RocksDB's, or all of a process that ended meanwhile) keep the kernel's
# name, cut at 15 characters.
join <(echo "$before") <(echo "$after") | join -a1 - <(echo "$names") | awk -v hz="$hz" -v s="$seconds" -v min="$min_percent" '
  {
    split($1, id, "/"); name = NF >= 8 ? $8 : $4
    gsub(/[0-9]+/, "#", name); gsub(/group-[#A-F]+/, "group", name)
    key = id[1] " " name
    cpu[key] += ($5 - $2) * 100 / hz / s; cs[key] += ($6 - $3) / s; total[id[1]] += ($5 - $2) * 100 / hz / s
  }
  END {
    for (k in cpu) if (cpu[k] >= min) printf "%s %6.1f%% %8.0f cs/s\n", k, cpu[k], cs[k] | "sort -k1,1n -k3,3nr"
    close("sort -k1,1n -k3,3nr")
    for (p in total) printf "process %s: %.0f%% of a core over %.1f s\n", p, total[p], s
  }'
ncpu=$(nproc)
awk -v b="$busy_before" -v a="$busy_after" -v hz="$hz" -v s="$seconds" -v n="$ncpu" \
  'BEGIN { printf "machine: %.0f%% busy of %d%% (%d cores)\n", (a - b) * 100 / hz / s, n * 100, n }'
