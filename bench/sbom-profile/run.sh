#!/usr/bin/env bash
# Conformance of real SBOMs to BSI TR-03183-2 v2.1, with sovcheck and the
# peer side by side.
#
# Runs 'sovcheck sbom check --profile bsi-tr-03183-2' on every SBOM of a
# folder (default: made here by syft and cdxgen when they are installed:
# this repository, a directory of Go binaries and /var/lib/dpkg, as
# CycloneDX JSON/XML, SPDX JSON, SPDX tag-value) and prints per file the
# verdict, the gap count, the gaps per field and the time taken.
#
# The peer is sbomqs (github.com/interlynk-io/sbomqs: 'sbomqs compliance
# --bsi-v2' / 'sbomqs score --profile bsi-v2.1'). It runs when it is on
# PATH (SBOMQS=path overrides). It cannot be installed on this machine: the
# Go module proxy here does not serve github.com/interlynk-io/sbomqs
# ("go list -m -versions": not available), npm has no sbomqs package, and
# Debian does not package it. Without it the script says so plainly and
# prints sovcheck's results alone; no ratio is made up.
#
# Environment: SBOMS (a folder of SBOMs), SOVCHECK (default: built from
# this checkout), SYFT, CDXGEN (generators; default: on PATH), WORK (kept
# when set).
#
#   go install github.com/anchore/syft/cmd/syft@v1.57.2
#   npm install @cyclonedx/cdxgen@12.8.4
set -euo pipefail

cd "$(dirname "$0")/../.."
REPO=$(pwd)
if [ -z "${WORK:-}" ]; then
	WORK=$(mktemp -d)
	trap 'rm -rf "$WORK"' EXIT
fi
mkdir -p "$WORK"
if [ -z "${SOVCHECK:-}" ]; then
	CGO_ENABLED=0 go build -trimpath -o "$WORK/sovcheck" ./cmd/sovcheck
	SOVCHECK=$WORK/sovcheck
fi
SYFT=${SYFT:-$(command -v syft || true)}
CDXGEN=${CDXGEN:-$(command -v cdxgen || true)}
SBOMQS=${SBOMQS:-$(command -v sbomqs || true)}

if [ -z "${SBOMS:-}" ]; then
	SBOMS=$WORK/sboms
	mkdir -p "$SBOMS" "$WORK/gobins"
	cp "$SOVCHECK" "$WORK/gobins/"
	[ -n "$SYFT" ] && cp "$SYFT" "$WORK/gobins/"
	if [ -n "$SYFT" ]; then
		for src in "$REPO:repo" "$WORK/gobins:gobins" "/var/lib/dpkg:dpkg"; do
			dir=${src%:*} name=${src##*:}
			SYFT_CHECK_FOR_APP_UPDATE=false "$SYFT" scan "dir:$dir" -q \
				-o "cyclonedx-json=$SBOMS/syft-$name.cdx.json" -o "cyclonedx-xml=$SBOMS/syft-$name.cdx.xml" \
				-o "spdx-json=$SBOMS/syft-$name.spdx.json" -o "spdx-tag-value=$SBOMS/syft-$name.spdx"
		done
	else
		echo "run.sh: syft is not installed (go install github.com/anchore/syft/cmd/syft@v1.57.2): no syft SBOMs" >&2
	fi
	if [ -n "$CDXGEN" ]; then
		(cd "$REPO" && FETCH_LICENSE=false "$CDXGEN" -t go --no-install-deps -o "$SBOMS/cdxgen-repo.cdx.json" . >/dev/null 2>&1) ||
			echo "run.sh: cdxgen failed on this repository" >&2
	fi
fi
ls "$SBOMS"/* >/dev/null 2>&1 || { echo "run.sh: error: no SBOMs in $SBOMS" >&2; exit 2; }

echo "BSI TR-03183-2 v2.1 conformance, sovcheck sbom check (exit 1 = gaps)"
printf "%-28s %-20s %8s %6s %7s  %s\n" file format verdict gaps time_s "gaps per field"
for f in "$SBOMS"/*; do
	start=$(date +%s.%N)
	rc=0
	"$SOVCHECK" sbom check --profile bsi-tr-03183-2 --format json "$f" >"$WORK/out.json" 2>"$WORK/err.txt" || rc=$?
	end=$(date +%s.%N)
	t=$(awk -v a="$start" -v b="$end" 'BEGIN{printf "%.2f", b-a}')
	python3 - "$f" "$rc" "$t" "$WORK/out.json" "$WORK/err.txt" <<'PY'
import json, os, sys
f, rc, t, out, err = sys.argv[1:]
name = os.path.basename(f)
if rc == "2":
    print(f"{name:28} {'-':20} {'unread':>8} {'-':>6} {t:>7}  {open(err).read().strip().splitlines()[0][:90]}")
    sys.exit(0)
rep = json.load(open(out))["reports"][0]
fields = ", ".join(f"{k} {v}" for k, v in sorted(rep["fields"].items()))
verdict = "ok" if rep["conformant"] else "gaps"
print(f"{name:28} {rep['format'] + ' ' + rep['specVersion']:20} {verdict:>8} {len(rep['gaps']):>6} {t:>7}  {fields[:160]}")
PY
done

echo
if [ -n "$SBOMQS" ]; then
	echo "peer: $SBOMQS compliance --bsi-v2 (side by side)"
	for f in "$SBOMS"/*; do
		start=$(date +%s.%N)
		"$SBOMQS" compliance --bsi-v2 --basic "$f" 2>&1 | tail -1
		end=$(date +%s.%N)
		awk -v a="$start" -v b="$end" -v f="$(basename "$f")" 'BEGIN{printf "  %s: %.2f s\n", f, b-a}'
	done
else
	echo "peer: sbomqs could not be installed here (the Go module proxy does not serve"
	echo "github.com/interlynk-io/sbomqs, npm has no sbomqs package, Debian does not package it)."
	echo "No side-by-side numbers: set SBOMQS=/path/to/sbomqs where it is available."
fi
