package verify

import (
	"encoding/json"
	"io"
	"sort"
	"strings"

	"github.com/sovcheck/sovcheck/internal/vocab"
	"github.com/sovcheck/sovcheck/policy"
	"github.com/sovcheck/sovcheck/sbom"
)

// FactsDocument is the provenance facts file that `sovcheck sbom labels
// --facts` reads: what verify established about each artifact, keyed by
// sha256, so that SBOM components with that hash get the labels unsigned,
// no-provenance and not-reproducible from evidence instead of "unknown".
type FactsDocument struct {
	MediaType  string               `json:"mediaType"`
	Components []sbom.ComponentFact `json:"components"`
}

// Facts derives the facts of each verdict's subject from its checks:
//   - signed: a signature check ran; true when one passed;
//   - provenance: provenance was asked for (--type with a SLSA provenance
//     type, provenance flags or --rebuild); true when it verified;
//   - reproducible: --rebuild ran; true on MATCH, false on MISMATCH,
//     not stated when the rebuild was skipped.
//
// A fact that was not checked is left out, never guessed.
func Facts(verdicts []policy.Verdict) FactsDocument {
	doc := FactsDocument{MediaType: vocab.MediaTypeSBOMFacts, Components: []sbom.ComponentFact{}}
	for _, v := range verdicts {
		digest := v.Subject.Digest["sha256"]
		if digest == "" {
			continue
		}
		f := sbom.ComponentFact{SHA256: digest, Evidence: "sovcheck verify " + v.Subject.Name}
		for _, c := range v.Checks {
			switch {
			case c.ID == vocab.CheckSignature:
				f.Signed = orTrue(f.Signed, c.Status == policy.StatusPass)
			case c.ID == vocab.CheckProvenance || strings.HasPrefix(c.ID, vocab.CheckProvenance+"."):
				f.Provenance = andTrue(f.Provenance, c.Status == policy.StatusPass)
			case c.ID == CheckRebuild && c.Status != policy.StatusSkip:
				f.Reproducible = boolPtr(c.Status == policy.StatusPass)
			}
		}
		if f.Signed != nil || f.Provenance != nil || f.Reproducible != nil {
			doc.Components = append(doc.Components, f)
		}
	}
	sort.SliceStable(doc.Components, func(i, j int) bool { return doc.Components[i].SHA256 < doc.Components[j].SHA256 })
	return doc
}

// WriteFacts writes the facts document as indented JSON.
func WriteFacts(w io.Writer, verdicts []policy.Verdict) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(Facts(verdicts))
}

func boolPtr(b bool) *bool { return &b }

// orTrue: one passing signature makes the artifact signed.
func orTrue(cur *bool, v bool) *bool {
	if cur != nil && *cur {
		return cur
	}
	return boolPtr(v)
}

// andTrue: every provenance constraint must hold.
func andTrue(cur *bool, v bool) *bool {
	if cur != nil && !*cur {
		return cur
	}
	return boolPtr(v)
}
