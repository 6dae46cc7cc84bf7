#!/usr/bin/env bash
# Reruns the SCIM load comparison: rolecall (fresh SQLite database) against the peer (the
# elimity-com/scim library with an in-memory store, bench/peer), the same scimload workloads
# with the same parameters against each, and prints a Markdown table.
#
#   bash bench/run.sh                 # quick run, about 5 minutes on 2 cores
#   POP=1000000 N_LOOKUP=200000 N_PAGEWALK=10000 BIG_MEMBERS=100000 BIG_BULK=10000 \
#     N_BIGGROUP=20000 DURATION=600s bash bench/run.sh            # the DESIGN.md budget run
#
# Parameters (environment):
#   C            workers / connections per workload              (8)
#   DURATION     cap on each measured phase but the seed's       (60s)
#   N_PROVISION  POST /Users requests                            (5000)
#   POP          users seeded (POST, prefix "pop") for lookup and pagewalk   (20000)
#                the budget figure needs POP=1000000: rolecall seeded 615,000 users in its
#                first 10 minutes here (2,000/s falling to ~1,000/s), so allow 20+ minutes
#   N_LOOKUP     filter lookups over the POP users               (20000)
#   N_PAGEWALK   pages of 100 in Okta's startIndex walk          (400; 10000 = one walk of 1M)
#   SETUP        users each of deactivate/groups/mixed creates   (1000)
#   N_DEACTIVATE PATCH active=false requests                     (5000)
#   N_GROUPS     group create + member-batch PATCH requests      (2000)
#   BIG_MEMBERS  size the big group is grown to                  (10000; budget: 100000)
#   BIG_BULK     members in the single timed bulk PATCH          (10000)
#   N_BIGGROUP   single-member add/remove PATCHes on the big group (2000)
#   N_MIXED      requests of the Entra-like mixed cycle          (10000)
#   WORKLOADS    which to run, space-separated                   (all, in the order below)
#   OUT          directory for binaries, logs and JSON results   (a new temp dir)
#   ROLECALL_BIN a rolecall binary to use instead of building ./cmd/rolecall
#   RC_PORT, PEER_PORT  loopback ports                           (18080, 18081)
#   ROLECALL_LOG_LEVEL  rolecall's log level during the run      (warn: per-request logs are
#                       not what is measured; the peer logs nothing either)
# The database accumulates across workloads in the same order on both servers.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
export PATH="$PATH:/usr/local/go/bin"

C=${C:-8}
DURATION=${DURATION:-60s}
N_PROVISION=${N_PROVISION:-5000}
POP=${POP:-20000}
N_LOOKUP=${N_LOOKUP:-20000}
N_PAGEWALK=${N_PAGEWALK:-400}
SETUP=${SETUP:-1000}
N_DEACTIVATE=${N_DEACTIVATE:-5000}
N_GROUPS=${N_GROUPS:-2000}
BIG_MEMBERS=${BIG_MEMBERS:-10000}
BIG_BULK=${BIG_BULK:-10000}
N_BIGGROUP=${N_BIGGROUP:-2000}
N_MIXED=${N_MIXED:-10000}
WORKLOADS=${WORKLOADS:-"provision seed lookup pagewalk deactivate groups biggroup mixed"}
RC_PORT=${RC_PORT:-18080}
PEER_PORT=${PEER_PORT:-18081}
OUT=${OUT:-$(mktemp -d /tmp/scimbench.XXXXXX)}
mkdir -p "$OUT"

admin_token="bench-admin-token-$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')"
peer_token="bench-peer-token-$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')"
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
}
trap cleanup EXIT

log() { printf '==> %s\n' "$*" >&2; }

log "building into $OUT"
if [ -n "${ROLECALL_BIN:-}" ]; then cp "$ROLECALL_BIN" "$OUT/rolecall"
else (cd "$root" && CGO_ENABLED=0 go build -o "$OUT/rolecall" ./cmd/rolecall); fi
(cd "$root" && go build -o "$OUT/scimload" ./cmd/scimload)
(cd "$root/bench/peer" && go build -o "$OUT/peer" .)

wait_http() { # url [auth]
  for _ in $(seq 1 100); do
    if curl -fsS -o /dev/null ${2:+-H "Authorization: Bearer $2"} "$1" 2>/dev/null; then return 0; fi
    sleep 0.1
  done
  echo "no answer from $1" >&2; return 1
}

log "starting rolecall on 127.0.0.1:$RC_PORT (fresh SQLite database)"
ROLECALL_BOOTSTRAP_TOKEN="$admin_token" ROLECALL_LOG_LEVEL="${ROLECALL_LOG_LEVEL:-warn}" \
  "$OUT/rolecall" serve --addr "127.0.0.1:$RC_PORT" --db "sqlite:$OUT/rolecall.db" >"$OUT/rolecall.log" 2>&1 &
pids+=($!)
rc_pid=$!
wait_http "http://127.0.0.1:$RC_PORT/healthz"
rc_token="$("$OUT/rolecall" token create --server "http://127.0.0.1:$RC_PORT" --token "$admin_token" --name load --scope scim | tail -n 1)"

log "starting the peer on 127.0.0.1:$PEER_PORT"
"$OUT/peer" -addr "127.0.0.1:$PEER_PORT" -token "$peer_token" >"$OUT/peer.log" 2>&1 &
pids+=($!)
peer_pid=$!
wait_http "http://127.0.0.1:$PEER_PORT/scim/v2/ServiceProviderConfig" "$peer_token"

