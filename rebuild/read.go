package rebuild

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"

	protobundle "github.com/sigstore/protobuf-specs/gen/pb-go/bundle/v1"
	"google.golang.org/protobuf/encoding/protojson"

	"github.com/sovcheck/sovcheck/internal/boundedio"
	"github.com/sovcheck/sovcheck/internal/reason"
	"github.com/sovcheck/sovcheck/internal/vocab"
)

// Limits on provenance files.
const (
	// MaxProvenanceBytes is the largest provenance file read: a bundle, an
	// envelope, a statement, or a JSON Lines file of them.
	MaxProvenanceBytes = 32 << 20
	// MaxProvenanceLines is the most JSON Lines entries read from one file.
	MaxProvenanceLines = 1000
	// MaxProvenanceLineBytes is the longest JSON Lines entry read: a
	// Sigstore bundle whose base64 payload holds a statement of
	// MaxPayloadBytes, with room for its certificates and log entries.
	// Real Go builder provenance lines are 10-25 KiB.
	MaxProvenanceLineBytes = 24 << 20
	// MaxPayloadBytes is the largest in-toto statement read from a DSSE payload.
	MaxPayloadBytes = 16 << 20
)

// In-toto and SLSA identifiers read by the recipe readers.
const (
	provenanceReadHint = "give the provenance as an in-toto statement, a DSSE envelope or a Sigstore bundle (one per line in .intoto.jsonl)"
)

// ErrNoRecipe is returned (wrapped in a *reason.Error) when a provenance
// file holds statements but none with a build type sovcheck replays.
var ErrNoRecipe = errors.New("no replayable recipe")

// ReadRecipes reads every build recipe from a provenance file: an in-toto
// statement, a DSSE envelope, a Sigstore bundle, or JSON Lines of those
// (.intoto.jsonl). Signatures are not checked here; that is verify's job.
// Statements whose predicate is not SLSA provenance are passed over; if no
// recipe remains the error has code RECIPE_UNSUPPORTED. SLSA provenance
// that sovcheck will not replay (another build type, a construct the
// sandbox refuses, a toolchain it does not replay) is a recipe whose
// Refused says why: the artifacts it attests get a SKIP with that reason.
func ReadRecipes(r io.Reader) ([]*Recipe, error) {
	data, err := boundedio.ReadAll(r, MaxProvenanceBytes)
	if reason.CodeOf(err, "") == reason.InputTooLarge {
		return nil, &reason.Error{Code: reason.InputTooLarge, Msg: "provenance file too large",
			Want: fmt.Sprintf("at most %d bytes", MaxProvenanceBytes), Hint: "give one provenance file per artifact"}
	}
	if err != nil {
		return nil, reason.Wrap(err, reason.InputUnreadable, "check the provenance file's path and permissions", "reading provenance")
	}
	docs, err := splitDocuments(data)
	if err != nil {
		return nil, err
	}
	var recipes []*Recipe
	var skipped []string
	for i, doc := range docs {
		st, err := statementOf(doc)
		if err != nil {
			if len(docs) > 1 {
				return nil, fmt.Errorf("reading provenance entry %d: %w", i+1, err)
			}
			return nil, err
		}
		rec, err := recipeOf(st)
		if errors.Is(err, ErrNoRecipe) {
			skipped = append(skipped, err.Error())
			continue
		}
		if err != nil {
			if len(docs) > 1 {
				return nil, fmt.Errorf("reading provenance entry %d: %w", i+1, err)
			}
			return nil, err
		}
		recipes = append(recipes, rec)
	}
	if len(recipes) == 0 {
		return nil, reason.Wrap(ErrNoRecipe, reason.RecipeUnsupported,
			"sovcheck replays the SLSA GitHub generator's Go builder and "+vocab.BuildTypeSovcheckGo+" recipes",
			"finding a build recipe in the provenance (%s)", strings.Join(skipped, "; "))
	}
	return recipes, nil
}

// SelectRecipe returns the recipe that attests an artifact with the given
// sha256, and its subject.
// A recipe sovcheck replays is preferred to a refused one.
func SelectRecipe(recipes []*Recipe, sha256Hex string) (*Recipe, Subject, error) {
	var refused *Recipe
	var refusedSubj Subject
	for _, r := range recipes {
		if s, ok := r.SubjectFor(sha256Hex); ok {
			if r.Refused == nil {
				return r, s, nil
			}
			if refused == nil {
				refused, refusedSubj = r, s
			}
		}
	}
	if refused != nil {
		return refused, refusedSubj, nil
	}
	var names []string
	for _, r := range recipes {
		for _, s := range r.Subjects {
			names = append(names, s.Name+" sha256:"+s.SHA256)
		}
	}
	if len(names) > 3 {
		names = append(names[:3], fmt.Sprintf("and %d more", len(names)-3))
	}
	return nil, Subject{}, &reason.Error{Code: reason.SubjectMismatch, Msg: "the provenance does not attest this artifact",
		Got: "sha256:" + strings.ToLower(sha256Hex), Want: strings.Join(names, ", "),
		Hint: "give the provenance that was published with this artifact"}
}

