package oci_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/types"

	"github.com/sovcheck/sovcheck/internal/oci"
	"github.com/sovcheck/sovcheck/internal/oci/ocitest"
	"github.com/sovcheck/sovcheck/internal/reason"
	"github.com/sovcheck/sovcheck/internal/sigstoretest"
	"github.com/sovcheck/sovcheck/internal/vocab"
)

// fixture is an in-memory registry holding team/app:1.4, behind a handler
// the test may make misbehave.
type fixture struct {
	reg    *ocitest.Registry
	place  *ocitest.RegistryPlace
	digest string
	wrap   func(http.Handler) http.Handler // set before the first request
	mu     sync.Mutex
	paths  []string
}

func newFixture(t *testing.T, referrers bool) *fixture {
	t.Helper()
	f := &fixture{}
	f.reg = ocitest.NewRegistry(referrers, func(h http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			f.mu.Lock()
			f.paths = append(f.paths, r.Method+" "+r.URL.Path)
			wrap := f.wrap
			f.mu.Unlock()
			if wrap != nil {
				wrap(h).ServeHTTP(w, r)
				return
			}
			h.ServeHTTP(w, r)
		})
	})
	t.Cleanup(f.reg.Close)
	var err error
	if f.place, err = ocitest.NewRegistryPlace(f.reg.Host, "team/app"); err != nil {
		t.Fatal(err)
	}
	img, err := ocitest.RandomImage("linux/amd64", 1, 256)
	if err != nil {
		t.Fatal(err)
	}
	if f.digest, err = f.place.PutImage("1.4", img); err != nil {
		t.Fatal(err)
	}
	return f
}

// misbehave installs wrap for the requests from now on.
func (f *fixture) misbehave(wrap func(http.Handler) http.Handler) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.wrap, f.paths = wrap, nil
}

func (f *fixture) resetRequests() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.paths = nil
}

func (f *fixture) requests() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.paths...)
}

func (f *fixture) client(t *testing.T, opts ...oci.Option) *oci.Client {
	t.Helper()
	defaults := []oci.Option{oci.WithInsecureRegistries(f.reg.Host), oci.WithRetries(0, time.Millisecond)}
	c, err := oci.NewClient(append(defaults, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func open(t *testing.T, c *oci.Client, arg string) (*oci.Image, error) {
	t.Helper()
	ref, err := oci.ParseRef(arg)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), c.Timeout())
	t.Cleanup(cancel)
	return c.Open(ctx, ref)
}

func wantCode(t *testing.T, err error, code string) {
	t.Helper()
	if got := reason.CodeOf(err, "(none)"); got != code {
		t.Fatalf("error = %v, code %s; want %s", err, got, code)
	}
}

func TestTagResolvedOnce(t *testing.T) {
	f := newFixture(t, true)
	f.misbehave(nil)
	img, err := open(t, f.client(t), f.reg.Host+"/team/app:1.4")
	if err != nil {
		t.Fatal(err)
	}
	if img.Digest != f.digest || img.Tag != "1.4" || img.IsIndex() {
		t.Fatalf("image = %s tag %s index %v, want %s tag 1.4", img.Digest, img.Tag, img.IsIndex(), f.digest)
	}
	if _, err := img.Targets(context.Background(), "linux/amd64"); err != nil {
		t.Fatal(err)
	}
	if _, err := img.Discover(context.Background(), img.Digest); err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, p := range f.requests() {
		if strings.HasSuffix(p, "/manifests/1.4") {
			n++
		}
	}
	if n != 1 {
		t.Fatalf("the tag was read %d times, want once: %v", n, f.requests())
	}
}

func TestRetriesTransientErrors(t *testing.T) {
	f := newFixture(t, false)
	var failures atomic.Int32
	failures.Store(2)
	f.misbehave(func(h http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if strings.Contains(r.URL.Path, "/manifests/") && failures.Add(-1) >= 0 {
				http.Error(w, "busy", http.StatusServiceUnavailable)
				return
			}
			h.ServeHTTP(w, r)
		})
	})
	if _, err := open(t, f.client(t), f.reg.Host+"/team/app:1.4"); err != nil {
		t.Fatalf("two 503s, then success: %v", err)
	}

	f.misbehave(func(h http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if strings.Contains(r.URL.Path, "/manifests/") {
				w.Header().Set("Content-Type", "application/json")
				w.WriteHeader(http.StatusInternalServerError)
				fmt.Fprint(w, `{"errors":[{"code":"UNKNOWN","message":"disk on fire"}]}`)
				return
			}
			h.ServeHTTP(w, r)
		})
	})
	_, err := open(t, f.client(t, oci.WithRetries(4, time.Millisecond)), f.reg.Host+"/team/app:1.4")
	wantCode(t, err, reason.RegistryUnavailable)
	if !strings.Contains(err.Error(), "disk on fire") {
		t.Fatalf("error %q does not carry the registry's message", err)
	}
	n := 0
	for _, p := range f.requests() {
		if strings.HasSuffix(p, "/manifests/1.4") {
			n++
		}
	}
	if n != 4 {
		t.Fatalf("%d attempts, want 4", n)
	}
}

