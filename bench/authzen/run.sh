#!/usr/bin/env bash
# The side-by-side AuthZEN decision benchmark of issue 15 ("Speed"): the HTTP floor, rolecall
# and OpenFGA v1.22.1 (PostgreSQL with its check caches, and its memory datastore), loaded with
# the same population and driven by the same scimload AuthZEN workloads with the same requests,
# one server at a time, on loopback. Prints a Markdown table at the end.
#
#   bash bench/authzen/run.sh                               # 10,000 users, all targets
#   USERS=100000 TARGETS="floor rolecall openfga-pg" bash bench/authzen/run.sh   # the budget population
#
# Steps: build (rolecall, scimload, authzpop from rolecall's module; floor and fgaload from
# bench/authzen; openfga with `go install …@v1.22.1` unless OPENFGA_BIN is set); draw the
# population (cmd/authzpop: requests with expected decisions, OpenFGA tuples, and rolecall's
# SQLite database seeded directly); then for each target: start it, load it (OpenFGA: a new
# store, the model, the tuples), drive each workload, stop it.
#
# Workloads (scimload -workload …, each bounded by DURATION and a request count):
#   eval-c1, eval-c8   authz-eval: single evaluations at C=1 and C=8
#   batch              authz-batch: 100 evaluations per request, C=1
#   search             authz-search: every project one user may read (all pages), C=1
#
# Parameters (environment):
#   USERS       population size (10000; 100000 = the enforce-groups budget population)
#   TARGETS     which to run, in order ("floor rolecall openfga-pg openfga-mem")
#   WORKLOADS   ("eval-c1 eval-c8 batch search")
#   DURATION    cap of each measured run (30s)
#   EVALUATIONS SEARCHES  requests authzpop draws (20000, 500); each run takes them in order and
#               wraps around, so a fast target repeats them (100000 and 2000 make that rarer)
#   N_EVAL N_BATCH N_SEARCH   request caps (1000000, 100000, 100000: DURATION bounds the run)
#   SEARCH_PAGE page.limit each search request asks for (1000, rolecall's largest page; 0 sends
#               none and takes each server's default: rolecall's is 100, so an org owner's
#               10,000 projects take 100 round trips). One search operation follows
#               page.next_token to the end either way.
#   PG_URI      PostgreSQL for OpenFGA; the database is dropped and created again
#               (postgres://rolecall:rolecall@127.0.0.1:5432/openfga_bench?sslmode=disable;
#               created with `su postgres -c "createdb -O rolecall openfga_bench"` when run as root)
#   OPENFGA_BIN an openfga binary to use instead of `go install …@v1.22.1`
#   OUT         directory for binaries, population, logs and JSON results (a new temp dir)
#   FLOOR_PORT RC_PORT FGA_PORT   loopback ports (18095, 18096, 18090; FGA_PORT+1 for gRPC)
#
# The rolecall step needs rolecall to serve POST /access/v1/evaluation (issue 15, in progress):
# until it does, it is skipped with a message. It uses the bootstrap admin token (admin tokens
# may call the decision API; a `decision` token is tried first).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
export PATH="$PATH:/usr/local/go/bin:$(go env GOPATH)/bin"

USERS=${USERS:-10000}
TARGETS=${TARGETS:-"floor rolecall openfga-pg openfga-mem"}
WORKLOADS=${WORKLOADS:-"eval-c1 eval-c8 batch search"}
DURATION=${DURATION:-30s}
EVALUATIONS=${EVALUATIONS:-20000}
SEARCHES=${SEARCHES:-500}
N_EVAL=${N_EVAL:-1000000}
N_BATCH=${N_BATCH:-100000}
N_SEARCH=${N_SEARCH:-100000}
SEARCH_PAGE=${SEARCH_PAGE:-1000}
PG_URI=${PG_URI:-"postgres://rolecall:rolecall@127.0.0.1:5432/openfga_bench?sslmode=disable"}
FLOOR_PORT=${FLOOR_PORT:-18095}
RC_PORT=${RC_PORT:-18096}
FGA_PORT=${FGA_PORT:-18090}
OUT=${OUT:-$(mktemp -d /tmp/authzbench.XXXXXX)}
mkdir -p "$OUT"

admin_token="bench-admin-token-$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')"
pid=""
stop_server() {
  if [ -n "$pid" ]; then kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; pid=""; fi
}
trap stop_server EXIT
log() { printf '==> %s\n' "$*" >&2; }

wait_http() { # url
  for _ in $(seq 1 300); do
    if curl -fsS -o /dev/null "$1" 2>/dev/null; then return 0; fi
    sleep 0.1
  done
  echo "no answer from $1" >&2; return 1
}

