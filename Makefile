# sovcheck — make targets. Go 1.26 from the machine, never a downloaded toolchain.
export GOTOOLCHAIN := local
export GOFLAGS := -buildvcs=false

GO          ?= go
BIN         := bin/sovcheck
# urfave_cli_no_docs leaves out the CLI library's man page and Markdown
# generation, which sovcheck does not use: its Markdown parser's tables are
# built at every start (see docs/startup.md).
TAGS        := urfave_cli_no_docs
STATICCHECK := honnef.co/go/tools/cmd/staticcheck@v0.8.2
FUZZTIME    ?= 10s
DEMO        := bin/demo

.PHONY: all build test check fmt vet staticcheck race fuzz bench demo clean

all: build

## build: the sovcheck binary, reproducible (-trimpath, no cgo)
build:
	CGO_ENABLED=0 $(GO) build -trimpath -tags $(TAGS) -o $(BIN) ./cmd/sovcheck

## test: every test, end-to-end scripts included
test:
	$(GO) test ./...

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

clean:
	rm -rf bin

