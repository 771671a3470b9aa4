#!/usr/bin/env bash
# Benchmark of sovcheck's policy engine (package policy), in process:
#   - load + CEL compile: the default policy with 20 CEL rules appended
#     (YAML decoding, validation, type-checked CEL compilation);
#     target < 50 ms;
#   - evaluate: the same policy over one artifact whose SBOM lists 10,000
#     components (labels, licences, grades, 500 vulnerabilities);
#     target < 100 ms.
# Each figure is the best of $COUNT runs of $BENCHTIME iterations, so that
# other work on a shared machine disturbs it least; the median is printed
# beside it. CEL rules run on GOMAXPROCS goroutines: CPUS (default "1,2")
# lists the GOMAXPROCS values to measure.
#
# No peer is compared: no other supply-chain verifier evaluates a
# procurement policy with points, waivers and CEL rules over an SBOM.
set -euo pipefail
cd "$(dirname "$0")/../.."
export GOTOOLCHAIN=local
COUNT=${COUNT:-5}
BENCHTIME=${BENCHTIME:-20x}
CPUS=${CPUS:-1,2}

go test ./bench/policy -run TestRulesHold -count 1 >/dev/null
out=$(go test ./bench/policy -run '^$' -bench . -benchtime "$BENCHTIME" -count "$COUNT" -cpu "$CPUS")
echo "$out" | grep '^Benchmark' >&2
echo "$out" | awk '
/^Benchmark/ {
	name = $1; ns = $3
	n[name]++; v[name, n[name]] = ns
}
END {
	for (name in n) {
		k = n[name]
		for (i = 1; i <= k; i++) for (j = i + 1; j <= k; j++) if (v[name, j] < v[name, i]) { t = v[name, i]; v[name, i] = v[name, j]; v[name, j] = t }
		best = v[name, 1] / 1e6; med = v[name, int((k + 1) / 2)] / 1e6
		target = (name ~ /Load/) ? 50 : 100
		verdict = (best < target) ? "ok" : "OVER"
		printf "%-32s best %7.1f ms  median %7.1f ms  target < %3d ms  %s\n", name, best, med, target, verdict
	}
}' | sort