func TestHangingRegistryTimesOut(t *testing.T) {
	for _, where := range []string{"/v2/", "/manifests/", "/blobs/"} {
		t.Run(where, func(t *testing.T) {
			f := newFixture(t, false)
			release := make(chan struct{})
			t.Cleanup(func() { close(release) })
			f.misbehave(func(h http.Handler) http.Handler {
				return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
					if strings.HasSuffix(r.URL.Path, where) || (where != "/v2/" && strings.Contains(r.URL.Path, where)) {
						select {
						case <-r.Context().Done():
						case <-release:
						}
						return
					}
					h.ServeHTTP(w, r)
				})
			})
			c := f.client(t, oci.WithTimeout(300*time.Millisecond))
			start := time.Now()
			img, err := open(t, c, f.reg.Host+"/team/app:1.4")
			if err == nil {
				ctx, cancel := context.WithTimeout(context.Background(), c.Timeout())
				defer cancel()
				_, err = img.Targets(ctx, "linux/amd64")
			}
			wantCode(t, err, reason.RegistryTimeout)
			if d := time.Since(start); d > 5*time.Second {
				t.Fatalf("gave up after %s, want about the timeout", d)
			}
		})
	}
}

func TestManifestNotMatchingDigest(t *testing.T) {
	f := newFixture(t, false)
	other, err := ocitest.RandomImage("linux/amd64", 1, 128)
	if err != nil {
		t.Fatal(err)
	}
	otherRaw, err := other.RawManifest()
	if err != nil {
		t.Fatal(err)
	}
	f.misbehave(func(h http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if strings.HasSuffix(r.URL.Path, "/manifests/"+f.digest) {
				w.Header().Set("Content-Type", string(types.OCIManifestSchema1))
				w.Write(otherRaw)
				return
			}
			h.ServeHTTP(w, r)
		})
	})
	_, err = open(t, f.client(t), f.reg.Host+"/team/app@"+f.digest)
	wantCode(t, err, reason.DigestMismatch)
}

// serveManifest makes the registry answer GET /manifests/1.4 with body.
func serveManifest(f *fixture, contentType string, body []byte, contentLength bool) {
	f.misbehave(func(h http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if strings.HasSuffix(r.URL.Path, "/manifests/1.4") {
				w.Header().Set("Content-Type", contentType)
				if contentLength {
					w.Header().Set("Content-Length", fmt.Sprint(len(body)))
				}
				io.Copy(w, bytes.NewReader(body))
				return
			}
			h.ServeHTTP(w, r)
		})
	})
}

