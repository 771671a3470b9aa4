package layout

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/in-toto/in-toto-golang/in_toto"

	"github.com/sovcheck/sovcheck/internal/intototest"
	"github.com/sovcheck/sovcheck/internal/reason"
)

// Clock of the layout tests: fixture layouts expire a year after it.
var testNow = time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)

// layoutFixture is a two-step supply chain (build, package) kept in memory
// so that each test can change one thing before writing it.
type fixture struct {
	t        *testing.T
	dir      string
	links    string
	dsse     bool
	owner    *intototest.Key
	builder  *intototest.Key
	packager *intototest.Key
	layout   in_toto.Layout
	build    in_toto.Link
	pkg      in_toto.Link
	artifact []byte
}

func newFixture(t *testing.T, kt intototest.KeyType, dsse bool) *fixture {
	t.Helper()
	f := &fixture{t: t, dir: t.TempDir(), dsse: dsse, artifact: []byte("release tarball\n")}
	f.links = filepath.Join(f.dir, "links")
	if err := os.Mkdir(f.links, 0o755); err != nil {
		t.Fatal(err)
	}
	f.owner, f.builder, f.packager = newKey(t, kt), newKey(t, kt), newKey(t, kt)
	bin := []byte("binary\n")
	f.layout = intototest.NewLayout(testNow.AddDate(1, 0, 0), []in_toto.Step{
		intototest.NewStep("build", 1,
			[][]string{{"ALLOW", "src/*"}, {"DISALLOW", "*"}},
			[][]string{{"CREATE", "app"}, {"DISALLOW", "*"}},
			[]string{"make"}, f.builder),
		intototest.NewStep("package", 1,
			[][]string{{"MATCH", "app", "WITH", "PRODUCTS", "FROM", "build"}, {"DISALLOW", "*"}},
			[][]string{{"CREATE", "app.tar.gz"}, {"DISALLOW", "*"}},
			[]string{"tar", "czf", "app.tar.gz", "app"}, f.packager),
	}, f.builder, f.packager)
	f.build = intototest.NewLink("build",
		map[string]in_toto.HashObj{"src/main.c": intototest.SHA256([]byte("int main(){}\n"))},
		map[string]in_toto.HashObj{"app": intototest.SHA256(bin)}, "make")
	f.pkg = intototest.NewLink("package",
		map[string]in_toto.HashObj{"app": intototest.SHA256(bin)},
		map[string]in_toto.HashObj{"app.tar.gz": intototest.SHA256(f.artifact)}, "tar", "czf", "app.tar.gz", "app")
	return f
}

