package data

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"golang.org/x/mod/modfile"
	"golang.org/x/mod/module"
	"golang.org/x/mod/semver"

	"github.com/sovcheck/sovcheck/internal/boundedio"
	"github.com/sovcheck/sovcheck/internal/reason"
	"github.com/sovcheck/sovcheck/sbom"
)

// GoProxy looks Go modules up with the module proxy protocol (GOPROXY):
// the version list, the latest version's release time (.info) and its
// go.mod (Deprecated comment, retract directives).
type GoProxy struct {
	base   string // http(s):// or file:// URL, no trailing slash
	client *http.Client
	now    func() time.Time
	limit  int64
	cache  *cache // nil for file:// proxies, read in place
}

// NewGoProxy returns a source for the proxy at base (https://proxy.golang.org,
// a loopback mirror, or file:///path as the go command accepts).
func NewGoProxy(base string, client *http.Client, opts ...Option) (*GoProxy, error) {
	o, err := newOptions(opts)
	if err != nil {
		return nil, err
	}
	if !strings.HasPrefix(base, "http://") && !strings.HasPrefix(base, "https://") && !strings.HasPrefix(base, "file://") {
		return nil, reason.New(reason.InputMalformed, "give a proxy URL such as https://proxy.golang.org or file:///srv/goproxy", "Go proxy %q is not an http(s) or file URL", base)
	}
	if client == nil {
		client = http.DefaultClient
	}
	g := &GoProxy{base: strings.TrimSuffix(base, "/"), client: client, now: o.now, limit: o.limits.MaxResponseBytes, cache: o.cache}
	if strings.HasPrefix(base, "file://") {
		g.cache = nil
	}
	return g, nil
}

// Kind is "goproxy".
func (*GoProxy) Kind() string { return "goproxy" }

// Handles Go module keys (pkg:golang/...).
func (*GoProxy) Handles(key string) bool { return strings.HasPrefix(key, "pkg:golang/") }

// Lookup reads the module's versions, the latest one's release time and
// go.mod.
func (g *GoProxy) Lookup(ctx context.Context, key string) (*sbom.PackageFacts, []sbom.RiskDataSource, error) {
	path := strings.TrimPrefix(key, "pkg:golang/")
	esc, err := module.EscapePath(path)
	if err != nil {
		return nil, nil, reason.Wrap(err, reason.RiskDataNotFound, "the purl does not name a valid Go module path", "looking up %s", key)
	}
	var srcs []sbom.RiskDataSource
	get := func(rel string) ([]byte, string, error) {
		u := g.base + "/" + esc + "/" + rel
		body, fetched, err := g.cache.get(ctx, g.Kind(), u, g.limit, func(ctx context.Context) ([]byte, error) { return g.fetch(ctx, u) }, g.now)
		if err == nil {
			srcs = append(srcs, sourceRecord(g.Kind(), u, fetched, body))
		}
		return body, u, err
	}
	list, listURL, err := get("@v/list")
	if err != nil {
		return nil, srcs, err
	}
	// The highest release, else the highest pre-release, as the go
	// command's @latest.
	var release, pre string
	for _, v := range strings.Fields(string(list)) {
		switch {
		case !semver.IsValid(v):
		case semver.Prerelease(v) == "" && (release == "" || semver.Compare(v, release) > 0):
			release = v
		case semver.Prerelease(v) != "" && (pre == "" || semver.Compare(v, pre) > 0):
			pre = v
		}
	}
	latest := cmp.Or(release, pre)
	f := &sbom.PackageFacts{Key: key, Source: listURL, Record: listURL, Evidence: map[string]string{}}
	if latest == "" {
		info, u, err := get("@latest")
		if err != nil {
			return nil, srcs, err
		}
		var li struct{ Version string }
		if err := json.Unmarshal(info, &li); err != nil || !semver.IsValid(li.Version) {
			return nil, srcs, reason.New(reason.RiskDataMalformed, "the proxy's @latest answer is not a version", "reading %s", u)
		}
		latest = li.Version
	}
	f.LatestVersion = latest
	f.Evidence["latestVersion"] = listURL
	info, infoURL, err := get("@v/" + latest + ".info")
	if err != nil {
		return nil, srcs, err
	}
	var vi struct {
		Version string
		Time    time.Time
	}
	if err := json.Unmarshal(info, &vi); err != nil || vi.Time.IsZero() {
		return nil, srcs, reason.New(reason.RiskDataMalformed, "the proxy's .info answer has no Time", "reading %s", infoURL)
	}
	f.LatestRelease = vi.Time.UTC().Format(time.DateOnly)
	f.Evidence["latestRelease"] = infoURL
	mod, modURL, err := get("@v/" + latest + ".mod")
	if err != nil {
		return nil, srcs, err
	}
	mf, err := modfile.ParseLax(modURL, mod, nil)
	if err != nil {
		return nil, srcs, reason.Wrap(err, reason.RiskDataMalformed, "the proxy served a go.mod that does not parse", "reading %s", modURL)
	}
	if mf.Module != nil && mf.Module.Deprecated != "" {
		f.Deprecated = mf.Module.Deprecated
		f.Evidence["deprecated"] = modURL
	}
	for _, r := range mf.Retract {
		if r.Low == r.High {
			f.Retracted = append(f.Retracted, r.Low)
		} else {
			f.Retracted = append(f.Retracted, fmt.Sprintf("[%s, %s]", r.Low, r.High))
		}
		f.Evidence["retracted"] = modURL
	}
	if strings.HasPrefix(path, "github.com/") || strings.HasPrefix(path, "gitlab.com/") {
		parts := strings.SplitN(path, "/", 4)
		if len(parts) >= 3 {
			f.Repository = "https://" + strings.Join(parts[:3], "/")
		}
	}
	return f, srcs, nil
}

