package policy

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"reflect"
	"strings"
	"time"

	"github.com/sovcheck/sovcheck/internal/reason"
	"github.com/sovcheck/sovcheck/internal/vocab"
)

// DataFile is a data file the policy names, pinned by sha256. The caller
// reads it (Path is relative to the policy file's directory unless
// absolute) and hands the bytes to WithData.
type DataFile struct {
	Name   string
	Kind   string // trust-registry, advisories, kev or certifications
	Path   string
	SHA256 string // hex
	Pos    Pos    // where the policy names the file
	// MaxAgeDays is the staleness limit of a risk-data snapshot; 0: none.
	MaxAgeDays int
	// Key is the public key file that must sign a risk-data snapshot, as
	// the policy writes it; "" when no signature is required.
	Key string
}

// DataFiles lists the policy's data files in the order written.
func (p *Policy) DataFiles() []DataFile {
	out := make([]DataFile, 0, len(p.doc.Data))
	for _, d := range p.doc.Data {
		out = append(out, DataFile{Name: d.Name, Kind: d.Kind, Path: d.Path, SHA256: d.SHA256, Pos: d.pos, MaxAgeDays: d.MaxAgeDays, Key: d.Key})
	}
	return out
}

// WithData checks content against the sha256 the policy pins for the data
// file name and returns a copy of p that uses it: a certification list is
// parsed and used to certify; other kinds are only checked here, and the
// caller hands the same bytes to the package that reads them. A digest
// mismatch is a *FileError positioned at the pin in the policy file.
func (p *Policy) WithData(name string, content []byte) (*Policy, error) {
	sum := sha256.Sum256(content)
	if err := p.CheckDataDigest(name, hex.EncodeToString(sum[:])); err != nil {
		return nil, err
	}
	d := p.data[name]
	q := *p
	if d.Kind == DataCertifications {
		list, err := parseCertificationList(content, d.Path, name)
		if err != nil {
			return nil, err
		}
		q.certs = list
	}
	return &q, nil
}

// CheckDataDigest checks the hex sha256 of a data file, hashed by the
// caller while reading it, against the policy's pin. For files too large
// to hold in memory (an OSV zip); WithData does the same for bytes.
func (p *Policy) CheckDataDigest(name, sha256Hex string) error {
	d := p.data[name]
	if d == nil {
		return reason.New(reason.PolicyInvalid, "name a data file listed under data: in the policy", "policy %s names no data file %q", p.name, name)
	}
	if got := strings.ToLower(sha256Hex); got != d.SHA256 {
		return &FileError{Name: p.name, Problems: []Problem{{Pos: d.sumPos, Code: reason.DataDigestMismatch,
			Path: fmt.Sprintf("data[%s].sha256", name),
			Msg:  fmt.Sprintf("data file %s (%s) does not match its pin: got sha256 %s, want %s", name, d.Path, got, d.SHA256),
			Hint: "the file changed since the policy pinned it: review the change, then update the sha256 in the policy"}}}
	}
	return nil
}

// certificationList is a parsed certification data file.
type certificationList struct {
	name    string // the data file's name in the policy
	entries []certificationEntry
	byPURL  map[string][]int // purl without version -> entries
	bySHA   map[string][]int
}

type certificationListDoc struct {
	APIVersion string                   `yaml:"apiVersion"`
	Kind       string                   `yaml:"kind"`
	Entries    []certificationEntrySpec `yaml:"entries"`
}

type certificationEntrySpec struct {
	PURL      string `yaml:"purl"`
	SHA256    string `yaml:"sha256,text"`
	Certifier string `yaml:"certifier"`
	Reference string `yaml:"reference"`
	Expires   string `yaml:"expires,date"`
}

type certificationEntry struct {
	certificationEntrySpec
	version string    // empty: every version
	until   time.Time // zero: no expiry
}