// splitDocuments returns the JSON documents of a provenance file: one
// document, or one per non-empty line.
func splitDocuments(data []byte) ([][]byte, error) {
	trimmed := bytes.TrimSpace(data)
	if len(trimmed) == 0 {
		return nil, reason.New(reason.ProvenanceMalformed, provenanceReadHint, "provenance file is empty")
	}
	if json.Valid(trimmed) {
		return [][]byte{trimmed}, nil
	}
	// Each line is parsed on its own, as a sub-slice of data: nothing is
	// copied, and no line can overwrite another.
	var docs [][]byte
	for rest, n := trimmed, 0; len(rest) > 0; {
		var line []byte
		line, rest, _ = bytes.Cut(rest, []byte{'\n'})
		n++
		line = bytes.TrimSpace(line)
		if len(line) == 0 {
			continue
		}
		if len(line) > MaxProvenanceLineBytes {
			return nil, &reason.Error{Code: reason.InputTooLarge, Msg: fmt.Sprintf("provenance line %d too large", n),
				Got: fmt.Sprintf("%d bytes", len(line)), Want: fmt.Sprintf("at most %d bytes", MaxProvenanceLineBytes), Hint: "give one provenance file per artifact"}
		}
		if len(docs) == MaxProvenanceLines {
			return nil, &reason.Error{Code: reason.InputTooLarge, Msg: "provenance file has too many entries",
				Want: fmt.Sprintf("at most %d", MaxProvenanceLines), Hint: "give one provenance file per artifact"}
		}
		if !json.Valid(line) {
			return nil, reason.New(reason.ProvenanceMalformed, provenanceReadHint, "provenance line %d is not JSON", n)
		}
		docs = append(docs, line)
	}
	return docs, nil
}

// envelopeProbe tells the three document kinds apart.
type envelopeProbe struct {
	MediaType   string          `json:"mediaType"`
	PayloadType string          `json:"payloadType"`
	Payload     *string         `json:"payload"`
	Type        string          `json:"_type"`
	DSSE        json.RawMessage `json:"dsseEnvelope"`
}

// statement is an in-toto statement, v0.1 or v1.
type statement struct {
	Type    string `json:"_type"`
	Subject []struct {
		Name   string            `json:"name"`
		Digest map[string]string `json:"digest"`
	} `json:"subject"`
	PredicateType string          `json:"predicateType"`
	Predicate     json.RawMessage `json:"predicate"`
}

func statementOf(doc []byte) (*statement, error) {
	var probe envelopeProbe
	if err := json.Unmarshal(doc, &probe); err != nil {
		return nil, reason.Wrap(err, reason.ProvenanceMalformed, provenanceReadHint, "parsing provenance")
	}
	switch {
	case strings.HasPrefix(probe.MediaType, vocab.MediaTypeBundlePrefix):
		var b protobundle.Bundle
		if err := (protojson.UnmarshalOptions{DiscardUnknown: true}).Unmarshal(doc, &b); err != nil {
			return nil, reason.Wrap(err, reason.BundleMalformed, provenanceReadHint, "parsing Sigstore bundle")
		}
		env := b.GetDsseEnvelope()
		if env == nil {
			return nil, reason.New(reason.BundleMalformed, "a bundle that signs a message digest carries no recipe; give the provenance bundle",
				"Sigstore bundle holds no DSSE envelope")
		}
		return parseStatement(env.GetPayloadType(), env.GetPayload())
	case probe.Payload != nil:
		payload, err := decodeBase64(*probe.Payload)
		if err != nil {
			return nil, reason.Wrap(err, reason.ProvenanceMalformed, provenanceReadHint, "decoding DSSE payload")
		}
		return parseStatement(probe.PayloadType, payload)
	case probe.Type != "":
		return parseStatement(vocab.InTotoPayloadType, doc)
	}
	return nil, reason.New(reason.ProvenanceMalformed, provenanceReadHint,
		"provenance is neither an in-toto statement, a DSSE envelope nor a Sigstore bundle")
}

