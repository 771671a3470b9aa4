package sbom

import (
	"bytes"
	"fmt"
	"io"
	"regexp"
	"strings"
	"sync"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/sovcheck/sovcheck/internal/reason"
)

// Registry is the trust registry: what an organisation knows about the
// stewards of upstream projects and about its suppliers. SBOMs rarely
// carry this; without a registry the stewardship labels say "unknown".
type Registry struct {
	source    string
	Stewards  []Steward  `yaml:"stewards"`
	Suppliers []Supplier `yaml:"suppliers"`
	// Providers are hosting providers of services (hosting.go).
	Providers []Provider `yaml:"providers"`

	byUpstream map[string]int
	bySupplier map[string]int
	byProvider map[string]int
}

// Steward is the person or organisation that maintains an upstream project.
type Steward struct {
	Name string `yaml:"name"`
	// Upstreams are the upstream keys or mapping ids this steward
	// maintains (src:xz, pkg:npm/left-pad, a mapping id, a repository URL).
	Upstreams []string `yaml:"upstreams"`
	Party     `yaml:",inline"`
	// Maintainers is the number of people with release rights;
	// AnonymousMaintainers how many of them are not identified.
	Maintainers          *int   `yaml:"maintainers"`
	AnonymousMaintainers *int   `yaml:"anonymousMaintainers"`
	LastRelease          string `yaml:"lastRelease"` // YYYY-MM-DD
	Funding              string `yaml:"funding"`     // free text: none, volunteer, foundation, commercial, ...

	lastRelease time.Time
}

// Supplier is an organisation that delivers components.
type Supplier struct {
	Name string `yaml:"name"`
	// Aliases are other spellings SBOMs use for the same supplier.
	Aliases []string `yaml:"aliases"`
	Party   `yaml:",inline"`
}

// Party holds what stewards and suppliers share.
type Party struct {
	// Jurisdiction is an ISO 3166-1 alpha-2 country code, or EU.
	Jurisdiction   string          `yaml:"jurisdiction"`
	Certifications []Certification `yaml:"certifications"`
	// Alternatives names interchangeable sources (other upstreams or
	// suppliers); a party with alternatives is not a single source.
	Alternatives []string `yaml:"alternatives"`
}

// Certification is one certificate a party holds.
type Certification struct {
	Scheme     string `yaml:"scheme"`
	ValidUntil string `yaml:"validUntil"` // YYYY-MM-DD; empty: no expiry stated

	validUntil time.Time
}

