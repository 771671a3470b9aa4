package policy

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/sovcheck/sovcheck/internal/reason"
	"github.com/sovcheck/sovcheck/internal/vocab"
)

const certListHeader = "apiVersion: sovcheck.dev/v1alpha1\nkind: CertificationList\n"

func certPolicy(t *testing.T, list string) *Policy {
	t.Helper()
	return mustLoad(t, fmt.Sprintf(`data:
  - name: kev
    kind: kev
    path: data/kev.json
    sha256: %s
  - name: certs
    kind: certifications
    path: data/certs.yaml
    sha256: %s
certification:
  list: certs
  certifiers: ["sha256:%s"]
`, hexSHA("kev"), hexSHA(list), testCertKey))
}

func TestDataFiles(t *testing.T) {
	list := certListHeader + "entries: []\n"
	p := certPolicy(t, list)
	got := p.DataFiles()
	if len(got) != 2 || got[0].Name != "kev" || got[1].Path != "data/certs.yaml" || got[1].SHA256 != hexSHA(list) || got[1].Pos.String() != "8:5" {
		t.Fatalf("DataFiles = %+v", got)
	}
	if _, err := p.WithData("kev", []byte("kev")); err != nil {
		t.Fatalf("pinned data file refused: %v", err)
	}
	if _, err := p.WithData("certs", []byte(list)); err != nil {
		t.Fatalf("pinned certification list refused: %v", err)
	}
	_, err := p.WithData("kev", []byte("kev, changed"))
	checkProblem(t, err, reason.DataDigestMismatch, "7:13", "does not match its pin: got sha256 "+hexSHA("kev, changed"), "review the change")
	if !strings.HasPrefix(err.Error(), "test.yaml:7:13: data[kev].sha256: data file kev (data/kev.json)") {
		t.Fatalf("error %q", err)
	}
	if _, err := p.WithData("osv", nil); err == nil {
		t.Fatal("an unnamed data file was accepted")
	}
}

func TestWithDataLeavesThePolicyAlone(t *testing.T) {
	list := certListHeader + "entries:\n  - purl: pkg:golang/golang.org/x/text\n"
	p := certPolicy(t, list)
	q, err := p.WithData("certs", []byte(list))
	if err != nil {
		t.Fatal(err)
	}
	c := Component{PURL: "pkg:golang/golang.org/x/text@v0.42.0"}
	if got := q.Certify(c, testNow); !got.Certified || got.Pointer != "/entries/0" || got.Source != "certs" {
		t.Fatalf("loaded list: %+v", got)
	}
	if got := p.Certify(c, testNow); got.Certified || got.Reason != reason.DataNotLoaded {
		t.Fatalf("policy without its list: %+v", got)
	}
}

func TestCertificationListProblems(t *testing.T) {
	for _, tc := range []struct{ name, list, pos, msg string }{
		{"wrong kind", "apiVersion: sovcheck.dev/v1alpha1\nkind: ProcurementPolicy\nentries: []\n", "2:7", `got kind "ProcurementPolicy"`},
		{"unknown field", certListHeader + "entries:\n  - purl: pkg:npm/left-pad\n    version: 1\n", "5:5", `unknown field "version"`},
		{"no identity", certListHeader + "entries:\n  - certifier: x\n", "4:5", "neither purl nor sha256"},
		{"not a purl", certListHeader + "entries:\n  - purl: golang.org/x/text\n", "4:11", "invalid purl"},
		{"empty version", certListHeader + "entries:\n  - purl: pkg:npm/left-pad@\n", "4:11", "invalid purl"},
		{"bad sha256", certListHeader + "entries:\n  - sha256: abcd\n", "4:13", "invalid sha256"},
		{"bad date", certListHeader + "entries:\n  - purl: pkg:npm/left-pad\n    expires: 31.12.2026\n", "5:14", "invalid date"},
		{"not YAML", "entries: [\n", "1:1", "parsing certification list"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := certPolicy(t, tc.list)
			q, err := p.WithData("certs", []byte(tc.list))
			if q != nil {
				t.Fatal("an invalid list was accepted")
			}
			checkProblem(t, err, reason.DataInvalid, tc.pos, tc.msg, "")
			if !strings.HasPrefix(err.Error(), "data/certs.yaml:") {
				t.Fatalf("error %q does not name the data file", err)
			}
		})
	}
}

