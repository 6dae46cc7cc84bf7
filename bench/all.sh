#!/usr/bin/env bash
# Reruns every figure of BENCHMARKS.md: the Go micro-benchmarks (filter parser, PATCH,
# projection, access evaluation, planner), the store and in-process SCIM benchmarks, the
# budget-sized enforce-groups benchmark, and the SCIM load comparison against the peer
# (bench/run.sh, which takes its own parameters from the environment).
#
#   bash bench/all.sh                  # everything, quick load run (~15 min on 2 cores)
#   SKIP_LARGE=1 bash bench/all.sh     # without the 1.6M-row enforce-groups benchmark
#   SKIP_LOAD=1 bash bench/all.sh      # without bench/run.sh
#
# Output goes to OUT (a new temp dir unless set): one .txt per step.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
export PATH="$PATH:/usr/local/go/bin"
OUT=${OUT:-$(mktemp -d /tmp/rolecall-bench.XXXXXX)}
mkdir -p "$OUT"
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(go version)" | tee "$OUT/machine.txt"

step() { # name, command...
  local name=$1; shift
  echo "== $name: $*" | tee "$OUT/$name.txt"
  "$@" 2>&1 | tee -a "$OUT/$name.txt"
}

step micro go test -run '^$' -bench . -benchmem -count 3 \
  ./internal/scim/filter/ ./internal/scim/ ./internal/access/ ./internal/enforce/
step store go test -run '^$' -bench 'UserNameEq1M|PatchMember100k|CreateUser' -benchmem -benchtime 1x -count 1 \
  -timeout 60m ./internal/store/sqlstore/
step scim go test -run '^$' -bench 'SCIM' -benchmem -count 1 -timeout 30m ./internal/server/scimapi/
if [[ -z "${SKIP_LARGE:-}" ]]; then
  step enforce go test -run '^$' -bench ApplyLarge -benchtime 1x -timeout 60m ./internal/service/enforcegroups/
fi
if [[ -z "${SKIP_LOAD:-}" ]]; then
  step load env OUT="$OUT/load" bash bench/run.sh
fi
echo "results in $OUT"
