package oci

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote/transport"
	"github.com/google/go-containerregistry/pkg/v1/types"

	"github.com/sovcheck/sovcheck/internal/boundedio"
	"github.com/sovcheck/sovcheck/internal/reason"
)

// errPlainHTTP is a request over plain HTTP to a host not named insecure.
var errPlainHTTP = errors.New("refusing plain HTTP")

// Limits of registry responses besides manifests and blobs.
const (
	// maxErrorBody is the most of an error response read for its message.
	maxErrorBody = 64 << 10
	// maxTagListPage is the most read of one page of a tag list, and
	// maxTagPages the most pages read; past them, tags are asked for one
	// by one.
	maxTagListPage = 4 << 20
	maxTagPages    = 20
	tagPageSize    = 1000
)

// registryClient talks to registries. It keeps one authenticated transport
// per repository, so many images of one repository share the token and
// the connections.
type registryClient struct {
	insecure map[string]bool
	rt       http.RoundTripper // retries over the plain-HTTP guard
	keychain authn.Keychain
	timeout  time.Duration
	logger   *slog.Logger

	mu    sync.Mutex
	conns map[string]*repoConn
}

// repoConn is what a run learns once about one repository: its
// authenticated client, its tags, and whether it has the referrers API.
type repoConn struct {
	ready  chan struct{}
	client *http.Client
	err    error

	tagsOnce sync.Once
	tags     atomic.Pointer[map[string]bool] // nil until read, and when it cannot be

	noReferrersAPI atomic.Bool
}