func TestBadManifests(t *testing.T) {
	f := newFixture(t, false)
	c := f.client(t)
	huge := append([]byte(`{"schemaVersion":2,"annotations":{"x":"`), bytes.Repeat([]byte("a"), oci.MaxManifestSize)...)
	huge = append(huge, []byte(`"}}`)...)
	for _, tc := range []struct {
		name, contentType, body string
		length                  bool
		code                    string
	}{
		{"unknown media type", "application/vnd.example.thing+json", `{"schemaVersion":2,"mediaType":"application/vnd.example.thing+json"}`, true, reason.MediaTypeUnknown},
		{"schema 1", string(types.DockerManifestSchema1Signed), `{"schemaVersion":1,"name":"team/app"}`, true, reason.MediaTypeUnknown},
		{"media types disagree", string(types.OCIImageIndex), `{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{}}`, true, reason.ManifestInvalid},
		{"not json", string(types.OCIManifestSchema1), `<html>`, true, reason.ManifestInvalid},
		{"sha512 digest", string(types.OCIManifestSchema1), `{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","size":2,"digest":"sha512:` + strings.Repeat("a", 128) + `"},"layers":[]}`, true, reason.ManifestInvalid},
		{"huge, announced", string(types.OCIManifestSchema1), string(huge), true, reason.InputTooLarge},
		{"huge, chunked", string(types.OCIManifestSchema1), string(huge), false, reason.InputTooLarge},
	} {
		t.Run(tc.name, func(t *testing.T) {
			serveManifest(f, tc.contentType, []byte(tc.body), tc.length)
			_, err := open(t, c, f.reg.Host+"/team/app:1.4")
			wantCode(t, err, tc.code)
		})
	}
}

func TestPlainHTTPOnlyForNamedHosts(t *testing.T) {
	f := newFixture(t, false)
	_, err := open(t, f.client(t, oci.WithInsecureRegistries("registry.example.eu")), f.reg.Host+"/team/app:1.4")
	wantCode(t, err, reason.RegistryInsecure)
}

func TestAuthRefused(t *testing.T) {
	f := newFixture(t, false)
	f.misbehave(func(h http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.Header.Get("Authorization") == "" {
				w.Header().Set("WWW-Authenticate", `Basic realm="test"`)
				http.Error(w, `{"errors":[{"code":"UNAUTHORIZED","message":"authentication required"}]}`, http.StatusUnauthorized)
				return
			}
			h.ServeHTTP(w, r)
		})
	})
	_, err := open(t, f.client(t), f.reg.Host+"/team/app:1.4")
	wantCode(t, err, reason.RegistryAuth)
}

func TestOfflineRefusesRegistries(t *testing.T) {
	f := newFixture(t, false)
	f.misbehave(nil)
	_, err := open(t, f.client(t, oci.WithOffline(true)), f.reg.Host+"/team/app:1.4")
	wantCode(t, err, reason.RegistryOffline)
	if len(f.requests()) != 0 {
		t.Fatalf("offline made requests: %v", f.requests())
	}
}

func TestUnreachableRegistry(t *testing.T) {
	s := httptest.NewServer(http.NotFoundHandler())
	host := strings.TrimPrefix(s.URL, "http://")
	s.Close()
	c, err := oci.NewClient(oci.WithInsecureRegistries(host), oci.WithRetries(0, time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	_, err = open(t, c, host+"/team/app:1.4")
	wantCode(t, err, reason.RegistryUnavailable)
}

func TestImageNotFound(t *testing.T) {
	f := newFixture(t, false)
	_, err := open(t, f.client(t), f.reg.Host+"/team/app:9.9")
	wantCode(t, err, reason.ImageNotFound)
}

// signedFixture has a keyless cosign signature on the image.
func signedFixture(t *testing.T, referrers bool) (*fixture, ocitest.Signer) {
	t.Helper()
	f := newFixture(t, referrers)
	ca, err := sigstoretest.New()
	if err != nil {
		t.Fatal(err)
	}
	s := ocitest.Signer{Authority: ca, Identity: "https://github.com/acme/app/.github/workflows/release.yml@refs/tags/v1.4.0", Issuer: "https://token.actions.githubusercontent.com"}
	if err := s.Sign(f.place, f.digest); err != nil {
		t.Fatal(err)
	}
	return f, s
}

func discover(t *testing.T, f *fixture) (*oci.Discovery, error) {
	t.Helper()
	c := f.client(t)
	img, err := open(t, c, f.reg.Host+"/team/app@"+f.digest)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), c.Timeout())
	defer cancel()
	return img.Discover(ctx, f.digest)
}

