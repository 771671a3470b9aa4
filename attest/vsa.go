package attest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/sovcheck/sovcheck/internal/reason"
	"github.com/sovcheck/sovcheck/internal/vocab"
)

// Verification Summary Attestations (https://slsa.dev/verification_summary/v1):
// a verifier's signed statement that it verified an artifact against a
// policy, with the result. sovcheck writes them (`sovcheck attest vsa`) and
// reads them as evidence of certification.

// Limits on a VSA predicate.
const (
	// MaxVSAInputs is the most input attestations read from one VSA.
	MaxVSAInputs = 1_000
	// MaxVSALevels is the most verified levels read from one VSA.
	MaxVSALevels = 16
)

// ResourceDescriptor names a resource by URI and digest, as in-toto's
// ResourceDescriptor does.
type ResourceDescriptor struct {
	URI    string            `json:"uri,omitempty"`
	Digest map[string]string `json:"digest,omitempty"`
}

// VSAVerifier identifies who verified.
type VSAVerifier struct {
	ID      string            `json:"id"`
	Version map[string]string `json:"version,omitempty"`
}

// VSA is the predicate of a Verification Summary Attestation v1.
type VSA struct {
	Verifier           VSAVerifier          `json:"verifier"`
	TimeVerified       string               `json:"timeVerified"` // RFC 3339, UTC
	ResourceURI        string               `json:"resourceUri"`
	Policy             ResourceDescriptor   `json:"policy"`
	InputAttestations  []ResourceDescriptor `json:"inputAttestations,omitempty"`
	VerificationResult string               `json:"verificationResult"` // PASSED or FAILED
	// VerifiedLevels holds the highest level verified per SLSA track
	// (SLSA_BUILD_LEVEL_1), or FAILED when the verification failed.
	VerifiedLevels   []string       `json:"verifiedLevels"`
	DependencyLevels map[string]int `json:"dependencyLevels,omitempty"`
	SLSAVersion      string         `json:"slsaVersion,omitempty"`
}

// slsaLevel is a SLSA track level as verifiedLevels names it.
var slsaLevel = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^SLSA_[A-Z]+_LEVEL_[0-9]$`) })

// Validate checks that the predicate has every field the specification
// requires, well formed.
func (v *VSA) Validate() error {
	bad := func(format string, args ...any) error {
		return reason.New(reason.StatementMalformed, "the VSA is incomplete or corrupt; ask the certifier for a valid one", "VSA "+format, args...)
	}
	if u, err := url.Parse(v.Verifier.ID); v.Verifier.ID == "" || err != nil || u.Scheme == "" {
		return bad("verifier.id %q is not a URI", v.Verifier.ID)
	}
	if _, err := time.Parse(time.RFC3339, v.TimeVerified); err != nil {
		return bad("timeVerified %q is not an RFC 3339 time", v.TimeVerified)
	}
	if v.ResourceURI == "" {
		return bad("has no resourceUri")
	}
	if v.Policy.URI == "" {
		return bad("has no policy.uri")
	}
	if d, ok := v.Policy.Digest["sha256"]; ok {
		if _, err := vocab.ParseSHA256(d); err != nil {
			return bad("policy.digest: %v", err)
		}
	}
	if len(v.InputAttestations) > MaxVSAInputs {
		return &reason.Error{Code: reason.InputTooLarge, Msg: "VSA lists too many input attestations",
			Got: fmt.Sprint(len(v.InputAttestations)), Want: fmt.Sprintf("at most %d", MaxVSAInputs), Hint: "split the verification"}
	}
	switch v.VerificationResult {
	case vocab.VSAPassed, vocab.VSAFailed:
	default:
		return bad("verificationResult %q: want %s or %s", v.VerificationResult, vocab.VSAPassed, vocab.VSAFailed)
	}
	if len(v.VerifiedLevels) == 0 {
		return bad("has no verifiedLevels")
	}
	if len(v.VerifiedLevels) > MaxVSALevels {
		return &reason.Error{Code: reason.InputTooLarge, Msg: "VSA lists too many verified levels",
			Got: fmt.Sprint(len(v.VerifiedLevels)), Want: fmt.Sprintf("at most %d", MaxVSALevels), Hint: "a VSA names one level per SLSA track"}
	}
	tracks := map[string]bool{}
	for _, l := range v.VerifiedLevels {
		switch {
		case l == vocab.VSAFailed:
			if v.VerificationResult != vocab.VSAFailed {
				return bad("verifiedLevels says FAILED, verificationResult %s", v.VerificationResult)
			}
		case slsaLevel().MatchString(l):
			track := l[:strings.LastIndexByte(l, '_')]
			if tracks[track] {
				return bad("verifiedLevels names %s twice", track)
			}
			tracks[track] = true
		default:
			return bad("verifiedLevels entry %q: want SLSA_<TRACK>_LEVEL_<N> or FAILED", l)
		}
	}
	return nil
}

// NewVSAStatement returns an in-toto statement v1 whose predicate is the
// VSA, about the given subjects, as indented JSON with a final newline.
// The statement is unsigned.
func NewVSAStatement(subjects []Subject, v VSA) ([]byte, error) {
	if len(subjects) == 0 {
		return nil, reason.New(reason.InputMalformed, "name the verified artifact", "VSA statement has no subject")
	}
	for _, s := range subjects {
		if _, err := vocab.ParseSHA256(s.Digest["sha256"]); err != nil {
			return nil, reason.Wrap(err, reason.InputMalformed, "give the artifact's sha256", "VSA subject %q", s.Name)
		}
	}
	if err := v.Validate(); err != nil {
		return nil, err
	}
	st := struct {
		Type          string    `json:"_type"`
		Subject       []Subject `json:"subject"`
		PredicateType string    `json:"predicateType"`
		Predicate     VSA       `json:"predicate"`
	}{vocab.StatementTypeV1, subjects, vocab.PredicateVSA, v}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(st); err != nil {
		return nil, fmt.Errorf("encoding VSA statement: %w", err)
	}
	return buf.Bytes(), nil
}

// ParseVSA reads the VSA predicate of a statement. Unknown fields are
// allowed, as the specification asks of consumers; missing or malformed
// required fields are an error.
func ParseVSA(st *Statement) (*VSA, error) {
	if st == nil {
		return nil, reason.New(reason.StatementMalformed, "give a signed VSA", "no statement")
	}
	if st.PredicateType != vocab.PredicateVSA {
		return nil, &reason.Error{Code: reason.PredicateTypeMismatch, Msg: "the attestation is not a VSA",
			Got: st.PredicateType, Want: vocab.PredicateVSA, Hint: "give the VSA written by 'sovcheck attest vsa' or another SLSA verifier"}
	}
	var v VSA
	if err := json.Unmarshal(st.Predicate, &v); err != nil {
		return nil, reason.Wrap(err, reason.StatementMalformed, "the VSA is corrupt; ask the certifier for a valid one", "parsing VSA predicate")
	}
	if err := v.Validate(); err != nil {
		return nil, err
	}
	return &v, nil
}
