#!/usr/bin/env bash
# The day an advisory is announced: "which of our products does it
# affect?", asked of the portfolio store ('sovcheck portfolio where
# --vulns') against osv-scanner re-reading every SBOM with the same
# advisory offline ('scan source -r DIR --offline').
#
# Generates $SBOMS CycloneDX SBOMs of $PER_SBOM components (bench/sbom/gen,
# as run.sh does), adds them to a fresh SQLite store, and writes one OSV
# advisory (the real schema) for the npm package pkg-00003, below 1.4.0,
# which the generator puts in nearly every product. Then:
#   - the sets of (SBOM, component version) each tool finds affected are
#     compared: a difference fails the run;
#   - wall time, CPU time and peak RSS of each, process start included:
#     sovcheck best of $RUNS, osv-scanner once (minutes at 1,000 SBOMs);
#   - the ratio osv-scanner / sovcheck.
# The store is built once (its add is measured by run.sh); the question is
# what is timed here, the cost a CERT pays each time an advisory lands.
#
# Environment: SBOMS (1000), PER_SBOM (300), RUNS (5), WORK (kept when
# set; a store and SBOMs already there are reused), SOVCHECK (default:
# built from this checkout), OSV_SCANNER (default: installed into WORK
# with go install).
#
#   apt-get install time
set -euo pipefail
export LC_ALL=C

cd "$(dirname "$0")/../.."
SBOMS=${SBOMS:-1000}
PER_SBOM=${PER_SBOM:-300}
RUNS=${RUNS:-5}
OSV_SCANNER_VERSION=v2.3.5 # later versions need a newer Go than 1.26
if [ -z "${WORK:-}" ]; then
	WORK=$(mktemp -d)
	trap 'rm -rf "$WORK"' EXIT
fi
mkdir -p "$WORK/bin"

die() {
	echo "advisory.sh: error: $1" >&2
	[ -n "${2:-}" ] && echo "advisory.sh: hint: $2" >&2
	exit 2
}

[ -x /usr/bin/time ] || die "GNU time is missing" "apt-get install time"
if [ -z "${SOVCHECK:-}" ]; then
	CGO_ENABLED=0 go build -trimpath -tags "$(sed -n 's/^TAGS *:= *//p' Makefile)" -o "$WORK/sovcheck" ./cmd/sovcheck
	SOVCHECK=$WORK/sovcheck
fi
if [ -z "${OSV_SCANNER:-}" ]; then
	if [ ! -x "$WORK/bin/osv-scanner" ]; then
		echo "installing osv-scanner $OSV_SCANNER_VERSION (a few minutes)" >&2
		GOBIN=$WORK/bin go install "github.com/google/osv-scanner/v2/cmd/osv-scanner@$OSV_SCANNER_VERSION" ||
			die "osv-scanner does not build" "set OSV_SCANNER to an osv-scanner v2 binary"
	fi
	OSV_SCANNER=$WORK/bin/osv-scanner
fi

data=$WORK/data-$SBOMS
store=$WORK/store-$SBOMS.db
if [ ! -d "$data/portfolio" ]; then
	go run ./bench/sbom/gen -dir "$data" -sizes 1 -sboms "$SBOMS" -per-sbom "$PER_SBOM" -advisories 1 >&2
fi
if [ ! -f "$store" ]; then
	"$SOVCHECK" portfolio add --store "$store" --as-of 2026-12-01 "$data/portfolio" >/dev/null
fi

# The advisory, and osv-scanner's offline layout of it.
adv=$WORK/osv/GHSA-bench-0001.json
mkdir -p "$WORK/osv" "$WORK/db/osv-scanner/npm"
cat >"$adv" <<'EOF'
{"schema_version": "1.6.0", "id": "GHSA-bench-0001", "modified": "2026-11-30T00:00:00Z",
 "summary": "an advisory for a package in nearly every product",
 "affected": [{"package": {"ecosystem": "npm", "name": "pkg-00003", "purl": "pkg:npm/pkg-00003"},
   "ranges": [{"type": "SEMVER", "events": [{"introduced": "0"}, {"fixed": "1.4.0"}]}]}]}
EOF
rm -f "$WORK/db/osv-scanner/npm/all.zip"
(cd "$WORK/osv" && python3 -c 'import zipfile,sys; z=zipfile.ZipFile(sys.argv[1],"w"); z.write("GHSA-bench-0001.json"); z.close()' "$WORK/db/osv-scanner/npm/all.zip")

calc() { awk "BEGIN { printf \"%.3f\", $1 }"; }

# timed OUT CMD... prints "WALL_SECONDS RSS_MIB CPU_SECONDS"; stdout to OUT.
timed() {
	local out=$1 t0 t1
	shift
	t0=$EPOCHREALTIME
	/usr/bin/time -f '%M %U %S' -o "$WORK/time" "$@" >"$out" 2>"$WORK/stderr" || true
	t1=$EPOCHREALTIME
	# The last line: GNU time writes "Command exited with non-zero
	# status 1" first when osv-scanner finds vulnerabilities.
	tail -n 1 "$WORK/time" | awk -v wall="$(calc "$t1 - $t0")" '{ printf "%.4f %.0f %.2f\n", wall, $1 / 1024, $2 + $3 }'
}

echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg) on $(nproc) cores; $SBOMS SBOMs of $PER_SBOM components"
read -r sov_s sov_mib sov_cpu < <(for _ in $(seq "$RUNS"); do timed "$WORK/sovcheck.json" "$SOVCHECK" portfolio where --store "$store" --vulns "$adv" --format json; done | sort -n | head -1)
read -r osv_s osv_mib osv_cpu < <(timed "$WORK/osv-scanner.json" "$OSV_SCANNER" scan source --offline --local-db-path "$WORK/db" --format json -r "$data/portfolio")

# The affected (SBOM, version) pairs of each, compared.
python3 - "$WORK/sovcheck.json" "$WORK/osv-scanner.json" <<'EOF'
import json, os, sys
sov = json.load(open(sys.argv[1]))
a = {(os.path.basename(m["source"]), m["version"]) for r in sov["results"] for w in r["answers"] for m in w["matches"]}
osv = json.load(open(sys.argv[2]))
b = set()
for r in osv.get("results", []):
    for p in r.get("packages", []):
        if any(v["id"] == "GHSA-bench-0001" for v in p.get("vulnerabilities", [])):
            b.add((os.path.basename(r["source"]["path"]), p["package"]["version"]))
print(f"affected components: sovcheck {len(a)} in {sov['products']} products, osv-scanner {len(b)}")
if a != b:
    print("only sovcheck:", sorted(a - b)[:10], "only osv-scanner:", sorted(b - a)[:10])
    sys.exit(1)
print("the same (SBOM, version) pairs")
EOF

printf '%-12s %9s %9s %9s\n' tool wall_s cpu_s peak_MiB
printf '%-12s %9.3f %9.2f %9d\n' sovcheck "$sov_s" "$sov_cpu" "$sov_mib"
printf '%-12s %9.3f %9.2f %9d\n' osv-scanner "$osv_s" "$osv_cpu" "$osv_mib"
printf 'osv-scanner / sovcheck: wall %.0fx, CPU %.0fx, memory %.1fx\n' \
	"$(calc "$osv_s / $sov_s")" "$(calc "$osv_cpu / ($sov_cpu + 0.005)")" "$(calc "$osv_mib / $sov_mib")"