// parseCertificationList reads a certification list:
//
//	apiVersion: sovcheck.dev/v1alpha1
//	kind: CertificationList
//	entries:
//	  - purl: pkg:golang/golang.org/x/text@v0.42.0   # without @version: every version
//	    sha256: <hex>                                # or an artifact digest
//	    certifier: Federal Office for Information Security
//	    reference: BSI-DSZ-CC-1234
//	    expires: 2027-06-30
func parseCertificationList(data []byte, file, name string) (*certificationList, error) {
	ps := &problems{}
	root := parseYAML(data, MaxDataListBytes, ps, "certification list")
	if root == nil {
		return nil, retag(ps.err(file), reason.DataInvalid)
	}
	ps.root = root
	var doc certificationListDoc
	(&decoder{ps: ps, maxItems: MaxCertifications}).decode(root, reflect.ValueOf(&doc).Elem(), "", "")
	if len(ps.list) > 0 {
		return nil, retag(ps.err(file), reason.DataInvalid)
	}
	if doc.APIVersion != APIVersion {
		ps.at("apiVersion", "add 'apiVersion: "+APIVersion+"'", "got apiVersion %q, want %q", doc.APIVersion, APIVersion)
	}
	if doc.Kind != KindCertificationList {
		ps.at("kind", "add 'kind: "+KindCertificationList+"'", "got kind %q, want %q", doc.Kind, KindCertificationList)
	}
	l := &certificationList{name: name, byPURL: map[string][]int{}, bySHA: map[string][]int{}}
	for i, e := range doc.Entries {
		path := fmt.Sprintf("entries[%d]", i)
		ce := certificationEntry{certificationEntrySpec: e}
		if e.PURL == "" && e.SHA256 == "" {
			ps.at(path, "give the certified package's purl, or the certified artifact's sha256", "entry names neither purl nor sha256")
		}
		if e.PURL != "" {
			base, version, ok := splitPURL(e.PURL)
			if !ok {
				ps.at(path+".purl", "write a package URL such as pkg:golang/golang.org/x/text@v0.42.0", "invalid purl %q", e.PURL)
			}
			ce.version = version
			l.byPURL[base] = append(l.byPURL[base], i)
		}
		if e.SHA256 != "" {
			hexSum := strings.ToLower(strings.TrimPrefix(e.SHA256, "sha256:"))
			if len(hexSum) != 64 || strings.Trim(hexSum, "0123456789abcdef") != "" {
				ps.at(path+".sha256", "give 64 hex digits", "invalid sha256 %q", e.SHA256)
			}
			l.bySHA[hexSum] = append(l.bySHA[hexSum], i)
		}
		if e.Expires != "" {
			until, err := parseExpiry(e.Expires)
			if err != nil {
				ps.at(path+".expires", "write a date as YYYY-MM-DD", "%v", err)
			}
			ce.until = until
		}
		l.entries = append(l.entries, ce)
	}
	if err := ps.err(file); err != nil {
		return nil, retag(err, reason.DataInvalid)
	}
	return l, nil
}

// retag gives every problem of a data file the given code.
func retag(err error, code string) error {
	if fe, ok := err.(*FileError); ok {
		for i := range fe.Problems {
			if fe.Problems[i].Code == reason.PolicyInvalid {
				fe.Problems[i].Code = code
			}
		}
	}
	return err
}

// splitPURL returns the purl without qualifiers, subpath and version, and
// the version. ok is false for anything that is not a package URL.
func splitPURL(s string) (base, version string, ok bool) {
	if !strings.HasPrefix(s, "pkg:") {
		return "", "", false
	}
	s, _, _ = strings.Cut(s, "#")
	s, _, _ = strings.Cut(s, "?")
	slash := strings.LastIndex(s, "/")
	if slash < len("pkg:")+1 || slash == len(s)-1 {
		return "", "", false
	}
	if at := strings.LastIndex(s, "@"); at > slash {
		s, version = s[:at], s[at+1:]
		if version == "" {
			return "", "", false
		}
	}
	return s, version, true
}

// Certification says whether a dependency or artifact counts as certified
// under the policy, and by what.
type Certification struct {
	Certified bool   `json:"certified"`
	By        string `json:"by,omitempty"`      // "vsa" or "list"
	Source    string `json:"source,omitempty"`  // VSA evidence file, or the list's data file name
	Pointer   string `json:"pointer,omitempty"` // JSON pointer of the list entry
	Detail    string `json:"detail,omitempty"`  // certifier key id, or certifier and reference
	Reason    string `json:"reason,omitempty"`  // reason code when not certified
	Message   string `json:"message,omitempty"` // why not, for CI logs
	Hint      string `json:"hint,omitempty"`
}

