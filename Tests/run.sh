#!/usr/bin/env bash
# The test command: installs what is missing, starts three 3-server ZooKeeper ensembles on
# loopback (one shared, one for fault tests that stop servers, one whose servers have distinct
# addresses 127.0.1.N for the DNS tests), builds the real Mesos detectors the interoperability
# suites drive (Tests/interop), lints, runs `swift test`, and always stops the ensembles (and
# any dnsmasq a crashed test process left behind). The full run ends with Tests/ops/run: whole
# processes under systemd's notify protocol, HAProxy, a migration, a terminal.
#
#   Tests/run.sh                      all tests
#   Tests/run.sh --filter NodeTests   extra arguments go to `swift test`
#   Tests/run.sh --faults [ARGS]      the fault suite instead (root): Herald hosts in network
#                                     namespaces on the lab's own ensemble (Tests/faults/lab),
#                                     each scenario's history judged; prints a table at the end.
#                                     HERALD_FAULT_LOOPS=N runs every scenario N times.
#   SANITIZE=thread Tests/run.sh      run under a sanitizer (thread or address)
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"

log() { printf 'run.sh: %s\n' "$*" >&2; }

faults=0
if [ "${1:-}" = --faults ]; then
  faults=1
  shift
fi

need_packages=()
[ -f /usr/include/zookeeper/zookeeper.h ] || need_packages+=(libzookeeper-mt-dev)
[ -f /usr/share/java/zookeeper.jar ] || need_packages+=(zookeeper)
command -v java >/dev/null 2>&1 || need_packages+=(default-jre-headless)
[ -x /usr/sbin/dnsmasq ] || command -v dnsmasq >/dev/null 2>&1 || need_packages+=(dnsmasq-base)
command -v ss >/dev/null 2>&1 || need_packages+=(iproute2)
# The DNS responder's tests ask it with real clients: dig, dnspython, and through unbound.
[ -x /usr/bin/dig ] || need_packages+=(bind9-dnsutils)
[ -x /usr/sbin/unbound ] || need_packages+=(unbound)
/usr/bin/python3 -c 'import dns.message' >/dev/null 2>&1 || need_packages+=(python3-dnspython)
# Tests/ops: a load balancer doing real health checks, Prometheus' metrics linter, curl and bc.
command -v haproxy >/dev/null 2>&1 || [ -x /usr/sbin/haproxy ] || need_packages+=(haproxy)
command -v promtool >/dev/null 2>&1 || need_packages+=(prometheus)
command -v curl >/dev/null 2>&1 || need_packages+=(curl)
command -v bc >/dev/null 2>&1 || need_packages+=(bc)
command -v script >/dev/null 2>&1 || need_packages+=(bsdutils)
command -v man >/dev/null 2>&1 || need_packages+=(man-db)
if [ $faults = 1 ] && [ "$(id -u)" = 0 ]; then
  command -v ip >/dev/null 2>&1 && command -v tc >/dev/null 2>&1 || need_packages+=(iproute2)
  command -v iptables >/dev/null 2>&1 || need_packages+=(iptables)
  [ -f /usr/include/libnetfilter_queue/libnetfilter_queue.h ] || need_packages+=(libnetfilter-queue-dev)
  command -v cc >/dev/null 2>&1 || need_packages+=(gcc libc6-dev)
