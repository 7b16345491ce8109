#!/usr/bin/env bash
# Sluice benchmark: a local 3-node cluster on 127.0.0.1, a 6-partition topic, then
# `sluice bench produce`, `consume` and `e2e` (at 5,000 and 1,000 records/s) with the settings of
# issue 5 (1 KiB records, batch 64 KiB, linger 5 ms), and one table at the end.
#
# Usage: bench/run.sh [--records N] [--e2e-records N] [--keep] [--set KEY=VALUE ...]
#   --records N      records for produce and consume (default 500000)
#   --e2e-records N  records per e2e run (default 50000)
#   --producers N    producers in the produce run (default 1)
#   --set KEY=VALUE  node configuration passed to every node (repeatable), e.g. to compare tunings
#   --only LIST      run only these of produce,consume,e2e-5000,e2e-1000,e2e-1by1,failover (comma-separated)
#   --failover-rate R  records/s of the produce run during which the leader is killed (default 2000)
#   --keep           keep the data directory (default: deleted)
#   --jfr            record a JFR profile of each node into the data directory (implies --keep)
#   --threads        per run, the nodes' CPU and context switches by thread over the whole run,
#                    warm-up included (bench/threads.sh), printed after the table
# Environment: SLUICE_JAVA_OPTS (node and tool JVMs), BENCH_DIR (default: a new temp directory),
#   BENCH_BASE_PORT (client ports BASE..BASE+2, Raft +100, HTTP +200; default 7470).
#
# failover (last, as it leaves two nodes): a paced produce run (1 KiB, linger 5 ms) during which the
# leader process is killed with SIGKILL; it reports the longest time without an acknowledgement,
# i.e. the gap between the last acknowledgement before the kill and the first after it.
#
# Everything it starts is stopped on exit, failure or Ctrl-C (SIGTERM, then SIGKILL after 15 s).
set -euo pipefail

here="$(cd -P "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd -P "$here/.." && pwd)"
sluice="$root/bin/sluice"

records=500000
e2e_records=50000
producers=1
keep=false
jfr=false
threads=false
failover_rate=2000
only=",produce,consume,e2e-5000,e2e-1000,e2e-1by1,failover,"
sets=()
while [[ $# -gt 0 ]]; do
  case "$1" in
    --records) records="$2"; shift 2 ;;
    --e2e-records) e2e_records="$2"; shift 2 ;;
    --producers) producers="$2"; shift 2 ;;
    --keep) keep=true; shift ;;
    --jfr) jfr=true; keep=true; shift ;;
    --threads) threads=true; shift ;;
    --only) only=",$2,"; shift 2 ;;
    --failover-rate) failover_rate="$2"; shift 2 ;;
    --set) sets+=(--set "$2"); shift 2 ;;
    -h|--help) sed -n '2,24p' "${BASH_SOURCE[0]}"; exit 0 ;;
    *) echo "bench/run.sh: error: unknown argument $1 (see --help)" >&2; exit 2 ;;
  esac
done

base="${BENCH_BASE_PORT:-7470}"
dir="${BENCH_DIR:-$(mktemp -d /tmp/sluice-bench.XXXXXX)}"
mkdir -p "$dir"
pids=()

