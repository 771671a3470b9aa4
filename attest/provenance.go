package attest

import (
	"fmt"
	"strings"

	prov02 "github.com/in-toto/attestation/go/predicates/provenance/v02"
	prov1 "github.com/in-toto/attestation/go/predicates/provenance/v1"
	"github.com/sigstore/sigstore-go/pkg/fulcio/certificate"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/types/known/structpb"

	"github.com/sovcheck/sovcheck/internal/reason"
	"github.com/sovcheck/sovcheck/internal/vocab"
)

// ProvenanceRequirements are the caller's constraints on SLSA provenance,
// with slsa-verifier's meanings. Empty fields are not checked.
type ProvenanceRequirements struct {
	SourceURI    string // e.g. github.com/acme/tool
	SourceTag    string // e.g. v1.2.0
	SourceBranch string // e.g. main
	BuilderID    string // with or without an @ref suffix
}

// Any reports whether any constraint is set.
func (r ProvenanceRequirements) Any() bool {
	return r.SourceURI != "" || r.SourceTag != "" || r.SourceBranch != "" || r.BuilderID != ""
}

// Provenance is the part of a SLSA provenance predicate (v0.2 or v1) that
// sovcheck checks, normalised across versions.
type Provenance struct {
	PredicateType string
	BuilderID     string
	BuildType     string
	SourceURI     string            // normalised: host/path, no scheme, no ref
	SourceRef     string            // e.g. refs/tags/v1.2.0
	SourceDigest  map[string]string // e.g. sha1 or gitCommit
	BaseRef       string            // for tag pushes: the branch the tag was pushed from, when recorded
}

var provenanceJSON = protojson.UnmarshalOptions{DiscardUnknown: true}

// ParseProvenance reads the SLSA provenance predicate of st.
func ParseProvenance(st *Statement) (*Provenance, error) {
	p := &Provenance{PredicateType: st.PredicateType}
	switch st.PredicateType {
	case vocab.PredicateSLSAProvenanceV02:
		var pr prov02.Provenance
		if err := provenanceJSON.Unmarshal(st.Predicate, &pr); err != nil {
			return nil, reason.Wrap(err, reason.ProvenanceMalformed, "the SLSA v0.2 predicate does not follow the specification", "parsing SLSA v0.2 provenance")
		}
		p.BuilderID = pr.GetBuilder().GetId()
		p.BuildType = pr.GetBuildType()
		uri := pr.GetInvocation().GetConfigSource().GetUri()
		p.SourceDigest = pr.GetInvocation().GetConfigSource().GetDigest()
		if uri == "" && len(pr.GetMaterials()) > 0 {
			uri = pr.GetMaterials()[0].GetUri()
			p.SourceDigest = pr.GetMaterials()[0].GetDigest()
		}
		p.SourceURI, p.SourceRef = splitSourceURI(uri)
		env := pr.GetInvocation().GetEnvironment()
		if p.SourceRef == "" {
			p.SourceRef = structString(env, "github_ref")
		}
		if payload := structStruct(env, "github_event_payload"); payload != nil {
			p.BaseRef = structString(payload, "base_ref")
		}
	case vocab.PredicateSLSAProvenanceV1:
		var pr prov1.Provenance
		if err := provenanceJSON.Unmarshal(st.Predicate, &pr); err != nil {
			return nil, reason.Wrap(err, reason.ProvenanceMalformed, "the SLSA v1 predicate does not follow the specification", "parsing SLSA v1 provenance")
		}
		bd := pr.GetBuildDefinition()
		p.BuilderID = pr.GetRunDetails().GetBuilder().GetId()
		p.BuildType = bd.GetBuildType()
		ext := bd.GetExternalParameters()
		if wf := structStruct(ext, "workflow"); wf != nil {
			p.SourceURI, _ = splitSourceURI(structString(wf, "repository"))
			p.SourceRef = structString(wf, "ref")
		}
		if deps := bd.GetResolvedDependencies(); len(deps) > 0 {
			uri, ref := splitSourceURI(deps[0].GetUri())
			if p.SourceURI == "" {
				p.SourceURI = uri
			}
			if p.SourceRef == "" {
				p.SourceRef = ref
			}
			p.SourceDigest = deps[0].GetDigest()
		}
	default:
		return nil, &reason.Error{Code: reason.PredicateTypeMismatch, Msg: "attestation is not SLSA provenance", Got: st.PredicateType,
			Want: vocab.PredicateSLSAProvenanceV02 + " or " + vocab.PredicateSLSAProvenanceV1, Hint: "provenance flags need a SLSA provenance attestation"}
	}
	if p.BuilderID == "" {
		return nil, reason.New(reason.ProvenanceMalformed, "SLSA provenance must name its builder", "provenance has no builder id")
	}
	return p, nil
}

// splitSourceURI turns git+https://github.com/org/repo@refs/tags/v1 into
// (github.com/org/repo, refs/tags/v1).
func splitSourceURI(uri string) (string, string) {
	ref := ""
	if i := strings.LastIndex(uri, "@"); i > strings.Index(uri, "://")+2 && i >= 0 {
		uri, ref = uri[:i], uri[i+1:]
	}
	return vocab.NormalizeSourceURI(uri), ref
}

func structString(s *structpb.Struct, key string) string {
	if s == nil {
		return ""
	}
	return s.GetFields()[key].GetStringValue()
}

func structStruct(s *structpb.Struct, key string) *structpb.Struct {
	if s == nil {
		return nil
	}
	return s.GetFields()[key].GetStructValue()
}

