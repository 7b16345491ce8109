#!/usr/bin/env bash
# After a failed `./mvnw verify`: prints, for every test class that failed or crashed its fork,
# what the console summary leaves out, from the files Surefire and Failsafe wrote: the failure
# messages, the class's own log around the failure (its ERROR lines, a timed-out test's thread
# dump, the last lines) and a crashed fork's dump files. Bounded: a few hundred lines per class.
set -uo pipefail
cd "$(dirname "$0")/.."

shown=0
for xml in */target/surefire-reports/TEST-*.xml */target/failsafe-reports/TEST-*.xml; do
  [ -f "$xml" ] || continue
  grep -qE '<(failure|error)[ >]' "$xml" || continue
  dir=$(dirname "$xml")
  class=$(basename "$xml" .xml)
  class=${class#TEST-}
  shown=$((shown + 1))
  echo "==== test-failure-digest: $class ($dir)"
  grep -oE '<(failure|error) message="[^"]{0,600}' "$xml" | sed 's/^/  /' | head -20
  out="$dir/$class-output.txt"
  if [ -f "$out" ]; then
    echo "---- ERROR lines of $out (last 15)"
    grep -E ' ERROR |FATAL|Terminating with exit status' "$out" | tail -15 | cut -c1-400
    if grep -q '^Thread ".*will be interrupted\.' "$out"; then
      # JUnit's dump before it interrupts a timed-out test: the test thread's stack, then the
      # other threads' names and first frames (where they wait).
      echo "---- where the timed-out test was (JUnit's thread dump)"
      awk '
        /^Thread ".*will be interrupted\./ && !seen { seen = 1; print; match($0, /"[^"]*"/); name = substr($0, RSTART, RLENGTH); next }
        seen && index($0, name) == 1 && !done { inblock = 1 }
        inblock { print; if ($0 == "" || ++n >= 60) { inblock = 0; done = 1 } }
      ' "$out" | cut -c1-300
      echo "---- other threads (name and top frame, first 30)"
      awk '/^Thread ".*will be interrupted\./ { on = 1; next } on && /^"/ { head = $0; getline; print head " | " $0 }' "$out" \
        | head -30 | cut -c1-300
    fi
    echo "---- last 25 lines of $out"
    tail -25 "$out" | cut -c1-400
  fi
done

# A fork that died (System.exit, a crash, a lost ping) leaves dump files next to the reports.
for dump in */target/surefire-reports/*.dump* */target/failsafe-reports/*.dump*; do
  [ -f "$dump" ] || continue
  shown=$((shown + 1))
  echo "==== test-failure-digest: $dump (last 40 lines)"
  tail -40 "$dump" | cut -c1-400
done

[ "$shown" -gt 0 ] || echo "test-failure-digest: no failed test reports found"
