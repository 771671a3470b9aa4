# sovcheck — make targets. Go 1.26 from the machine, never a downloaded toolchain.
export GOTOOLCHAIN := local
export GOFLAGS := -buildvcs=false

GO          ?= go
BIN         := bin/sovcheck
WHERE       := bin/sovcheck-where
# urfave_cli_no_docs leaves out the CLI library's man page and Markdown
# generation, which sovcheck does not use: its Markdown parser's tables are
# built at every start (see docs/startup.md).
TAGS        := urfave_cli_no_docs
STATICCHECK := honnef.co/go/tools/cmd/staticcheck@v0.8.2
FUZZTIME    ?= 10s
DEMO        := bin/demo

.PHONY: all build reproduce test check fmt vet staticcheck race fuzz bench demo release clean

all: build

## build: the sovcheck binary, and sovcheck-where (the portfolio's where
## question alone, without the verifier's start: docs/startup.md); reproducible (-trimpath, no cgo), stamped with
## its commit and whether the tree was modified, which `sovcheck version` and
## the reports name. -buildvcs=true overrides the GOFLAGS above for this one
## build: the stamp (vcs.revision, vcs.time = the commit's time, vcs.modified)
## and the module version derived from it are functions of the commit alone,
## so the same commit still builds the same bytes on any machine and path
## (`make reproduce` checks it). The go command finds the repository only
## where .git is a directory: a build in a `git worktree` (where .git is a
## file) carries no stamp, and says so below.
build:
	CGO_ENABLED=0 $(GO) build -trimpath -buildvcs=true -tags $(TAGS) -o $(BIN) ./cmd/sovcheck
	CGO_ENABLED=0 $(GO) build -trimpath -buildvcs=true -tags $(TAGS) -o $(WHERE) ./cmd/sovcheck-where
	@$(GO) version -m $(BIN) | grep -q 'vcs.revision=' || \
	  echo "note: $(BIN) carries no VCS stamp (not a git clone); 'sovcheck version' says 'commit unknown'" >&2

## reproduce: build HEAD in two fresh clones at different paths; both must be
## stamped with HEAD, clean, and identical to the byte
reproduce:
	@set -e; rev=$$(git rev-parse HEAD); tmp=$$(mktemp -d); trap 'rm -rf "$$tmp"' EXIT; \
	for d in one other/two; do \
	  git clone -q --no-checkout . "$$tmp/$$d"; git -C "$$tmp/$$d" checkout -q "$$rev"; \
	  $(MAKE) -s -C "$$tmp/$$d" build; \
	  $(GO) version -m "$$tmp/$$d/$(BIN)" | grep -q "vcs.revision=$$rev" || { echo "$$d: no VCS stamp of $$rev" >&2; exit 1; }; \
	  $(GO) version -m "$$tmp/$$d/$(BIN)" | grep -q "vcs.modified=false" || { echo "$$d: stamped as modified" >&2; exit 1; }; \
	done; \
	"$$tmp/one/$(BIN)" version; \
	sha256sum "$$tmp/one/$(BIN)" "$$tmp/other/two/$(BIN)" | sed "s|$$tmp/||"; \
	cmp "$$tmp/one/$(BIN)" "$$tmp/other/two/$(BIN)" && echo "reproducible: both builds of $$rev are identical"

## test: every test, end-to-end scripts included
test:
	$(GO) test -timeout 30m ./...

## check: formatting, vet, staticcheck and the race detector
check: fmt vet staticcheck race

fmt:
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi

vet:
	$(GO) vet ./...

staticcheck:
	$(GO) run $(STATICCHECK) ./...

race:
	CGO_ENABLED=1 $(GO) test -race ./...

## fuzz: run every fuzz target for FUZZTIME each
fuzz:
	@set -e; for pkg in $$($(GO) list ./...); do \
	  for target in $$($(GO) test -list '^Fuzz' $$pkg | grep '^Fuzz' || true); do \
	    echo "fuzz $$pkg $$target"; \
	    $(GO) test -run '^$$' -fuzz "^$$target$$" -fuzztime $(FUZZTIME) $$pkg; \
	  done; \
	done

## bench: Go benchmarks and the side-by-side scripts under bench/
bench: build
	$(GO) test -run '^$$' -bench . -benchmem ./...
	@for s in bench/*/run.sh; do echo "== $$s"; bash $$s; done

## demo: sovcheck's main job end to end, offline: make a release of a small Go
## program (signed provenance with its build recipe, SBOM), then verify it
## under a procurement policy with a hermetic rebuild; the verdict with its
## points on stdout, an HTML report beside it. The exit code is verify's.
demo: build
	$(GO) run ./internal/cmd/gendemo -out $(DEMO)
	@./$(BIN) verify $(DEMO)/release/tool-linux-amd64 --rebuild --source $(DEMO)/src \
	  --policy $(DEMO)/procurement.yaml \
	  --certificate-identity https://github.com/acme/tool/.github/workflows/release.yml@refs/tags/v1.2.0 \
	  --certificate-oidc-issuer https://token.actions.githubusercontent.com \
	  --trusted-root $(DEMO)/trusted_root.json --offline --format json > $(DEMO)/verdict.json; \
	rc=$$?; if [ $$rc -gt 1 ]; then exit $$rc; fi; \
	./$(BIN) report $(DEMO)/verdict.json && \
	./$(BIN) report --format html $(DEMO)/verdict.json > $(DEMO)/report.html && \
	echo "HTML report: $(DEMO)/report.html" && exit $$rc

## release: sovcheck's own release in bin/release, from the commit of this
## clone (no uncommitted changes): for linux and darwin on amd64 and arm64, and
## for sovcheck and sovcheck-where, a reproducible binary stamped with its commit, its signed sovcheck recipe
## (a Sigstore bundle beside it, ARTIFACT.sigstore.json), a CycloneDX SBOM of
## the modules linked into it (ARTIFACT.cdx.json); SHA256SUMS, release.pub and
## the policy.yaml the release meets. KEY=FILE signs it (without KEY: a
## throwaway key, release.key, with a warning). REGISTRY=HOST[:PORT]/REPO
## also pushes the image of the linux binaries, built with
## go-containerregistry and signed as cosign signs (INSECURE=1: plain HTTP).
## PLATFORMS=linux/amd64,... or host narrows the platforms. Verify it with:
##   bin/sovcheck verify bin/release/sovcheck-linux-amd64 --key bin/release/release.pub \
##     --insecure-ignore-tlog --rebuild --source . --policy bin/release/policy.yaml
release:
	$(GO) run ./internal/cmd/release -out bin/release $(if $(KEY),-key $(KEY)) \
	  $(if $(PLATFORMS),-platforms $(PLATFORMS)) $(if $(REGISTRY),-registry $(REGISTRY)) $(if $(INSECURE),-insecure)

clean:
	rm -rf bin

