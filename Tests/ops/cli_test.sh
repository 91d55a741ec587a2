#!/usr/bin/env bash
# The command line's operator comforts:
#   - `herald leader --wait` shows a progress line on stderr after a second when stderr is a
#     terminal (run under script(1) for a real pty), and nothing of it when it is not;
#   - `herald --generate-completion-script bash|zsh|fish` gives scripts the shells accept;
#   - the man page (Deploy/man/herald.1) is well-formed and documents every subcommand.
#
#   Tests/ops/cli_test.sh HERALD_BINARY
set -euo pipefail
herald=$(realpath "$1")
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
work=${HERALD_OPS_DIR:-/tmp/herald-ops-cli}
rm -rf "$work" && mkdir -p "$work"
pid=
trap '[ -n "$pid" ] && kill "$pid" 2>/dev/null || true' EXIT
fail() { echo "FAIL: $*"; exit 1; }

# A Herald without ZooKeeper (nothing listens on port 9): its socket answers, with no leader.
cat >"$work/herald.yaml" <<CFG
mesos_mode: follower
mesos_zk_hosts: 127.0.0.1:9
herald_hostname: cli
herald_advertise_ip: 127.0.0.1
herald_socket: $work/herald.sock
herald_metrics_listen: ""
CFG
"$herald" serve --config "$work/herald.yaml" >"$work/serve.log" 2>&1 &
pid=$!
for _ in $(seq 100); do [ -S "$work/herald.sock" ] && break; sleep 0.1; done

script -qec "$herald leader --socket $work/herald.sock --wait --timeout 2.5" /dev/null >"$work/tty.out" || true
grep -q $'\r\e\\[Kherald leader: waiting for a leader… 1 s of 2.5 s' "$work/tty.out" ||
  fail "no progress line on a terminal: $(cat -A "$work/tty.out")"
grep -q $'waiting for a leader… 2 s of 2.5 s\r\e\\[K' "$work/tty.out" || fail "the line is not erased: $(cat -A "$work/tty.out")"
echo "ok: on a terminal: $(tr '\r' '\n' <"$work/tty.out" | grep -c 'waiting for a leader') progress updates, then erased"
status=0
"$herald" leader --socket "$work/herald.sock" --wait --timeout 1.5 >"$work/plain.out" 2>&1 || status=$?
[ "$status" = 1 ] || fail "leader --wait without a leader exited $status"
! grep -q "waiting for a leader" "$work/plain.out" || fail "a progress line without a terminal: $(cat "$work/plain.out")"
echo "ok: without a terminal: only '$(cat "$work/plain.out")', exit 1"

"$herald" --generate-completion-script bash >"$work/herald.bash"
bash -n "$work/herald.bash" || fail "the bash completion script does not parse"
grep -q "import" "$work/herald.bash" || fail "the bash completion lacks the import subcommand"
"$herald" --generate-completion-script zsh >"$work/_herald"
grep -q '^#compdef herald' "$work/_herald" || fail "zsh completion"
"$herald" --generate-completion-script fish >"$work/herald.fish"
grep -q "^complete -c 'herald'" "$work/herald.fish" || fail "fish completion"
echo "ok: completion scripts for bash (parses), zsh and fish"

page=$root/Deploy/man/herald.1
[ -f "$page" ] || fail "no man page at Deploy/man/herald.1"
for command in serve config render bootstrap leader watch dns status import; do
  grep -q "^\.It Em $command$" "$page" || fail "the man page lacks '$command'"
done
if command -v mandoc >/dev/null 2>&1; then mandoc -T lint -W warning "$page" || fail "mandoc lint"; fi
MANWIDTH=80 man -l "$page" >"$work/herald.man" 2>/dev/null || fail "man -l cannot render the page"
grep -q "^HERALD(1)" "$work/herald.man" || fail "man -l renders no HERALD(1) page"
echo "ok: Deploy/man/herald.1 renders and documents every subcommand"
