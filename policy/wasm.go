package policy

import (
	"fmt"
	"slices"
	"strings"

	"github.com/sovcheck/sovcheck/internal/reason"
	"github.com/sovcheck/sovcheck/internal/vocab"
)

// RuleWasmCapabilities is the least-privilege rule of the wasm: section.
const RuleWasmCapabilities = "wasm.capabilities"

// Wasm is what verify read from a WebAssembly artifact (a core module or
// a component): the capabilities its imports map to. Present is false
// when the artifact is not WebAssembly.
type Wasm struct {
	Present bool   `json:"present"`
	Kind    string `json:"kind"` // core-module or component
	// WASI is "preview1", the highest wasi:* version a component imports,
	// or empty.
	WASI         string   `json:"wasi"`
	Capabilities []string `json:"capabilities"`
	// Ambient are the capabilities that give ambient authority (files,
	// network, host functions of unknown authority).
	Ambient []string `json:"ambient"`
	// Imports are "module.function" (core) or the component import
	// names, each with its capability: "wasi_snapshot_preview1.path_open
	// filesystem".
	Imports []string `json:"imports"`
	// Error is the reason code when the module could not be read; its
	// capabilities are then unknown.
	Error    string `json:"error"`
	Evidence string `json:"evidence"`
}

// wasmSection is the policy's least-privilege section for WebAssembly
// artifacts.
type wasmSection struct {
	// AllowedCapabilities are the capabilities a module may import.
	AllowedCapabilities []string `yaml:"allowedCapabilities"`
	// Action is fail (default), warn or penalize.
	Action string `yaml:"action"`
	// Points are lost per capability beyond the allowed ones (penalize).
	Points int `yaml:"points"`
}

func (v *validator) wasm() {
	s := v.p.doc.Wasm
	if s == nil {
		return
	}
	if s.AllowedCapabilities == nil {
		v.missing("wasm", "allowedCapabilities", "list the capabilities a module may import, e.g. [clocks, random, io]; [] allows none")
	}
	for i, c := range s.AllowedCapabilities {
		if !slices.Contains(vocab.WasmCapabilities, c) {
			v.ps.at(fmt.Sprintf("wasm.allowedCapabilities[%d]", i), "known capabilities: "+strings.Join(vocab.WasmCapabilities, ", "), "unknown capability %q", c)
		}
	}
	v.action("wasm", s.Action, s.Points, "give the points lost per capability beyond the allowed ones, e.g. points: 10", false)
	v.p.ruleIDs[RuleWasmCapabilities] = true
}

// wasmAction is the action of the wasm.capabilities rule.
func (p *Policy) wasmAction() string {
	if s := p.doc.Wasm; s != nil && s.Action != "" {
		return s.Action
	}
	return ActionFail
}

// wasmCapabilities fails for each capability a WebAssembly artifact
// imports beyond the allowed ones. A module that could not be read fails:
// its capabilities are unknown.
func (ctx *evalContext) wasmCapabilities() *outcome {
	s, w := ctx.p.doc.Wasm, ctx.f.Wasm
	const hint = "build the module without these imports, run it with a host that does not grant them, or allow them in wasm.allowedCapabilities"
	switch {
	case w.Error != "":
		return failed(reason.WasmNotAnalysed, "the WebAssembly module could not be read ("+w.Error+"): its capabilities are unknown",
			"the verify report names the problem; give a valid module", Evidence{Field: "wasm.error", Source: w.Evidence, Detail: w.Error, Failed: true})
	case !w.Present:
		return skipped("the artifact is not a WebAssembly module or component")
	}
	var ev []Evidence
	for _, c := range w.Capabilities {
		if slices.Contains(s.AllowedCapabilities, c) {
			continue
		}
		var by []string
		for _, im := range w.Imports {
			if name, cap, _ := strings.Cut(im, " "); cap == c {
				by = append(by, name)
			}
		}
		ev = append(ev, Evidence{Field: "wasm.capabilities", Source: w.Evidence, Label: c, Failed: true,
			Detail: "imported by " + strings.Join(by, ", ")})
	}
	allowed := "none"
	if len(s.AllowedCapabilities) > 0 {
		allowed = strings.Join(s.AllowedCapabilities, ", ")
	}
	if len(ev) == 0 {
		return passed(fmt.Sprintf("%s imports only allowed capabilities (%s; allowed: %s)", w.Kind, orNone(w.Capabilities), allowed),
			Evidence{Field: "wasm.capabilities", Source: w.Evidence, Detail: orNone(w.Capabilities)})
	}
	var extra []string
	for _, e := range ev {
		extra = append(extra, e.Label)
	}
	o := failed(reason.WasmCapabilityDenied, fmt.Sprintf("%s imports %d capabilit%s beyond the allowed ones: %s (allowed: %s)",
		w.Kind, len(ev), map[bool]string{true: "y", false: "ies"}[len(ev) == 1], strings.Join(extra, ", "), allowed), hint, ev...)
	o.failPoints = s.Points * len(ev)
	return o
}

func orNone(list []string) string {
	if len(list) == 0 {
		return "none"
	}
	return strings.Join(list, ", ")
}
