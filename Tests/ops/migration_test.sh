#!/usr/bin/env bash
# Deploy/README.md's migration guide, steps 1 and 2, against a real ensemble:
#   1. three "real masters" (election nodes written by ZooKeeper's own zkCli, in Mesos' format:
#      EPHEMERAL|SEQUENTIAL json.info_ with MasterInfo JSON) hold the election; Herald runs next
#      to them on the leader hosts with herald_contend: false and publishes them; `herald status`
#      shows their leader, and nothing of Herald's appears in the Mesos chroot;
#   2. consumers read the socket: `herald leader` names the lowest master as mesos-resolve
#      would, and follows a failover of the real masters.
# Then the rollback: stopping Herald leaves the masters' election untouched.
#
#   Tests/ops/migration_test.sh HERALD_BINARY ZK_CONNECT_STRING
set -euo pipefail
herald=$(realpath "$1")
zk=$2
work=${HERALD_OPS_DIR:-/tmp/herald-ops-migration}
chroot=herald-test-migration/run-$$
zkcli=/usr/share/zookeeper/bin/zkCli.sh
pids=()
cleanup() {
  local pid
  # End of input ends each zkCli (and its session); Herald instances get SIGTERM.
  exec 3>&- 4>&- 5>&- 2>/dev/null || true
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
}
trap cleanup EXIT
fail() { echo "FAIL: $*"; for f in "$work"/*.log; do echo "--- $f"; tail -15 "$f"; done; exit 1; }
rm -rf "$work" && mkdir -p "$work"
server=${zk%%,*}

# One zkCli per "master": its session holds that master's ephemeral node, as a mesos-master's does.
# MasterInfo JSON as Mesos writes it: keys sorted, ip as the address in network order read as a
# little-endian integer.
start_master() { # N FD
  local n=$1 fd=$2 ip=127.0.0.$((10 + $1)) ipnum
  ipnum=$((127 + (10 + n) * 16777216))
  mkfifo "$work/master$n.in"
  "$zkcli" -server "$server" <"$work/master$n.in" >"$work/master$n.log" 2>&1 &
  pids+=($!)
  eval "exec $fd>\"$work/master$n.in\""
  local json="{\"address\":{\"hostname\":\"master$n\",\"ip\":\"$ip\",\"port\":5050},\"hostname\":\"master$n\",\"id\":\"$(cat /proc/sys/kernel/random/uuid)\",\"ip\":$ipnum,\"pid\":\"master@$ip:5050\",\"port\":5050,\"version\":\"1.11.0\"}"
  [ "$n" = 1 ] && echo "create /herald-test-migration ''" >&"$fd" && echo "create /$chroot ''" >&"$fd"
  echo "create -e -s /$chroot/json.info_ '$json'" >&"$fd"
}
children() { "$zkcli" -server "$server" ls "/$chroot" 2>/dev/null | grep '^\[' | tail -1; }
wait_children() { # COUNT
  local i
  for i in $(seq 100); do
    [ "$(children | tr ',' '\n' | grep -c json.info_ || true)" = "$1" ] && return 0
    sleep 0.2
  done
  fail "the masters' nodes did not appear: $(children)"
}
start_master 1 3
wait_children 1
start_master 2 4
wait_children 2
start_master 3 5
wait_children 3
echo "ok: three masters elected through zkCli: $(children)"

# Step 1: Herald on the three leader hosts, observing (herald_contend: false).
for n in 1 2 3; do
  cat >"$work/herald$n.yaml" <<CFG
mesos_mode: leader
herald_contend: false
mesos_zk_hosts: $zk
mesos_zk_chroot: $chroot
mesos_leaders: [master1, master2, master3]
herald_hostname: master$n
herald_advertise_ip: 127.0.0.$((10 + n))
herald_socket: $work/herald$n.sock
herald_metrics_listen: ""
herald_session_timeout_ms: 4000
CFG
  "$herald" serve --config "$work/herald$n.yaml" >"$work/herald$n.log" 2>&1 &
  pids+=($!)
done
for n in 1 2 3; do
  leader=""
  for _ in $(seq 100); do
    leader=$("$herald" leader --socket "$work/herald$n.sock" 2>/dev/null || true)
    [ -n "$leader" ] && break
    sleep 0.1
  done
  [ "$leader" = 127.0.0.11:5050 ] || fail "step 1: herald$n publishes '$leader', not master1's 127.0.0.11:5050"
done
status=$("$herald" status --config "$work/herald2.yaml")
grep -q "127.0.0.11:5050" <<<"$status" || fail "step 1: herald status does not show master1: $status"
grep -q "observer" <<<"$status" || fail "step 1: herald status does not show the observer role: $status"
echo "ok: step 1: each Herald publishes master1 (127.0.0.11:5050); herald status on master2:"
sed 's/^/      /' <<<"$status"
# The chroot must hold the masters' three nodes and nothing else: every reader ranks them alone
# (pymesos ranks every child but log_replicas), and Herald writes nothing there.
after=$(children)
members=$(tr -d '[] ' <<<"$after" | tr ',' '\n' | sort | tr '\n' ' ')
[ "$members" = "json.info_0000000000 json.info_0000000001 json.info_0000000002 " ] ||
  fail "step 1: the chroot now holds: $members"
echo "ok: step 1: the chroot holds the masters' three nodes and nothing else: $after"

# Step 2: a consumer on the socket follows the real masters' failover (master1's session ends).
echo quit >&3
exec 3>&-
start=$(date +%s.%N)
leader=""
for _ in $(seq 150); do
  leader=$("$herald" leader --socket "$work/herald3.sock" 2>/dev/null || true)
  [ "$leader" = 127.0.0.12:5050 ] && break
  sleep 0.1
done
[ "$leader" = 127.0.0.12:5050 ] || fail "step 2: after master1 went away the socket names '$leader'"
echo "ok: step 2: master1's session closed; \`herald leader\` on master3 names master2 (127.0.0.12:5050)" \
  "after $(printf %.2f "$(echo "$(date +%s.%N) - $start" | bc)") s"
"$herald" leader --socket "$work/herald1.sock" --json | grep -q '"hostname":"master2"' || fail "step 2: --json"

# Rollback: stop every Herald; the masters' election is as it was.
for pid in "${pids[@]:3}"; do kill -TERM "$pid"; done
for pid in "${pids[@]:3}"; do wait "$pid" || fail "herald exited with $? on SIGTERM"; done
pids=("${pids[@]:1:2}")
after=$(children)
[ "$(tr ',' '\n' <<<"$after" | grep -c json.info_)" = 2 ] || fail "rollback: the chroot holds $after"
echo "ok: rollback: Herald stopped (exit 0); the two remaining masters' nodes are untouched: $after"