cleanup() {
  local status=$?
  trap - EXIT INT TERM
  if [[ "$keep" == true ]]; then # the nodes' metrics at the end (e.g. the group-commit merge ratio)
    for i in 0 1 2; do
      curl -s --max-time 2 "http://127.0.0.1:$((base + 200 + i))/metrics" >"$dir/n$((i + 1)).metrics" 2>/dev/null || true
    done
  fi
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  local deadline=$((SECONDS + 15))
  for pid in "${pids[@]}"; do
    while kill -0 "$pid" 2>/dev/null && ((SECONDS < deadline)); do sleep 0.2; done
    kill -KILL "$pid" 2>/dev/null || true
  done
  if [[ "$keep" == false ]]; then rm -rf "$dir"; else echo "data and logs kept in $dir" >&2; fi
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# Build once (bin/sluice builds only when the jar is missing).
if [[ ! -f "$root/node/target/sluice-node.jar" ]]; then
  (cd "$root" && ./mvnw -q -B -DskipTests -pl node -am package) >&2
fi

peers="n1=127.0.0.1:$((base + 100)),n2=127.0.0.1:$((base + 101)),n3=127.0.0.1:$((base + 102))"
bootstrap="127.0.0.1:$base,127.0.0.1:$((base + 1)),127.0.0.1:$((base + 2))"
for i in 0 1 2; do
  id="n$((i + 1))"
  java_opts="${SLUICE_JAVA_OPTS:-}"
  if [[ "$jfr" == true ]]; then
    java_opts+=" -XX:StartFlightRecording=filename=$dir/$id.jfr,settings=profile,dumponexit=true"
  fi
  SLUICE_JAVA_OPTS="$java_opts" "$sluice" server --id "$id" --data-dir "$dir/$id" --peers "$peers" --cluster-id bench \
    --listen "127.0.0.1:$((base + i))" --raft-listen "127.0.0.1:$((base + 100 + i))" \
    --http-listen "127.0.0.1:$((base + 200 + i))" "${sets[@]}" >"$dir/$id.log" 2>&1 &
  pids+=($!)
done

echo "waiting for the cluster (logs in $dir)..." >&2
deadline=$((SECONDS + 60))
until "$sluice" cluster status --bootstrap "$bootstrap" 2>/dev/null | grep -q LEADER; do
  if ((SECONDS > deadline)); then echo "bench/run.sh: error: no leader within 60 s" >&2; exit 1; fi
  for pid in "${pids[@]}"; do
    kill -0 "$pid" 2>/dev/null || { echo "bench/run.sh: error: a node exited; see $dir/*.log" >&2; exit 1; }
  done
  sleep 1
done

common=(--bootstrap "$bootstrap" --topic bench --json --progress-ms 5000)
producer=(--record-size 1024 --batch-bytes 65536 --linger-ms 5)
# CPU time (user + system) the three nodes have used so far, in clock ticks: divided by the
# records of a run it gives the cluster's CPU cost per record, a figure that other load on the
# machine disturbs far less than records/s.
node_cpu_ticks() {
  local total=0 pid
  for pid in "${pids[@]}"; do
    total=$((total + $(awk '{print $14 + $15}' "/proc/$pid/stat" 2>/dev/null || echo 0)))
  done
  echo "$total"
}
run() { # name, args...: runs one benchmark, keeps its JSON and the nodes' CPU per record
  local name="$1"; shift
  [[ "$only" == *",$name,"* ]] || return 0
  echo "== $name: sluice bench $*" >&2
  local before; before=$(node_cpu_ticks)
  "$sluice" bench "$@" >"$dir/$name.json" &
  local bench=$! sampler=
  if [[ "$threads" == true ]]; then
    "$here/threads.sh" --while "$bench" "${pids[@]}" >"$dir/$name.threads" 2>&1 &
    sampler=$!
  fi
  wait "$bench"
  if [[ -n "$sampler" ]]; then wait "$sampler" || true; fi
  local ticks=$(($(node_cpu_ticks) - before)) records warmup
  records=$(sed -n 's/^  "records": \([0-9]*\),$/\1/p' "$dir/$name.json")
  warmup=$(printf '%s\n' "$@" | sed -n '/^--warmup-records$/{n;p}')
  records=$((records + ${warmup:-0}))
  awk -v t="$ticks" -v r="$records" -v hz="$(getconf CLK_TCK)" \
    'BEGIN { if (r > 0) printf "%.0f\n", t * 1e6 / hz / r; else print "-" }' >"$dir/$name.cpu"
  cat "$dir/$name.json" >&2
}
run produce produce "${common[@]}" "${producer[@]}" --partitions 6 --records "$records" --warmup-records 50000 \
  --producers "$producers"
run consume consume "${common[@]}" --records "$records" --warmup-records 50000
run e2e-5000 e2e "${common[@]}" --partitions 6 --record-size 1024 --target-rate 5000 --records "$e2e_records" --warmup-records 5000
run e2e-1000 e2e "${common[@]}" --partitions 6 --record-size 1024 --target-rate 1000 --records "$((e2e_records / 5))" --warmup-records 1000
run e2e-1by1 e2e "${common[@]}" --partitions 6 --record-size 1024 --records "$((e2e_records / 10))" --warmup-records 1000

# Leader kill under load: produce at a fixed rate for 20 s, SIGKILL the leader's process after 8 s.
if [[ "$only" == *",failover,"* ]]; then
  echo "== failover: sluice bench produce at $failover_rate records/s, kill -9 of the leader after 8 s" >&2
  "$sluice" bench produce "${common[@]}" "${producer[@]}" --partitions 6 --target-rate "$failover_rate" \
    --duration-s 20 --records 100000000 --warmup-records 1000 >"$dir/failover.json" &
  bench_pid=$!
  sleep 10 # the 1,000 warm-up records, then about 8 s of the measured run
  leader=$("$sluice" cluster status --bootstrap "$bootstrap" 2>/dev/null | sed -n 's/^cluster .*  leader \(n[0-9]\)  .*/\1/p')
  if [[ -z "$leader" ]]; then echo "bench/run.sh: error: no leader to kill" >&2; exit 1; fi
  kill -KILL "${pids[$((${leader#n} - 1))]}"
  echo "killed the leader $leader (pid ${pids[$((${leader#n} - 1))]}) at $(date -u +%H:%M:%S.%N | cut -c1-12)" >&2
  wait "$bench_pid" || echo "bench/run.sh: the failover produce run reported errors (see $dir/failover.json)" >&2
  cat "$dir/failover.json" >&2
  echo "$leader" >"$dir/failover.killed"
fi

field() { sed -n "s/^  \"$2\": \\(.*\\),\\{0,1\\}\$/\\1/p" "$dir/$1.json" | tr -d ','; }
echo
printf '%-34s %12s %9s %9s %9s %9s %9s %7s %15s\n' benchmark records/s MiB/s p50_ms p99_ms p99.9_ms max_ms errors node_cpu_us/rec
for name in produce consume e2e-5000 e2e-1000 e2e-1by1; do
  [[ -f "$dir/$name.json" ]] || continue
  case "$name" in
    produce) label="produce (1 KiB, 64 KiB, 5 ms)" ;;
    consume) label="consume (1 consumer, from disk)" ;;
    e2e-5000) label="e2e at 5,000 records/s" ;;
    e2e-1000) label="e2e at 1,000 records/s" ;;
    e2e-1by1) label="e2e one at a time" ;;
  esac
  printf '%-34s %12s %9s %9s %9s %9s %9s %7s %15s\n' "$label" "$(field "$name" records_per_s)" \
    "$(field "$name" mib_per_s)" "$(field "$name" latency_p50_ms)" "$(field "$name" latency_p99_ms)" \
    "$(field "$name" latency_p999_ms)" "$(field "$name" latency_max_ms)" "$(field "$name" errors)" \
    "$(cat "$dir/$name.cpu")"
done
if [[ -f "$dir/failover.json" ]]; then
  echo "leader kill -9 during produce at $failover_rate records/s (killed $(cat "$dir/failover.killed")):" \
    "longest time without an acknowledgement $(field failover success_gap_max_ms) ms" \
    "(ended $(field failover success_gap_end_s) s into the run), errors $(field failover errors)," \
    "p99 $(field failover latency_p99_ms) ms"
fi
if [[ "$threads" == true ]]; then
  for name in produce consume e2e-5000 e2e-1000 e2e-1by1; do
    [[ -s "$dir/$name.threads" ]] || continue
    echo "-- $name: the nodes' CPU and context switches by thread (nodes n1-n3: ${pids[*]})"
    cat "$dir/$name.threads"
  done
fi
echo "(node_cpu_us/rec: CPU time of the three node processes during the run per record, warm-up included)"
echo "($(date -u +%Y-%m-%dT%H:%MZ), $(nproc) cores, $(uname -m), 3 nodes on 127.0.0.1, 6 partitions, replication 3)"
