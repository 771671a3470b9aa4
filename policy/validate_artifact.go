package policy

import (
	"fmt"
	"regexp"
	"strings"

	"github.com/sovcheck/sovcheck/internal/anchor"
	"github.com/sovcheck/sovcheck/internal/vocab"
)

func (v *validator) artifact(path string, s *artifactSection) *artifactRules {
	r := &artifactRules{signatureRequired: true, provenanceRequired: true, rebuild: rebuildNone}
	if len(s.Match) == 0 {
		v.missing(path, "match", "list artifact name patterns, e.g. match: [\"*\"]")
	}
	for i, m := range s.Match {
		if strings.TrimSpace(m) == "" {
			v.ps.at(fmt.Sprintf("%s.match[%d]", path, i), "use \"*\" to match every artifact", "empty pattern")
		}
	}
	r.patterns = s.Match
	if sig := s.Signature; sig != nil {
		spath := path + ".signature"
		if sig.Required != nil {
			r.signatureRequired = *sig.Required
		}
		for i, k := range sig.Keys {
			id, err := parseKeyRef(k)
			if err != nil {
				v.ps.at(fmt.Sprintf("%s.keys[%d]", spath, i), "give sha256:<hex of the key's DER encoding> or a PEM public key", "%v", err)
				continue
			}
			r.keys = append(r.keys, id)
		}
		for i := range sig.Identities {
			if m, ok := v.identity(fmt.Sprintf("%s.identities[%d]", spath, i), &sig.Identities[i]); ok {
				r.identities = append(r.identities, m)
			}
		}
	}
	for i, t := range s.Attestations {
		uri, err := vocab.ResolvePredicateType(t)
		if err != nil {
			v.ps.at(fmt.Sprintf("%s.attestations[%d]", path, i), "use a known name ("+strings.Join(vocab.PredicateAliases(), ", ")+") or the predicate type URI", "%v", err)
			continue
		}
		r.predicateTypes = append(r.predicateTypes, uri)
		v.p.ruleIDs[RuleAttestations] = true
	}
	if pr := s.Provenance; pr != nil {
		ppath := path + ".provenance"
		if pr.Required != nil {
			r.provenanceRequired = *pr.Required
		}
		v.nonEmpty(ppath+".builderIds", pr.BuilderIDs)
		v.nonEmpty(ppath+".sourceRepos", pr.SourceRepos)
		v.nonEmpty(ppath+".tags", pr.Tags)
		v.nonEmpty(ppath+".branches", pr.Branches)
		r.builderIDs = pr.BuilderIDs
		for _, repo := range pr.SourceRepos {
			r.sourceRepos = append(r.sourceRepos, vocab.NormalizeSourceURI(repo))
		}
		r.tags, r.branches = pr.Tags, pr.Branches
	}
	if rb := s.Rebuild; rb != nil {
		rpath := path + ".rebuild"
		switch rb.Required {
		case rebuildNone, rebuildMatch, rebuildEquivalent:
			r.rebuild = rb.Required
		case "":
			if rb.Independent == 0 {
				v.missing(rpath, "required", "say 'required: match' (bit for bit) or 'required: equivalent'")
			}
		default:
			v.ps.at(rpath+".required", "use none, match or equivalent", "unknown rebuild requirement %q", rb.Required)
		}
		if len(rb.Normalisations) > 0 && rb.Required != rebuildEquivalent && rb.Independent == 0 {
			v.ps.at(rpath+".normalisations", "normalisations apply to 'required: equivalent' or 'independent' only", "normalisations given without 'required: equivalent' or 'independent'")
		}
		r.allowedCauses = map[string]bool{}
		for i, n := range rb.Normalisations {
			codes, ok := normalisations[n]
			if !ok {
				v.ps.at(fmt.Sprintf("%s.normalisations[%d]", rpath, i), "use one of: "+strings.Join(normalisationNames(), ", "), "unknown normalisation %q", n)
				continue
			}
			r.normalisations = append(r.normalisations, n)
			for _, c := range codes {
				r.allowedCauses[c] = true
			}
		}
		if r.rebuild != rebuildNone {
			v.p.ruleIDs[RuleRebuild] = true
		}
		v.independent(rpath, rb, r)
	}
	return r
}

func (v *validator) nonEmpty(path string, list []string) {
	for i, s := range list {
		if strings.TrimSpace(s) == "" {
			v.ps.at(fmt.Sprintf("%s[%d]", path, i), "remove the empty entry", "empty value")
		}
	}
}

// parseKeyRef accepts sha256:<hex> (the key id verify reports) or a PEM
// public key, and returns the hex key id.
func parseKeyRef(s string) (string, error) {
	s = strings.TrimSpace(s)
	if hexID, ok := strings.CutPrefix(s, "sha256:"); ok {
		if _, err := vocab.ParseSHA256(hexID); err != nil {
			return "", err
		}
		return strings.ToLower(hexID), nil
	}
	if strings.HasPrefix(s, "-----BEGIN ") {
		pub, err := vocab.ReadPublicKey(strings.NewReader(s))
		if err != nil {
			return "", err
		}
		return vocab.KeyID(pub)
	}
	return "", fmt.Errorf("unrecognised key %q", clip(s, 40))
}

func (v *validator) identity(path string, id *identitySpec) (identityMatcher, bool) {
	m := identityMatcher{issuer: id.Issuer, subject: id.Subject}
	ok := true
	check := func(exact, re, field string, dst **regexp.Regexp) {
		switch {
		case exact == "" && re == "":
			v.missing(path, field, "keyless signers need both an issuer and a subject, each exact or as a regexp")
			ok = false
		case exact != "" && re != "":
			v.ps.at(path+"."+field+"Regexp", "give either "+field+" or "+field+"Regexp", "%s and %sRegexp given together", field, field)
			ok = false
		case re != "":
			if len(re) > MaxRegexpBytes {
				v.ps.at(path+"."+field+"Regexp", "shorten the expression", "regexp too long: got %d bytes, want at most %d", len(re), MaxRegexpBytes)
				ok = false
				return
			}
			c, err := anchor.Compile(re)
			if err != nil {
				v.ps.at(path+"."+field+"Regexp", "fix the regular expression (Go RE2 syntax; it must match the whole value)", "invalid regexp: %v", err)
				ok = false
				return
			}
			*dst = c
		}
	}
	check(id.Issuer, id.IssuerRegexp, "issuer", &m.issuerRe)
	check(id.Subject, id.SubjectRegexp, "subject", &m.subjectRe)
	return m, ok
}