# args_for WORKLOAD: the scimload arguments of one row.
args_for() {
  case "$1" in
    provision)  echo "-workload provision -n $N_PROVISION" ;;
    seed)       echo "-workload provision -prefix pop -n $POP" ;;
    lookup)     echo "-workload lookup -reuse pop -setup $POP -n $N_LOOKUP" ;;
    pagewalk)   echo "-workload pagewalk -reuse pop -setup $POP -n $N_PAGEWALK" ;;
    deactivate) echo "-workload deactivate -setup $SETUP -n $N_DEACTIVATE" ;;
    groups)     echo "-workload groups -setup $SETUP -n $N_GROUPS" ;;
    biggroup)   echo "-workload biggroup -members $BIG_MEMBERS -bulk $BIG_BULK -n $N_BIGGROUP" ;;
    mixed)      echo "-workload mixed -setup $SETUP -n $N_MIXED" ;;
    *) echo "unknown workload $1" >&2; return 1 ;;
  esac
}

# cpu_ticks PID: the process's user+system CPU time so far, in clock ticks. Throughput on a
# shared 2-core machine moves with whatever else runs; the CPU a server spends on the same
# requests moves much less, so the table shows both.
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat" 2>/dev/null || echo 0; }
hz=$(getconf CLK_TCK)

# field JSON NAME: the first (top-level) numeric field NAME of a result line.
field() { grep -o "\"$2\":[-0-9.e+]*" <<<"$1" | head -n 1 | cut -d: -f2; }

declare -A res cpu
for w in $WORKLOADS; do
  a="$(args_for "$w")"
  for target in rolecall peer; do
    if [ "$target" = rolecall ]; then url="http://127.0.0.1:$RC_PORT/scim/v2"; tok="$rc_token"; pid=$rc_pid
    else url="http://127.0.0.1:$PEER_PORT/scim/v2"; tok="$peer_token"; pid=$peer_pid; fi
    t0=$(cpu_ticks "$pid")
    # The seed is bounded by POP alone: cut short, it would leave lookup and pagewalk looking
    # for users that were never created.
    dur="-duration $DURATION"; [ "$w" = seed ] && dur=""
    log "$w on $target: scimload $a -c $C $dur"
    # shellcheck disable=SC2086
    SCIMLOAD_TOKEN="$tok" "$OUT/scimload" -url "$url" $a -c "$C" $dur -json -q \
      >"$OUT/$w.$target.txt" 2>"$OUT/$w.$target.err" || true
    cat "$OUT/$w.$target.txt" >&2
    res[$w.$target]="$(tail -n 1 "$OUT/$w.$target.txt" | grep '^{' || echo '{}')"
    cpu[$w.$target]=$(awk -v a="$t0" -v b="$(cpu_ticks "$pid")" -v hz="$hz" 'BEGIN{printf "%.2f", (b - a) / hz}')
    if [ "${res[$w.$target]}" = '{}' ]; then cat "$OUT/$w.$target.err" >&2; fi
  done
done

fmt() { [ -n "$1" ] && awk -v v="$1" -v f="$2" 'BEGIN{printf f, v}' || printf 'n/a'; }
ratio() { [ -n "$1" ] && [ -n "$2" ] && awk -v a="$1" -v b="$2" 'BEGIN{ if (b > 0) printf "%.2f", a/b; else printf "n/a" }' || printf 'n/a'; }

echo
echo "## SCIM load: rolecall (SQLite) vs peer (elimity-com/scim, in memory)"
echo
echo "$(date -u +%Y-%m-%dT%H:%MZ), $(go version | cut -d' ' -f3), $(nproc) cores; C=$C DURATION=$DURATION POP=$POP BIG_MEMBERS=$BIG_MEMBERS BIG_BULK=$BIG_BULK; results in $OUT"
echo
echo "| workload | rolecall ops/s | rolecall p99 ms | peer ops/s | peer p99 ms | ratio (rolecall/peer ops/s) | errors (rolecall/peer) | server CPU s, rolecall / peer (whole run, setup included) |"
echo "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
for w in $WORKLOADS; do
  r="${res[$w.rolecall]}"; p="${res[$w.peer]}"
  rt=$(field "$r" throughput); pt=$(field "$p" throughput)
  label="$w"; [ "$w" = seed ] && label="provision (seed $POP)"
  [ "$w" = biggroup ] && label="biggroup: 1-member PATCH, $BIG_MEMBERS members"
  echo "| $label | $(fmt "$rt" %.0f) | $(fmt "$(field "$r" p99_ms)" %.2f) | $(fmt "$pt" %.0f) | $(fmt "$(field "$p" p99_ms)" %.2f) | $(ratio "$rt" "$pt") | $(field "$r" errors)/$(field "$p" errors) | ${cpu[$w.rolecall]:-n/a} / ${cpu[$w.peer]:-n/a} |"
  if [ "$w" = biggroup ]; then
    for b in bulk_add_ms bulk_remove_ms; do
      rb=$(field "$r" "$b"); pb=$(field "$p" "$b")
      echo "| biggroup: one PATCH ${b%_ms} of $BIG_BULK members (ms) | | $(fmt "$rb" %.1f) | | $(fmt "$pb" %.1f) | $(ratio "$rb" "$pb") (time) | | |"
    done
  fi
done
