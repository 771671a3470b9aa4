#!/usr/bin/env bash
# Benchmark of 'sovcheck sbom labels'.
#
# Generates CycloneDX SBOMs of growing size and a portfolio of many SBOMs
# (bench/sbom/gen), then measures wall time and peak RSS with GNU time,
# process start included, best of $RUNS runs:
#   - one SBOM per size, labels only and labels + OSV advisories, with the
#     cost per component to show that it grows linearly;
#   - the portfolio (default 1,000 SBOMs x 1,000 components);
#   - osv-scanner --sbom in offline mode on the same SBOMs and the same
#     advisories, when osv-scanner is installed, with the time ratio.
#
#   - with BEFORE (another sovcheck binary, e.g. built from main), the same
#     portfolio with both binaries and the ratio after/before, so a change
#     to the readers shows its cost (target: within 10%);
#   - a folder of mixed real-world formats (REAL_SBOMS, or made here by
#     syft when installed: CycloneDX JSON/XML, SPDX JSON and tag-value of
#     this repository and /var/lib/dpkg), read as one portfolio.
#
# Targets: 10,000 components labelled in < 0.5 s; the 1,000,000-component
# portfolio in < 60 s with peak RSS < 2 GiB, on 2 cores.
#
# Environment: SIZES (comma list), SBOMS, PER_SBOM, RUNS, WORK (kept when
# set), SOVCHECK (a sovcheck binary; default: built from this checkout),
# BEFORE (a sovcheck binary to compare with), REAL_SBOMS (a folder of real
# SBOMs), SYFT (default: syft on PATH),
# OSV_SCANNER (default: osv-scanner on PATH or in $(go env GOPATH)/bin).
#
#   go install github.com/google/osv-scanner/cmd/osv-scanner@v1.9.2
#   apt-get install time
set -euo pipefail

cd "$(dirname "$0")/../.."
SIZES=${SIZES:-1000,3000,10000,30000,100000}
SBOMS=${SBOMS:-1000}
PER_SBOM=${PER_SBOM:-1000}
RUNS=${RUNS:-3}
if [ -z "${WORK:-}" ]; then
	WORK=$(mktemp -d)
	trap 'rm -rf "$WORK"' EXIT
fi
mkdir -p "$WORK"

die() {
	echo "run.sh: error: $1" >&2
	[ -n "${2:-}" ] && echo "run.sh: hint: $2" >&2
	exit 2
}

[ -x /usr/bin/time ] || die "GNU time is missing" "apt-get install time"
if [ -z "${SOVCHECK:-}" ]; then
	CGO_ENABLED=0 go build -trimpath -tags "$(sed -n 's/^TAGS *:= *//p' Makefile)" -o "$WORK/sovcheck" ./cmd/sovcheck
	SOVCHECK=$WORK/sovcheck
fi
"$SOVCHECK" sbom labels --help >/dev/null 2>&1 ||
	die "$SOVCHECK has no 'sbom labels' command" "register sbomCommand() in cmd/sovcheck/main.go, or set SOVCHECK"
OSV_SCANNER=${OSV_SCANNER:-$(command -v osv-scanner || true)}
if [ -z "$OSV_SCANNER" ] && [ -x "$(go env GOPATH)/bin/osv-scanner" ]; then
	OSV_SCANNER=$(go env GOPATH)/bin/osv-scanner
fi

echo "generating inputs in $WORK/data (sizes $SIZES; portfolio $SBOMS x $PER_SBOM)" >&2
go run ./bench/sbom/gen -dir "$WORK/data" -sizes "$SIZES" -sboms "$SBOMS" -per-sbom "$PER_SBOM"
DATA=$WORK/data
OSV=$DATA/osv/osv-scanner

# measure CMD... prints "WALL_SECONDS RSS_MIB" of the fastest of $RUNS runs.
# sovcheck exits 0, osv-scanner 1 when it finds vulnerabilities; any other
# status is a failure of the benchmark.
measure() {
	local best="" rss="" rc
	for _ in $(seq "$RUNS"); do
		rc=0
		/usr/bin/time -f "%e %M" -o "$WORK/time.txt" "$@" >"$WORK/stdout.txt" 2>"$WORK/stderr.txt" || rc=$?
		if [ "$rc" -gt 1 ]; then
			echo "run.sh: error: $* exited $rc" >&2
			tail -5 "$WORK/stderr.txt" >&2
			exit 1
		fi
		read -r wall kb < <(tail -n 1 "$WORK/time.txt")
		if [ -z "$best" ] || awk -v a="$wall" -v b="$best" 'BEGIN{exit !(a<b)}'; then
			best=$wall
			rss=$((kb / 1024))
		fi
	done
	echo "$best $rss"
}

# osv-scanner reads its offline databases from $DIR/osv-scanner/ECOSYSTEM/all.zip.
OSV_SCAN=(env "OSV_SCANNER_LOCAL_DB_CACHE_DIRECTORY=$DATA/osv" "$OSV_SCANNER" scan --experimental-offline --format json)

echo
echo "Single SBOM (CycloneDX 1.5 JSON, text report, best of $RUNS; wall includes process start)"
printf "%10s %8s | %9s %9s %8s | %9s %8s | %11s %8s %7s\n" \
	components MiB labels_s us/comp RSS_MiB +osv_s RSS_MiB osv-scan_s RSS_MiB ratio