log "building into $OUT"
(cd "$root" && CGO_ENABLED=0 go build -o "$OUT/rolecall" ./cmd/rolecall)
(cd "$root" && go build -o "$OUT/scimload" ./cmd/scimload && go build -o "$OUT/authzpop" ./cmd/authzpop)
(cd "$here" && go build -o "$OUT/floor" ./cmd/floor && go build -o "$OUT/fgaload" ./cmd/fgaload)
if [ -n "${OPENFGA_BIN:-}" ]; then cp "$OPENFGA_BIN" "$OUT/openfga"
else GOBIN="$OUT" go install github.com/openfga/openfga/cmd/openfga@v1.22.1; fi

log "drawing the population: $USERS users"
"$OUT/authzpop" -users "$USERS" -evaluations "$EVALUATIONS" -searches "$SEARCHES" -out "$OUT/pop" -sqlite "$OUT/pop/rolecall.db" -token "$admin_token" 2>&1 | tee "$OUT/authzpop.log" >&2

# cpu_ticks PID: the process's user+system CPU time so far, in clock ticks.
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat" 2>/dev/null || echo 0; }
hz=$(getconf CLK_TCK)
field() { grep -o "\"$2\":[-0-9.e+]*" <<<"$1" | head -n 1 | cut -d: -f2; }

declare -A res cpu loadtime
# drive TARGET URL PREFIX TOKEN ATAS: runs every workload against the server of $pid.
drive() {
  local target=$1 url=$2 prefix=$3 tok=$4 atas=$5 w a
  for w in $WORKLOADS; do
    case "$w" in
      eval-c1) a="-workload authz-eval -requests $OUT/pop/evaluations.jsonl -c 1 -n $N_EVAL" ;;
      eval-c8) a="-workload authz-eval -requests $OUT/pop/evaluations.jsonl -c 8 -n $N_EVAL" ;;
      batch)   a="-workload authz-batch -requests $OUT/pop/evaluations.jsonl -c 1 -batch-size 100 -n $N_BATCH" ;;
      search)  a="-workload authz-search -requests $OUT/pop/searches.jsonl -c 1 -n $N_SEARCH -page-limit $SEARCH_PAGE" ;;
      *) echo "unknown workload $w" >&2; return 1 ;;
    esac
    local t0; t0=$(cpu_ticks "$pid")
    log "$w on $target: scimload $a -duration $DURATION"
    # shellcheck disable=SC2086
    SCIMLOAD_TOKEN="$tok" "$OUT/scimload" -url "$url" -path-prefix "$prefix" ${atas:+-at-as "$atas"} $a \
      -duration "$DURATION" -json -q >"$OUT/$w.$target.txt" 2>"$OUT/$w.$target.err" || true
    grep -v '^{' "$OUT/$w.$target.txt" >&2 || true
    res[$w.$target]="$(tail -n 1 "$OUT/$w.$target.txt" | grep '^{' || echo '{}')"
    cpu[$w.$target]=$(awk -v a="$t0" -v b="$(cpu_ticks "$pid")" -v hz="$hz" 'BEGIN{printf "%.1f", (b - a) / hz}')
    if [ "${res[$w.$target]}" = '{}' ]; then cat "$OUT/$w.$target.err" >&2; fi
  done
}

# start_openfga ENGINE: runs OpenFGA v1.22.1 with AuthZEN on, loopback only, with the batch
# limit raised to the 100 evaluations of the batch workload (OpenFGA's default is 50) and a
# longer request timeout (the memory store's writes slow down as it fills, past the default 3 s).
start_openfga() {
  local engine=$1 extra=()
  if [ "$engine" = postgres ]; then
    if [ "$(id -u)" = 0 ]; then
      su postgres -c "dropdb --if-exists openfga_bench && createdb -O rolecall openfga_bench" >&2
    fi
    "$OUT/openfga" migrate --datastore-engine postgres --datastore-uri "$PG_URI" >"$OUT/openfga-migrate.log" 2>&1
    extra=(--datastore-engine postgres --datastore-uri "$PG_URI" --check-query-cache-enabled --check-iterator-cache-enabled)
  else
    extra=(--datastore-engine memory)
  fi
  "$OUT/openfga" run "${extra[@]}" --experimentals authzen,pipeline_list_objects \
    --http-addr "127.0.0.1:$FGA_PORT" --grpc-addr "127.0.0.1:$((FGA_PORT + 1))" \
    --metrics-enabled=false --playground-enabled=false --log-level warn \
    --max-checks-per-batch-check 100 --request-timeout 120s >"$OUT/openfga-$engine.log" 2>&1 &
  pid=$!
  wait_http "http://127.0.0.1:$FGA_PORT/healthz"
}