// Certifies reports whether the policy has a certification section: a
// policy without one certifies no dependency, which for a gate is a
// configuration error rather than one finding per dependency.
func (p *Policy) Certifies() bool { return p.doc.Certification != nil }

// Certify says whether a dependency is certified at now: it carries a
// verified VSA with result PASSED signed by a certifier key the policy
// trusts, or the policy's certification list holds an unexpired entry for
// its purl (with or without version) or its sha256. A policy without a
// certification section certifies nothing.
func (p *Policy) Certify(c Component, now time.Time) Certification {
	return p.certify(c.PURL, c.SHA256, c.VSAs, now)
}

func (p *Policy) certify(purl, sha string, vsas []VSA, now time.Time) Certification {
	cs := p.doc.Certification
	if cs == nil {
		return Certification{Reason: reason.PolicyUncertified, Message: "the policy names no certification",
			Hint: "add a certification section with a certification list or trusted certifier keys"}
	}
	var otherPolicy []string // VSAs of trusted certifiers issued under policies this one does not accept
	for _, v := range vsas {
		if v.Result != vocab.VSAPassed || !p.certKeys[strings.ToLower(v.CertifierKeyID)] {
			continue
		}
		if digest := strings.ToLower(v.PolicyDigest); len(p.certPols) > 0 && !p.certPols[digest] {
			otherPolicy = append(otherPolicy, fmt.Sprintf("the VSA %s was issued under policy %s, which certification.policies does not list", v.Evidence, policyName(digest)))
			continue
		}
		return Certification{Certified: true, By: "vsa", Source: v.Evidence, Detail: "certifier key sha256:" + strings.ToLower(v.CertifierKeyID)}
	}
	var expired []string
	if cs.List != "" {
		if p.certs == nil {
			return Certification{Reason: reason.DataNotLoaded, Message: fmt.Sprintf("certification list %q was not loaded", cs.List),
				Hint: "this is a defect in the caller: the policy's data files must be loaded before certifying"}
		}
		var candidates []int
		if base, version, ok := splitPURL(purl); ok {
			for _, i := range p.certs.byPURL[base] {
				if e := p.certs.entries[i]; e.version == "" || e.version == version {
					candidates = append(candidates, i)
				}
			}
		}
		if sha != "" {
			candidates = append(candidates, p.certs.bySHA[strings.ToLower(sha)]...)
		}
		for _, i := range candidates {
			e := p.certs.entries[i]
			if !e.until.IsZero() && !now.Before(e.until) {
				expired = append(expired, fmt.Sprintf("/entries/%d expired on %s", i, e.Expires))
				continue
			}
			detail := strings.TrimSpace(strings.Join([]string{e.Certifier, e.Reference}, " "))
			return Certification{Certified: true, By: "list", Source: p.certs.name, Pointer: fmt.Sprintf("/entries/%d", i), Detail: detail}
		}
	}
	c := Certification{Reason: reason.PolicyUncertified, Message: "not on the certification list and no VSA from a trusted certifier",
		Hint: "have the dependency certified (a VSA signed by a trusted certifier key, or an entry in the certification list), or replace it"}
	if cs.List == "" {
		c.Message = "no VSA from a trusted certifier"
	}
	if len(expired) > 0 {
		c.Message += "; certification " + strings.Join(expired, ", ")
		c.Hint = "renew the certification, then update the certification list and its sha256 pin in the policy"
	}
	if len(otherPolicy) > 0 {
		c.Message += "; " + strings.Join(otherPolicy, ", ")
		c.Hint = "have the certifier verify the dependency under an accepted policy, or review certification.policies"
	}
	return c
}

// policyName names a policy by its digest for messages.
func policyName(hexSum string) string {
	if hexSum == "" {
		return "(no digest recorded)"
	}
	return "sha256:" + hexSum
}