func TestCertify(t *testing.T) {
	list := certListHeader + `entries:
  - purl: pkg:golang/golang.org/x/text
    certifier: Acme procurement office
    reference: AP-1
  - purl: pkg:npm/left-pad@1.3.0
    expires: 2026-06-30
  - purl: pkg:npm/%40angular/core@17.0.0
  - sha256: ` + strings.ToUpper(testArtifactSHA) + "\n"
	p, err := certPolicy(t, list).WithData("certs", []byte(list))
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		c    Component
		want bool
		by   string
		msg  string
	}{
		{"any version", Component{PURL: "pkg:golang/golang.org/x/text@v0.3.0"}, true, "list", ""},
		{"qualifiers ignored", Component{PURL: "pkg:golang/golang.org/x/text@v0.3.0?type=module"}, true, "list", ""},
		{"exact version", Component{PURL: "pkg:npm/%40angular/core@17.0.0"}, true, "list", ""},
		{"another version", Component{PURL: "pkg:npm/%40angular/core@17.0.1"}, false, "", "not on the certification list"},
		{"expired", Component{PURL: "pkg:npm/left-pad@1.3.0"}, false, "", "/entries/1 expired on 2026-06-30"},
		{"by digest", Component{Name: "tool", SHA256: testArtifactSHA}, true, "list", ""},
		{"unlisted", Component{PURL: "pkg:npm/lodash@4.17.21"}, false, "", ""},
		{"no purl", Component{Name: "lodash"}, false, "", ""},
		{"VSA", Component{PURL: "pkg:npm/lodash@4.17.21", VSAs: []VSA{{CertifierKeyID: strings.ToUpper(testCertKey), Result: vocab.VSAPassed, Evidence: "lodash.vsa.json"}}}, true, "vsa", ""},
		{"failed VSA", Component{PURL: "pkg:npm/lodash@4.17.21", VSAs: []VSA{{CertifierKeyID: testCertKey, Result: vocab.VSAFailed}}}, false, "", ""},
		{"VSA from an unknown certifier", Component{PURL: "pkg:npm/lodash@4.17.21", VSAs: []VSA{{CertifierKeyID: testKeyID, Result: vocab.VSAPassed}}}, false, "", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := p.Certify(tc.c, testNow)
			if got.Certified != tc.want || got.By != tc.by || !strings.Contains(got.Message, tc.msg) {
				t.Fatalf("Certify = %+v, want certified %v by %q, message with %q", got, tc.want, tc.by, tc.msg)
			}
			if !got.Certified && (got.Reason != reason.PolicyUncertified || got.Hint == "") {
				t.Fatalf("uncertified without reason or hint: %+v", got)
			}
		})
	}
	if got := mustLoad(t, "").Certify(Component{PURL: "pkg:npm/x@1"}, testNow); got.Certified || !strings.Contains(got.Message, "names no certification") {
		t.Fatalf("policy without certification: %+v", got)
	}
}

func TestSplitPURL(t *testing.T) {
	for _, tc := range []struct {
		in, base, version string
		ok                bool
	}{
		{"pkg:golang/golang.org/x/text@v0.42.0", "pkg:golang/golang.org/x/text", "v0.42.0", true},
		{"pkg:npm/%40angular/core@17.0.0?x=y#sub", "pkg:npm/%40angular/core", "17.0.0", true},
		{"pkg:deb/debian/liblzma5", "pkg:deb/debian/liblzma5", "", true},
		{"pkg:npm/@angular/core", "pkg:npm/@angular/core", "", true},
		{"pkg:npm/left-pad@", "", "", false},
		{"pkg:npm", "", "", false},
		{"pkg:/x", "", "", false},
		{"npm/left-pad", "", "", false},
	} {
		base, version, ok := splitPURL(tc.in)
		if base != tc.base || version != tc.version || ok != tc.ok {
			t.Errorf("splitPURL(%q) = %q, %q, %v", tc.in, base, version, ok)
		}
	}
}

func TestFileErrorWithoutPosition(t *testing.T) {
	fe := &FileError{Name: "p.yaml", Problems: []Problem{{Code: reason.PolicyInvalid, Msg: "bad"}}}
	if fe.Error() != "p.yaml: bad" {
		t.Fatalf("Error() = %q", fe.Error())
	}
	if !errors.Is(fe, fe) {
		t.Fatal("errors.Is")
	}
}
