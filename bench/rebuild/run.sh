#!/bin/sh
# Benchmarks of sovcheck's hermetic rebuild (issue 3):
#
#  1. a rebuild with warm caches against the plain `go build` of the same
#     source with the same flags (target: at most 1.15x), the two run
#     interleaved, for a tagged release, for an untagged commit, for a
#     release with a dependency from a module proxy, and for sovcheck
#     itself (this repository's HEAD: a large program, some 150 modules,
#     fetched once through the module proxy; SKIP_SELF=1 leaves it out);
#  2. the digest comparison a rebuild ends with (target: 1 GB/s or more),
#     as `go test -bench BenchmarkSameDigest ./rebuild`.
#
# The plain build runs in a checkout of its own with its own warm build
# and module caches, and a private HOME with the go command's telemetry
# off, as in the sandbox: the difference measured is sovcheck's own work
# (start, source, sandbox, comparison), not the machine's go settings.
#
# Usage: bench/rebuild/run.sh [RUNS]   (from the repository root)
# SOVCHECK=path uses an already built sovcheck binary.
set -eu

runs=${1:-20}
netproxy=${GOPROXY:-https://proxy.golang.org,direct}
root=$(cd "$(dirname "$0")/../.." && pwd)
work=$(mktemp -d "${TMPDIR:-/tmp}/sovcheck-bench-rebuild.XXXXXX")
trap 'chmod -R u+w "$work" 2>/dev/null; rm -rf "$work"' EXIT

export GOTOOLCHAIN=local GOENV=off GOFLAGS= GOPROXY=off GOSUMDB=off CGO_ENABLED=0
export GIT_CONFIG_NOSYSTEM=1 GIT_CONFIG_GLOBAL=/dev/null
export GIT_AUTHOR_NAME=bench GIT_AUTHOR_EMAIL=bench@example.test GIT_COMMITTER_NAME=bench GIT_COMMITTER_EMAIL=bench@example.test
export GIT_AUTHOR_DATE=2025-01-01T00:00:00Z GIT_COMMITTER_DATE=2025-01-01T00:00:00Z

sovcheck=${SOVCHECK:-}
if [ -z "$sovcheck" ]; then
	sovcheck=$work/sovcheck
	(cd "$root" && go build -trimpath -o "$sovcheck" ./cmd/sovcheck)
fi
"$sovcheck" rebuild --help >/dev/null 2>&1 || { echo "run.sh: $sovcheck has no rebuild command" >&2; exit 2; }

plainhome=$work/home-plain
mkdir -p "$plainhome/.config/go/telemetry"
echo off >"$plainhome/.config/go/telemetry/mode"

# The sources: a small HTTP/JSON tool, so the link step is realistic; the
# second also requires a module, served by a file:// module proxy.
mktool() {
	mkdir -p "$1"
	printf 'module %s\n\ngo 1.21\n' "$2" >"$1/go.mod"
	cat >"$1/main.go" <<'GO'
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"net/http"
	"os"
)

var version = "dev"

func main() {
	addr := flag.String("addr", ":8080", "listen address")
	flag.Parse()
	http.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		_ = json.NewEncoder(w).Encode(map[string]string{"version": version, "path": r.URL.Path, "hello": hello()})
	})
	if err := http.ListenAndServe(*addr, nil); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
GO
}

src=$work/src
mktool "$src" example.test/benchtool
echo 'func hello() string { return "hello" }' >>"$src/main.go"
git -C "$src" init -q -b main
git -C "$src" add .
git -C "$src" commit -q -m bench
git -C "$src" tag v1.0.0
release=$(git -C "$src" rev-parse HEAD)
echo '// later work' >>"$src/main.go"
GIT_COMMITTER_DATE=2025-01-02T00:00:00Z git -C "$src" commit -q -a -m later
untagged=$(git -C "$src" rev-parse HEAD)

