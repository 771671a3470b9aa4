package data

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/sovcheck/sovcheck/internal/reason"
	"github.com/sovcheck/sovcheck/sbom"
)

// NPMRegistry looks npm packages up in a registry that speaks the npm
// registry API (registry.npmjs.org, a mirror, verdaccio): the packument
// (GET /NAME) gives the maintainers, the dist-tags, each version's publish
// time and deprecation, and the repository.
type NPMRegistry struct {
	base   string // http(s):// URL, no trailing slash
	client *http.Client
	now    func() time.Time
	limit  int64
	cache  *cache
}

// Limits of the packument reader.
const (
	// maxNPMMaintainers is the most maintainers read from one packument.
	maxNPMMaintainers = 1000
	// maxNPMVersions is the most versions one packument may list.
	maxNPMVersions = 100_000
)

// NewNPMRegistry returns a source for the npm registry at base
// (https://registry.npmjs.org, or a loopback mirror).
func NewNPMRegistry(base string, client *http.Client, opts ...Option) (*NPMRegistry, error) {
	o, err := newOptions(opts)
	if err != nil {
		return nil, err
	}
	if u, err := url.Parse(base); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, reason.New(reason.InputMalformed, "give a registry URL such as https://registry.npmjs.org", "npm registry %q is not an http(s) URL", base)
	}
	if client == nil {
		client = http.DefaultClient
	}
	return &NPMRegistry{base: strings.TrimSuffix(base, "/"), client: client, now: o.now, limit: o.limits.MaxResponseBytes, cache: o.cache}, nil
}

// Kind is "npm".
func (*NPMRegistry) Kind() string { return "npm" }

// Handles npm package keys (pkg:npm/NAME, pkg:npm/@SCOPE/NAME).
func (*NPMRegistry) Handles(key string) bool { return strings.HasPrefix(key, "pkg:npm/") }

// packument is the part of an npm registry document that is read.
type packument struct {
	Name        string            `json:"name"`
	DistTags    map[string]string `json:"dist-tags"`
	Maintainers npmPeople         `json:"maintainers"`
	// Time maps each version, and "created" and "modified", to a time; an
	// unpublished package has "unpublished" here, an object.
	Time       map[string]json.RawMessage `json:"time"`
	Versions   map[string]npmVersion      `json:"versions"`
	Repository json.RawMessage            `json:"repository"`
	Homepage   string                     `json:"homepage"`
}

type npmPerson struct {
	Name  string `json:"name"`
	Email string `json:"email"`
}

// npmPeople reads a person or a list of people, each an object
// {name, email} or a string "Name <email> (url)", as package.json allows;
// anything else reads as no one, so that an odd old version does not make
// the whole packument unreadable.
type npmPeople []npmPerson

// UnmarshalJSON reads one person or a list.
func (p *npmPeople) UnmarshalJSON(b []byte) error {
	var raws []json.RawMessage
	if json.Unmarshal(b, &raws) != nil {
		raws = []json.RawMessage{b}
	}
	*p = nil
	for _, r := range raws {
		var o npmPerson
		var s string
		switch {
		case json.Unmarshal(r, &s) == nil:
			o.Name, s, _ = strings.Cut(s, "<")
			o.Name = strings.TrimSpace(o.Name)
			o.Email, _, _ = strings.Cut(s, ">")
		case json.Unmarshal(r, &o) != nil:
			continue
		}
		if o.Name != "" || o.Email != "" {
			*p = append(*p, o)
		}
	}
	return nil
}

type npmVersion struct {
	// Deprecated is a string, or false in some old documents.
	Deprecated  json.RawMessage `json:"deprecated"`
	Repository  json.RawMessage `json:"repository"`
	Maintainers npmPeople       `json:"maintainers"`
	NPMUser     npmPeople       `json:"_npmUser"`
}

// Lookup reads the package's packument.
func (n *NPMRegistry) Lookup(ctx context.Context, key string) (*sbom.PackageFacts, []sbom.RiskDataSource, error) {
	name := strings.TrimPrefix(key, "pkg:npm/")
	if name == "" || strings.Count(name, "/") > 1 || (strings.Contains(name, "/") && !strings.HasPrefix(name, "@")) {
		return nil, nil, reason.New(reason.RiskDataNotFound, "the purl does not name an npm package", "looking up %s", key)
	}
	// The registry wants a scoped name with its slash escaped: @scope%2fname.
	u := n.base + "/" + strings.Replace(url.PathEscape(name), "%2F", "%2f", 1)
	body, fetched, err := n.cache.get(ctx, n.Kind(), u, n.limit, func(ctx context.Context) ([]byte, error) {
		return getHTTP(ctx, n.client, u, n.limit, "application/json", "the registry does not know this package")
	}, n.now)
	if err != nil {
		return nil, nil, err
	}
	srcs := []sbom.RiskDataSource{sourceRecord(n.Kind(), u, fetched, body)}
	f, err := parsePackument(body, key, u)
	return f, srcs, err
}

