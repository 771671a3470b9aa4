#!/usr/bin/env bash
# sovcheck verify against cosign verify --key on the same images in the same
# local registry (Debian's docker-registry on loopback), offline:
#   1. one image, process start included: wall time ratio (target <= 0.5)
#   2. N images (default 100) in one sovcheck call, verified concurrently:
#      wall time, images per second, CPU of sovcheck and of the registry;
#      and cosign verify of the same N images in one call.
# Images are random, signed in cosign's format with a key by a virtual
# Sigstore whose Rekor entry (signed entry timestamp) both tools check:
# cosign through SIGSTORE_REKOR_PUBLIC_KEY, sovcheck through --trusted-root.
# Needs: docker-registry (apt-get install docker-registry), hyperfine,
# /usr/bin/time, python3; cosign v2.6.5 on PATH or in $(go env GOPATH)/bin
# (without it the ratios are skipped and said so).
set -euo pipefail
cd "$(dirname "$0")/../.."
export GOTOOLCHAIN=local
N=${N:-100}
work=$(mktemp -d)
registry_pid=
cleanup() {
  [[ -n $registry_pid ]] && kill "$registry_pid" 2>/dev/null && wait "$registry_pid" 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT

if ! command -v docker-registry >/dev/null; then
  echo "docker-registry is not installed (apt-get install docker-registry): benchmark skipped"
  exit 1
fi
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
host=127.0.0.1:$port
mkdir -p "$work/registry"
cat >"$work/registry/config.yml" <<EOF
version: 0.1
log:
  level: error
  accesslog:
    disabled: true
storage:
  filesystem:
    rootdirectory: $work/registry
http:
  addr: $host
  secret: sovcheck-bench
EOF
docker-registry serve "$work/registry/config.yml" >"$work/registry.log" 2>&1 &
registry_pid=$!
for _ in $(seq 100); do
  curl -fs -o /dev/null "http://$host/v2/" && break
  sleep 0.1
done

CGO_ENABLED=0 go build -trimpath -tags "$(sed -n 's/^TAGS *:= *//p' Makefile)" -o "$work/sovcheck" ./cmd/sovcheck
go run ./bench/oci/gen -registry "$host" -repo bench/one -n 1 -out "$work/one"
go run ./bench/oci/gen -registry "$host" -repo bench/many -n "$N" -out "$work/many"
cosign=$(command -v cosign || true)
[[ -z $cosign && -x "$(go env GOPATH)/bin/cosign" ]] && cosign="$(go env GOPATH)/bin/cosign"
export HOME="$work/home" # cosign's caches stay in the work directory

ref=$(head -1 "$work/one/refs.txt")
echo "== one image, process start included ($ref)"
sov="$work/sovcheck verify $ref --key $work/one/k.pub --trusted-root $work/one/trusted_root.json --insecure-registry $host"
"$work/sovcheck" verify "$ref" --key "$work/one/k.pub" --trusted-root "$work/one/trusted_root.json" --insecure-registry "$host" >/dev/null 2>&1
if [[ -n $cosign ]]; then
  export SIGSTORE_REKOR_PUBLIC_KEY="$work/one/rekor.pub"
  cos="$cosign verify --key $work/one/k.pub $ref"
  $cos >/dev/null 2>&1
  hyperfine -N --warmup 5 --runs 60 --export-json "$work/one.json" -n sovcheck "$sov" -n cosign "$cos" >/dev/null 2>&1
else
  echo "cosign not installed: ratio skipped"
  hyperfine -N --warmup 5 --runs 60 --export-json "$work/one.json" -n sovcheck "$sov" >/dev/null 2>&1
fi
python3 - "$work/one.json" <<'PY'
import json, sys
r = {x["command"]: x for x in json.load(open(sys.argv[1]))["results"]}
s = r["sovcheck"]
print(f"sovcheck verify:    {s['mean']*1000:7.1f} ms ± {s['stddev']*1000:.1f} (median {s['median']*1000:.1f}, fastest {s['min']*1000:.1f})")
if "cosign" in r:
    c = r["cosign"]
    print(f"cosign verify:      {c['mean']*1000:7.1f} ms ± {c['stddev']*1000:.1f} (median {c['median']*1000:.1f}, fastest {c['min']*1000:.1f})")
    print(f"ratio sovcheck/cosign: {s['mean']/c['mean']:.2f} mean, {s['median']/c['median']:.2f} median, {s['min']/c['min']:.2f} fastest run  (target <= 0.50)")
PY

registry_cpu() { awk '{print ($14 + $15) / 100}' "/proc/$registry_pid/stat"; }
mapfile -t refs <"$work/many/refs.txt"
sov_many() {
  "$work/sovcheck" verify "${refs[@]}" --key "$work/many/k.pub" --trusted-root "$work/many/trusted_root.json" \
    --insecure-registry "$host" --format json
}
cos_many() { SIGSTORE_REKOR_PUBLIC_KEY="$work/many/rekor.pub" "$cosign" verify --key "$work/many/k.pub" "${refs[@]}"; }
# timed NAME FUNC: wall, user, sys, peak RSS of one run, and registry CPU.
timed() {
  local before after
  before=$(registry_cpu)
  /usr/bin/time -f "%e %U %S %M" -o "$work/$1.time" bash -c "$(declare -f "$2"); $(declare -p work refs host cosign); $2" >"$work/$1.out" 2>/dev/null
  after=$(registry_cpu)
  echo "$(cat "$work/$1.time") $(python3 -c "print(round($after - $before, 2))")" >>"$work/$1.runs"
}
echo "== $N images in one call (after one warm-up run each; median of 3 alternating runs)"
sov_many >/dev/null 2>&1
[[ -n $cosign ]] && cos_many >/dev/null 2>&1
for _ in 1 2 3; do
  timed sov sov_many
  [[ -n $cosign ]] && timed cos cos_many
done
python3 - "$N" "$work" "${cosign:+yes}" <<'PY'
import json, statistics, sys
n, work, with_cosign = int(sys.argv[1]), sys.argv[2], sys.argv[3] == "yes"
doc = json.load(open(f"{work}/sov.out"))
assert doc["summary"]["passed"] == n, doc["summary"]
def runs(name):
    rows = [list(map(float, l.split())) for l in open(f"{work}/{name}.runs")]
    med = lambda i: statistics.median(r[i] for r in rows)
    return med(0), med(1) + med(2), med(3) / 1024, med(4)
w, cpu, rss, reg = runs("sov")
print(f"sovcheck: {n} images, all passed, wall {w:.2f} s, {n/w:,.0f} images/s, CPU {cpu:.2f} s, peak RSS {rss:.0f} MiB; registry CPU {reg:.2f} s")
if with_cosign:
    cw, ccpu, crss, creg = runs("cos")
    print(f"cosign:   {n} images, wall {cw:.2f} s, CPU {ccpu:.2f} s, peak RSS {crss:.0f} MiB; registry CPU {creg:.2f} s")
    print(f"ratio sovcheck/cosign, {n} images in one call: {w/cw:.2f}")
PY
