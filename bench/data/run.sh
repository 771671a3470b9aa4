#!/usr/bin/env bash
# Benchmark of 'sovcheck data pull' and of labelling with a snapshot.
#
#   1. data pull for sovcheck's own dependency tree (a CycloneDX SBOM made
#      by cyclonedx-gomod when installed, else by this checkout's go.mod)
#      from the Go module proxy: the first run (cold: the proxy's and the
#      network's caches) and the second (warm), side by side with the go
#      command asking the same proxy for the same metadata
#      ('go list -m -u -json all' in a fresh module cache), with ratios;
#   2. data pull from a local file:// mirror of the module cache (hot: no
#      network at all);
#   3. data pull of the machine's own Debian index (all of bookworm main)
#      for an SBOM of every package in it, and labelling that SBOM with the
#      snapshot vs without it (ratio);
#   4. the issue's target: a portfolio of $SBOMS SBOMs x 300 components
#      (bench/sbom/gen) labelled with a ~100 MB snapshot (that Debian pull
#      given facts for every package of the portfolio and padded,
#      bench/data/snapgen) vs without, wall and CPU time (user+sys) and
#      peak RSS (GNU time); the target is a ratio under 1.20;
#   5. registry scale: a portfolio of $SBOMS SBOMs x 300 components over
#      $NPM_DISTINCT distinct real npm package names (drawn from the
#      registry's own list of names, the all-the-package-names package,
#      fetched with npm pack; bench/data/npmport), pulled from the npm
#      registry cold (an empty --cache), warm (no --cache: the registry's
#      and the network's caches are warm) and hot (the --cache of the
#      first run). Set NPM_SCALE=0 to skip it.
#
# sovcheck has no lookup cache of its own yet: "warm" is the proxy's.
#
# Environment: RUNS (default 3), SOVCHECK (a binary; default: built),
# APT_INDEX (default: bookworm main from /var/lib/apt/lists), SBOMS
# (default 1000), SNAPSHOT_BYTES (default 100000000), NPM_SCALE (default
# 1), NPM_DISTINCT (default 20000), NPM_NAMES (a names.json; default:
# fetched with npm pack all-the-package-names@2.0.2578).
#
#   apt-get install time
set -euo pipefail

cd "$(dirname "$0")/../.."
RUNS=${RUNS:-3}
SBOMS=${SBOMS:-1000}
SNAPSHOT_BYTES=${SNAPSHOT_BYTES:-100000000}
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
APT_INDEX=${APT_INDEX:-/var/lib/apt/lists/deb.debian.org_debian_dists_bookworm_main_binary-amd64_Packages.lz4}
export GOTOOLCHAIN=local GOFLAGS=-buildvcs=false

if [ -z "${SOVCHECK:-}" ]; then
	SOVCHECK=$WORK/sovcheck
	CGO_ENABLED=0 go build -trimpath -o "$SOVCHECK" ./cmd/sovcheck
fi

# best SECONDS of RUNS runs of a command.
best() {
	local b="" t
	for _ in $(seq "$RUNS"); do
		local s e
		s=$(date +%s.%N)
		"$@" >/dev/null 2>&1 || true
		e=$(date +%s.%N)
		t=$(echo "$e - $s" | bc)
		if [ -z "$b" ] || [ "$(echo "$t < $b" | bc)" = 1 ]; then b=$t; fi
	done
	echo "$b"
}
once() {
	local s e
	s=$(date +%s.%N)
	"$@" >/dev/null 2>&1 || true
	e=$(date +%s.%N)
	echo "$e - $s" | bc
}
ratio() { echo "scale=2; $1 / $2" | bc; }

SBOM=$WORK/sovcheck.cdx.json
GOMOD=$(go env GOPATH)/bin/cyclonedx-gomod
if [ -x "$GOMOD" ]; then
	"$GOMOD" mod -json -licenses=false -output "$SBOM" . 2>/dev/null
else
	cp go.mod "$WORK/go.mod"
	cp go.sum "$WORK/go.sum"
	SBOM=$WORK/go.mod
fi
GOPROXY_URL=$(go env GOPROXY | cut -d, -f1)

echo "== data pull: sovcheck's dependency tree from $GOPROXY_URL"
cold=$(once "$SOVCHECK" data pull --goproxy "$GOPROXY_URL" --out "$WORK/a.json" "$SBOM")
warm=$(best "$SOVCHECK" data pull --goproxy "$GOPROXY_URL" --out "$WORK/a.json" "$SBOM")
# The peer starts from an empty module cache each run, as sovcheck keeps none.
golist() { GOMODCACHE=$(mktemp -d "$WORK/modcache.XXXX") GOFLAGS=-modcacherw go list -m -u -json all; }
peer=$(best golist)
echo "sovcheck data pull, first run        ${cold}s"
echo "sovcheck data pull, warm (best of $RUNS) ${warm}s"
echo "go list -m -u -json all (fresh cache) ${peer}s"
echo "ratio sovcheck warm / go list:        $(ratio "$warm" "$peer")"

