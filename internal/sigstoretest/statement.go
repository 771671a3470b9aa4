package sigstoretest

import (
	"encoding/hex"
	"encoding/json"
	"fmt"
	"sort"

	"github.com/sovcheck/sovcheck/internal/vocab"
)

type statementSubject struct {
	Name   string            `json:"name"`
	Digest map[string]string `json:"digest"`
}

type statement struct {
	Type          string             `json:"_type"`
	Subject       []statementSubject `json:"subject"`
	PredicateType string             `json:"predicateType"`
	Predicate     json.RawMessage    `json:"predicate,omitempty"`
}

// Statement returns an in-toto v1 Statement as JSON with the given subjects
// (name -> lowercase hex SHA-256), sorted by name, the predicate type and
// the predicate. The predicate must encode to a JSON object; nil leaves it
// out.
func Statement(subjects map[string]string, predicateType string, predicate any) ([]byte, error) {
	if len(subjects) == 0 {
		return nil, fmt.Errorf("%w: writing statement: got no subjects, want at least one", ErrInvalidOptions)
	}
	if predicateType == "" {
		return nil, fmt.Errorf("%w: writing statement: got empty predicate type", ErrInvalidOptions)
	}
	s := statement{Type: vocab.StatementTypeV1, PredicateType: predicateType}
	for name, digest := range subjects {
		if raw, err := hex.DecodeString(digest); err != nil || len(raw) != 32 || hex.EncodeToString(raw) != digest {
			return nil, fmt.Errorf("%w: writing statement: subject %q: got digest %q, want 64 lowercase hex digits", ErrInvalidOptions, name, digest)
		}
		s.Subject = append(s.Subject, statementSubject{Name: name, Digest: map[string]string{"sha256": digest}})
	}
	sort.Slice(s.Subject, func(i, j int) bool { return s.Subject[i].Name < s.Subject[j].Name })
	if predicate != nil {
		raw, err := json.Marshal(predicate)
		if err != nil {
			return nil, fmt.Errorf("writing statement: encoding predicate: %w", err)
		}
		var obj map[string]json.RawMessage
		if err := json.Unmarshal(raw, &obj); err != nil || obj == nil {
			return nil, fmt.Errorf("%w: writing statement: got predicate %.40s, want a JSON object", ErrInvalidOptions, raw)
		}
		s.Predicate = raw
	}
	return json.Marshal(s)
}
