#!/usr/bin/env bash
# sovcheck verify against cosign verify-blob on the same bundles and trusted
# root, offline. A CI job runs sovcheck once per artifact, so process start
# is most of its cost:
#   1. start: `sovcheck version` with GODEBUG=inittrace=1, RUNS times: total
#      package init time (target < 10 ms on a quiet machine) and the top 10
#      packages, so a dependency that starts paying at init shows here;
#   2. one bundle, process start included, sovcheck and cosign interleaved
#      (the order rotates every round): wall and CPU medians and their
#      ratios (target <= 0.35), and `sovcheck version` beside them; then the
#      instructions each executes (callgrind, the minimum of CALLGRIND_RUNS,
#      default 3), which the load does not move;
#      on the v0.3 bundle of a fresh virtual Sigstore, and on the real
#      public-good bundles of ../shared/interop when they are there;
#   3. N bundles (default 1,000) in one sovcheck call: bundles per second
#      (target >= 2,000 on 2 quiet cores), CPU time per bundle and peak
#      memory (target < 200 MiB).
# The machine's load average is printed beside every figure: wall times on
# a busy machine mean little, CPU time and instructions still compare.
# Needs: python3, /usr/bin/time; valgrind for the instruction counts (else
# skipped); cosign v2.6.5 on PATH or in $(go env GOPATH)/bin
# (go install github.com/sigstore/cosign/v2/cmd/cosign@v2.6.5); without
# cosign the ratios are skipped and said so.
set -euo pipefail
cd "$(dirname "$0")/../.."
export GOTOOLCHAIN=local
N=${N:-1000}
RUNS=${RUNS:-30}
CALLGRIND_RUNS=${CALLGRIND_RUNS:-3}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
py() { python3 bench/verify/startup.py "$@"; }

# The release build: the tags of the Makefile's build target.
tags=$(sed -n 's/^TAGS *:= *//p' Makefile)
CGO_ENABLED=0 go build -trimpath -tags "$tags" -o "$work/sovcheck" ./cmd/sovcheck
go run ./bench/verify/gen -n "$N" -out "$work/data"
cosign=$(command -v cosign || true)
[[ -z $cosign && -x "$(go env GOPATH)/bin/cosign" ]] && cosign="$(go env GOPATH)/bin/cosign"
[[ -z $cosign ]] && echo "cosign not installed: ratios skipped"
sov="$work/sovcheck"
echo "== $(nproc) CPUs; $(cut -d' ' -f1-3 /proc/loadavg | sed 's/^/load /')"

echo "== 1. start: sovcheck version, package init (GODEBUG=inittrace=1)"
py inittrace "$RUNS" 10 "$sov" version

# one <label> <artifact> <bundle> <root> <sovcheck flags> <cosign command>:
# one verify of each tool, interleaved, then instructions.
one() {
  local label=$1 art=$2 bundle=$3 root=$4 sovflags=$5 coscmd=$6
  echo "== 2. one bundle, process start included: $label"
  local cmds=("sovcheck=$sov verify $art --bundle $bundle $sovflags --trusted-root $root --offline")
  [[ -n $cosign ]] && cmds+=("cosign=$coscmd")
  cmds+=("sovcheck-version=$sov version")
  py interleave "$RUNS" 3 "${cmds[@]}"
  if command -v valgrind >/dev/null; then
    py callgrind "$CALLGRIND_RUNS" "${cmds[@]}"
  else
    echo "  valgrind not installed: instruction counts skipped"
  fi
}

id="--certificate-identity https://github.com/acme/tool/.github/workflows/release.yml@refs/tags/v1.2.0 --certificate-oidc-issuer https://token.actions.githubusercontent.com"
a="$work/data/artifacts/a0000"
root="$work/data/trusted_root.json"
one "virtual Sigstore, bundle v0.3, message signature" "$a" "$a.sigstore.json" "$root" "$id" \
  "$cosign verify-blob $a --bundle $a.sigstore.json $id --trusted-root $root --offline=true --new-bundle-format"

interop=../shared/interop
if [[ -f $interop/public-good-trusted_root.json ]]; then
  # The real bundle names its artifact by digest only: sovcheck takes the
  # digest, cosign the digest flags of verify-blob-attestation.
  b=$interop/go-builder-v2.1.0-push-v14.sigstore.json
  d=f6ab7ad0c7549b5a4942c3b0690519d791c28c4c0f8b286208cb40da3322a066
  rid="--certificate-identity https://github.com/slsa-framework/slsa-github-generator/.github/workflows/builder_go_slsa3.yml@refs/tags/v2.1.0 --certificate-oidc-issuer https://token.actions.githubusercontent.com"
  one "public-good root, real bundle v0.3, DSSE SLSA provenance" "sha256:$d" "$b" "$interop/public-good-trusted_root.json" "$rid --type slsaprovenance" \
    "$cosign verify-blob-attestation --bundle $b --new-bundle-format --digest $d --digestAlg sha256 --type slsaprovenance $rid --trusted-root $interop/public-good-trusted_root.json --offline=true"
else
  echo "== 2. $interop not found: the real public-good bundle is skipped"
fi

