#!/usr/bin/env bash
# Compares sovcheck with an earlier revision of itself, side by side:
#   - the in-process benchmarks of verify, sbom, policy and rebuild
#     (go test -bench), run alternately in both trees COUNT times, and
#     printed as new/old ratios of the medians (1.00 = unchanged);
#   - one `sovcheck verify` of the demo release's signature and provenance
#     (`make demo`'s material, without its rebuild and policy) and one `sovcheck sbom
#     labels` of a 10,000-component SBOM, both binaries under hyperfine.
# A renovation that must not cost speed shows ratios within 1.05.
#
#   bench/compare/run.sh [BASE_REV]      (default: BASE_REV=origin of the renovation, 951b4f1)
set -euo pipefail
cd "$(dirname "$0")/../.."
export GOTOOLCHAIN=local
BASE=${1:-951b4f1}
COUNT=${COUNT:-6}
BENCHES='^Benchmark(ReadCycloneDX10k|Assess10k|PortfolioAdd1k|SameDigest|VerifyKeyless|LoadAndCompile|Evaluate10k)$'
PKGS="./sbom ./rebuild ./verify ./bench/policy"

work=$(mktemp -d)
trap 'git worktree remove --force "$work/base" >/dev/null 2>&1 || true; rm -rf "$work"' EXIT
git worktree add --detach "$work/base" "$BASE" >/dev/null 2>&1
ln -s "$(cd .. && pwd)/shared" "$work/shared" 2>/dev/null || true

build() { (cd "$1" && CGO_ENABLED=0 go build -trimpath -tags urfave_cli_no_docs -o "$2" ./cmd/sovcheck); }
build "$work/base" "$work/sovcheck-old"
build . "$work/sovcheck-new"

for i in $(seq "$COUNT"); do
	(cd "$work/base" && go test -run '^$' -bench "$BENCHES" -benchmem -count 1 $PKGS 2>/dev/null | grep '^Benchmark') >>"$work/old.txt"
	go test -run '^$' -bench "$BENCHES" -benchmem -count 1 $PKGS 2>/dev/null | grep '^Benchmark' >>"$work/new.txt"
done

echo "in-process benchmarks (median of $COUNT, new/old):"
awk '
FNR == 1 { file++ }
{ name = $1; sub(/-[0-9]+$/, "", name); k = file SUBSEP name; c[k]++; v[k, c[k]] = $3; names[name] = 1 }
function median(k,   n, i, j, t, a) {
	n = c[k]; for (i = 1; i <= n; i++) a[i] = v[k, i]
	for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) if (a[j] < a[i]) { t = a[i]; a[i] = a[j]; a[j] = t }
	return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
}
END {
	for (name in names) {
		o = median(1 SUBSEP name); n = median(2 SUBSEP name)
		if (o > 0 && n > 0) printf "  %-26s old %12.0f ns/op  new %12.0f ns/op  ratio %.3f\n", name, o, n, n / o
		else printf "  %-26s missing on one side\n", name
	}
}' "$work/old.txt" "$work/new.txt" | sort

# The demo: a signed artifact, its bundle and the virtual Sigstore's root.
go run ./bench/sbom/gen -dir "$work/gen" -sizes 10000 -sboms 1 -per-sbom 10 >/dev/null
cp "$work/gen/single/sbom-10000.cdx.json" "$work/sbom10k.cdx.json"
go run ./internal/cmd/gendemo -out "$work/demo" >/dev/null
d=$work/demo/release
demo="verify $d/tool-linux-amd64 --certificate-identity https://github.com/acme/tool/.github/workflows/release.yml@refs/tags/v1.2.0 --certificate-oidc-issuer https://token.actions.githubusercontent.com --source-uri github.com/acme/tool --source-tag v1.2.0 --trusted-root $work/demo/trusted_root.json --offline"
hyperfine -N -w 3 -r 30 --export-json "$work/verify.json" \
	-n old "$work/sovcheck-old $demo" -n new "$work/sovcheck-new $demo" >/dev/null 2>&1 || true
hyperfine -N -w 1 -r 10 --export-json "$work/sbom.json" \
	-n old "$work/sovcheck-old sbom labels $work/sbom10k.cdx.json --format json" \
	-n new "$work/sovcheck-new sbom labels $work/sbom10k.cdx.json --format json" >/dev/null 2>&1 || true
echo "binary (hyperfine means, new/old):"
for f in verify sbom; do
	python3 - "$work/$f.json" "$f" <<'PY'
import json, sys
r = {x["command"]: x["mean"] for x in json.load(open(sys.argv[1]))["results"]}
if "old" in r and "new" in r:
    print("  %-26s old %8.1f ms  new %8.1f ms  ratio %.3f" % (sys.argv[2], r["old"] * 1e3, r["new"] * 1e3, r["new"] / r["old"]))
else:
    print("  %-26s did not run" % sys.argv[2])
PY
done