func TestDiscoverFindsEveryFormat(t *testing.T) {
	for _, referrers := range []bool{true, false} {
		t.Run(fmt.Sprint("referrers API ", referrers), func(t *testing.T) {
			f, s := signedFixture(t, referrers)
			if err := s.Attest(f.place, f.digest, "https://slsa.dev/provenance/v1", nil); err != nil {
				t.Fatal(err)
			}
			if _, err := s.AttachBundle(f.place, f.digest, ocitest.CosignSignPredicateType, nil); err != nil {
				t.Fatal(err)
			}
			if _, err := ocitest.AttachSBOM(f.place, f.digest, []byte(`{"bomFormat":"CycloneDX"}`), "application/vnd.cyclonedx+json"); err != nil {
				t.Fatal(err)
			}
			d, err := discover(t, f)
			if err != nil {
				t.Fatal(err)
			}
			kinds := map[oci.EvidenceKind]int{}
			for _, e := range d.Evidence {
				if e.Err != nil || len(e.Bundle) == 0 || e.Subject != f.digest {
					t.Fatalf("evidence %s: %v", e.Source, e.Err)
				}
				kinds[e.Kind]++
			}
			if kinds[oci.EvidenceSignature] != 1 || kinds[oci.EvidenceAttestation] != 1 || kinds[oci.EvidenceBundle] != 1 || len(d.SBOMs) != 1 {
				t.Fatalf("found %v and %d SBOMs, want one of each", kinds, len(d.SBOMs))
			}
			if d.Evidence[0].Payload == nil && d.Evidence[1].Payload == nil && d.Evidence[2].Payload == nil {
				t.Fatal("the signature's payload is missing")
			}
		})
	}
}

func TestHugeSignatureLayerIsNotRead(t *testing.T) {
	f, _ := signedFixture(t, false)
	raw, mt, _, err := f.place.Manifest("sha256-" + strings.TrimPrefix(f.digest, "sha256:") + ".sig")
	if err != nil {
		t.Fatal(err)
	}
	var m v1.Manifest
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatal(err)
	}
	m.Layers[0].Size = 1 << 40
	raw, _ = json.Marshal(m)
	if _, err := f.place.PutManifest("sha256-"+strings.TrimPrefix(f.digest, "sha256:")+".sig", raw, mt); err != nil {
		t.Fatal(err)
	}
	f.misbehave(nil)
	d, err := discover(t, f)
	if err != nil {
		t.Fatal(err)
	}
	if len(d.Evidence) != 1 {
		t.Fatalf("%d pieces of evidence, want 1", len(d.Evidence))
	}
	wantCode(t, d.Evidence[0].Err, reason.InputTooLarge)
	for _, p := range f.requests() {
		if strings.Contains(p, m.Layers[0].Digest.Hex) {
			t.Fatalf("the huge layer was requested: %s", p)
		}
	}
}

func TestSwappedSignatureLayer(t *testing.T) {
	f, _ := signedFixture(t, false)
	f.misbehave(func(h http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if strings.Contains(r.URL.Path, "/blobs/") && r.Method == http.MethodGet {
				rec := httptest.NewRecorder()
				h.ServeHTTP(rec, r)
				body := rec.Body.Bytes()
				if len(body) > 0 {
					body[len(body)-1] ^= 1
				}
				w.WriteHeader(rec.Code)
				w.Write(body)
				return
			}
			h.ServeHTTP(w, r)
		})
	})
	d, err := discover(t, f)
	if err != nil {
		t.Fatal(err)
	}
	wantCode(t, d.Evidence[0].Err, reason.DigestMismatch)
}

