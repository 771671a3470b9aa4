#!/usr/bin/env bash
# Peak memory of sovcheck on hostile SBOM inputs, before and after a change.
#
# Inputs (made here, in $WORK):
#   - a CycloneDX 1.5 JSON of one million empty components ("{}", 3 MB);
#   - the same with ten million (30 MB);
#   - /dev/zero read as an SBOM.
# Each runs through 'sovcheck sbom labels' and 'sovcheck gate' under GNU
# time; the script prints exit status, wall time and peak RSS. Memory must
# stay proportional to the useful content: the refusals come from the
# component count and the memory budget (sbom.Limits.MaxMemoryBytes), or
# from the first chunk of content, before anything is decoded.
#
# Environment: BEFORE (a sovcheck binary to compare with; optional),
# SOVCHECK (default: built from this checkout), WORK (kept when set),
# MEMLIMIT (KiB for ulimit -v, default 4 GiB as in the report of the
# problem; 0 disables).
#
#   apt-get install time
set -euo pipefail

cd "$(dirname "$0")/../.."
if [ -z "${WORK:-}" ]; then
	WORK=$(mktemp -d)
	trap 'rm -rf "$WORK"' EXIT
fi
mkdir -p "$WORK"
MEMLIMIT=${MEMLIMIT:-4194304}

die() {
	echo "run.sh: error: $1" >&2
	[ -n "${2:-}" ] && echo "run.sh: hint: $2" >&2
	exit 2
}
[ -x /usr/bin/time ] || die "GNU time is missing" "apt-get install time"
if [ -z "${SOVCHECK:-}" ]; then
	CGO_ENABLED=0 go build -trimpath -o "$WORK/sovcheck" ./cmd/sovcheck
	SOVCHECK=$WORK/sovcheck
fi

# empties N FILE writes a CycloneDX document of N empty components.
empties() {
	python3 - "$1" "$2" <<'PY'
import sys
n, path = int(sys.argv[1]), sys.argv[2]
with open(path, "w") as f:
    f.write('{"bomFormat":"CycloneDX","specVersion":"1.5","version":1,"components":[')
    f.write(",".join(["{}"] * n))
    f.write("]}")
PY
}
mkdir -p "$WORK/data"
cat >"$WORK/data/certs.yaml" <<'YAML'
apiVersion: sovcheck.dev/v1alpha1
kind: CertificationList
entries:
  - purl: pkg:golang/example.com/a
    certifier: bench
YAML
cat >"$WORK/ci.yaml" <<YAML
apiVersion: sovcheck.dev/v1alpha1
kind: ProcurementPolicy
metadata: {name: ci}
data:
  - name: certs
    kind: certifications
    path: data/certs.yaml
    sha256: $(sha256sum "$WORK/data/certs.yaml" | cut -d' ' -f1)
certification:
  list: certs
YAML
empties 1000000 "$WORK/empty-1m.cdx.json"
empties 10000000 "$WORK/empty-10m.cdx.json"

# run LABEL BIN ARGS... prints one line: exit, seconds, peak RSS.
run() {
	local label=$1 bin=$2
	shift 2
	local rc=0
	(
		[ "$MEMLIMIT" != 0 ] && ulimit -v "$MEMLIMIT"
		exec /usr/bin/time -f "%e %M" -o "$WORK/time.txt" timeout 300 "$bin" "$@"
	) >"$WORK/out.txt" 2>"$WORK/err.txt" || rc=$?
	read -r wall kb < <(tail -n 1 "$WORK/time.txt" | grep -E '^[0-9.]+ [0-9]+$' || echo "- 0")
	local why
	why=$(grep -m1 -oE '^(sovcheck: error: .{0,70}|fatal error: .*)' "$WORK/err.txt" | sed 's/^sovcheck: error: //' || true)
	printf "%-8s %-44s exit %3s  %7s s  %8s MiB  %s\n" "$label" "${*//$WORK\//}" "$rc" "$wall" "$((kb / 1024))" "${why:-}"
	echo "$((kb / 1024))" >"$WORK/rss.$label"
}

echo "peak RSS under ulimit -v ${MEMLIMIT} KiB (0 = none)"
for input in "$WORK/empty-1m.cdx.json" "$WORK/empty-10m.cdx.json" /dev/zero; do
	short=$(basename "$input")
	for cmd in "sbom labels" "gate --policy $WORK/ci.yaml"; do
		# shellcheck disable=SC2086
		if [ -n "${BEFORE:-}" ]; then
			run before "$BEFORE" $cmd "$input"
			b=$(cat "$WORK/rss.before")
		fi
		# shellcheck disable=SC2086
		run after "$SOVCHECK" $cmd "$input"
		a=$(cat "$WORK/rss.after")
		if [ -n "${BEFORE:-}" ]; then
			awk -v b="$b" -v a="$a" -v s="$short $cmd" 'BEGIN{ if (a>0) printf "  ratio %s: before/after peak RSS = %.1fx\n", s, b/a }'
		fi
	done
done
