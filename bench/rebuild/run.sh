#!/bin/sh
# Benchmarks of sovcheck's hermetic rebuild (issue 3):
#
#  1. a rebuild with warm caches against the plain `go build` of the same
#     source with the same flags (target: at most 1.15x), timed with
#     hyperfine when installed (Debian: apt-get install hyperfine), else
#     with a loop of the shell's clock;
#  2. the digest comparison a rebuild ends with (target: 1 GB/s or more),
#     as `go test -bench BenchmarkSameDigest ./rebuild`.
#
# Usage: bench/rebuild/run.sh [RUNS]   (from the repository root)
# SOVCHECK=path uses an already built sovcheck binary.
set -eu

runs=${1:-20}
root=$(cd "$(dirname "$0")/../.." && pwd)
work=$(mktemp -d "${TMPDIR:-/tmp}/sovcheck-bench-rebuild.XXXXXX")
trap 'chmod -R u+w "$work" 2>/dev/null; rm -rf "$work"' EXIT

export GOTOOLCHAIN=local GOENV=off GOFLAGS= GOPROXY=off CGO_ENABLED=0
export GIT_CONFIG_NOSYSTEM=1 GIT_CONFIG_GLOBAL=/dev/null
export GIT_AUTHOR_NAME=bench GIT_AUTHOR_EMAIL=bench@example.test GIT_COMMITTER_NAME=bench GIT_COMMITTER_EMAIL=bench@example.test
export GIT_AUTHOR_DATE=2025-01-01T00:00:00Z GIT_COMMITTER_DATE=2025-01-01T00:00:00Z

sovcheck=${SOVCHECK:-}
if [ -z "$sovcheck" ]; then
	sovcheck=$work/sovcheck
	(cd "$root" && go build -trimpath -o "$sovcheck" ./cmd/sovcheck)
fi
"$sovcheck" rebuild --help >/dev/null 2>&1 || { echo "run.sh: $sovcheck has no rebuild command" >&2; exit 2; }

# The source: a small HTTP/JSON tool, so the link step is realistic.
src=$work/src
mkdir -p "$src"
cat > "$src/go.mod" <<'GO'
module example.test/benchtool

go 1.21
GO
cat > "$src/main.go" <<'GO'
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
		_ = json.NewEncoder(w).Encode(map[string]string{"version": version, "path": r.URL.Path})
	})
	if err := http.ListenAndServe(*addr, nil); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
GO
git -C "$src" init -q -b main
git -C "$src" add .
git -C "$src" commit -q -m bench
commit=$(git -C "$src" rev-parse HEAD)
gov=$(go env GOVERSION)

# The plain build: a checkout of the same commit, its own warm build cache.
plain=$work/plain
git clone -q "$src" "$plain"
export GOCACHE=$work/gocache-plain
ldflags="-ldflags=-X main.version=1.0"
(cd "$plain" && go build -trimpath "$ldflags" -o tool)
sum=$(sha256sum "$plain/tool" | cut -c1-64)
cp "$plain/tool" "$work/tool"

cat > "$work/tool.intoto.jsonl" <<JSON
{"_type":"https://in-toto.io/Statement/v0.1","predicateType":"https://slsa.dev/provenance/v0.2","subject":[{"name":"tool","digest":{"sha256":"$sum"}}],"predicate":{"builder":{"id":"https://github.com/slsa-framework/slsa-github-generator/.github/workflows/builder_go_slsa3.yml@refs/tags/v2.1.0"},"buildType":"https://github.com/slsa-framework/slsa-github-generator/go@v1","buildConfig":{"version":1,"steps":[{"workingDir":"/home/runner/work/tool/tool/__PROJECT_CHECKOUT_DIR__","command":["/opt/hostedtoolcache/go/${gov#go}/x64/bin/go","build","-trimpath","$ldflags","-o","tool"],"env":["CGO_ENABLED=0"]}]},"materials":[{"uri":"git+https://example.test/benchtool@refs/heads/main","digest":{"sha1":"$commit"}}]}}
JSON

rebuild="$sovcheck rebuild --offline --cache-dir $work/cache --provenance $work/tool.intoto.jsonl --source $src $work/tool"
# Warm the rebuilder's caches and check that it matches at all.
$rebuild >"$work/first.txt" || { cat "$work/first.txt"; echo "run.sh: the warm-up rebuild did not match" >&2; exit 1; }
plaincmd="cd $plain && go build -trimpath '$ldflags' -o tool"

echo "== warm rebuild vs plain go build ($gov, $(nproc) CPUs, $runs runs)"
if command -v hyperfine >/dev/null 2>&1; then
	hyperfine --warmup 2 --runs "$runs" --export-json "$work/h.json" \
		--prepare "rm -f $plain/tool" -n "go build" "$plaincmd" \
		-n "sovcheck rebuild" "$rebuild"
	ratio=$(python3 -c 'import json,sys; r=json.load(open(sys.argv[1]))["results"]; print("%.3f" % (r[1]["mean"]/r[0]["mean"]))' "$work/h.json")
	# The median resists the occasional stall of a shared machine.
	median=$(python3 -c 'import json,sys; r=json.load(open(sys.argv[1]))["results"]; print("%.3f" % (r[1]["median"]/r[0]["median"]))' "$work/h.json")
	echo "ratio rebuild/go build, median wall time: ${median}x"
	# CPU time is steadier than wall time on a shared machine.
	cpu=$(python3 -c 'import json,sys; r=json.load(open(sys.argv[1]))["results"]; c=[x["user"]+x["system"] for x in r]; print("%.3f" % (c[1]/c[0]))' "$work/h.json")
	echo "ratio rebuild/go build, CPU time (user+sys): ${cpu}x"
else
	t() { s=$(date +%s%N); i=0; while [ $i -lt "$runs" ]; do rm -f "$plain/tool"; sh -c "$1" >/dev/null; i=$((i+1)); done; echo $(( ($(date +%s%N) - s) / runs )); }
	p=$(t "$plaincmd"); r=$(t "$rebuild")
	echo "go build: $((p/1000000)) ms   sovcheck rebuild: $((r/1000000)) ms"
	ratio=$(awk -v r="$r" -v p="$p" 'BEGIN { printf "%.3f", r/p }')
fi
echo "ratio rebuild/go build, wall time: ${ratio}x (target <= 1.15x)"

echo "== digest comparison throughput (target >= 1000 MB/s; CPU-bound, so low on a loaded machine)"
(cd "$root" && go test -run '^$' -bench '^BenchmarkSameDigest$' -benchtime 20x ./rebuild) | grep -E '^Benchmark|MB/s'
