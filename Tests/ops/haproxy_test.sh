#!/usr/bin/env bash
# The leader health check as a load balancer uses it: Deploy/dev-cluster (three leader hosts, two
# followers) with metrics on, one web backend per leader host standing in for its mesos-master,
# and Debian's HAProxy doing `option httpchk GET /leader` against each host's Herald. Traffic
# must reach only the leader, and move after `dev-cluster stop-leader`. Then /health with curl:
# 503 with a reason once the socket is gone, and once ZooKeeper has been away a session timeout.
#
#   Tests/ops/haproxy_test.sh HERALD_BINARY
# Ports (HERALD_OPS_BASE_PORT, default 24900): ZooKeeper BASE+1..3, metrics BASE+11..15,
# HAProxy BASE+20, backends BASE+21..23.
set -euo pipefail
herald=$(realpath "$1")
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
base=${HERALD_OPS_BASE_PORT:-24900}
work=${HERALD_OPS_DIR:-/tmp/herald-ops-haproxy}
export HERALD_BIN=$herald HERALD_DEV_DIR=$work/dev HERALD_DEV_ZK_BASE_PORT=$base
export HERALD_DEV_METRICS_BASE_PORT=$((base + 10))
front=$((base + 20))
pids=()
cleanup() {
  local pid
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  "$root/Deploy/dev-cluster" down >/dev/null 2>&1 || true
}
trap cleanup EXIT
fail() { echo "FAIL: $*"; "$root/Deploy/dev-cluster" logs 2>/dev/null | tail -40; exit 1; }
code() { curl -s -o /dev/null -w '%{http_code}' --max-time 3 "$1" || true; }

rm -rf "$work" && mkdir -p "$work"
"$root/Deploy/dev-cluster" up >"$work/up.log" 2>&1 || { cat "$work/up.log"; fail "dev-cluster up"; }

# The stand-in masters: each answers its host's name.
for n in 1 2 3; do
  mkdir -p "$work/www$n" && echo "leader$n" >"$work/www$n/index.html"
  python3 -m http.server $((base + 20 + n)) --bind 127.0.0.1 --directory "$work/www$n" >/dev/null 2>&1 &
  pids+=($!)
done
cat >"$work/haproxy.cfg" <<CFG
defaults
  mode http
  timeout connect 1s
  timeout client 5s
  timeout server 5s
frontend mesos_leader
  bind 127.0.0.1:$front
  default_backend mesos_leader
backend mesos_leader
  option httpchk GET /leader
  http-check expect status 200
  default-server inter 200ms fall 1 rise 1
  server leader1 127.0.0.1:$((base + 21)) check port $((base + 11))
  server leader2 127.0.0.1:$((base + 22)) check port $((base + 12))
  server leader3 127.0.0.1:$((base + 23)) check port $((base + 13))
CFG
haproxy -c -q -f "$work/haproxy.cfg" || fail "haproxy rejects its configuration"
haproxy -db -f "$work/haproxy.cfg" >"$work/haproxy.log" 2>&1 &
pids+=($!)