func newKey(t *testing.T, kt intototest.KeyType) *intototest.Key {
	t.Helper()
	k, err := intototest.NewKey(kt)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// writeKey writes k's public key into the fixture directory.
func (f *fixture) writeKey(name string, k *intototest.Key) string {
	f.t.Helper()
	p := filepath.Join(f.dir, name)
	if err := os.WriteFile(p, k.PublicPEM, 0o644); err != nil {
		f.t.Fatal(err)
	}
	return p
}

// writeLayout writes the layout signed by signers (the owner by default).
func (f *fixture) writeLayout(signers ...*intototest.Key) string {
	f.t.Helper()
	if len(signers) == 0 {
		signers = []*intototest.Key{f.owner}
	}
	p := filepath.Join(f.dir, "root.layout")
	if err := intototest.WriteMetadata(p, f.layout, f.dsse, signers...); err != nil {
		f.t.Fatal(err)
	}
	return p
}

func (f *fixture) writeLink(dir string, l in_toto.Link, k *intototest.Key) string {
	f.t.Helper()
	p, err := intototest.WriteLink(dir, l, f.dsse, k)
	if err != nil {
		f.t.Fatal(err)
	}
	return p
}

// write writes the layout, the owner key and both links and returns the
// options that verify them.
func (f *fixture) write() Options {
	f.t.Helper()
	f.writeLink(f.links, f.build, f.builder)
	f.writeLink(f.links, f.pkg, f.packager)
	return f.options()
}

func (f *fixture) options() Options {
	return Options{
		Path:     f.writeLayout(),
		KeyPaths: []string{f.writeKey("owner.pub", f.owner)},
		LinkDir:  f.links,
		Now:      testNow,
	}
}

func sha256Hex(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// wantLayoutCode asserts that err is a *reason.Error with code and a hint,
// whose message contains every fragment, and that res is nil.
func wantCode(t *testing.T, res *Result, err error, code string, fragments ...string) {
	t.Helper()
	if err == nil {
		t.Fatalf("Verify passed, want %s", code)
	}
	if res != nil {
		t.Errorf("Verify returned a result with error %v", err)
	}
	var re *reason.Error
	if !errors.As(err, &re) {
		t.Fatalf("error %v (%T) is not a *reason.Error", err, err)
	}
	t.Logf("%s: %v (hint: %s)", re.Code, err, re.Hint)
	if re.Code != code {
		t.Fatalf("code = %s, want %s (error: %v)", re.Code, code, err)
	}
	if re.Hint == "" {
		t.Errorf("error %v has no hint", err)
	}
	for _, frag := range fragments {
		if !strings.Contains(err.Error(), frag) {
			t.Errorf("error %q does not contain %q", err, frag)
		}
	}
}

func TestVerifyLayout(t *testing.T) {
	for _, tc := range []struct {
		name string
		kt   intototest.KeyType
		dsse bool
	}{
		{"ed25519 metablock", intototest.Ed25519, false},
		{"ecdsa metablock", intototest.ECDSA, false},
		{"ed25519 dsse", intototest.Ed25519, true},
		{"ecdsa dsse", intototest.ECDSA, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t, tc.kt, tc.dsse)
			res, err := Verify(context.Background(), f.write())
			if err != nil {
				t.Fatalf("Verify: %v", err)
			}
			want := &Result{
				Name:        "root.layout",
				Expires:     testNow.AddDate(1, 0, 0),
				OwnerKeyIDs: []string{f.owner.ID()},
				Steps: []Step{
					{Name: "build", Threshold: 1, Functionaries: []Functionary{{KeyID: f.builder.ID(), Link: f.builder.LinkName("build")}}},
					{Name: "package", Threshold: 1, Functionaries: []Functionary{{KeyID: f.packager.ID(), Link: f.packager.LinkName("package")}}},
				},
				Products: []Product{{Path: "app.tar.gz", Digests: map[string]string{"sha256": sha256Hex(f.artifact)}}},
			}
			if !reflect.DeepEqual(res, want) {
				t.Errorf("result:\ngot  %+v\nwant %+v", res, want)
			}
			if p, ok := res.Product(sha256Hex(f.artifact)); !ok || p.Path != "app.tar.gz" {
				t.Errorf("Product(artifact digest) = %v, %v; want app.tar.gz, true", p, ok)
			}
			if _, ok := res.Product(sha256Hex([]byte("another artifact"))); ok {
				t.Error("Product(other digest) found a product")
			}
		})
	}
}

func TestVerifyLayoutSupplyChainHelper(t *testing.T) {
	for _, dsse := range []bool{false, true} {
		dir := t.TempDir()
		artifact := filepath.Join(dir, "tool-1.0.tar.gz")
		if err := os.WriteFile(artifact, []byte("tool"), 0o644); err != nil {
			t.Fatal(err)
		}
		files, err := intototest.WriteSupplyChain(dir, intototest.ChainOptions{Artifact: artifact, KeyType: intototest.ECDSA, DSSE: dsse})
		if err != nil {
			t.Fatal(err)
		}
		o := Options{Path: files.Layout, KeyPaths: []string{files.OwnerKey}, LinkDir: files.LinkDir}
		res, err := Verify(context.Background(), o)
		if err != nil {
			t.Fatalf("dsse=%v: Verify: %v", dsse, err)
		}
		if p, ok := res.Product(sha256Hex([]byte("tool"))); !ok || p.Path != files.Product {
			t.Errorf("dsse=%v: Product = %v, %v; want %s", dsse, p, ok, files.Product)
		}
		if len(res.Warnings) != 0 {
			t.Errorf("dsse=%v: warnings %q", dsse, res.Warnings)
		}
		// Failure twin: a key that is not the owner's.
		o.KeyPaths = []string{files.FunctionaryKeys[0]}
		res, err = Verify(context.Background(), o)
		wantCode(t, res, err, reason.SignatureInvalid, "build.pub")
	}
}