func decodeBase64(s string) ([]byte, error) {
	if len(s) > base64.StdEncoding.EncodedLen(MaxPayloadBytes) {
		return nil, &reason.Error{Code: reason.InputTooLarge, Msg: "DSSE payload too large",
			Want: fmt.Sprintf("at most %d bytes", MaxPayloadBytes), Hint: "give one provenance file per artifact"}
	}
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.URLEncoding, base64.RawStdEncoding, base64.RawURLEncoding} {
		if b, err := enc.DecodeString(s); err == nil {
			return b, nil
		}
	}
	return nil, errors.New("payload is not base64")
}

func parseStatement(payloadType string, payload []byte) (*statement, error) {
	if payloadType != vocab.InTotoPayloadType {
		return nil, &reason.Error{Code: reason.StatementMalformed, Msg: "DSSE payload is not an in-toto statement",
			Got: payloadType, Want: vocab.InTotoPayloadType, Hint: provenanceReadHint}
	}
	if len(payload) > MaxPayloadBytes {
		return nil, &reason.Error{Code: reason.InputTooLarge, Msg: "in-toto statement too large",
			Want: fmt.Sprintf("at most %d bytes", MaxPayloadBytes), Hint: "give one provenance file per artifact"}
	}
	var st statement
	if err := json.Unmarshal(payload, &st); err != nil {
		return nil, reason.Wrap(err, reason.StatementMalformed, provenanceReadHint, "parsing in-toto statement")
	}
	if st.Type != vocab.StatementTypeV01 && st.Type != vocab.StatementTypeV1 {
		return nil, &reason.Error{Code: reason.StatementMalformed, Msg: "unknown in-toto statement type",
			Got: st.Type, Want: vocab.StatementTypeV1, Hint: "sovcheck reads in-toto statements v0.1 and v1"}
	}
	if len(st.Subject) == 0 {
		return nil, reason.New(reason.StatementMalformed, "a provenance must name the artifacts it is about", "in-toto statement has no subject")
	}
	if len(st.Subject) > MaxSubjects {
		return nil, &reason.Error{Code: reason.InputTooLarge, Msg: "in-toto statement has too many subjects",
			Got: fmt.Sprint(len(st.Subject)), Want: fmt.Sprintf("at most %d", MaxSubjects), Hint: "split the provenance"}
	}
	return &st, nil
}

func (st *statement) subjects() []Subject {
	out := make([]Subject, 0, len(st.Subject))
	for _, s := range st.Subject {
		out = append(out, Subject{Name: s.Name, SHA256: strings.ToLower(s.Digest["sha256"])})
	}
	return out
}

// recipeOf dispatches on predicate and build type.
func recipeOf(st *statement) (*Recipe, error) {
	var probe struct {
		BuildType       string `json:"buildType"`
		BuildDefinition struct {
			BuildType string `json:"buildType"`
		} `json:"buildDefinition"`
	}
	switch st.PredicateType {
	case vocab.PredicateSLSAProvenanceV02, vocab.PredicateSLSAProvenanceV1:
	default:
		return nil, fmt.Errorf("predicate type %q: %w", st.PredicateType, ErrNoRecipe)
	}
	if err := json.Unmarshal(st.Predicate, &probe); err != nil {
		return nil, reason.Wrap(err, reason.ProvenanceMalformed, provenanceReadHint, "parsing SLSA provenance")
	}
	var rec *Recipe
	var err error
	switch {
	case st.PredicateType == vocab.PredicateSLSAProvenanceV02 && probe.BuildType == vocab.BuildTypeGoBuilder:
		rec, err = parseGoBuilder(st.Predicate)
	case st.PredicateType == vocab.PredicateSLSAProvenanceV1 && probe.BuildDefinition.BuildType == vocab.BuildTypeSovcheckGo:
		rec, err = parseSovcheckRecipe(st.Predicate)
	default:
		bt := probe.BuildType
		if bt == "" {
			bt = probe.BuildDefinition.BuildType
		}
		err = unsupported("build type %q is not one sovcheck replays (the SLSA GitHub generator's Go builder, %s)", bt, vocab.BuildTypeSovcheckGo)
	}
	if err == nil {
		rec.Subjects = st.subjects()
		err = rec.Validate()
	}
	// A recipe sovcheck will not replay still names the artifacts it
	// attests: each of them gets a SKIP with the reason, and the other
	// artifacts of a run are rebuilt.
	if reason.CodeOf(err, "") == reason.RecipeUnsupported {
		bt := probe.BuildType
		if bt == "" {
			bt = probe.BuildDefinition.BuildType
		}
		re := *reason.As(err, reason.RecipeUnsupported, "")
		re.Msg = strings.TrimSuffix(err.Error(), re.Error()) + re.Msg
		return &Recipe{BuildType: bt, Subjects: st.subjects(), Refused: &re}, nil
	}
	if err != nil {
		return nil, err
	}
	return rec, nil
}