for target in $TARGETS; do
  case "$target" in
    floor)
      log "starting the floor on 127.0.0.1:$FLOOR_PORT"
      "$OUT/floor" -addr "127.0.0.1:$FLOOR_PORT" >"$OUT/floor.log" 2>&1 &
      pid=$!
      sleep 0.5
      drive floor "http://127.0.0.1:$FLOOR_PORT" "" "unused" ""
      stop_server ;;
    rolecall)
      # ---- rolecall: works once rolecall serves /access/v1 (issue 15) ----
      log "starting rolecall on 127.0.0.1:$RC_PORT (the seeded SQLite database)"
      ROLECALL_BOOTSTRAP_TOKEN="$admin_token" ROLECALL_LOG_LEVEL=warn \
        "$OUT/rolecall" serve --addr "127.0.0.1:$RC_PORT" --db "sqlite:$OUT/pop/rolecall.db" >"$OUT/rolecall.log" 2>&1 &
      pid=$!
      wait_http "http://127.0.0.1:$RC_PORT/healthz"
      probe=$(head -n 1 "$OUT/pop/evaluations.jsonl" | sed 's/,"expect":[a-z]*}$/}/')
      code=$(curl -s -o /dev/null -w '%{http_code}' -X POST -H "Authorization: Bearer $admin_token" \
        -H 'Content-Type: application/json' -d "$probe" "http://127.0.0.1:$RC_PORT/access/v1/evaluation" || true)
      if [ "$code" != 200 ]; then
        log "SKIPPING rolecall: POST /access/v1/evaluation answered $code (the AuthZEN API of issue 15 is not served yet)"
        stop_server; continue
      fi
      tok=$("$OUT/rolecall" token create --server "http://127.0.0.1:$RC_PORT" --token "$admin_token" \
        --name bench-decision --scope decision 2>/dev/null | tail -n 1 || true)
      [ -n "$tok" ] || tok="$admin_token"
      # The first decision builds the org's index: time it apart from the measured runs.
      t0=$(date +%s.%N)
      curl -s -o /dev/null -X POST -H "Authorization: Bearer $tok" -H 'Content-Type: application/json' \
        -d "$probe" "http://127.0.0.1:$RC_PORT/access/v1/evaluation"
      loadtime[rolecall]=$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN{printf "first decision %.2f s", b - a}')
      drive rolecall "http://127.0.0.1:$RC_PORT" "" "$tok" ""
      stop_server ;;
    openfga-pg|openfga-mem)
      engine=postgres; [ "$target" = openfga-mem ] && engine=memory
      log "starting OpenFGA v1.22.1 ($engine) on 127.0.0.1:$FGA_PORT"
      start_openfga "$engine"
      log "loading the population into OpenFGA ($engine)"
      t0=$(date +%s)
      "$OUT/fgaload" -url "http://127.0.0.1:$FGA_PORT" -tuples "$OUT/pop/tuples.jsonl" >"$OUT/fgaload-$engine.ids" 2> >(tee "$OUT/fgaload-$engine.log" >&2)
      loadtime[$target]="load $(( $(date +%s) - t0 )) s"
      store=$(grep '^store_id=' "$OUT/fgaload-$engine.ids" | cut -d= -f2)
      drive "$target" "http://127.0.0.1:$FGA_PORT" "/stores/$store" "unused" "_at_"
      stop_server ;;
    *) echo "unknown target $target" >&2; exit 1 ;;
  esac
done

fmt() { [ -n "$1" ] && awk -v v="$1" -v f="$2" 'BEGIN{printf f, v}' || printf 'n/a'; }
echo
echo "## AuthZEN decisions: $USERS users ($(date -u +%Y-%m-%dT%H:%MZ), $(go version | cut -d' ' -f3), $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg))"
echo
echo "DURATION=$DURATION per run; results in $OUT. decisions/s counts each item of a batch; a search is one operation, all its pages included."
echo
echo "| target | workload | ops/s | decisions/s | p50 ms | p99 ms | errors | mismatches | server CPU s |"
echo "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
for target in $TARGETS; do
  for w in $WORKLOADS; do
    r="${res[$w.$target]:-}"
    [ -n "$r" ] || continue
    echo "| $target | $w | $(fmt "$(field "$r" throughput)" %.0f) | $(fmt "$(field "$r" decisions_per_s)" %.0f) | $(fmt "$(field "$r" p50_ms)" %.2f) | $(fmt "$(field "$r" p99_ms)" %.2f) | $(field "$r" errors) | $(field "$r" mismatches) | ${cpu[$w.$target]} |"
  done
done
echo
for t in "${!loadtime[@]}"; do echo "- $t: ${loadtime[$t]}"; done
echo
echo "The floor allows everything: its mismatches are the expected denies (and every search finding nothing)."