func TestVerifyLayoutOwnerKeys(t *testing.T) {
	f := newFixture(t, intototest.Ed25519, false)
	o := f.write()
	second := newKey(t, intototest.ECDSA)
	secondPath := f.writeKey("second.pub", second)

	t.Run("wrong key", func(t *testing.T) {
		o := o
		o.KeyPaths = []string{f.writeKey("builder.pub", f.builder)}
		res, err := Verify(context.Background(), o)
		wantCode(t, res, err, reason.SignatureInvalid, "key builder.pub", "no signature by this key")
	})
	t.Run("two owners signed", func(t *testing.T) {
		o := o
		o.Path = f.writeLayout(f.owner, second)
		o.KeyPaths = append(o.KeyPaths, secondPath)
		res, err := Verify(context.Background(), o)
		if err != nil {
			t.Fatal(err)
		}
		if len(res.OwnerKeyIDs) != 2 {
			t.Errorf("OwnerKeyIDs = %q, want both owners", res.OwnerKeyIDs)
		}
	})
	t.Run("second owner did not sign", func(t *testing.T) {
		o := o
		o.Path = f.writeLayout(f.owner)
		o.KeyPaths = append(o.KeyPaths, secondPath)
		res, err := Verify(context.Background(), o)
		wantCode(t, res, err, reason.SignatureInvalid, "second.pub")
	})
	t.Run("private key", func(t *testing.T) {
		o := o
		p := filepath.Join(f.dir, "owner.key")
		if err := os.WriteFile(p, []byte("-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		o.KeyPaths = []string{p}
		res, err := Verify(context.Background(), o)
		wantCode(t, res, err, reason.KeyInvalid, "owner.key")
	})
	t.Run("missing key file", func(t *testing.T) {
		o := o
		o.KeyPaths = []string{filepath.Join(f.dir, "absent.pub")}
		res, err := Verify(context.Background(), o)
		wantCode(t, res, err, reason.InputUnreadable, "absent.pub")
	})
	t.Run("no key", func(t *testing.T) {
		o := o
		o.KeyPaths = nil
		res, err := Verify(context.Background(), o)
		wantCode(t, res, err, reason.TrustRootMissing)
	})
}

func TestVerifyLayoutTampered(t *testing.T) {
	t.Run("metablock", func(t *testing.T) {
		f := newFixture(t, intototest.Ed25519, false)
		o := f.write()
		rewrite(t, o.Path, func(b []byte) []byte {
			return bytes.Replace(b, []byte("sovcheck test supply chain"), []byte("sovcheck test supply chaiN"), 1)
		})
		res, err := Verify(context.Background(), o)
		wantCode(t, res, err, reason.SignatureInvalid, "owner.pub", "does not verify")
	})
	t.Run("dsse payload", func(t *testing.T) {
		f := newFixture(t, intototest.Ed25519, true)
		o := f.write()
		rewrite(t, o.Path, func(b []byte) []byte {
			var env map[string]any
			if err := json.Unmarshal(b, &env); err != nil {
				t.Fatal(err)
			}
			payload, err := base64.StdEncoding.DecodeString(env["payload"].(string))
			if err != nil {
				t.Fatal(err)
			}
			payload = bytes.Replace(payload, []byte("supply chain"), []byte("supply chaiN"), 1)
			env["payload"] = base64.StdEncoding.EncodeToString(payload)
			out, _ := json.Marshal(env)
			return out
		})
		res, err := Verify(context.Background(), o)
		wantCode(t, res, err, reason.SignatureInvalid, "does not verify")
	})
	t.Run("malformed", func(t *testing.T) {
		f := newFixture(t, intototest.Ed25519, false)
		o := f.write()
		rewrite(t, o.Path, func(b []byte) []byte { return b[:len(b)/2] })
		res, err := Verify(context.Background(), o)
		wantCode(t, res, err, reason.InputMalformed, "root.layout")
	})
	t.Run("link given as layout", func(t *testing.T) {
		f := newFixture(t, intototest.Ed25519, false)
		o := f.write()
		o.Path = filepath.Join(f.links, f.builder.LinkName("build"))
		res, err := Verify(context.Background(), o)
		wantCode(t, res, err, reason.LayoutInvalid, "want a layout")
	})
}

func rewrite(t *testing.T, p string, edit func([]byte) []byte) {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	out := edit(b)
	if bytes.Equal(out, b) {
		t.Fatalf("rewriting %s changed nothing", p)
	}
	if err := os.WriteFile(p, out, 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestVerifyLayoutExpiry(t *testing.T) {
	f := newFixture(t, intototest.Ed25519, false)
	f.layout.Expires = intototest.Expires(time.Date(2001, 1, 1, 0, 0, 0, 0, time.UTC))
	o := f.write()

	// The layout expired long ago by the real clock, but not by the
	// injected one: only the injected clock counts.
	o.Now = time.Date(2000, 6, 1, 0, 0, 0, 0, time.UTC)
	if _, err := Verify(context.Background(), o); err != nil {
		t.Fatalf("Verify before expiry: %v", err)
	}
	o.Now = time.Date(2001, 1, 1, 0, 0, 1, 0, time.UTC)
	res, err := Verify(context.Background(), o)
	wantCode(t, res, err, reason.LayoutExpired, "2001-01-01T00:00:00Z")
	// Zero Now means the real clock.
	o.Now = time.Time{}
	res, err = Verify(context.Background(), o)
	wantCode(t, res, err, reason.LayoutExpired)
}

func TestVerifyLayoutLinks(t *testing.T) {
	t.Run("missing link", func(t *testing.T) {
		f := newFixture(t, intototest.Ed25519, false)
		f.writeLink(f.links, f.build, f.builder)
		res, err := Verify(context.Background(), f.options())
		wantCode(t, res, err, reason.LayoutLinkMissing, `step "package"`)
	})
	t.Run("missing link directory", func(t *testing.T) {
		f := newFixture(t, intototest.Ed25519, false)
		o := f.write()
		o.LinkDir = filepath.Join(f.dir, "nowhere")
		res, err := Verify(context.Background(), o)
		wantCode(t, res, err, reason.InputUnreadable, `"nowhere"`)
	})
	t.Run("signed by a non-functionary", func(t *testing.T) {
		f := newFixture(t, intototest.Ed25519, false)
		stranger := newKey(t, intototest.Ed25519)
		f.writeLink(f.links, f.build, stranger)
		f.writeLink(f.links, f.pkg, f.packager)
		res, err := Verify(context.Background(), f.options())
		wantCode(t, res, err, reason.LayoutThresholdNotMet, "not a functionary of the step", `"0 valid link(s)"`)
	})
	t.Run("signed by another step's functionary", func(t *testing.T) {
		f := newFixture(t, intototest.Ed25519, false)
		f.writeLink(f.links, f.build, f.packager)
		f.writeLink(f.links, f.pkg, f.packager)
		res, err := Verify(context.Background(), f.options())
		wantCode(t, res, err, reason.LayoutThresholdNotMet, `step "build"`)
	})
	t.Run("tampered link", func(t *testing.T) {
		f := newFixture(t, intototest.Ed25519, false)
		o := f.write()
		p := filepath.Join(f.links, f.builder.LinkName("build"))
		rewrite(t, p, func(b []byte) []byte {
			return bytes.Replace(b, []byte(f.build.Products["app"]["sha256"]), []byte(strings.Repeat("0", 64)), 1)
		})
		res, err := Verify(context.Background(), o)
		wantCode(t, res, err, reason.LayoutThresholdNotMet, "signature does not verify")
	})
	t.Run("link renamed to another step", func(t *testing.T) {
		f := newFixture(t, intototest.Ed25519, false)
		f.writeLink(f.links, f.pkg, f.packager)
		o := f.options()
		if err := os.Rename(filepath.Join(f.links, f.packager.LinkName("package")), filepath.Join(f.links, f.packager.LinkName("build"))); err != nil {
			t.Fatal(err)
		}
		f.writeLink(f.links, f.pkg, f.packager)
		res, err := Verify(context.Background(), o)
		wantCode(t, res, err, reason.LinksInvalid, "link is for another step", `got "package", want "build"`)
	})
	t.Run("file name names no signer", func(t *testing.T) {
		f := newFixture(t, intototest.Ed25519, false)
		o := f.write()
		if err := os.Rename(filepath.Join(f.links, f.builder.LinkName("build")), filepath.Join(f.links, "build.00000000.link")); err != nil {
			t.Fatal(err)
		}
		res, err := Verify(context.Background(), o)
		wantCode(t, res, err, reason.LinksInvalid, "build.00000000.link")
	})
	t.Run("malformed link", func(t *testing.T) {
		f := newFixture(t, intototest.Ed25519, false)
		o := f.write()
		rewrite(t, filepath.Join(f.links, f.packager.LinkName("package")), func(b []byte) []byte { return b[1:] })
		res, err := Verify(context.Background(), o)
		wantCode(t, res, err, reason.LinksInvalid, f.packager.LinkName("package"))
	})
	t.Run("link is not a regular file", func(t *testing.T) {
		f := newFixture(t, intototest.Ed25519, false)
		o := f.write()
		p := filepath.Join(f.links, f.packager.LinkName("package"))
		if err := os.Remove(p); err != nil {
			t.Fatal(err)
		}
		if err := os.Mkdir(p, 0o755); err != nil {
			t.Fatal(err)
		}
		res, err := Verify(context.Background(), o)
		wantCode(t, res, err, reason.InputUnreadable, "not a regular file")
	})
	t.Run("command differs", func(t *testing.T) {
		f := newFixture(t, intototest.Ed25519, false)
		f.build.Command = []string{"make", "-j8"}
		res, err := Verify(context.Background(), f.write())
		if err != nil {
			t.Fatal(err)
		}
		if len(res.Warnings) != 1 || !strings.Contains(res.Warnings[0], `ran "make -j8", the layout expects "make"`) {
			t.Errorf("warnings = %q, want one about the build command", res.Warnings)
		}
	})
}

func TestVerifyLayoutThreshold(t *testing.T) {
	setup := func(t *testing.T) (*fixture, *intototest.Key) {
		f := newFixture(t, intototest.Ed25519, false)
		second := newKey(t, intototest.ECDSA)
		f.layout.Steps[0].PubKeys = append(f.layout.Steps[0].PubKeys, second.ID())
		f.layout.Steps[0].Threshold = 2
		f.layout.Keys[second.ID()] = second.Public
		return f, second
	}
	t.Run("met", func(t *testing.T) {
		f, second := setup(t)
		f.writeLink(f.links, f.build, second)
		res, err := Verify(context.Background(), f.write())
		if err != nil {
			t.Fatal(err)
		}
		if got := len(res.Steps[0].Functionaries); got != 2 {
			t.Errorf("build step counted %d functionaries, want 2", got)
		}
	})
	t.Run("not met", func(t *testing.T) {
		f, _ := setup(t)
		res, err := Verify(context.Background(), f.write())
		wantCode(t, res, err, reason.LayoutThresholdNotMet, `step "build"`, `got "1 valid link(s)", want "at least 2"`)
	})
	t.Run("functionaries disagree", func(t *testing.T) {
		f, second := setup(t)
		other := f.build
		other.Products = map[string]in_toto.HashObj{"app": intototest.SHA256([]byte("other binary\n"))}
		f.writeLink(f.links, other, second)
		res, err := Verify(context.Background(), f.write())
		wantCode(t, res, err, reason.LinksInvalid, "different artifacts")
	})
	t.Run("unsatisfiable", func(t *testing.T) {
		f, _ := setup(t)
		f.layout.Steps[0].Threshold = 3
		res, err := Verify(context.Background(), f.write())
		wantCode(t, res, err, reason.LayoutInvalid, "threshold 3")
	})
	t.Run("zero", func(t *testing.T) {
		f, _ := setup(t)
		f.layout.Steps[0].Threshold = 0
		res, err := Verify(context.Background(), f.write())
		wantCode(t, res, err, reason.LayoutInvalid, "threshold 0")
	})
}

func TestVerifyLayoutRules(t *testing.T) {
	t.Run("tampered product", func(t *testing.T) {
		// The builder signed a binary that is not the one the packager
		// packaged: MATCH leaves "app" for DISALLOW.
		f := newFixture(t, intototest.Ed25519, false)
		f.build.Products["app"] = intototest.SHA256([]byte("backdoored binary\n"))
		res, err := Verify(context.Background(), f.write())
		wantCode(t, res, err, reason.LayoutRuleViolated, "package", "disallowed")
	})
	t.Run("unexpected material", func(t *testing.T) {
		f := newFixture(t, intototest.Ed25519, false)
		f.build.Materials["Makefile.evil"] = intototest.SHA256([]byte("x"))
		res, err := Verify(context.Background(), f.write())
		wantCode(t, res, err, reason.LayoutRuleViolated, "Makefile.evil")
	})
	t.Run("empty rule", func(t *testing.T) {
		f := newFixture(t, intototest.Ed25519, false)
		f.layout.Steps[0].ExpectedMaterials = [][]string{{}}
		res, err := Verify(context.Background(), f.write())
		wantCode(t, res, err, reason.LayoutInvalid, "rule")
	})
	t.Run("bad pattern", func(t *testing.T) {
		f := newFixture(t, intototest.Ed25519, false)
		f.layout.Steps[0].ExpectedMaterials = [][]string{{"ALLOW", "src/["}}
		res, err := Verify(context.Background(), f.write())
		wantCode(t, res, err, reason.LayoutInvalid, "src/[")
	})
	t.Run("path as step name", func(t *testing.T) {
		f := newFixture(t, intototest.Ed25519, false)
		f.layout.Steps[1].Name = "../package"
		res, err := Verify(context.Background(), f.write())
		wantCode(t, res, err, reason.LayoutInvalid, "must not be a path")
	})
	t.Run("no steps", func(t *testing.T) {
		f := newFixture(t, intototest.Ed25519, false)
		f.layout.Steps = []in_toto.Step{}
		res, err := Verify(context.Background(), f.write())
		wantCode(t, res, err, reason.LayoutInvalid, "no steps")
	})
}

// withInspection adds an inspection to the fixture's layout.
func (f *fixture) withInspection(run []string, materials, products [][]string) {
	f.layout.Inspect = []in_toto.Inspection{{
		Type: "inspection",
		Run:  run,
		SupplyChainItem: in_toto.SupplyChainItem{
			Name:              "unpack",
			ExpectedMaterials: materials,
			ExpectedProducts:  products,
		},
	}}
}

func TestVerifyLayoutInspections(t *testing.T) {
	allowAll := [][]string{{"ALLOW", "*"}}
	t.Run("refused", func(t *testing.T) {
		work := t.TempDir()
		t.Chdir(work)
		f := newFixture(t, intototest.Ed25519, false)
		f.withInspection([]string{"sh", "-c", "echo ran > ran.txt"}, allowAll, allowAll)
		res, err := Verify(context.Background(), f.write())
		wantCode(t, res, err, reason.InspectionsRefused, "unpack (sh -c echo ran > ran.txt)")
		var re *reason.Error
		errors.As(err, &re)
		if !strings.Contains(re.Hint, "--allow-inspections") || !strings.Contains(re.Hint, "run programs named in the layout") {
			t.Errorf("hint %q does not explain inspections and --allow-inspections", re.Hint)
		}
		if _, err := os.Stat(filepath.Join(work, "ran.txt")); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("the refused inspection ran: stat ran.txt: %v", err)
		}
	})
	t.Run("allowed", func(t *testing.T) {
		work := t.TempDir()
		t.Chdir(work)
		f := newFixture(t, intototest.Ed25519, false)
		f.withInspection([]string{"sh", "-c", "echo ran > ran.txt"}, [][]string{{"DISALLOW", "*"}}, [][]string{{"CREATE", "ran.txt"}, {"DISALLOW", "*"}})
		o := f.write()
		o.AllowInspections = true
		res, err := Verify(context.Background(), o)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(res.Inspections, []string{"unpack"}) {
			t.Errorf("Inspections = %q, want [unpack]", res.Inspections)
		}
		if _, err := os.Stat(filepath.Join(work, "ran.txt")); err != nil {
			t.Errorf("the inspection did not run: %v", err)
		}
		entries, _ := os.ReadDir(work)
		if len(entries) != 1 {
			t.Errorf("working directory holds %d entries, want only ran.txt (no inspection links)", len(entries))
		}
	})
	t.Run("matches the final product", func(t *testing.T) {
		work := t.TempDir()
		t.Chdir(work)
		f := newFixture(t, intototest.Ed25519, false)
		f.withInspection([]string{"true"},
			[][]string{{"MATCH", "app.tar.gz", "WITH", "PRODUCTS", "FROM", "package"}, {"DISALLOW", "*"}}, allowAll)
		o := f.write()
		o.AllowInspections = true
		if err := os.WriteFile(filepath.Join(work, "app.tar.gz"), f.artifact, 0o644); err != nil {
			t.Fatal(err)
		}
		if _, err := Verify(context.Background(), o); err != nil {
			t.Fatal(err)
		}
		// Failure twin: the file in the working directory is not the
		// product the packager signed.
		if err := os.WriteFile(filepath.Join(work, "app.tar.gz"), []byte("swapped"), 0o644); err != nil {
			t.Fatal(err)
		}
		res, err := Verify(context.Background(), o)
		wantCode(t, res, err, reason.LayoutRuleViolated, "app.tar.gz")
	})
	t.Run("rule violated", func(t *testing.T) {
		t.Chdir(t.TempDir())
		f := newFixture(t, intototest.Ed25519, false)
		f.withInspection([]string{"sh", "-c", "echo ran > ran.txt"}, allowAll, [][]string{{"DISALLOW", "*"}})
		o := f.write()
		o.AllowInspections = true
		res, err := Verify(context.Background(), o)
		wantCode(t, res, err, reason.LayoutRuleViolated, "ran.txt")
	})
	t.Run("failed", func(t *testing.T) {
		t.Chdir(t.TempDir())
		f := newFixture(t, intototest.Ed25519, false)
		f.withInspection([]string{"sh", "-c", "echo bad signature >&2; exit 3"}, allowAll, allowAll)
		o := f.write()
		o.AllowInspections = true
		res, err := Verify(context.Background(), o)
		wantCode(t, res, err, reason.LayoutInspectionFailed, "bad signature", `got "exit status 3"`)
	})
	t.Run("program missing", func(t *testing.T) {
		t.Chdir(t.TempDir())
		f := newFixture(t, intototest.Ed25519, false)
		f.withInspection([]string{"sovcheck-no-such-program"}, allowAll, allowAll)
		o := f.write()
		o.AllowInspections = true
		res, err := Verify(context.Background(), o)
		wantCode(t, res, err, reason.LayoutInspectionFailed, "sovcheck-no-such-program")
	})
}

// writeSublayout makes the packager's link a sublayout with steps
// "compress" and "sign" (the packager's own keys), whose links go into the
// sublayout directory. It returns the sublayout's functionaries.
func (f *fixture) writeSublayout(edit func(sub *in_toto.Layout)) (compressor, signer *intototest.Key) {
	f.t.Helper()
	compressor, signer = newKey(f.t, intototest.Ed25519), newKey(f.t, intototest.ECDSA)
	app := f.pkg.Materials["app"]
	tarball := f.pkg.Products["app.tar.gz"]
	sub := intototest.NewLayout(testNow.AddDate(0, 6, 0), []in_toto.Step{
		intototest.NewStep("compress", 1, [][]string{{"ALLOW", "app"}}, [][]string{{"CREATE", "app.tar"}}, []string{"tar"}, compressor),
		intototest.NewStep("sign", 1,
			[][]string{{"MATCH", "app.tar", "WITH", "PRODUCTS", "FROM", "compress"}},
			[][]string{{"CREATE", "app.tar.gz"}, {"DISALLOW", "*"}}, []string{"gzip"}, signer),
	}, compressor, signer)
	if edit != nil {
		edit(&sub)
	}
	if err := intototest.WriteMetadata(filepath.Join(f.links, f.packager.LinkName("package")), sub, f.dsse, f.packager); err != nil {
		f.t.Fatal(err)
	}
	subDir := filepath.Join(f.links, f.packager.SublayoutDir("package"))
	if err := os.Mkdir(subDir, 0o755); err != nil {
		f.t.Fatal(err)
	}
	tar := intototest.SHA256([]byte("tar\n"))
	f.writeLink(subDir, intototest.NewLink("compress", map[string]in_toto.HashObj{"app": app}, map[string]in_toto.HashObj{"app.tar": tar}, "tar"), compressor)
	f.writeLink(subDir, intototest.NewLink("sign", map[string]in_toto.HashObj{"app.tar": tar}, map[string]in_toto.HashObj{"app.tar.gz": tarball}, "gzip"), signer)
	return compressor, signer
}

func TestVerifyLayoutSublayout(t *testing.T) {
	for _, dsse := range []bool{false, true} {
		f := newFixture(t, intototest.Ed25519, dsse)
		f.writeLink(f.links, f.build, f.builder)
		compressor, signer := f.writeSublayout(nil)
		res, err := Verify(context.Background(), f.options())
		if err != nil {
			t.Fatalf("dsse=%v: %v", dsse, err)
		}
		pkg := res.Steps[1].Functionaries[0]
		if pkg.Sublayout == nil {
			t.Fatalf("dsse=%v: package step has no sublayout result", dsse)
		}
		sub := pkg.Sublayout
		if sub.Name != f.packager.LinkName("package") || len(sub.Steps) != 2 ||
			sub.Steps[0].Functionaries[0].KeyID != compressor.ID() || sub.Steps[1].Functionaries[0].KeyID != signer.ID() {
			t.Errorf("dsse=%v: sublayout result %+v", dsse, sub)
		}
		if _, ok := res.Product(sha256Hex(f.artifact)); !ok {
			t.Errorf("dsse=%v: final product missing from %+v", dsse, res.Products)
		}
	}
}

func TestVerifyLayoutSublayoutFailures(t *testing.T) {
	t.Run("sublayout link missing", func(t *testing.T) {
		f := newFixture(t, intototest.Ed25519, false)
		f.writeLink(f.links, f.build, f.builder)
		_, signer := f.writeSublayout(nil)
		if err := os.Remove(filepath.Join(f.links, f.packager.SublayoutDir("package"), signer.LinkName("sign"))); err != nil {
			t.Fatal(err)
		}
		res, err := Verify(context.Background(), f.options())
		wantCode(t, res, err, reason.LayoutLinkMissing, "verifying sublayout "+f.packager.LinkName("package"), `step "sign"`)
	})
	t.Run("sublayout rule violated", func(t *testing.T) {
		f := newFixture(t, intototest.Ed25519, false)
		f.writeLink(f.links, f.build, f.builder)
		f.writeSublayout(func(sub *in_toto.Layout) {
			sub.Steps[0].ExpectedMaterials = [][]string{{"DISALLOW", "app"}}
		})
		res, err := Verify(context.Background(), f.options())
		wantCode(t, res, err, reason.LayoutRuleViolated, "verifying sublayout")
	})
	t.Run("sublayout summary violates the superlayout", func(t *testing.T) {
		f := newFixture(t, intototest.Ed25519, false)
		f.build.Products["app"] = intototest.SHA256([]byte("other binary\n"))
		f.writeLink(f.links, f.build, f.builder)
		f.writeSublayout(nil)
		res, err := Verify(context.Background(), f.options())
		wantCode(t, res, err, reason.LayoutRuleViolated, "package")
	})
	t.Run("sublayout expired", func(t *testing.T) {
		f := newFixture(t, intototest.Ed25519, false)
		f.writeLink(f.links, f.build, f.builder)
		f.writeSublayout(func(sub *in_toto.Layout) { sub.Expires = intototest.Expires(testNow.AddDate(0, 0, -1)) })
		res, err := Verify(context.Background(), f.options())
		wantCode(t, res, err, reason.LayoutExpired, "verifying sublayout")
	})
	t.Run("sublayout inspection refused", func(t *testing.T) {
		work := t.TempDir()
		t.Chdir(work)
		f := newFixture(t, intototest.Ed25519, false)
		f.writeLink(f.links, f.build, f.builder)
		f.writeSublayout(func(sub *in_toto.Layout) {
			sub.Inspect = []in_toto.Inspection{{Type: "inspection", Run: []string{"sh", "-c", "echo ran > ran.txt"},
				SupplyChainItem: in_toto.SupplyChainItem{Name: "probe"}}}
		})
		res, err := Verify(context.Background(), f.options())
		wantCode(t, res, err, reason.InspectionsRefused, "verifying sublayout", "probe")
		if _, err := os.Stat(filepath.Join(work, "ran.txt")); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("the refused inspection ran: stat ran.txt: %v", err)
		}
	})
	t.Run("nesting loop", func(t *testing.T) {
		// The packager's sublayout names itself for step "package", and
		// the sublayout directory points back at the link directory.
		f := newFixture(t, intototest.Ed25519, false)
		f.layout.Steps = f.layout.Steps[1:]
		f.layout.Steps[0].ExpectedMaterials = nil
		loop := intototest.NewLayout(testNow.AddDate(0, 6, 0), []in_toto.Step{
			intototest.NewStep("package", 1, nil, nil, nil, f.packager),
		}, f.packager)
		if err := intototest.WriteMetadata(filepath.Join(f.links, f.packager.LinkName("package")), loop, false, f.packager); err != nil {
			t.Fatal(err)
		}
		if err := os.Symlink(".", filepath.Join(f.links, f.packager.SublayoutDir("package"))); err != nil {
			t.Fatal(err)
		}
		res, err := Verify(context.Background(), f.options())
		wantCode(t, res, err, reason.LayoutInvalid, "deeper than 4 levels")
	})
}

func TestVerifyLayoutLimits(t *testing.T) {
	big := func(t *testing.T, p string) {
		t.Helper()
		if err := os.WriteFile(p, bytes.Repeat([]byte(" "), MaxFileSize+1), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	t.Run("layout", func(t *testing.T) {
		f := newFixture(t, intototest.Ed25519, false)
		o := f.write()
		big(t, o.Path)
		res, err := Verify(context.Background(), o)
		wantCode(t, res, err, reason.InputTooLarge, "root.layout")
	})
	t.Run("link", func(t *testing.T) {
		f := newFixture(t, intototest.Ed25519, false)
		o := f.write()
		big(t, filepath.Join(f.links, f.packager.LinkName("package")))
		res, err := Verify(context.Background(), o)
		wantCode(t, res, err, reason.InputTooLarge, f.packager.LinkName("package"))
	})
	t.Run("total", func(t *testing.T) {
		f := newFixture(t, intototest.Ed25519, false)
		o := f.write()
		v := newVerifier(context.Background(), o)
		v.budget = 100
		res, err := v.run(o)
		wantCode(t, res, err, reason.InputTooLarge, "total size limit")
	})
	t.Run("directory entries", func(t *testing.T) {
		f := newFixture(t, intototest.Ed25519, false)
		o := f.write()
		for i := range MaxDirEntries {
			if err := os.WriteFile(filepath.Join(f.links, fmt.Sprintf("other-%05d", i)), nil, 0o644); err != nil {
				t.Fatal(err)
			}
		}
		res, err := Verify(context.Background(), o)
		wantCode(t, res, err, reason.InputTooLarge, "too many entries")
	})
}

func TestVerifyLayoutCancelled(t *testing.T) {
	f := newFixture(t, intototest.Ed25519, false)
	o := f.write()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	res, err := Verify(ctx, o)
	wantCode(t, res, err, reason.InternalError)
	if !errors.Is(err, context.Canceled) {
		t.Errorf("error %v does not wrap context.Canceled", err)
	}
}

func TestVerifyLayoutOptions(t *testing.T) {
	f := newFixture(t, intototest.Ed25519, false)
	full := f.write()
	for _, tc := range []struct {
		name string
		edit func(*Options)
		code string
	}{
		{"no layout", func(o *Options) { o.Path = "" }, reason.EvidenceMissing},
		{"no links", func(o *Options) { o.LinkDir = "" }, reason.EvidenceMissing},
		{"missing layout", func(o *Options) { o.Path = filepath.Join(f.dir, "absent.layout") }, reason.InputUnreadable},
	} {
		t.Run(tc.name, func(t *testing.T) {
			o := full
			tc.edit(&o)
			res, err := Verify(context.Background(), o)
			wantCode(t, res, err, tc.code)
		})
	}
}

func TestLayoutRecover(t *testing.T) {
	res, err := func() (res *Result, err error) {
		defer recoverPanic(&res, &err, newVerifier(context.Background(), Options{}).log)
		res = &Result{}
		panic("index out of range")
	}()
	wantCode(t, res, err, reason.LayoutInvalid, "in-toto library failed: index out of range")
}
