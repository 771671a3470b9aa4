package policy

import (
	"strings"
	"testing"

	"github.com/sovcheck/sovcheck/internal/reason"
)

func wasmFacts(caps ...string) *Facts {
	f := goodFacts()
	f.Wasm = Wasm{Present: true, Kind: "core-module", WASI: "preview1", Capabilities: caps, Evidence: "plugin.wasm"}
	for _, c := range caps {
		f.Wasm.Imports = append(f.Wasm.Imports, "wasi_snapshot_preview1.fn_"+c+" "+c)
	}
	return f
}

func TestWasmCapabilities(t *testing.T) {
	p := mustLoad(t, "wasm:\n  allowedCapabilities: [clocks, random, io]\n")
	rr, _ := ruleResult(t, p, wasmFacts("clocks", "io"), RuleWasmCapabilities)
	if rr.Status != RulePass {
		t.Errorf("least privilege: %s %s", rr.Status, rr.Message)
	}
	rr, res := ruleResult(t, p, wasmFacts("filesystem", "clocks", "sockets"), RuleWasmCapabilities)
	if rr.Status != RuleFail || rr.Reason != reason.WasmCapabilityDenied || res.Status != StatusFail {
		t.Fatalf("ambient module: %s %s %s", rr.Status, rr.Reason, rr.Message)
	}
	if !strings.Contains(rr.Message, "2 capabilities beyond the allowed ones: filesystem, sockets") || len(rr.Evidence) != 2 ||
		rr.Evidence[0].Detail != "imported by wasi_snapshot_preview1.fn_filesystem" {
		t.Errorf("message %q evidence %+v", rr.Message, rr.Evidence)
	}

	// Not WebAssembly: not applicable. Unreadable: fail, never skip.
	rr, _ = ruleResult(t, p, goodFacts(), RuleWasmCapabilities)
	if rr.Status != RuleSkip {
		t.Errorf("not wasm: %s", rr.Status)
	}
	f := goodFacts()
	f.Wasm = Wasm{Error: reason.WasmMalformed, Evidence: "broken.wasm"}
	rr, _ = ruleResult(t, p, f, RuleWasmCapabilities)
	if rr.Status != RuleFail || rr.Reason != reason.WasmNotAnalysed {
		t.Errorf("unreadable module: %s %s", rr.Status, rr.Reason)
	}

	// An empty list allows nothing.
	none := mustLoad(t, "wasm:\n  allowedCapabilities: []\n")
	if rr, _ := ruleResult(t, none, wasmFacts("clocks"), RuleWasmCapabilities); rr.Status != RuleFail {
		t.Errorf("allowedCapabilities [] let clocks pass")
	}
}

func TestWasmPoints(t *testing.T) {
	p := mustLoad(t, "points: {maximum: 100, pass: 50}\nwasm:\n  allowedCapabilities: [io]\n  action: penalize\n  points: 20\n")
	rr, res := ruleResult(t, p, wasmFacts("io", "filesystem", "sockets", "clocks"), RuleWasmCapabilities)
	if rr.PointsLost != 60 || res.Points == nil || res.Points.Earned != 40 || res.Status != StatusFail {
		t.Errorf("points lost %d, earned %+v, status %s; want 60 lost, 40 earned, fail below pass", rr.PointsLost, res.Points, res.Status)
	}
	rr, res = ruleResult(t, p, wasmFacts("io"), RuleWasmCapabilities)
	if rr.PointsLost != 0 || res.Points.Earned != 100 {
		t.Errorf("least privilege lost %d points", rr.PointsLost)
	}
}

func TestWasmSectionInvalid(t *testing.T) {
	for body, want := range map[string]string{
		"wasm: {}\n": `missing required field "allowedCapabilities"`,
		"wasm:\n  allowedCapabilities: [filesystem, network]\n":                 `unknown capability "network"`,
		"wasm:\n  allowedCapabilities: [io]\n  action: penalize\n  points: 5\n": "penalize needs a points section",
		"wasm:\n  allowedCapabilities: [io]\n  points: 5\n":                     "points given for action",
		"wasm:\n  allowedCapabilities: [io]\n  action: block\n":                 `unknown action "block"`,
	} {
		_, err := Load([]byte(header+body), "test.yaml", testNow)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: got %v, want %q", body, err, want)
		}
	}
}