# The module proxy: example.test/greet v1.0.0, as the go command lays a
# proxy out (list, .info, .mod, .zip with the module@version prefix).
proxy=$work/proxy
python3 - "$proxy" <<'PY'
import os, sys, zipfile
proxy = sys.argv[1]
v = os.path.join(proxy, "example.test", "greet", "@v")
os.makedirs(v)
gomod = "module example.test/greet\n\ngo 1.21\n"
open(os.path.join(v, "list"), "w").write("v1.0.0\n")
open(os.path.join(v, "v1.0.0.info"), "w").write('{"Version":"v1.0.0","Time":"2024-01-01T00:00:00Z"}')
open(os.path.join(v, "v1.0.0.mod"), "w").write(gomod)
with zipfile.ZipFile(os.path.join(v, "v1.0.0.zip"), "w") as z:
    z.writestr("example.test/greet@v1.0.0/go.mod", gomod)
    z.writestr("example.test/greet@v1.0.0/greet.go", 'package greet\n\n// Hello greets.\nfunc Hello() string { return "hello" }\n')
PY
dsrc=$work/dsrc
mktool "$dsrc" example.test/deptool
cat >>"$dsrc/main.go" <<'GO'

func hello() string { return greet.Hello() }
GO
sed -i 's|^import (|import (\n\t"example.test/greet"|' "$dsrc/main.go"
printf 'module example.test/deptool\n\ngo 1.21\n\nrequire example.test/greet v1.0.0\n' >"$dsrc/go.mod"
(cd "$dsrc" && gofmt -w main.go && HOME=$plainhome GOMODCACHE=$work/gomodcache-tidy GOPROXY=file://$proxy go mod tidy)
git -C "$dsrc" init -q -b main
git -C "$dsrc" add .
git -C "$dsrc" commit -q -m bench
git -C "$dsrc" tag v1.0.0
deprelease=$(git -C "$dsrc" rev-parse HEAD)

gov=$(go env GOVERSION)
ldflags="-ldflags=-X main.version=1.0"

# measure NAME SRC COMMIT REF TARGET [PROXY [PKG]]: a warm rebuild of
# COMMIT of SRC against the plain go build (of PKG, default .) of a
# checkout of it with its own warm build and module caches. With PROXY (a
# GOPROXY value), both first runs fetch the dependencies from it; the
# measured runs need nothing from it.
measure() {
	name=$1 msrc=$2 commit=$3 ref=$4 target=$5 mproxy=${6:-} pkg=${7:-.}
	plain=$work/plain-$name
	git clone -q "$msrc" "$plain"
	git -C "$plain" checkout -q --detach "$commit"
	# Caches of its own: a module cache shared with earlier runs could
	# hold a stale version for this commit (see below).
	plainenv="HOME=$plainhome GOCACHE=$work/gocache-plain GOMODCACHE=$work/gomodcache-plain-$name"
	if [ -n "$mproxy" ]; then
		(cd "$plain" && env $plainenv GOPROXY="$mproxy" go mod download)
	fi
	plaincmd="cd $plain && env $plainenv go build -trimpath '$ldflags' -o tool $pkg"
	sh -c "$plaincmd"
	sum=$(sha256sum "$plain/tool" | cut -c1-64)
	cp "$plain/tool" "$work/tool-$name"
	cat >"$work/tool-$name.intoto.jsonl" <<JSON
{"_type":"https://in-toto.io/Statement/v0.1","predicateType":"https://slsa.dev/provenance/v0.2","subject":[{"name":"tool","digest":{"sha256":"$sum"}}],"predicate":{"builder":{"id":"https://github.com/slsa-framework/slsa-github-generator/.github/workflows/builder_go_slsa3.yml@refs/tags/v2.1.0"},"buildType":"https://github.com/slsa-framework/slsa-github-generator/go@v1","buildConfig":{"version":1,"steps":[{"workingDir":"/home/runner/work/tool/tool/__PROJECT_CHECKOUT_DIR__","command":["/opt/hostedtoolcache/go/${gov#go}/x64/bin/go","build","-trimpath","$ldflags","-o","tool","$pkg"],"env":["CGO_ENABLED=0"]}]},"materials":[{"uri":"git+https://example.test/benchtool@$ref","digest":{"sha1":"$commit"}}]}}
JSON
	rebuild="$sovcheck rebuild --cache-dir $work/cache --provenance $work/tool-$name.intoto.jsonl --source $msrc $work/tool-$name"
	warmup=$rebuild
	if [ -n "$mproxy" ]; then
		warmup="env GOPROXY=$mproxy $rebuild"
	else
		rebuild="$rebuild --offline"
		warmup=$rebuild
	fi
	# Warm the rebuilder's caches and check that it matches at all.
	sh -c "$warmup" >"$work/first.txt" 2>&1 || { cat "$work/first.txt"; echo "run.sh: the warm-up rebuild did not match" >&2; exit 1; }
	# Interleaved runs, the order alternating, so that a machine getting
	# slower or faster during the benchmark weighs on both sides alike;
	# two warm-up pairs first. Wall time from the clock, CPU time from
	# the children's rusage.
	python3 - "$runs" "$plaincmd" "rm -f $plain/tool" "$rebuild" "$name" "$target" <<'PY'
import resource, statistics, subprocess, sys, time
runs, plain, prep, rebuild, name, target = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5], sys.argv[6]
def run(cmd):
    subprocess.run(prep, shell=True, check=True)
    r0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    subprocess.run(cmd, shell=True, check=True, stdout=subprocess.DEVNULL)
    t = time.perf_counter() - t0
    r1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    return t, (r1.ru_utime - r0.ru_utime) + (r1.ru_stime - r0.ru_stime)
wall = {"plain": [], "rebuild": []}
cpu = {"plain": [], "rebuild": []}
for i in range(runs + 2):
    order = [("plain", plain), ("rebuild", rebuild)]
    if i % 2:
        order.reverse()
    for k, cmd in order:
        t, c = run(cmd)
        if i >= 2:
            wall[k].append(t)
            cpu[k].append(c)
for k, label in (("plain", "go build"), ("rebuild", "sovcheck rebuild")):
    w = wall[k]
    print("  %-17s wall mean %6.1f ms  median %6.1f ms  sd %5.1f ms  CPU mean %6.1f ms" % (
        label, 1000 * statistics.mean(w), 1000 * statistics.median(w), 1000 * statistics.stdev(w), 1000 * statistics.mean(cpu[k])))
print("%s: ratio rebuild/go build, wall time: %.3fx mean, %.3fx median; CPU time: %.3fx%s" % (
    name, statistics.mean(wall["rebuild"]) / statistics.mean(wall["plain"]),
    statistics.median(wall["rebuild"]) / statistics.median(wall["plain"]),
    statistics.mean(cpu["rebuild"]) / statistics.mean(cpu["plain"]), target))
PY
}

