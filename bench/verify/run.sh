#!/usr/bin/env bash
# sovcheck verify against cosign verify-blob on the same bundles, offline.
#   1. one bundle, process start included: wall time ratio (target <= 0.5)
#   2. 1,000 bundles in one sovcheck call: bundles per second (target >= 1,000 on
#      2 cores) and peak memory (target < 200 MiB)
# Needs: hyperfine, /usr/bin/time, cosign v2.6.5 on PATH or in $(go env GOPATH)/bin
# (go install github.com/sigstore/cosign/v2/cmd/cosign@v2.6.5); without cosign
# the ratios are skipped and said so.
set -euo pipefail
cd "$(dirname "$0")/../.."
export GOTOOLCHAIN=local
N=${N:-1000}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

CGO_ENABLED=0 go build -trimpath -o "$work/sovcheck" ./cmd/sovcheck
go run ./bench/verify/gen -n "$N" -out "$work/data"
cosign=$(command -v cosign || true)
[[ -z $cosign && -x "$(go env GOPATH)/bin/cosign" ]] && cosign="$(go env GOPATH)/bin/cosign"

id=(--certificate-identity https://github.com/acme/tool/.github/workflows/release.yml@refs/tags/v1.2.0
    --certificate-oidc-issuer https://token.actions.githubusercontent.com)
a="$work/data/artifacts/a0000"
root="$work/data/trusted_root.json"

echo "== one bundle, process start included"
sov="$work/sovcheck verify $a --bundle $a.sigstore.json ${id[*]} --trusted-root $root --offline"
if [[ -n $cosign ]]; then
  cos="$cosign verify-blob $a --bundle $a.sigstore.json ${id[*]} --trusted-root $root --offline --new-bundle-format"
  hyperfine -N --warmup 3 --runs 30 --export-json "$work/one.json" -n sovcheck "$sov" -n cosign "$cos" >/dev/null
else
  echo "cosign not installed: ratio skipped"
  hyperfine -N --warmup 3 --runs 30 --export-json "$work/one.json" -n sovcheck "$sov" >/dev/null
fi
python3 - "$work/one.json" <<'PY'
import json, sys
r = {x["command"]: x for x in json.load(open(sys.argv[1]))["results"]}
s = r["sovcheck"]["mean"]
print(f"sovcheck verify:    {s*1000:7.1f} ms ± {r['sovcheck']['stddev']*1000:.1f}")
if "cosign" in r:
    c = r["cosign"]["mean"]
    print(f"cosign verify-blob: {c*1000:7.1f} ms ± {r['cosign']['stddev']*1000:.1f}")
    print(f"ratio sovcheck/cosign: {s/c:.2f}  (target <= 0.50)")
PY

echo "== $N bundles in one call"
/usr/bin/time -f "%e %M" -o "$work/many.time" "$work/sovcheck" verify "$work/data/artifacts" "${id[@]}" --trusted-root "$root" --offline --format json >"$work/many.json"
read -r wall rss <"$work/many.time"
python3 - "$wall" "$rss" "$N" "$work/many.json" <<'PY'
import json, sys
wall, rss_kib, n = float(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
doc = json.load(open(sys.argv[4]))
assert doc["summary"]["passed"] == n, doc["summary"]
print(f"wall {wall:.2f} s, {n/wall:,.0f} bundles/s (target >= 1,000), peak RSS {rss_kib/1024:.0f} MiB (target < 200)")
PY
if [[ -n $cosign ]]; then
  # cosign has no multi-artifact verify-blob: time a loop over 50 and scale.
  start=$(date +%s.%N)
  for i in $(seq -f '%04g' 0 49); do
    f="$work/data/artifacts/a$i"
    "$cosign" verify-blob "$f" --bundle "$f.sigstore.json" "${id[@]}" --trusted-root "$root" --offline --new-bundle-format >/dev/null 2>&1
  done
  end=$(date +%s.%N)
  python3 -c "import sys; c=($end-$start)/50*$N; w=$wall; print(f'cosign, one process per bundle: {c:.1f} s for $N (scaled from 50); ratio sovcheck/cosign {w/c:.3f}')"
fi
