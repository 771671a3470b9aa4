package attest

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/sovcheck/sovcheck/internal/reason"
	"github.com/sovcheck/sovcheck/internal/vocab"
)

// MaxSubjects is the most subjects read from one statement.
const MaxSubjects = 100_000

// Subject is one subject of an in-toto statement.
type Subject struct {
	Name   string            `json:"name"`
	Digest map[string]string `json:"digest"`
}

// Statement is an in-toto statement, v0.1 or v1.
type Statement struct {
	Type          string          `json:"_type"`
	Subject       []Subject       `json:"subject"`
	PredicateType string          `json:"predicateType"`
	Predicate     json.RawMessage `json:"predicate"`
}

// ParseStatement parses an in-toto statement from a DSSE payload.
func ParseStatement(payloadType string, payload []byte) (*Statement, error) {
	if payloadType != vocab.InTotoPayloadType {
		return nil, &reason.Error{Code: reason.StatementMalformed, Msg: "DSSE payload is not an in-toto statement",
			Got: payloadType, Want: vocab.InTotoPayloadType, Hint: "sovcheck verifies DSSE envelopes that carry in-toto statements"}
	}
	var st Statement
	if err := json.Unmarshal(payload, &st); err != nil {
		return nil, reason.Wrap(err, reason.StatementMalformed, "the signed payload is not valid JSON; the attestation is corrupt", "parsing in-toto statement")
	}
	if st.Type != vocab.StatementTypeV01 && st.Type != vocab.StatementTypeV1 {
		return nil, &reason.Error{Code: reason.StatementMalformed, Msg: "unknown in-toto statement type",
			Got: st.Type, Want: vocab.StatementTypeV1, Hint: "sovcheck reads in-toto statements v0.1 and v1"}
	}
	if st.PredicateType == "" {
		return nil, reason.New(reason.StatementMalformed, "the attestation is incomplete; ask the publisher for a valid one", "in-toto statement has no predicateType")
	}
	if len(st.Subject) == 0 {
		return nil, reason.New(reason.StatementMalformed, "an attestation must name the artifacts it is about", "in-toto statement has no subject")
	}
	if len(st.Subject) > MaxSubjects {
		return nil, &reason.Error{Code: reason.InputTooLarge, Msg: "in-toto statement has too many subjects",
			Want: fmt.Sprintf("at most %d", MaxSubjects), Hint: "split the attestation"}
	}
	return &st, nil
}

// MatchSubject returns the subject whose sha256 digest equals sha256Hex.
func (st *Statement) MatchSubject(sha256Hex string) (Subject, bool) {
	want := strings.ToLower(sha256Hex)
	for _, s := range st.Subject {
		if d, ok := s.Digest["sha256"]; ok && strings.ToLower(d) == want {
			return s, true
		}
	}
	return Subject{}, false
}

// SubjectSummary lists the statement's subjects for messages.
func (st *Statement) SubjectSummary() string {
	const show = 3
	var parts []string
	for i, s := range st.Subject {
		if i == show {
			parts = append(parts, fmt.Sprintf("and %d more", len(st.Subject)-show))
			break
		}
		d := s.Digest["sha256"]
		if d == "" {
			d = "(no sha256)"
		}
		parts = append(parts, fmt.Sprintf("%s sha256:%s", s.Name, d))
	}
	return strings.Join(parts, ", ")
}