echo "== data pull: hot, file:// mirror of the local module cache"
hot=$(best "$SOVCHECK" data pull --goproxy "file://$(go env GOMODCACHE)/cache/download" --out "$WORK/h.json" "$SBOM")
echo "sovcheck data pull, file:// mirror    ${hot}s   (warm / hot: $(ratio "$warm" "$hot"))"

if [ -r "$APT_INDEX" ]; then
	echo "== Debian: every package of $(basename "$APT_INDEX")"
	go run ./bench/data/gen -index "$APT_INDEX" -out "$WORK/debian.cdx.json"
	pull=$(best "$SOVCHECK" data pull --debian-index "$APT_INDEX" --out "$WORK/debian-data.json" "$WORK/debian.cdx.json")
	"$SOVCHECK" data pull --debian-index "$APT_INDEX" --out "$WORK/debian-data.json" "$WORK/debian.cdx.json"
	without=$(best "$SOVCHECK" sbom labels --format json "$WORK/debian.cdx.json")
	with=$(best "$SOVCHECK" sbom labels --format json --data "$WORK/debian-data.json" "$WORK/debian.cdx.json")
	echo "data pull (index read, $(du -h "$WORK/debian-data.json" | cut -f1) snapshot)  ${pull}s"
	echo "sbom labels without snapshot          ${without}s"
	echo "sbom labels with snapshot             ${with}s"
	echo "ratio with / without:                 $(ratio "$with" "$without")"

	echo "== portfolio of $SBOMS SBOMs x 300 components, with a $SNAPSHOT_BYTES-byte snapshot vs without"
	go run ./bench/sbom/gen -dir "$WORK/bp" -sizes 1000 -sboms "$SBOMS" -per-sbom 300 >/dev/null
	go run ./bench/data/snapgen -base "$WORK/debian-data.json" -sboms "$WORK/bp/portfolio" -bytes "$SNAPSHOT_BYTES" -out "$WORK/big.json"
	# best wall and CPU seconds and the peak RSS over RUNS runs.
	gtime() {
		local bw="" bc="" rss=0 w c m
		for _ in $(seq "$RUNS"); do
			/usr/bin/time -o "$WORK/time" -f "%e %U %S %M" "$@" >/dev/null 2>&1 || true
			read -r w c m < <(awk '{print $1, $2 + $3, $4}' "$WORK/time")
			if [ -z "$bw" ] || [ "$(echo "$w < $bw" | bc)" = 1 ]; then bw=$w; fi
			if [ -z "$bc" ] || [ "$(echo "$c < $bc" | bc)" = 1 ]; then bc=$c; fi
			if [ "$m" -gt "$rss" ]; then rss=$m; fi
		done
		echo "$bw $bc $((rss / 1024))"
	}
	read -r w0 c0 m0 < <(gtime "$SOVCHECK" sbom labels --portfolio "$WORK/bp/portfolio")
	read -r w1 c1 m1 < <(gtime "$SOVCHECK" sbom labels --portfolio --data "$WORK/big.json" "$WORK/bp/portfolio")
	echo "snapshot $(du -h "$WORK/big.json" | cut -f1)"
	echo "without snapshot   wall ${w0}s  cpu ${c0}s  peak ${m0} MiB"
	echo "with snapshot      wall ${w1}s  cpu ${c1}s  peak ${m1} MiB"
	echo "ratio with / without: wall $(ratio "$w1" "$w0"), cpu $(ratio "$c1" "$c0")   (target < 1.20)"
else
	echo "== Debian: skipped, no apt index at $APT_INDEX (run apt-get update)"
fi

if [ "${NPM_SCALE:-1}" != 0 ]; then
	NPM_DISTINCT=${NPM_DISTINCT:-20000}
	echo "== registry scale: $SBOMS SBOMs x 300 components, $NPM_DISTINCT distinct npm packages, from $(npm config get registry 2>/dev/null || echo the npm registry)"
	if [ -z "${NPM_NAMES:-}" ]; then
		(cd "$WORK" && npm pack --silent all-the-package-names@2.0.2578 >/dev/null && tar xzf all-the-package-names-2.0.2578.tgz package/names.json)
		NPM_NAMES=$WORK/package/names.json
	fi
	go run ./bench/data/npmport -names "$NPM_NAMES" -dir "$WORK/npm" -sboms "$SBOMS" -per-sbom 300 -distinct "$NPM_DISTINCT"
	cold=$(once "$SOVCHECK" data pull --cache "$WORK/npmcache" --out "$WORK/npm-cold.json" "$WORK/npm")
	warm=$(once "$SOVCHECK" data pull --out "$WORK/npm-warm.json" "$WORK/npm")
	hot=$(best "$SOVCHECK" data pull --cache "$WORK/npmcache" --out "$WORK/npm-hot.json" "$WORK/npm")
	"$SOVCHECK" data pull --cache "$WORK/npmcache" --out "$WORK/npm-hot.json" "$WORK/npm" 2>/dev/null | head -1
	echo "data pull, cold (empty cache)         ${cold}s"
	echo "data pull, warm (no cache, 2nd run)   ${warm}s"
	echo "data pull, hot (its cache, best of $RUNS) ${hot}s   (cold / hot: $(ratio "$cold" "$hot"))"
fi