# Who leads, by the checks: exactly one 200 among the leader hosts, 503 on the followers.
leader_by_checks() {
  local n found=""
  for n in 1 2 3; do
    [ "$(code "http://127.0.0.1:$((base + 10 + n))/leader")" = 200 ] && found="$found leader$n"
  done
  echo "${found# }"
}
# 20 requests through HAProxy; prints the distinct answers.
through_haproxy() {
  local i
  for i in $(seq 20); do curl -s --max-time 2 "http://127.0.0.1:$front/" || echo "error"; done | sort -u | tr '\n' ' '
}
wait_for_route() { # NAME: until 20 requests in a row all reach NAME; prints the seconds it took
  local start=$SECONDS answers
  while [ $((SECONDS - start)) -lt 20 ]; do
    answers=$(through_haproxy)
    [ "$answers" = "$1 " ] && { echo $((SECONDS - start)); return 0; }
    sleep 0.2
  done
  fail "traffic through HAProxy reaches '$answers', not only $1"
}

first=$(leader_by_checks)
[ "$(wc -w <<<"$first")" = 1 ] || fail "leaders by /leader: '$first'"
for n in 4 5; do
  [ "$(code "http://127.0.0.1:$((base + 10 + n))/leader")" = 503 ] || fail "a follower answers /leader with 200"
done
for n in 1 2 3 4 5; do
  [ "$(code "http://127.0.0.1:$((base + 10 + n))/health")" = 200 ] || fail "/health of instance $n is not 200"
done
echo "ok: /leader is 200 on $first only, 503 on the others and on both followers; /health 200 on all five"
echo "    $(curl -s "http://127.0.0.1:$((base + 10 + ${first#leader}))/leader")"
wait_for_route "$first" >/dev/null
echo "ok: 20 of 20 requests through HAProxy reach $first"
curl -s "http://127.0.0.1:$((base + 10 + ${first#leader}))/metrics" >"$work/metrics.txt"
promtool check metrics <"$work/metrics.txt" >"$work/promtool.out" 2>&1 || fail "promtool: $(cat "$work/promtool.out")"
[ ! -s "$work/promtool.out" ] || fail "promtool: $(cat "$work/promtool.out")"
echo "ok: the leader's /metrics passes promtool check metrics ($(grep -c '^# HELP' "$work/metrics.txt") families, each with HELP)"

"$root/Deploy/dev-cluster" stop-leader >"$work/stop.log" 2>&1 || { cat "$work/stop.log"; fail "stop-leader"; }
start=$(date +%s.%N)
second=""
for _ in $(seq 100); do
  second=$(leader_by_checks)
  [ -n "$second" ] && [ "$second" != "$first" ] && break
  sleep 0.1
done
[ "$(wc -w <<<"$second")" = 1 ] && [ "$second" != "$first" ] || fail "after stop-leader, leaders by /leader: '$second'"
wait_for_route "$second" >/dev/null
moved=$(printf %.2f "$(echo "$(date +%s.%N) - $start" | bc)")
echo "ok: after stop-leader ($(grep -o 'sees .*' "$work/stop.log" | head -1)), /leader moved to $second;" \
  "20 of 20 requests reach it ${moved} s after stop-leader returned"

# /health: a socket that is gone.
follower_sock=$work/dev/follower1/herald.sock
mv "$follower_sock" "$follower_sock.away"
reply=$(curl -s -w '[%{http_code}]' "http://127.0.0.1:$((base + 14))/health" | tr '\n' ' ')
mv "$follower_sock.away" "$follower_sock"
[[ $reply == "socket down: "*" [503]" ]] || fail "/health without the socket: $reply"
echo "ok: /health with the socket file gone: $reply"

# /health: ZooKeeper gone for longer than the session timeout (dev-cluster: 4 s).
ZK_ENSEMBLE_DIR=$work/dev/zk ZK_BASE_PORT=$base "$root/Deploy/zk-ensemble" stop >/dev/null 2>&1
start=$SECONDS
reply=""
while [ $((SECONDS - start)) -lt 20 ]; do
  reply=$(curl -s -w '[%{http_code}]' "http://127.0.0.1:$((base + 11))/health" | tr '\n' ' ')
  [[ $reply == *"[503]" ]] && break
  sleep 0.5
done
[[ $reply == "no ZooKeeper session for "*" [503]" ]] || fail "/health without ZooKeeper: $reply"
echo "ok: /health $((SECONDS - start)) s after the ensemble stopped: $reply"
leaders=$(leader_by_checks)
[ -z "$leaders" ] || fail "without ZooKeeper, /leader is 200 on $leaders"
echo "ok: without ZooKeeper no host answers /leader with 200: $(curl -s "http://127.0.0.1:$((base + 11))/leader")"