// CheckPredicate returns the finding for a required predicate type.
func CheckPredicate(st *Statement, want string) Finding {
	if st == nil {
		return Finding{Check: vocab.CheckPredicateType, Err: &reason.Error{Code: reason.PredicateTypeMismatch, Msg: "bundle signs the artifact itself, not an attestation",
			Got: "message signature", Want: want, Hint: "--type asks for an attestation; give the bundle of the attestation (a DSSE envelope)"}}
	}
	if st.PredicateType != want {
		return Finding{Check: vocab.CheckPredicateType, Err: &reason.Error{Code: reason.PredicateTypeMismatch, Msg: "attestation has another predicate type",
			Got: st.PredicateType, Want: want, Hint: "give the attestation of the requested type, or change --type"}}
	}
	return Finding{Check: vocab.CheckPredicateType, Message: "predicate type " + want}
}

// CheckProvenance checks the provenance of st against req and, for
// certificates issued to GitHub Actions, against the Fulcio certificate
// extensions as well: a provenance that says one thing while its signing
// certificate says another fails.
func CheckProvenance(st *Statement, cert *certificate.Summary, req ProvenanceRequirements) []Finding {
	if !req.Any() {
		return nil
	}
	if st == nil {
		return []Finding{{Check: vocab.CheckSourceURI, Err: reason.New(reason.PredicateTypeMismatch,
			"provenance flags need a SLSA provenance attestation; give its bundle", "bundle signs the artifact itself, not a provenance")}}
	}
	p, err := ParseProvenance(st)
	if err != nil {
		return []Finding{{Check: "provenance", Err: reason.As(err, reason.ProvenanceMalformed, "")}}
	}
	var ext *certificate.Extensions
	if cert != nil && cert.SourceRepositoryURI != "" {
		ext = &cert.Extensions
	}
	var out []Finding
	if req.BuilderID != "" {
		out = append(out, checkBuilder(p, cert, req.BuilderID))
	}
	if req.SourceURI != "" {
		out = append(out, checkSource(p, ext, req.SourceURI))
	}
	if req.SourceTag != "" {
		out = append(out, checkRef(vocab.CheckSourceTag, reason.SourceTagMismatch, "refs/tags/"+req.SourceTag, p.SourceRef, ext))
	}
	if req.SourceBranch != "" {
		got := p.SourceRef
		if strings.HasPrefix(got, "refs/tags/") && p.BaseRef != "" {
			got = p.BaseRef
		}
		var branchExt *certificate.Extensions
		if ext != nil && strings.HasPrefix(ext.SourceRepositoryRef, "refs/heads/") {
			branchExt = ext
		}
		out = append(out, checkRef(vocab.CheckSourceBranch, reason.SourceBranchMismatch, "refs/heads/"+req.SourceBranch, got, branchExt))
	}
	return out
}

func checkBuilder(p *Provenance, cert *certificate.Summary, want string) Finding {
	if !vocab.BuilderMatches(p.BuilderID, want) {
		return Finding{Check: vocab.CheckBuilderID, Err: &reason.Error{Code: reason.BuilderIDMismatch, Msg: "provenance names another builder",
			Got: p.BuilderID, Want: want, Hint: "the artifact was built by another builder than the one you trust; check --builder-id"}}
	}
	// A GitHub Actions builder signs as its workflow: the certificate's
	// build signer must be the builder the provenance names.
	if cert != nil && cert.BuildSignerURI != "" && !vocab.BuilderMatches(cert.BuildSignerURI, want) {
		return Finding{Check: vocab.CheckBuilderID, Err: &reason.Error{Code: reason.BuilderIDMismatch, Msg: "signing certificate names another builder than the provenance",
			Got: cert.BuildSignerURI, Want: want, Hint: "the provenance claims a builder that did not sign it; do not trust this artifact"}}
	}
	return Finding{Check: vocab.CheckBuilderID, Message: "built by " + p.BuilderID}
}

func checkSource(p *Provenance, ext *certificate.Extensions, want string) Finding {
	want = vocab.NormalizeSourceURI(want)
	if p.SourceURI != want {
		return Finding{Check: vocab.CheckSourceURI, Err: &reason.Error{Code: reason.SourceURIMismatch, Msg: "provenance names another source repository",
			Got: p.SourceURI, Want: want, Hint: "the artifact was built from another repository; check --source-uri"}}
	}
	if ext != nil && vocab.NormalizeSourceURI(ext.SourceRepositoryURI) != want {
		return Finding{Check: vocab.CheckSourceURI, Err: &reason.Error{Code: reason.SourceURIMismatch, Msg: "signing certificate names another source repository than the provenance",
			Got: vocab.NormalizeSourceURI(ext.SourceRepositoryURI), Want: want, Hint: "the provenance and its certificate disagree; do not trust this artifact"}}
	}
	return Finding{Check: vocab.CheckSourceURI, Message: fmt.Sprintf("built from %s", p.SourceURI)}
}

func checkRef(check, code, want, got string, ext *certificate.Extensions) Finding {
	if got != want {
		return Finding{Check: check, Err: &reason.Error{Code: code, Msg: "provenance names another source ref", Got: got, Want: want,
			Hint: "the artifact was built from another tag or branch; a provenance for one release does not vouch for another, even for identical bytes"}}
	}
	if ext != nil && ext.SourceRepositoryRef != want {
		return Finding{Check: check, Err: &reason.Error{Code: code, Msg: "signing certificate names another source ref than the provenance",
			Got: ext.SourceRepositoryRef, Want: want, Hint: "the provenance and its certificate disagree; do not trust this artifact"}}
	}
	return Finding{Check: check, Message: "built from " + want}
}