echo "== 3. $N bundles in one call"
before=$(cut -d' ' -f1-3 /proc/loadavg)
/usr/bin/time -f "%e %U %S %M" -o "$work/many.time" "$sov" verify "$work/data/artifacts" $id --trusted-root "$root" --offline --format json >"$work/many.json"
read -r wall user sys rss <"$work/many.time"
python3 - "$wall" "$user" "$sys" "$rss" "$N" "$work/many.json" "$before" "$(cut -d' ' -f1-3 /proc/loadavg)" "$(nproc)" <<'PY'
import json, sys
wall, user, sys_, rss_kib, n = float(sys.argv[1]), float(sys.argv[2]), float(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
doc = json.load(open(sys.argv[6]))
assert doc["summary"]["passed"] == n, doc["summary"]
cpu = user + sys_
print(f"  load {sys.argv[7]} before, {sys.argv[8]} after")
print(f"  wall {wall:.2f} s: {n/wall:,.0f} bundles/s (target >= 2,000 on 2 quiet cores)")
print(f"  CPU {cpu:.2f} s ({cpu/n*1000:.2f} ms a bundle, start included): "
      f"{int(sys.argv[9])*n/cpu:,.0f} bundles/s if all {sys.argv[9]} CPUs were free")
print(f"  peak RSS {rss_kib/1024:.0f} MiB (target < 200)")
PY
if [[ -n $cosign ]]; then
  # cosign has no multi-artifact verify-blob: time a loop over (at most) 50
  # and scale.
  m=$((N < 50 ? N : 50))
  start=$(date +%s.%N)
  for i in $(seq -f '%04g' 0 $((m - 1))); do
    f="$work/data/artifacts/a$i"
    "$cosign" verify-blob "$f" --bundle "$f.sigstore.json" $id --trusted-root "$root" --offline=true --new-bundle-format >/dev/null 2>&1 ||
      { echo "cosign failed on $f"; exit 1; }
  done
  end=$(date +%s.%N)
  python3 -c "c=($end-$start)/$m*$N; print(f'  cosign, one process per bundle: {c:.1f} s for $N (scaled from $m); ratio sovcheck/cosign {$wall/c:.3f}')"
fi

# 4. No single point of trust: the same bundles, their checkpoints cosigned
# by 3 of 5 witnesses, verified against 3 named roots (the validating one
# last, so the other two are asked first) with a 3-of-5 witness quorum,
# beside the single-root verify of sections 2 and 3. Target: at most 1.2x.
echo "== 4. 3 roots and a 3-of-5 witness quorum vs one root"
w="$work/data/witnessed"
trust="--trusted-root eu=$work/data/roots/eu.json --trusted-root ch=$work/data/roots/ch.json --trusted-root pgi=$root --witnesses $work/data/witnesses.txt --witness-quorum 3"
py interleave "$RUNS" 3 \
  "single-root=$sov verify $a --bundle $a.sigstore.json $id --trusted-root $root --offline" \
  "3-roots+3of5=$sov verify $w/a0000 --bundle $w/a0000.sigstore.json $id $trust --offline" |
  tee "$work/trust-one.txt"
python3 - "$work/trust-one.txt" <<'PY'
import re, sys
m = dict((n, (float(w), float(c))) for n, w, c in re.findall(r"^  (\S+) +wall median +([\d.]+) ms.*CPU median +([\d.]+) ms", open(sys.argv[1]).read(), re.M))
(sw, sc), (tw, tc) = m["single-root"], m["3-roots+3of5"]
print(f"  one bundle, process start included: ratio 3-roots+3of5/single-root wall {tw/sw:.2f}, CPU {tc/sc:.2f} (target <= 1.2)")
PY
if command -v valgrind >/dev/null; then
  py callgrind "$CALLGRIND_RUNS" \
    "single-root=$sov verify $a --bundle $a.sigstore.json $id --trusted-root $root --offline" \
    "3-roots+3of5=$sov verify $w/a0000 --bundle $w/a0000.sigstore.json $id $trust --offline" | tee "$work/trust-ins.txt"
  python3 - "$work/trust-ins.txt" <<'PY'
import re, sys
m = dict((n, float(v)) for n, v in re.findall(r"^  (\S+) +([\d.]+) M instructions", open(sys.argv[1]).read(), re.M))
print(f"  ratio 3-roots+3of5/single-root: instructions {m['3-roots+3of5']/m['single-root']:.2f} (target <= 1.2)")
PY
fi
for mode in single trust; do
  flags="--trusted-root $root"
  dir="$work/data/artifacts"
  if [[ $mode == trust ]]; then flags=$trust; dir=$w; fi
  /usr/bin/time -f "%e %U %S" -o "$work/$mode.time" "$sov" verify "$dir" $id $flags --offline --format json >"$work/$mode.json"
done
python3 - "$work/single.time" "$work/trust.time" "$work/trust.json" "$N" <<'PY'
import json, sys
def cpu(p):
    wall, user, sys_ = map(float, open(p).read().split())
    return wall, user + sys_
sw, sc = cpu(sys.argv[1])
tw, tc = cpu(sys.argv[2])
doc = json.load(open(sys.argv[3]))
assert doc["summary"]["passed"] == int(sys.argv[4]), doc["summary"]
print(f"  {sys.argv[4]} bundles in one call: single root CPU {sc:.2f} s, 3 roots + 3-of-5 witnesses CPU {tc:.2f} s; "
      f"ratio CPU {tc/sc:.2f}, wall {tw/sw:.2f} (target <= 1.2)")
PY