var jurisdictionRE = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^([A-Z]{2})$`) })

const hintRegistry = "see the trust registry format in the sbom package documentation"

// ReadRegistry reads a trust registry YAML document.
func ReadRegistry(r io.Reader, name string, opts ...Option) (*Registry, error) {
	o, err := newOptions(opts)
	if err != nil {
		return nil, err
	}
	data, err := readLimited(r, o.limits.MaxDataFileBytes, "trust registry "+quoteName(name), "keep the registry under the data file limit")
	if err != nil {
		return nil, err
	}
	return parseRegistry(data, name)
}

// LoadRegistry reads the trust registry at path.
func LoadRegistry(path string, opts ...Option) (*Registry, error) {
	o, err := newOptions(opts)
	if err != nil {
		return nil, err
	}
	data, err := readFileLimited(path, o.limits.MaxDataFileBytes, "trust registry "+quoteName(path), "keep the registry under the data file limit")
	if err != nil {
		return nil, err
	}
	return parseRegistry(data, path)
}

func parseRegistry(data []byte, name string) (*Registry, error) {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	reg := &Registry{}
	if err := dec.Decode(reg); err != nil && err != io.EOF {
		return nil, dataMalformed(err, hintRegistry, "decoding trust registry %s", quoteName(name))
	}
	reg.source = name
	reg.byUpstream = map[string]int{}
	reg.bySupplier = map[string]int{}
	bad := func(format string, args ...any) error {
		return reason.New(reason.SBOMDataMalformed, hintRegistry, "validating trust registry %s: %s", quoteName(name), fmt.Sprintf(format, args...))
	}
	for i := range reg.Stewards {
		s := &reg.Stewards[i]
		if strings.TrimSpace(s.Name) == "" {
			return nil, bad("stewards[%d] has no name", i)
		}
		if err := s.Party.validate(fmt.Sprintf("stewards[%d]", i), bad); err != nil {
			return nil, err
		}
		if s.Maintainers != nil && *s.Maintainers < 0 {
			return nil, bad("stewards[%d].maintainers: got %d, want 0 or more", i, *s.Maintainers)
		}
		if s.AnonymousMaintainers != nil {
			if *s.AnonymousMaintainers < 0 || (s.Maintainers != nil && *s.AnonymousMaintainers > *s.Maintainers) {
				return nil, bad("stewards[%d].anonymousMaintainers: got %d, want 0 to maintainers", i, *s.AnonymousMaintainers)
			}
		}
		if s.LastRelease != "" {
			t, err := time.Parse(time.DateOnly, s.LastRelease)
			if err != nil {
				return nil, bad("stewards[%d].lastRelease: got %q, want YYYY-MM-DD", i, s.LastRelease)
			}
			s.lastRelease = t
		}
		for _, u := range s.Upstreams {
			key := registryUpstreamKey(u)
			if prev, dup := reg.byUpstream[key]; dup && prev != i {
				return nil, bad("upstream %q is claimed by stewards[%d] and stewards[%d]", u, prev, i)
			}
			reg.byUpstream[key] = i
		}
	}
	for i := range reg.Suppliers {
		s := &reg.Suppliers[i]
		if strings.TrimSpace(s.Name) == "" {
			return nil, bad("suppliers[%d] has no name", i)
		}
		if err := s.Party.validate(fmt.Sprintf("suppliers[%d]", i), bad); err != nil {
			return nil, err
		}
		for _, n := range append([]string{s.Name}, s.Aliases...) {
			key := supplierKey(n)
			if prev, dup := reg.bySupplier[key]; dup && prev != i {
				return nil, bad("supplier name %q is used by suppliers[%d] and suppliers[%d]", n, prev, i)
			}
			reg.bySupplier[key] = i
		}
	}
	if err := reg.validateProviders(bad); err != nil {
		return nil, err
	}
	return reg, nil
}

func (p *Party) validate(where string, bad func(string, ...any) error) error {
	if p.Jurisdiction != "" {
		j := strings.ToUpper(strings.TrimSpace(p.Jurisdiction))
		if !jurisdictionRE().MatchString(j) {
			return bad("%s.jurisdiction: got %q, want an ISO 3166-1 alpha-2 code or EU", where, p.Jurisdiction)
		}
		p.Jurisdiction = j
	}
	for k := range p.Certifications {
		c := &p.Certifications[k]
		if strings.TrimSpace(c.Scheme) == "" {
			return bad("%s.certifications[%d] has no scheme", where, k)
		}
		if c.ValidUntil != "" {
			t, err := time.Parse(time.DateOnly, c.ValidUntil)
			if err != nil {
				return bad("%s.certifications[%d].validUntil: got %q, want YYYY-MM-DD", where, k, c.ValidUntil)
			}
			c.validUntil = t
		}
	}
	return nil
}

// registryUpstreamKey normalises a registry upstream entry; entries that
// are not keys (mapping ids) are kept as written.
func registryUpstreamKey(u string) string {
	if k, err := normalizeUpstreamKey(u); err == nil {
		return k
	}
	return strings.TrimSpace(u)
}

// supplierKey folds case, punctuation and common legal suffixes, so that
// "Example, Inc." and "example inc" match.
func supplierKey(name string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(name) {
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r > 127 {
			b.WriteRune(r)
		} else {
			b.WriteByte(' ')
		}
	}
	return strings.Join(strings.Fields(b.String()), " ")
}

// steward returns the steward of upstream id, with its index.
func (r *Registry) steward(id string) (*Steward, int, bool) {
	if r == nil {
		return nil, -1, false
	}
	i, ok := r.byUpstream[id]
	if !ok {
		return nil, -1, false
	}
	return &r.Stewards[i], i, true
}

// supplier returns the registry entry for an SBOM supplier name.
func (r *Registry) supplier(name string) (*Supplier, int, bool) {
	if r == nil || name == "" {
		return nil, -1, false
	}
	i, ok := r.bySupplier[supplierKey(name)]
	if !ok {
		return nil, -1, false
	}
	return &r.Suppliers[i], i, true
}

// certifiedAt reports the first certification valid at t, if any.
func (p *Party) certifiedAt(t time.Time) (Certification, bool) {
	for _, c := range p.Certifications {
		if c.validUntil.IsZero() || !t.After(c.validUntil.Add(24*time.Hour-time.Nanosecond)) {
			return c, true
		}
	}
	return Certification{}, false
}