// fetch reads one proxy URL within the response limit. 404 and 410 mean
// the proxy does not know the module.
func (g *GoProxy) fetch(ctx context.Context, u string) ([]byte, error) {
	if p, ok := strings.CutPrefix(u, "file://"); ok {
		f, err := os.Open(filepath.FromSlash(p))
		if err != nil {
			if os.IsNotExist(err) {
				return nil, reason.Wrap(err, reason.RiskDataNotFound, "the proxy does not know this module or version", "reading %s", u)
			}
			return nil, reason.Wrap(err, reason.RiskDataLookupFailed, "check the proxy directory", "reading %s", u)
		}
		defer f.Close()
		return readBounded(f, g.limit, u)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, reason.Wrap(err, reason.RiskDataLookupFailed, "", "requesting %s", u)
	}
	resp, err := g.client.Do(req)
	if err != nil {
		return nil, reason.Wrap(err, reason.RiskDataLookupFailed, "check the network and the proxy URL; run the pull again", "requesting %s", u)
	}
	defer resp.Body.Close()
	switch {
	case resp.StatusCode == http.StatusNotFound || resp.StatusCode == http.StatusGone:
		return nil, reason.New(reason.RiskDataNotFound, "the proxy does not know this module or version", "requesting %s: %s", u, resp.Status)
	case resp.StatusCode != http.StatusOK:
		return nil, reason.New(reason.RiskDataLookupFailed, "the proxy answered with an error; run the pull again later", "requesting %s: %s", u, resp.Status)
	}
	return readBounded(resp.Body, g.limit, u)
}

func readBounded(r io.Reader, limit int64, what string) ([]byte, error) {
	b, err := boundedio.ReadAll(r, limit)
	switch {
	case reason.CodeOf(err, "") == reason.InputTooLarge:
		return nil, &reason.Error{Code: reason.InputTooLarge, Msg: "reading " + what + ": response exceeds the limit",
			Got: fmt.Sprintf("more than %d bytes", limit), Want: fmt.Sprintf("at most %d bytes", limit), Hint: "the source answered with more than a registry response should hold"}
	case err != nil:
		return nil, reason.Wrap(err, reason.RiskDataLookupFailed, "run the pull again", "reading %s", what)
	}
	return b, nil
}
