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
DEMO        := testdata/demo

.PHONY: all build test check fmt vet staticcheck race fuzz bench demo demo-material clean

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

## demo: verify the bundled demo artifact offline and print its PASS verdict
demo: build
	./$(BIN) verify $(DEMO)/tool-linux-amd64 \
	  --certificate-identity https://github.com/acme/tool/.github/workflows/release.yml@refs/tags/v1.2.0 \
	  --certificate-oidc-issuer https://token.actions.githubusercontent.com \
	  --source-uri github.com/acme/tool --source-tag v1.2.0 \
	  --trusted-root $(DEMO)/trusted_root.json --offline

## demo-material: regenerate the demo material (new keys; commit the result)
demo-material:
	$(GO) run ./internal/cmd/gendemo -out $(DEMO)

clean:
	rm -rf bin

## report-demo: an HTML report of the demo artifact's verdict and of sovcheck's own go.mod
.PHONY: report-demo
REPORT_DEMO := bin/report-demo
report-demo: build
	@mkdir -p $(REPORT_DEMO)
	./$(BIN) verify $(DEMO)/tool-linux-amd64 \
	  --certificate-identity https://github.com/acme/tool/.github/workflows/release.yml@refs/tags/v1.2.0 \
	  --certificate-oidc-issuer https://token.actions.githubusercontent.com \
	  --source-uri github.com/acme/tool --source-tag v1.2.0 \
	  --trusted-root $(DEMO)/trusted_root.json --offline --format json > $(REPORT_DEMO)/verify.json
	./$(BIN) sbom labels --format json go.mod > $(REPORT_DEMO)/labels.json
	./$(BIN) report $(REPORT_DEMO)/verify.json $(REPORT_DEMO)/labels.json --format html --title "sovcheck demo report" > $(REPORT_DEMO)/report.html
	@echo "wrote $(REPORT_DEMO)/report.html"