for n in ${SIZES//,/ }; do
	f=$DATA/single/sbom-$n.cdx.json
	size=$(awk -v b="$(stat -c %s "$f")" 'BEGIN{printf "%.1f", b/1048576}')
	res=$(measure "$SOVCHECK" sbom labels "$f")
	read -r t rss <<<"$res"
	res=$(measure "$SOVCHECK" sbom labels --vulns "$OSV" "$f")
	read -r tv rssv <<<"$res"
	per=$(awk -v t="$t" -v n="$n" 'BEGIN{printf "%.1f", 1e6*t/n}')
	if [ -n "$OSV_SCANNER" ]; then
		res=$(measure "${OSV_SCAN[@]}" --sbom "$f")
		read -r to rsso <<<"$res"
		ratio=$(awk -v a="$to" -v b="$tv" 'BEGIN{printf "%.1fx", a/b}')
	else
		to=- rsso=- ratio=-
	fi
	printf "%10s %8s | %9s %9s %8s | %9s %8s | %11s %8s %7s\n" "$n" "$size" "$t" "$per" "$rss" "$tv" "$rssv" "$to" "$rsso" "$ratio"
done
echo "(us/comp staying flat as components grow 100x is the linear-growth check; ratio = osv-scanner time / sovcheck+osv time)"

echo
echo "Portfolio: $SBOMS SBOMs x $PER_SBOM components (best of $RUNS)"
res=$(measure "$SOVCHECK" sbom labels --portfolio "$DATA/portfolio")
read -r tp rssp <<<"$res"
res=$(measure "$SOVCHECK" sbom labels --portfolio --vulns "$OSV" "$DATA/portfolio")
read -r tpv rsspv <<<"$res"
printf "  sovcheck labels:          %8s s  %6s MiB\n" "$tp" "$rssp"
printf "  sovcheck labels + OSV:    %8s s  %6s MiB\n" "$tpv" "$rsspv"
if [ -n "$OSV_SCANNER" ]; then
	args=()
	for f in "$DATA"/portfolio/*.cdx.json; do args+=(--sbom "$f"); done
	res=$(RUNS=1 measure "${OSV_SCAN[@]}" "${args[@]}")
	read -r tpo rsspo <<<"$res"
	printf "  osv-scanner (offline):    %8s s  %6s MiB  ratio %s\n" "$tpo" "$rsspo" \
		"$(awk -v a="$tpo" -v b="$tpv" 'BEGIN{printf "%.1fx", a/b}')"
else
	echo "  osv-scanner not installed: go install github.com/google/osv-scanner/cmd/osv-scanner@v1.9.2"
fi
if [ -n "${BEFORE:-}" ]; then
	res=$(measure "$BEFORE" sbom labels --portfolio "$DATA/portfolio")
	read -r tb rssb <<<"$res"
	printf "  before (%s):  %8s s  %6s MiB  ratio after/before %s (target <= 1.10)\n" "$BEFORE" "$tb" "$rssb" \
		"$(awk -v a="$tp" -v b="$tb" 'BEGIN{printf "%.2f", a/b}')"
fi
awk -v t="$tpv" -v r="$rsspv" 'BEGIN{
	printf "  targets: < 60 s (%s), < 2048 MiB (%s)\n", (t<60?"met":"MISSED"), (r<2048?"met":"MISSED") }'

echo
echo "Mixed real-world formats (one portfolio, best of $RUNS)"
SYFT=${SYFT:-$(command -v syft || true)}
if [ -z "${REAL_SBOMS:-}" ] && [ -n "$SYFT" ]; then
	REAL_SBOMS=$WORK/real
	mkdir -p "$REAL_SBOMS"
	for src in ".:repo" "/var/lib/dpkg:dpkg"; do
		dir=${src%:*} name=${src##*:}
		SYFT_CHECK_FOR_APP_UPDATE=false "$SYFT" scan "dir:$dir" -q \
			-o "cyclonedx-json=$REAL_SBOMS/syft-$name.cdx.json" -o "cyclonedx-xml=$REAL_SBOMS/syft-$name.cdx.xml" \
			-o "spdx-json=$REAL_SBOMS/syft-$name.spdx.json" -o "spdx-tag-value=$REAL_SBOMS/syft-$name.spdx"
	done
fi
if [ -n "${REAL_SBOMS:-}" ]; then
	n=$(find "$REAL_SBOMS" -type f | wc -l)
	# A file that is not an SBOM makes sovcheck exit 2; measure() accepts 0
	# and 1 only, so the folder must hold SBOMs.
	res=$(measure "$SOVCHECK" sbom labels --portfolio "$REAL_SBOMS")
	read -r tr rssr <<<"$res"
	printf "  sovcheck labels, %d files:  %8s s  %6s MiB\n" "$n" "$tr" "$rssr"
	"$SOVCHECK" sbom labels --portfolio --format json "$REAL_SBOMS" | python3 -c '
import json, sys, collections
d = json.load(sys.stdin)
fm = collections.Counter(p["format"] + " " + p.get("specVersion", "") for p in d["products"])
print("  read:", ", ".join(f"{k} x{v}" for k, v in sorted(fm.items())), "| not read:", len(d.get("failures") or []))'
	if [ -n "${BEFORE:-}" ]; then
		"$BEFORE" sbom labels --portfolio --format json "$REAL_SBOMS" 2>/dev/null | python3 -c '
import json, sys
d = json.load(sys.stdin)
print("  before: read", len(d["products"]), "files, listed", len(d.get("failures") or []), "as not read")' || true
	fi
else
	echo "  no REAL_SBOMS and no syft (go install github.com/anchore/syft/cmd/syft@v1.57.2): skipped"
fi