// parsePackument reads the facts of key from an npm packument read from u.
func parsePackument(body []byte, key, u string) (*sbom.PackageFacts, error) {
	var p packument
	if err := json.NewDecoder(bytes.NewReader(body)).Decode(&p); err != nil {
		return nil, reason.Wrap(err, reason.RiskDataMalformed, "the registry served a document that is not an npm packument", "decoding %s", u)
	}
	if len(p.Versions) == 0 {
		if _, gone := p.Time["unpublished"]; gone {
			return nil, reason.New(reason.RiskDataNotFound, "the package was unpublished from the registry", "reading %s: no versions", u)
		}
		return nil, reason.New(reason.RiskDataMalformed, "the registry served a packument without versions", "reading %s: no versions", u)
	}
	if len(p.Versions) > maxNPMVersions {
		return nil, &reason.Error{Code: reason.InputTooLarge, Msg: "reading " + u + ": packument lists too many versions",
			Got: fmt.Sprint(len(p.Versions)), Want: fmt.Sprintf("at most %d", maxNPMVersions), Hint: "the registry answered with more than a packument should hold"}
	}
	f := &sbom.PackageFacts{Key: key, Source: u, Record: u}
	latest := p.DistTags["latest"]
	v, ok := p.Versions[latest]
	if !ok {
		return nil, reason.New(reason.RiskDataMalformed, "the packument's dist-tags.latest names no listed version", "reading %s: latest %q", u, latest)
	}
	// Who may publish: the packument's maintainers (registry.npmjs.org
	// keeps them there), else the latest version's (where verdaccio keeps
	// what was published), else the account that published it. npm
	// maintainers are accounts of people: the packument lists no teams.
	people := p.Maintainers
	switch {
	case len(people) > 0:
		f.Record = u + "#/maintainers"
	case len(v.Maintainers) > 0:
		people, f.Record = v.Maintainers, u+"#/versions/"+latest+"/maintainers"
	case len(v.NPMUser) > 0:
		people, f.Record = v.NPMUser, u+"#/versions/"+latest+"/_npmUser"
	}
	if len(people) > maxNPMMaintainers {
		return nil, &reason.Error{Code: reason.InputTooLarge, Msg: "reading " + u + ": packument lists too many maintainers",
			Got: fmt.Sprint(len(people)), Want: fmt.Sprintf("at most %d", maxNPMMaintainers), Hint: "the registry answered with more than a packument should hold"}
	}
	for _, m := range people {
		f.Maintainers = append(f.Maintainers, sbom.Maintainer{Name: m.Name, Email: m.Email})
	}
	if len(f.Maintainers) > 0 {
		f.Steward = f.Maintainers[0].Name
	}
	f.LatestVersion = latest
	if raw, ok := p.Time[latest]; ok {
		var t time.Time
		if err := json.Unmarshal(raw, &t); err != nil {
			return nil, reason.Wrap(err, reason.RiskDataMalformed, "the packument's time of the latest version is not a time", "reading %s", u)
		}
		f.LatestRelease = t.UTC().Format(time.DateOnly)
	}
	var dep string
	if len(v.Deprecated) > 0 && json.Unmarshal(v.Deprecated, &dep) == nil && dep != "" {
		// npm deprecate sets the message on each version it names; the
		// package counts as deprecated when its latest version is.
		f.Deprecated = dep
	}
	f.Repository = npmRepository(v.Repository)
	if f.Repository == "" {
		f.Repository = npmRepository(p.Repository)
	}
	f.Homepage = p.Homepage
	return f, nil
}

// npmRepository reads package.json's repository: a string ("github:u/r",
// "https://...") or {type, url}; a git+https://...git URL becomes
// https://....
func npmRepository(raw json.RawMessage) string {
	if len(raw) == 0 {
		return ""
	}
	var s string
	if json.Unmarshal(raw, &s) != nil {
		var o struct {
			URL string `json:"url"`
		}
		if json.Unmarshal(raw, &o) != nil {
			return ""
		}
		s = o.URL
	}
	s = strings.TrimPrefix(strings.TrimSpace(s), "git+")
	if rest, ok := strings.CutPrefix(s, "github:"); ok {
		s = "https://github.com/" + rest
	} else if !strings.Contains(s, ":") && strings.Count(s, "/") == 1 {
		s = "https://github.com/" + s // npm's "user/repo" shorthand
	}
	if strings.HasPrefix(s, "git://") {
		s = "https://" + strings.TrimPrefix(s, "git://")
	}
	return strings.TrimSuffix(s, ".git")
}
