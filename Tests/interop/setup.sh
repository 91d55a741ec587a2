#!/usr/bin/env bash
# setup.sh OUTDIR — prepare the detector harnesses of Herald's interoperability tests
# (Tests/InteropTests; Tests/run.sh runs this and passes OUTDIR as HERALD_INTEROP_DIR).
#
# Idempotent. Installs only what is missing:
#   - Debian: golang-go, golang-github-mesos-mesos-go-dev, python3-venv
#   - OUTDIR/venv (Debian's /usr/bin/python3) with pinned pymesos (--no-deps)
#     and its detection-time dependencies kazoo, six, addict
# Produces:
#   OUTDIR/mesos-go-detect       (built offline in GOPATH mode from Debian's sources)
#   OUTDIR/pymesos-detect.py     (run with OUTDIR/venv/bin/python)
#   OUTDIR/pymesos-detect        (wrapper: runs the above with the venv's python)
#   OUTDIR/mesos-master          (a stand-in Mesos master written with kazoo)
set -euo pipefail

PYMESOS_VERSION=0.3.15
KAZOO_VERSION=2.10.0
SIX_VERSION=1.16.0
ADDICT_VERSION=2.4.0
APT_PACKAGES=(golang-go golang-github-mesos-mesos-go-dev python3-venv)

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"

step() { printf 'setup: %s\n' "$*"; }
die() { printf 'setup: FAILED: %s\n' "$*" >&2; exit 1; }

[ $# -eq 1 ] || die "usage: setup.sh OUTDIR"
mkdir -p "$1" || die "cannot create $1"
OUT="$(cd "$1" && pwd)"

# 1. Debian packages
missing=()
for p in "${APT_PACKAGES[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
	step "debian packages present: ${APT_PACKAGES[*]}"
else
	step "installing debian packages: ${missing[*]}"
	[ "$(id -u)" -eq 0 ] || die "need root to apt-get install ${missing[*]}"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq >/dev/null || die "apt-get update failed"
	apt-get install -y -qq "${missing[@]}" >/dev/null || die "apt-get install ${missing[*]} failed"
fi

# 2. Python venv with pinned pymesos and its detection-time dependencies
PY="$OUT/venv/bin/python"
if [ ! -x "$PY" ]; then
	step "creating venv $OUT/venv"
	/usr/bin/python3 -m venv "$OUT/venv" || die "python3 -m venv $OUT/venv failed"
else
	step "venv present: $OUT/venv"
fi
want="addict==$ADDICT_VERSION kazoo==$KAZOO_VERSION pymesos==$PYMESOS_VERSION six==$SIX_VERSION"
have="$("$PY" -m pip freeze --disable-pip-version-check 2>/dev/null |
	grep -iE '^(addict|kazoo|pymesos|six)==' | tr 'A-Z' 'a-z' | sort | tr '\n' ' ' | sed 's/ $//' || true)"
if [ "$have" = "$want" ]; then
	step "python packages present: $want"
else
	step "installing python packages: $want"
	"$PY" -m pip install -q --disable-pip-version-check \
		"kazoo==$KAZOO_VERSION" "six==$SIX_VERSION" "addict==$ADDICT_VERSION" ||
		die "pip install kazoo/six/addict failed"
	# --no-deps: pymesos also requires http-parser, which does not build on
	# Python 3.11 and is not used for detection (detect.py stubs its import).
	"$PY" -m pip install -q --disable-pip-version-check --no-deps "pymesos==$PYMESOS_VERSION" ||
		die "pip install pymesos==$PYMESOS_VERSION failed"
fi

# 3. mesos-go harness, GOPATH mode, no network
step "building $OUT/mesos-go-detect"
export GO111MODULE=off GOFLAGS= GOPROXY=off
export GOPATH="/usr/share/gocode:$OUT/gopath"
export GOCACHE="${GOCACHE:-$OUT/gocache}"
(cd "$HERE/mesos-go" && go build -o "$OUT/mesos-go-detect" detect.go) ||
	die "go build of mesos-go/detect.go failed"

# 4. pymesos harness
cp "$HERE/pymesos/detect.py" "$OUT/pymesos-detect.py" || die "cannot copy detect.py"
cp "$HERE/mesos-master.py" "$OUT/mesos-master.py" || die "cannot copy mesos-master.py"
cat >"$OUT/mesos-master" <<EOF
#!/bin/sh
exec "$PY" "$OUT/mesos-master.py" "\$@"
EOF
chmod +x "$OUT/mesos-master"
cat >"$OUT/pymesos-detect" <<EOF
#!/bin/sh
exec "$PY" "$OUT/pymesos-detect.py" "\$@"
EOF
chmod +x "$OUT/pymesos-detect"
"$PY" -c 'import sys, types
sys.modules["http_parser"] = types.ModuleType("http_parser")
m = types.ModuleType("http_parser.http"); m.HttpParser = object
sys.modules["http_parser.http"] = m
import kazoo, pymesos.detector, pymesos.scheduler' || die "pymesos does not import in $OUT/venv"
step "pymesos harness: $OUT/pymesos-detect (= $PY $OUT/pymesos-detect.py)"
step "mesos-go harness: $OUT/mesos-go-detect"
step "done"