func newRegistryClient(o config) *registryClient {
	logger := o.logger
	base := &http.Transport{
		Proxy:                 http.ProxyFromEnvironment,
		DialContext:           (&net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		ForceAttemptHTTP2:     true,
		MaxIdleConns:          100,
		MaxIdleConnsPerHost:   32,
		IdleConnTimeout:       90 * time.Second,
		TLSHandshakeTimeout:   10 * time.Second,
		ResponseHeaderTimeout: 30 * time.Second,
		ExpectContinueTimeout: time.Second,
	}
	insecure := map[string]bool{}
	for _, h := range o.insecure {
		insecure[h] = true
	}
	return &registryClient{
		insecure: insecure,
		rt:       &retryTransport{inner: &guardTransport{inner: base, insecure: insecure}, attempts: o.attempts, delay: o.retryDelay, logger: logger},
		keychain: authn.DefaultKeychain,
		timeout:  o.timeout,
		logger:   logger,
		conns:    map[string]*repoConn{},
	}
}

// open returns the store of ref's repository, authenticating once per
// repository and run.
func (c *registryClient) open(ctx context.Context, ref name.Reference) (*registryStore, error) {
	repo := ref.Context()
	if c.insecure[repo.RegistryStr()] {
		r, err := name.NewRepository(repo.Name(), name.Insecure)
		if err != nil {
			return nil, reason.Wrap(err, reason.InputMalformed, "check the image reference", "parsing repository %q", repo.Name())
		}
		repo = r
	}
	rc, err := c.conn(ctx, repo)
	if err != nil {
		return nil, c.classify(ctx, err, "connecting to registry "+repo.RegistryStr())
	}
	s := &registryStore{repo: repo, client: rc.client, c: c, rc: rc}
	rc.tagsOnce.Do(func() {
		// The tag list is read beside the first image's work, not before
		// it: the first images ask for their evidence tags directly.
		go s.readTags()
	})
	return s, nil
}

func (c *registryClient) conn(ctx context.Context, repo name.Repository) (*repoConn, error) {
	key := repo.Name()
	c.mu.Lock()
	if rc, ok := c.conns[key]; ok {
		c.mu.Unlock()
		select {
		case <-rc.ready:
			return rc, rc.err
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	rc := &repoConn{ready: make(chan struct{})}
	c.conns[key] = rc
	c.mu.Unlock()

	auth, err := c.keychain.Resolve(repo)
	if err == nil {
		var rt http.RoundTripper
		rt, err = transport.NewWithContext(ctx, repo.Registry, auth, c.rt, []string{repo.Scope(transport.PullScope)})
		if err == nil {
			rc.client = &http.Client{Transport: rt, CheckRedirect: func(req *http.Request, via []*http.Request) error {
				if len(via) >= 5 {
					return errors.New("stopped after 5 redirects")
				}
				return nil
			}}
		}
	}
	rc.err = err
	if err != nil {
		// A failed handshake is not kept: the next image tries again.
		c.mu.Lock()
		delete(c.conns, key)
		c.mu.Unlock()
	}
	close(rc.ready)
	return rc, rc.err
}

// classify turns a transport error into a reason.
func (c *registryClient) classify(ctx context.Context, err error, what string) *reason.Error {
	var re *reason.Error
	if errors.As(err, &re) {
		return re
	}
	var te *transport.Error
	var ne net.Error
	switch {
	case errors.Is(err, context.DeadlineExceeded) || errors.Is(ctx.Err(), context.DeadlineExceeded):
		return reason.Wrap(err, reason.RegistryTimeout, fmt.Sprintf("the registry did not answer within %s; check that it is up, or raise --registry-timeout", c.timeout),
			"%s", what)
	case errors.Is(err, errPlainHTTP):
		return reason.Wrap(err, reason.RegistryInsecure,
			"the registry speaks plain HTTP; if you trust the network path to it, give --insecure-registry HOST:PORT (signatures are verified either way, but credentials and content travel unprotected)",
			"%s", what)
	case errors.As(err, &te) && (te.StatusCode == http.StatusUnauthorized || te.StatusCode == http.StatusForbidden):
		return reason.Wrap(err, reason.RegistryAuth, "log in with `docker login HOST` (sovcheck reads the docker config, $DOCKER_CONFIG/config.json), or check that the repository exists", "%s", what)
	case errors.As(err, &ne) && ne.Timeout():
		return reason.Wrap(err, reason.RegistryTimeout, "the registry did not answer in time; check that it is up", "%s", what)
	}
	return reason.Wrap(err, reason.RegistryUnavailable, "check the registry address and that it is reachable; transient errors were retried", "%s", what)
}

// registryStore is one repository of a registry.
type registryStore struct {
	repo   name.Repository
	client *http.Client
	c      *registryClient
	rc     *repoConn
}

func (s *registryStore) where(ref string) string {
	if validDigest(ref) {
		return s.repo.Name() + "@" + ref
	}
	return s.repo.Name() + ":" + ref
}

func (s *registryStore) url(kind, ref string) string {
	// https always: the transport switches to http only for registries
	// named insecure, after it has found that they answer over http.
	return "https://" + s.repo.RegistryStr() + "/v2/" + s.repo.RepositoryStr() + "/" + kind + "/" + ref
}

func (s *registryStore) get(ctx context.Context, url, accept, what string) (*http.Response, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, reason.Wrap(err, reason.InputMalformed, "check the image reference", "%s", what)
	}
	if accept != "" {
		req.Header.Set("Accept", accept)
	}
	resp, err := s.client.Do(req)
	if err != nil {
		return nil, s.c.classify(ctx, err, what)
	}
	return resp, nil
}

func (s *registryStore) manifest(ctx context.Context, ref string) (*manifest, error) {
	what := "reading manifest " + s.where(ref)
	if isEvidenceTag(ref) {
		// Most images lack most evidence tags: the repository's tag list,
		// once read, saves a request per absent tag.
		if tags := s.rc.tags.Load(); tags != nil && !(*tags)[ref] {
			return nil, fmt.Errorf("%w: %s", errNotFound, what)
		}
	}
	resp, err := s.get(ctx, s.url("manifests", ref), acceptManifests, what)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode == http.StatusNotFound {
		return nil, fmt.Errorf("%w: %s", errNotFound, what)
	}
	if resp.StatusCode != http.StatusOK {
		return nil, s.statusErr(resp, what)
	}
	if resp.ContentLength > MaxManifestSize {
		return nil, tooLarge("manifest", resp.ContentLength, MaxManifestSize, what)
	}
	body, err := boundedio.ReadAll(resp.Body, MaxManifestSize)
	if reason.CodeOf(err, "") == reason.InputTooLarge {
		return nil, at(manifestTooLarge(MaxManifestSize+1), what)
	}
	if err != nil {
		return nil, s.c.classify(ctx, err, what)
	}
	m, err := parseManifest(body, resp.Header.Get("Content-Type"))
	if err != nil {
		return nil, at(err, what)
	}
	if validDigest(ref) && m.Digest != ref {
		return nil, &reason.Error{Code: reason.DigestMismatch, Msg: what + ": manifest does not match its digest", Got: m.Digest, Want: ref,
			Hint: "the registry serves other bytes than the digest names; do not deploy from it"}
	}
	return m, nil
}

func (s *registryStore) openBlob(ctx context.Context, d v1.Descriptor, what string) (io.ReadCloser, error) {
	resp, err := s.get(ctx, s.url("blobs", d.Digest.String()), "", what)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode == http.StatusNotFound {
		resp.Body.Close()
		return nil, fmt.Errorf("%w: %s", errNotFound, what)
	}
	if resp.StatusCode != http.StatusOK {
		defer resp.Body.Close()
		return nil, s.statusErr(resp, what)
	}
	if resp.ContentLength > d.Size {
		resp.Body.Close()
		return nil, &reason.Error{Code: reason.DigestMismatch, Msg: what + ": blob size differs from its descriptor",
			Got: fmt.Sprintf("%d bytes", resp.ContentLength), Want: fmt.Sprintf("%d bytes", d.Size), Hint: "the registry serves other bytes than the manifest names"}
	}
	return resp.Body, nil
}

func (s *registryStore) blob(ctx context.Context, d v1.Descriptor, limit int64) ([]byte, error) {
	what := "reading blob " + s.where(d.Digest.String())
	if d.Size > limit {
		return nil, tooLarge("blob", d.Size, limit, what)
	}
	body, err := s.openBlob(ctx, d, what)
	if err != nil {
		return nil, err
	}
	defer body.Close()
	data, err := readVerified(body, d, limit, "blob")
	if err != nil {
		return nil, at(s.c.classifyRead(ctx, err, what), what)
	}
	return data, nil
}

func (s *registryStore) checkBlob(ctx context.Context, d v1.Descriptor) error {
	what := "checking blob " + s.where(d.Digest.String())
	body, err := s.openBlob(ctx, d, what)
	if err != nil {
		return err
	}
	defer body.Close()
	return at(s.c.classifyRead(ctx, streamCheck(body, d), what), what)
}

// classifyRead keeps reason errors (size, digest) and classifies the rest.
func (c *registryClient) classifyRead(ctx context.Context, err error, what string) error {
	if err == nil {
		return nil
	}
	var re *reason.Error
	if errors.As(err, &re) {
		return re
	}
	return c.classify(ctx, err, what)
}

func (s *registryStore) referrers(ctx context.Context, digest string) ([]v1.Descriptor, error) {
	what := "listing referrers of " + s.where(digest)
	if s.rc.noReferrersAPI.Load() {
		return s.referrersTag(ctx, digest, what)
	}
	resp, err := s.get(ctx, s.url("referrers", digest), string(types.OCIImageIndex), what)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	switch {
	case resp.StatusCode == http.StatusOK && baseMediaType(resp.Header.Get("Content-Type")) == string(types.OCIImageIndex):
		if resp.ContentLength > MaxManifestSize {
			return nil, tooLarge("referrers list", resp.ContentLength, MaxManifestSize, what)
		}
		body, err := boundedio.ReadAll(resp.Body, MaxManifestSize)
		if reason.CodeOf(err, "") == reason.InputTooLarge {
			return nil, at(manifestTooLarge(MaxManifestSize+1), what)
		}
		if err != nil {
			return nil, s.c.classify(ctx, err, what)
		}
		m, err := parseManifest(body, string(types.OCIImageIndex))
		if err != nil {
			return nil, at(err, what)
		}
		if m.Index == nil {
			return nil, reason.New(reason.ManifestInvalid, "the registry's referrers API answered with something other than an index", "%s: not an index", what)
		}
		return m.Index.Manifests, nil
	case resp.StatusCode == http.StatusOK, resp.StatusCode == http.StatusNotFound,
		resp.StatusCode == http.StatusBadRequest, resp.StatusCode == http.StatusNotAcceptable:
		s.rc.noReferrersAPI.Store(true)
		return s.referrersTag(ctx, digest, what)
	}
	return nil, s.statusErr(resp, what)
}

// referrersTag reads the OCI referrers tag schema, sha256-<hex>, of a
// registry without the referrers API.
func (s *registryStore) referrersTag(ctx context.Context, digest, what string) ([]v1.Descriptor, error) {
	m, err := s.manifest(ctx, tagFor(digest, ""))
	if errors.Is(err, errNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	if m.Index == nil {
		return nil, reason.New(reason.ManifestInvalid, "the referrers tag must hold an OCI image index", "%s: tag %s is not an index", what, tagFor(digest, ""))
	}
	return m.Index.Manifests, nil
}

// readTags reads the repository's tag list once per run, within the
// client's timeout. When the registry does not list tags, or lists too
// many, it stays unread and each tag is asked for. A tag missing from a
// wrong list only hides evidence, which can fail a verdict but never pass
// one.
func (s *registryStore) readTags() {
	ctx, cancel := context.WithTimeout(context.Background(), s.c.timeout)
	defer cancel()
	tags := map[string]bool{}
	next := s.url("tags", "list") + fmt.Sprintf("?n=%d", tagPageSize)
	for page := 0; next != ""; page++ {
		if page == maxTagPages {
			return
		}
		resp, err := s.get(ctx, next, "application/json", "listing tags of "+s.repo.Name())
		if err != nil {
			return
		}
		var doc struct {
			Tags []string `json:"tags"`
		}
		// A page cut at the limit fails to decode, and the listing stops.
		err = json.NewDecoder(io.LimitReader(resp.Body, maxTagListPage)).Decode(&doc)
		link := resp.Header.Get("Link")
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK || err != nil {
			return
		}
		for _, t := range doc.Tags {
			tags[t] = true
		}
		next = ""
		if link == "" && len(doc.Tags) >= tagPageSize {
			// A full page without a link to the next: the list may be
			// cut short, so it is not relied on.
			return
		}
		if link != "" {
			if next, err = nextPage(resp.Request.URL, link); err != nil {
				return
			}
		}
	}
	s.rc.tags.Store(&tags)
	s.c.logger.Info("read tag list", "repository", s.repo.Name(), "tags", len(tags))
}

// nextPage resolves the rel="next" target of a Link header.
func nextPage(base *url.URL, link string) (string, error) {
	target, _, ok := strings.Cut(strings.TrimSpace(link), ";")
	target = strings.TrimSpace(target)
	if !ok || !strings.HasPrefix(target, "<") || !strings.HasSuffix(target, ">") || !strings.Contains(link, `rel="next"`) {
		return "", fmt.Errorf("unreadable Link header %q", link)
	}
	u, err := base.Parse(strings.Trim(target, "<>"))
	if err != nil {
		return "", err
	}
	if u.Host != base.Host {
		return "", fmt.Errorf("link to another host %q", u.Host)
	}
	return u.String(), nil
}

func (s *registryStore) close() error { return nil }

// statusErr describes an unexpected status, reading at most maxErrorBody
// of the registry's error document.
func (s *registryStore) statusErr(resp *http.Response, what string) error {
	body, _ := io.ReadAll(io.LimitReader(resp.Body, maxErrorBody))
	var doc struct {
		Errors []struct {
			Code    string `json:"code"`
			Message string `json:"message"`
		} `json:"errors"`
	}
	var msgs []string
	if json.Unmarshal(body, &doc) == nil {
		for _, e := range doc.Errors {
			msgs = append(msgs, strings.TrimSpace(e.Code+" "+e.Message))
		}
	}
	detail := resp.Status
	if len(msgs) > 0 {
		detail += ": " + strings.Join(msgs, "; ")
	}
	switch resp.StatusCode {
	case http.StatusUnauthorized, http.StatusForbidden:
		return reason.New(reason.RegistryAuth, "log in with `docker login HOST` (sovcheck reads the docker config, $DOCKER_CONFIG/config.json), or check that the repository exists",
			"%s: registry answered %s", what, detail)
	}
	return reason.New(reason.RegistryUnavailable, "the registry answered with an error; transient errors were retried, so check the registry",
		"%s: registry answered %s", what, detail)
}

func tooLarge(what string, got, limit int64, where string) error {
	return &reason.Error{Code: reason.InputTooLarge, Msg: where + ": " + what + " exceeds the size limit",
		Got: fmt.Sprintf("%d bytes", got), Want: fmt.Sprintf("at most %d bytes", limit),
		Hint: "manifests and signatures are a few KiB; the source serves something else under their name"}
}

// at prefixes a reason error's message with where it happened.
func at(err error, where string) error {
	var re *reason.Error
	if err == nil || !errors.As(err, &re) || strings.HasPrefix(re.Msg, where) {
		return err
	}
	c := *re
	c.Msg = where + ": " + re.Msg
	return &c
}

// streamCheck reads r to its end and checks size and digest against d.
func streamCheck(r io.Reader, d v1.Descriptor) error {
	_, err := io.Copy(io.Discard, boundedio.Verify(r, boundedio.Want{Size: d.Size, Digest: d.Digest.String(), What: "blob",
		Hint: "the blob was changed or swapped after the manifest was made; do not deploy this image"}))
	return err
}

// guardTransport refuses plain HTTP to hosts not named insecure: the
// distribution client's own heuristics would otherwise use it for loopback
// and private addresses.
type guardTransport struct {
	inner    http.RoundTripper
	insecure map[string]bool
}

func (g *guardTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.URL.Scheme != "https" && !g.insecure[req.URL.Host] {
		if req.Body != nil {
			req.Body.Close()
		}
		return nil, fmt.Errorf("%w to %s", errPlainHTTP, req.URL.Host)
	}
	return g.inner.RoundTrip(req)
}

// retryTransport retries idempotent requests that failed transiently, with
// exponential backoff, and gives up at once when the context ends.
type retryTransport struct {
	inner    http.RoundTripper
	attempts int
	delay    time.Duration
	logger   *slog.Logger
}

func (t *retryTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	delay := t.delay
	for attempt := 1; ; attempt++ {
		resp, err := t.inner.RoundTrip(req)
		if attempt >= t.attempts || !retryable(req, resp, err) {
			return resp, err
		}
		if resp != nil {
			io.Copy(io.Discard, io.LimitReader(resp.Body, maxErrorBody))
			resp.Body.Close()
			t.logger.Info("retrying registry request", "url", req.URL.Redacted(), "status", resp.StatusCode, "attempt", attempt+1)
		} else {
			t.logger.Info("retrying registry request", "url", req.URL.Redacted(), "error", err, "attempt", attempt+1)
		}
		timer := time.NewTimer(delay)
		select {
		case <-req.Context().Done():
			timer.Stop()
			return nil, req.Context().Err()
		case <-timer.C:
		}
		delay *= 2
	}
}

func retryable(req *http.Request, resp *http.Response, err error) bool {
	if (req.Method != http.MethodGet && req.Method != http.MethodHead) || req.Context().Err() != nil {
		return false
	}
	if err != nil {
		var ne net.Error
		return errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) || errors.Is(err, syscall.ECONNRESET) ||
			errors.Is(err, syscall.ECONNREFUSED) || (errors.As(err, &ne) && ne.Timeout())
	}
	switch resp.StatusCode {
	case http.StatusRequestTimeout, http.StatusTooManyRequests, http.StatusInternalServerError,
		http.StatusBadGateway, http.StatusServiceUnavailable, http.StatusGatewayTimeout:
		return true
	}
	return false
}
