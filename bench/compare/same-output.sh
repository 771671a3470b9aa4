#!/usr/bin/env bash
# Runs sovcheck and an earlier revision of itself on the same inputs and
# compares what each prints: stdout, stderr and the exit code, command by
# command. A renovation that promises byte-identical behaviour prints
# "same" on every line.
#
# The inputs are real where they can be: the public signed bundles and the
# public-good trusted root in ../shared/interop (skipped when absent), an
# SBOM of sovcheck's own module made by cyclonedx-gomod (when installed),
# sovcheck's go.mod and go.sum, the demo release (`make demo`'s material),
# and a WebAssembly module built by the Go toolchain.
#
#   bench/compare/same-output.sh [BASE_REV]    (default 951b4f1)
set -uo pipefail
cd "$(dirname "$0")/../.."
export GOTOOLCHAIN=local
BASE=${1:-951b4f1}
root=$(pwd)
interop=$(cd .. && pwd)/shared/interop

work=$(mktemp -d)
trap 'git worktree remove --force "$work/base" >/dev/null 2>&1 || true; rm -rf "$work"' EXIT
git worktree add --detach "$work/base" "$BASE" >/dev/null 2>&1
build() { (cd "$1" && CGO_ENABLED=0 go build -trimpath -tags urfave_cli_no_docs -o "$2" ./cmd/sovcheck); }
build "$work/base" "$work/old" || exit 2
build . "$work/new" || exit 2

in=$work/in
mkdir -p "$in"
go run ./internal/cmd/gendemo -out "$in/demo" >/dev/null || exit 2
cp go.mod go.sum "$in/"
if command -v cyclonedx-gomod >/dev/null || [ -x "$HOME/go/bin/cyclonedx-gomod" ]; then
	gomod=$(command -v cyclonedx-gomod || echo "$HOME/go/bin/cyclonedx-gomod")
	"$gomod" mod -json -output "$in/sovcheck.cdx.json" . >/dev/null 2>&1
fi
(cd "$in/demo/src" && GOOS=wasip1 GOARCH=wasm GOFLAGS= go build -o "$in/tool.wasm" . 2>/dev/null)

d=$in/demo
id=https://github.com/acme/tool/.github/workflows/release.yml@refs/tags/v1.2.0
iss=https://token.actions.githubusercontent.com
cmds=(
	"version"
	"policy show-default"
	"policy init"
	"policy check $d/procurement.yaml"
	"verify $d/release/tool-linux-amd64 --certificate-identity $id --certificate-oidc-issuer $iss --trusted-root $d/trusted_root.json --offline"
	"verify $d/release/tool-linux-amd64 --certificate-identity $id --certificate-oidc-issuer $iss --source-tag v1.1.0 --trusted-root $d/trusted_root.json --offline"
	"verify $d/release/tool-linux-amd64 --certificate-identity $id --certificate-oidc-issuer $iss --offline"
	"verify $d/release --certificate-identity $id --certificate-oidc-issuer $iss --trusted-root $d/trusted_root.json --offline"
	"rebuild $d/release/tool-linux-amd64 --source $d/src --provenance $d/release/tool-linux-amd64.intoto.jsonl"
	"rebuild $d/release/tool-linux-amd64 --source $d/src --provenance $d/release/tool-linux-amd64.intoto.jsonl --format json"
	"rebuild $d/release/tool-linux-amd64 --source $d/src --provenance $d/release/tool-linux-amd64.cdx.json"
	"sbom labels $d/release/tool-linux-amd64.cdx.json"
	"sbom labels $in/go.mod --as-of 2026-06-01"
	"sbom check --profile bsi-tr-03183-2 $d/release/tool-linux-amd64.cdx.json"
	"gate --policy default $in/go.sum"
	"wasm caps $in/tool.wasm"
	"sbom labels $in/nonexistent.cdx.json"
	"verify --bogus-flag x"
	"bogus-command"
)
for f in json sarif markdown html junit; do
	cmds+=("verify $d/release/tool-linux-amd64 --rebuild --source $d/src --policy $d/procurement.yaml --certificate-identity $id --certificate-oidc-issuer $iss --trusted-root $d/trusted_root.json --offline --format $f")
done
for f in json html markdown sarif; do
	cmds+=("sbom labels $d/release/tool-linux-amd64.cdx.json --format $f")
done
if [ -f "$in/sovcheck.cdx.json" ]; then
	for f in text json; do
		cmds+=("sbom labels $in/sovcheck.cdx.json --as-of 2026-06-01 --format $f" "sbom check --profile bsi-tr-03183-2 $in/sovcheck.cdx.json --format $f")
	done
fi
if [ -d "$interop" ]; then
	gb=https://github.com/slsa-framework/slsa-github-generator/.github/workflows/builder_go_slsa3.yml@refs/tags/v2.1.0
	art=sha256:f6ab7ad0c7549b5a4942c3b0690519d791c28c4c0f8b286208cb40da3322a066
	for f in text json sarif markdown junit html; do
		cmds+=("verify $art --bundle $interop/go-builder-v2.1.0-push-v14.sigstore.json --certificate-identity $gb --certificate-oidc-issuer $iss --source-uri github.com/slsa-framework/example-package --source-tag v14 --trusted-root $interop/public-good-trusted_root.json --offline --format $f")
	done
	cmds+=("verify $art --bundle $interop/go-builder-v2.1.0-push-v13.0.30.sigstore.json --certificate-identity $gb --certificate-oidc-issuer $iss --source-tag v14 --trusted-root $interop/public-good-trusted_root.json --offline")
	cmds+=("verify sha256:06ce330900a7d6403bc8d88e5dfad6aeeb8ae40179f66bb89e69c8bf6f6b1a0b --bundle $interop/bcr-module.sigstore.json --certificate-identity-regexp x)|(.* --certificate-oidc-issuer $iss --trusted-root $interop/public-good-trusted_root.json --offline")
fi

differ=0
run() { # bin outdir args...
	local bin=$1 out=$2; shift 2
	mkdir -p "$out"
	(cd "$in" && XDG_CACHE_HOME=$work/cache "$bin" "$@" >"$out/stdout" 2>"$out/stderr"; echo $? >"$out/rc")
	# The binaries' own paths and the clock differ; nothing else may.
	sed -i -E -e "s|$bin|sovcheck|g" -e "s/$(date -u +%Y-%m-%d)T[0-9:]{8}Z/NOW/g" "$out/stdout" "$out/stderr"
}
i=0
for c in "${cmds[@]}"; do
	i=$((i + 1))
	# shellcheck disable=SC2086
	run "$work/old" "$work/o/$i" $c
	# shellcheck disable=SC2086
	run "$work/new" "$work/n/$i" $c
	if diff -q "$work/o/$i/stdout" "$work/n/$i/stdout" >/dev/null && diff -q "$work/o/$i/stderr" "$work/n/$i/stderr" >/dev/null && diff -q "$work/o/$i/rc" "$work/n/$i/rc" >/dev/null; then
		printf 'same  exit %s  %s\n' "$(cat "$work/n/$i/rc")" "${c//$work/\$W}"
	else
		differ=$((differ + 1))
		printf 'DIFF  exit %s/%s  %s\n' "$(cat "$work/o/$i/rc")" "$(cat "$work/n/$i/rc")" "${c//$work/\$W}"
		diff "$work/o/$i/stdout" "$work/n/$i/stdout" | head -10
		diff "$work/o/$i/stderr" "$work/n/$i/stderr" | head -10
	fi
done
echo "$i commands, $differ with different output"
[ "$differ" -eq 0 ]