fi
if [ ${#need_packages[@]} -gt 0 ]; then
  log "installing ${need_packages[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need_packages[@]}" >/dev/null
fi

main_dir=${HERALD_TEST_ZK_DIR:-/tmp/herald-zk-tests}
fault_dir=${HERALD_TEST_FAULT_ZK_DIR:-/tmp/herald-zk-fault}
dns_dir=${HERALD_TEST_DNS_ZK_DIR:-/tmp/herald-zk-dns}
# First client ports of the three ensembles; several checkouts on one machine can each take their own.
main_port=${HERALD_TEST_ZK_PORT:-21910}
fault_port=${HERALD_TEST_FAULT_ZK_PORT:-21920}
dns_port=${HERALD_TEST_DNS_ZK_PORT:-21930}
ensemble() { "$root/Deploy/zk-ensemble" "$@"; }

cleanup() {
  ZK_ENSEMBLE_DIR=$main_dir ZK_BASE_PORT=$main_port ensemble stop >/dev/null 2>&1 || true
  ZK_ENSEMBLE_DIR=$fault_dir ZK_BASE_PORT=$fault_port ensemble stop >/dev/null 2>&1 || true
  ZK_ENSEMBLE_DIR=$dns_dir ZK_BASE_PORT=$dns_port ensemble stop >/dev/null 2>&1 || true
  # dnsmasq and unbound of the DNS tests: /tmp/herald-PROGRAM-OWNERPID-*; only those whose test
  # process is gone.
  local pidfile dir owner pid program
  for program in dnsmasq unbound; do
    for pidfile in /tmp/herald-$program-*/$program.pid; do
      [ -f "$pidfile" ] || continue
      dir=${pidfile%/$program.pid}
      owner=${dir#/tmp/herald-$program-}
      owner=${owner%%-*}
      [ -d "/proc/$owner" ] && continue
      pid=$(cat "$pidfile" 2>/dev/null || true)
      if [ -n "$pid" ] && [ "$(cat "/proc/$pid/comm" 2>/dev/null)" = $program ]; then kill -KILL "$pid" 2>/dev/null || true; fi
      rm -rf "$dir"
    done
  done
}
if [ $faults = 1 ]; then
  if ! why=$(Tests/faults/lab check); then
    log "fault suite skipped: $why"
    exit 0
  fi
  report=$(mktemp /tmp/herald-fault-report.XXXXXX)
  trap 'Tests/faults/lab down >/dev/null 2>&1 || true; rm -f "$report"' EXIT INT TERM
  Tests/faults/lab down >/dev/null 2>&1 || true
  log "fault lab: bridge, namespaces and a 3-server ensemble"
  Tests/faults/lab up
  export HERALD_FAULTS=1 HERALD_FAULT_REPORT=$report
  HERALD_LAB_ZK=$(Tests/faults/lab connect-string)
  export HERALD_LAB_ZK
  status=0
  log "swift test --filter HeraldFaultTests $*"
  swift test --filter HeraldFaultTests "$@" || status=$?
  printf '\n%-22s %4s %3s %3s %3s %3s %3s %14s %9s\n' scenario runs 1 2 3 4 5 convergence_ms duration_s
  awk -F'\t' '{
      runs[$1]++; order[$1] = order[$1] ? order[$1] : NR
      for (i = 2; i <= 6; i++) if ($i != "yes") bad[$1, i] = 1
      if ($7 == "never" || conv[$1] == "never") conv[$1] = "never"; else if ($7 + 0 >= conv[$1] + 0) conv[$1] = $7 + 0
      if ($8 + 0 >= took[$1] + 0) took[$1] = $8 + 0
    }
    END {
      for (name in runs) {
        line = sprintf("%-22s %4d", name, runs[name])
        for (i = 2; i <= 6; i++) line = line sprintf(" %3s", bad[name, i] ? "no" : "yes")
        printf "%s %14s %9s\n", line, conv[name], took[name]
      }
    }' "$report" | sort
  exit $status
fi

trap cleanup EXIT INT TERM
cleanup

log "swift format lint"
swift format lint --strict --recursive Package.swift Sources Tests Benchmarks/Sources 2>&1 | tee /tmp/herald-lint.$$ >&2 || true
if [ -s /tmp/herald-lint.$$ ]; then
  rm -f /tmp/herald-lint.$$
  log "swift format lint found problems (run: swift format --in-place --recursive Sources Tests)"
  exit 1
fi
rm -f /tmp/herald-lint.$$

log "starting ZooKeeper ensembles"
ZK_ENSEMBLE_DIR=$main_dir ZK_BASE_PORT=$main_port ensemble start -n 3 &
main_pid=$!
ZK_ENSEMBLE_DIR=$fault_dir ZK_BASE_PORT=$fault_port ensemble start -n 3 &
fault_pid=$!
ZK_ENSEMBLE_DIR=$dns_dir ZK_BASE_PORT=$dns_port ZK_DISTINCT_IPS=1 ensemble start -n 3 &
dns_pid=$!
wait "$main_pid"
wait "$fault_pid"
wait "$dns_pid"

# Real third-party Mesos detectors (mesos-go from Debian, pymesos from PyPI) for the
# interoperability suites: built once into .build-interop, reused afterwards.
log "detector harnesses (Tests/interop/setup.sh)"
Tests/interop/setup.sh "$root/.build-interop" >&2
export HERALD_INTEROP_DIR=$root/.build-interop

export HERALD_TEST_ZK=$(ZK_ENSEMBLE_DIR=$main_dir ensemble connect-string)
export HERALD_TEST_FAULT_ZK=$(ZK_ENSEMBLE_DIR=$fault_dir ensemble connect-string)
export HERALD_TEST_FAULT_ZK_DIR=$fault_dir
export HERALD_TEST_DNS_ZK=$(ZK_ENSEMBLE_DIR=$dns_dir ensemble connect-string)
export HERALD_TEST_DNS_ZK_DIR=$dns_dir

args=()
if [ -n "${SANITIZE:-}" ]; then
  args+=(--sanitize="$SANITIZE" --scratch-path ".build-$SANITIZE")
  export LSAN_OPTIONS="suppressions=$root/Tests/lsan.supp:print_suppressions=0"
  export TSAN_OPTIONS="halt_on_error=0:exitcode=66"
fi
if [ $# -gt 0 ]; then
  log "swift test ${args[*]} $*"
  swift test "${args[@]}" "$@"
else
  # Tests that measure the whole process (threads, descriptors, memory) or a latency bound (the
  # lease's 200 ms from SIGCONT to on_demoted; a DNS look-up's refusal "at once" and its bounded
  # timeout; the DNS fuzz run's memory), and the DNS responder asked by dig, dnspython, dnsmasq
  # and unbound (dozens of processes), run in a second pass on their own: alongside the others
  # they would count the others' connections and buffers, or wait for their CPU, or take it.
  isolated='LoadTests|SessionTests/noLeaks|LeaseTests|DNSResolverTests|FuzzTests|ResponderTests'
  log "swift test ${args[*]} --skip '$isolated'"
  swift test "${args[@]}" --skip "$isolated"
  log "swift test ${args[*]} --filter '$isolated' (process-wide measurements, alone)"
  swift test "${args[@]}" --skip-build --no-parallel --filter "$isolated"
  if [ -z "${SANITIZE:-}" ]; then
    log "Tests/ops/run (systemd notify, HAProxy health checks, migration steps, command line)"
    Tests/ops/run
  fi
fi
