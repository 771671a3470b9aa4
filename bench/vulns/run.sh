#!/usr/bin/env bash
# Benchmark of sovcheck's vulnerability matching against osv-scanner.
#
# Generates (bench/vulns/gen) a CycloneDX SBOM of $COMPONENTS components in
# nine ecosystems and $ADVISORIES advisories in the real OSV schema, in
# osv-scanner's offline layout (DB/osv-scanner/ECOSYSTEM/all.zip), then:
#   - runs 'sovcheck sbom labels --vulns DB/osv-scanner' and osv-scanner v2
#     ('scan source -L SBOM --offline-vulnerabilities --local-db-path DB')
#     on the same SBOM and advisories;
#   - lists the vulnerable (component, advisory) pairs each found, and every
#     difference with its cause (an unexplained difference fails the run);
#   - prints the wall and CPU time of each (process start included, best of $RUNS)
#     and the ratio. Targets: sovcheck at least 5x faster than osv-scanner,
#     and 10,000 components against 50,000 advisories in under 1 s.
#
# Environment: COMPONENTS (10000), ADVISORIES (50000), RUNS (3), WORK
# (kept when set), SOVCHECK (default: built from this checkout),
# OSV_SCANNER (default: installed into WORK with go install).
set -euo pipefail

cd "$(dirname "$0")/../.."
COMPONENTS=${COMPONENTS:-10000}
ADVISORIES=${ADVISORIES:-50000}
RUNS=${RUNS:-3}
OSV_SCANNER_VERSION=v2.3.0 # v2.4 and later need a newer Go than 1.26
if [ -z "${WORK:-}" ]; then
	WORK=$(mktemp -d)
	trap 'rm -rf "$WORK"' EXIT
fi
mkdir -p "$WORK/bin"

die() {
	echo "run.sh: error: $1" >&2
	[ -n "${2:-}" ] && echo "run.sh: hint: $2" >&2
	exit 2
}

if [ -z "${SOVCHECK:-}" ]; then
	CGO_ENABLED=0 go build -trimpath -o "$WORK/bin/sovcheck" ./cmd/sovcheck
	SOVCHECK=$WORK/bin/sovcheck
fi
if [ -z "${OSV_SCANNER:-}" ]; then
	if [ ! -x "$WORK/bin/osv-scanner" ]; then
		echo "installing osv-scanner $OSV_SCANNER_VERSION" >&2
		GOBIN=$WORK/bin go install "github.com/google/osv-scanner/v2/cmd/osv-scanner@$OSV_SCANNER_VERSION" ||
			die "osv-scanner does not build" "set OSV_SCANNER to an osv-scanner v2 binary"
	fi
	OSV_SCANNER=$WORK/bin/osv-scanner
fi

DATA=$WORK/data
rm -rf "$DATA"
echo "generating $COMPONENTS components and $ADVISORIES advisories in $DATA" >&2
go run ./bench/vulns/gen -dir "$DATA" -components "$COMPONENTS" -advisories "$ADVISORIES"

# best CMD... prints the fastest wall time and the smallest CPU time (user
# plus system) of $RUNS runs, in seconds: "WALL CPU". CPU time does not
# grow when other work shares the machine; wall time does.
# osv-scanner exits 1 when it finds vulnerabilities; any status but 0 and 1
# fails the benchmark.
best() {
	local wall="" cpu="" t w u s c rc
	for _ in $(seq "$RUNS"); do
		set +e
		t=$( { TIMEFORMAT='%R %U %S'; time "$@" >/dev/null 2>"$WORK/stderr"; echo $? >"$WORK/rc"; } 2>&1)
		set -e
		rc=$(cat "$WORK/rc")
		if [ "$rc" -gt 1 ]; then
			cat "$WORK/stderr" >&2
			die "$1 exited with status $rc"
		fi
		read -r w u s <<<"$t"
		c=$(echo "$u + $s" | bc -l)
		if [ -z "$wall" ] || [ "$(echo "$w < $wall" | bc -l)" = 1 ]; then wall=$w; fi
		if [ -z "$cpu" ] || [ "$(echo "$c < $cpu" | bc -l)" = 1 ]; then cpu=$c; fi
	done
	printf '%.3f %.3f\n' "$wall" "$cpu"
}

cd "$DATA"
"$SOVCHECK" sbom labels app.cdx.json --vulns db/osv-scanner --format json >sovcheck.json
set +e
"$OSV_SCANNER" scan source -L app.cdx.json --offline-vulnerabilities --local-db-path db --all-vulns --format json >osv-scanner.json 2>"$WORK/osv.stderr"
rc=$?
set -e
[ "$rc" -le 1 ] || { cat "$WORK/osv.stderr" >&2; die "osv-scanner exited with status $rc"; }
cd - >/dev/null

echo "== same SBOM, same advisories: what each found"
go run ./bench/vulns/gen -compare "$DATA"

cd "$DATA"
read -r sov_wall sov_cpu <<<"$(best "$SOVCHECK" sbom labels app.cdx.json --vulns db/osv-scanner --format json)"
read -r osv_wall osv_cpu <<<"$(best "$OSV_SCANNER" scan source -L app.cdx.json --offline-vulnerabilities --local-db-path db --all-vulns --format json)"
echo "== process start included, best of $RUNS ($COMPONENTS components, $ADVISORIES advisories; load average: $(cut -d' ' -f1 /proc/loadavg 2>/dev/null || echo unknown))"
echo "sovcheck sbom labels --vulns: wall ${sov_wall} s (target: under 1 s), CPU ${sov_cpu} s"
echo "osv-scanner $OSV_SCANNER_VERSION offline:   wall ${osv_wall} s, CPU ${osv_cpu} s"
echo "ratio osv-scanner / sovcheck: wall $(echo "scale=1; $osv_wall / $sov_wall" | bc -l)x, CPU $(echo "scale=1; $osv_cpu / $sov_cpu" | bc -l)x (target: at least 5x)"