# The target is for a release, a tagged commit, as published artifacts
# are: for those the go command asks git for the version on every build.
echo "== warm rebuild vs plain go build of release v1.0.0 ($gov, $(nproc) CPUs, $runs runs)"
measure release "$src" "$release" refs/tags/v1.0.0 " (target <= 1.15x)"
# An untagged commit: here the plain build reuses the pseudo-version it
# cached in its module cache on the first build, which the sandbox's
# read-only module cache deliberately does not keep (the git lookup costs
# the rebuild about 25 ms more).
echo "== warm rebuild vs plain go build of an untagged commit"
measure untagged "$src" "$untagged" refs/heads/main ""
# A release with a dependency: the warm rebuild finds the modules it
# downloaded on its first run recorded, and runs no go mod download.
echo "== warm rebuild vs plain go build of release v1.0.0 with a dependency"
measure dependency "$dsrc" "$deprelease" refs/tags/v1.0.0 " (target <= 1.15x)" "file://$proxy"
# sovcheck itself: a 40 MB binary from some 150 modules, where the fixed
# cost of a rebuild weighs least. Its first builds compile everything
# (about a minute each).
if [ -z "${SKIP_SELF:-}" ]; then
	echo "== warm rebuild vs plain go build of sovcheck itself (HEAD of $root)"
	git clone -q "$root" "$work/self"
	runs=$((runs < 8 ? runs : 8))
	measure self "$work/self" "$(git -C "$work/self" rev-parse HEAD)" refs/heads/main " (target <= 1.15x)" "$netproxy" ./cmd/sovcheck
fi

echo "== digest comparison throughput (target >= 1000 MB/s; CPU-bound, so low on a loaded machine)"
(cd "$root" && go test -run '^$' -bench '^BenchmarkSameDigest$' -benchtime 20x ./rebuild) | grep -E '^Benchmark|MB/s'