func TestReferrerLoop(t *testing.T) {
	f := newFixture(t, true)
	f.misbehave(func(h http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if strings.Contains(r.URL.Path, "/referrers/") {
				h, _ := v1.NewHash(f.digest)
				idx, _ := json.Marshal(v1.IndexManifest{SchemaVersion: 2, MediaType: types.OCIImageIndex,
					Manifests: []v1.Descriptor{{MediaType: types.OCIManifestSchema1, Digest: h, Size: 10, ArtifactType: vocab.MediaTypeBundleV03}}})
				w.Header().Set("Content-Type", string(types.OCIImageIndex))
				w.Write(idx)
				return
			}
			h.ServeHTTP(w, r)
		})
	})
	_, err := discover(t, f)
	wantCode(t, err, reason.ReferrerLoop)
}

func TestReferrerOfAnotherSubject(t *testing.T) {
	f, s := signedFixture(t, true)
	other, err := ocitest.RandomImage("linux/amd64", 1, 64)
	if err != nil {
		t.Fatal(err)
	}
	od, err := f.place.PutImage("other", other)
	if err != nil {
		t.Fatal(err)
	}
	rd, err := s.AttachBundle(f.place, od, ocitest.CosignSignPredicateType, nil)
	if err != nil {
		t.Fatal(err)
	}
	// The registry lists the other image's referrer for this image.
	f.misbehave(func(h http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if strings.Contains(r.URL.Path, "/referrers/"+f.digest) {
				r2 := r.Clone(r.Context())
				r2.URL.Path = strings.Replace(r.URL.Path, f.digest, od, 1)
				h.ServeHTTP(w, r2)
				return
			}
			h.ServeHTTP(w, r)
		})
	})
	d, err := discover(t, f)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range d.Evidence {
		if strings.HasSuffix(e.Source, rd) {
			wantCode(t, e.Err, reason.SubjectMismatch)
			return
		}
	}
	t.Fatalf("the misplaced referrer %s was not reported: %+v", rd, d.Evidence)
}

func TestTooManySignatures(t *testing.T) {
	f, s := signedFixture(t, false)
	for range oci.MaxEvidencePerSubject {
		if err := s.Sign(f.place, f.digest); err != nil {
			t.Fatal(err)
		}
	}
	_, err := discover(t, f)
	wantCode(t, err, reason.InputTooLarge)
}

func TestIndexPlatforms(t *testing.T) {
	f := newFixture(t, true)
	idx, err := ocitest.RandomIndex([]string{"linux/arm64", "linux/amd64", "linux/arm/v7"}, 1, 64)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.place.PutImage("multi", idx); err != nil {
		t.Fatal(err)
	}
	img, err := open(t, f.client(t), f.reg.Host+"/team/app:multi")
	if err != nil {
		t.Fatal(err)
	}
	if !img.IsIndex() {
		t.Fatal("not an index")
	}
	ctx := context.Background()
	all, err := img.Targets(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, tg := range all {
		if tg.Index != img.Digest {
			t.Fatalf("target %s does not name its index", tg.Digest)
		}
		got = append(got, tg.Platform)
	}
	if strings.Join(got, " ") != "linux/amd64 linux/arm/v7 linux/arm64" {
		t.Fatalf("platforms = %v", got)
	}
	for platform, want := range map[string]int{"linux/arm": 1, "linux/arm/v7": 1, "linux/arm64": 1} {
		ts, err := img.Targets(ctx, platform)
		if err != nil || len(ts) != want {
			t.Fatalf("Targets(%s) = %v, %v", platform, ts, err)
		}
	}
	_, err = img.Targets(ctx, "windows/amd64")
	wantCode(t, err, reason.PlatformNotFound)
	_, err = img.Targets(ctx, "linux")
	wantCode(t, err, reason.InputMalformed)

	single, err := open(t, f.client(t), f.reg.Host+"/team/app:1.4")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := single.Targets(ctx, "linux/amd64"); err != nil {
		t.Fatal(err)
	}
	_, err = single.Targets(ctx, "linux/arm64")
	wantCode(t, err, reason.PlatformNotFound)
}

func TestEvidenceTagsFromTheTagList(t *testing.T) {
	count := func(f *fixture, suffix string) int {
		n := 0
		for _, p := range f.requests() {
			if strings.HasSuffix(p, suffix) {
				n++
			}
		}
		return n
	}
	// discoverUntil runs Discover with one client until the tag list, read
	// beside the first image, is in use: no request for the absent .att.
	discoverUntil := func(t *testing.T, f *fixture) int {
		t.Helper()
		c := f.client(t)
		img, err := open(t, c, f.reg.Host+"/team/app@"+f.digest)
		if err != nil {
			t.Fatal(err)
		}
		for i := range 200 {
			f.resetRequests()
			d, err := img.Discover(context.Background(), f.digest)
			if err != nil || len(d.Evidence) != 1 || d.Evidence[0].Err != nil {
				t.Fatalf("Discover = %+v, %v", d, err)
			}
			if count(f, ".att") == 0 {
				// The list arrived at the latest during this run, maybe
				// after some tags were asked for: the next run uses it
				// throughout.
				f.resetRequests()
				if _, err := img.Discover(context.Background(), f.digest); err != nil {
					t.Fatal(err)
				}
				return i
			}
			time.Sleep(10 * time.Millisecond)
		}
		return -1
	}
	t.Run("listed", func(t *testing.T) {
		f, _ := signedFixture(t, false)
		f.misbehave(nil)
		if discoverUntil(t, f) < 0 {
			t.Fatalf("the tag list is never used: %v", f.requests())
		}
		if n := count(f, ".sbom") + count(f, "sha256-"+strings.TrimPrefix(f.digest, "sha256:")); n != 0 {
			t.Fatalf("%d requests for tags the list does not have: %v", n, f.requests())
		}
	})
	t.Run("list refused", func(t *testing.T) {
		f, _ := signedFixture(t, false)
		f.misbehave(func(h http.Handler) http.Handler {
			return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if strings.HasSuffix(r.URL.Path, "/tags/list") {
					http.Error(w, `{"errors":[{"code":"DENIED"}]}`, http.StatusForbidden)
					return
				}
				h.ServeHTTP(w, r)
			})
		})
		c := f.client(t)
		img, err := open(t, c, f.reg.Host+"/team/app@"+f.digest)
		if err != nil {
			t.Fatal(err)
		}
		for range 3 {
			f.resetRequests()
			d, err := img.Discover(context.Background(), f.digest)
			if err != nil || len(d.Evidence) != 1 {
				t.Fatalf("Discover = %+v, %v", d, err)
			}
			if count(f, ".att") != 1 {
				t.Fatalf("the absent tag was not asked for: %v", f.requests())
			}
			time.Sleep(20 * time.Millisecond)
		}
	})
	t.Run("paged", func(t *testing.T) {
		f, _ := signedFixture(t, false)
		sig := "sha256-" + strings.TrimPrefix(f.digest, "sha256:") + ".sig"
		f.misbehave(func(h http.Handler) http.Handler {
			return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if strings.HasSuffix(r.URL.Path, "/tags/list") {
					w.Header().Set("Content-Type", "application/json")
					if r.URL.Query().Get("last") == "" {
						w.Header().Set("Link", `</v2/team/app/tags/list?n=1&last=1.4>; rel="next"`)
						fmt.Fprint(w, `{"name":"team/app","tags":["1.4"]}`)
						return
					}
					fmt.Fprintf(w, `{"name":"team/app","tags":[%q]}`, sig)
					return
				}
				h.ServeHTTP(w, r)
			})
		})
		if discoverUntil(t, f) < 0 {
			t.Fatalf("the paged tag list is never used: %v", f.requests())
		}
	})
}
