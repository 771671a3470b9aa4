package policy

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/sovcheck/sovcheck/internal/reason"
)

func TestLoadEmbedded(t *testing.T) {
	for name, src := range map[string][]byte{"default": DefaultSource(), "init": InitTemplate()} {
		p, err := Load(src, name+".yaml", testNow)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if p.SHA256() == "" || p.RuleCount() == 0 {
			t.Fatalf("%s: empty policy", name)
		}
	}
	def, err := Default(testNow)
	if err != nil {
		t.Fatal(err)
	}
	// The default is strict: an artifact without evidence fails.
	if res := Evaluate(def, &Facts{Artifact: Subject{Name: "x"}}, testNow); res.Passed() {
		t.Fatal("the default policy passed an artifact without evidence")
	}
	if res := Evaluate(def, goodFacts(), testNow); !res.Passed() {
		t.Fatalf("the default policy failed a signed artifact with provenance: %s", res.Reason)
	}
}

func TestLoadJSON(t *testing.T) {
	src := "{\n\t\"apiVersion\": \"sovcheck.dev/v1alpha1\",\n\t\"kind\": \"ProcurementPolicy\",\n\t\"sbom\": {\"maxProductGrade\": \"C\"},\n" +
		"\t\"rules\": [{\"id\": \"r\", \"action\": \"warn\", \"expr\": \"sbom.present\"}]\n}\n"
	p, err := Load([]byte(src), "p.json", testNow)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := Evaluate(p, goodFacts(), testNow).Rule(RuleProductGrade); !ok {
		t.Fatal("JSON policy lost its sbom section")
	}
	_, err = Load([]byte(strings.Replace(src, `"kind"`, `"knd"`, 1)), "p.json", testNow)
	checkProblem(t, err, reason.PolicyInvalid, "3:2", `unknown field "knd"`, `did you mean "kind"?`)
}

// checkProblem asserts that err is a *FileError whose first problem has
// the code, position, message and hint given.
func checkProblem(t *testing.T, err error, code, pos, msg, hint string) {
	t.Helper()
	var fe *FileError
	if !errors.As(err, &fe) {
		t.Fatalf("got %v, want a *FileError", err)
	}
	p := fe.Problems[0]
	if p.Code != code || p.Pos.String() != pos || !strings.Contains(p.Msg, msg) || !strings.Contains(p.Hint, hint) {
		t.Fatalf("got %s %s %q (hint %q), want %s %s %q (hint %q)", p.Code, p.Pos, p.Msg, p.Hint, code, pos, msg, hint)
	}
	var re *reason.Error
	if !errors.As(err, &re) || re.Code != code || re.Hint != p.Hint {
		t.Fatalf("error does not unwrap to its reason: %v", re)
	}
}

func TestLoadProblems(t *testing.T) {
	for _, tc := range []struct {
		name, body      string
		code, pos       string
		msg, hint       string
		noHeaderPrepend bool
	}{
		{"unknown top-level field", "sbomm: {}\n", reason.PolicyInvalid, "3:1", `unknown field "sbomm"`, `did you mean "sbom"?`, false},
		{"unknown nested field", "sbom:\n  maxGrade: C\n", reason.PolicyInvalid, "4:3", `unknown field "maxGrade"`, "known fields here", false},
		{"wrong type: string for number", "sbom:\n  minQuality: high\n", reason.PolicyInvalid, "4:15", `wrong type: got string "high", want a number`, "", false},
		{"wrong type: scalar for list", "sbom:\n  forbiddenLabels: abandoned\n", reason.PolicyInvalid, "4:20", "want a list", "", false},
		{"wrong type: yes is not a bool", "sbom:\n  required: yes\n", reason.PolicyInvalid, "4:13", "want true or false", "", false},
		{"wrong type: number for string", "metadata: {name: 12}\n", reason.PolicyInvalid, "3:18", "got number 12, want a string", "quote the value", false},
		{"wrong type: fraction for integer", "points: {maximum: 1.5}\n", reason.PolicyInvalid, "3:19", "want a whole number", "", false},
		{"duplicate field", "sbom: {}\nsbom: {}\n", reason.PolicyInvalid, "4:1", `duplicate field "sbom"`, "", false},
		{"non-string key", "points: {maximum: 10, grades: {1: 2}}\n", reason.PolicyInvalid, "3:32", "mapping key is not a string", "", false},
		{"duplicate key", "vulnerabilities: {maximum: {high: 1, high: 2}}\n", reason.PolicyInvalid, "3:38", `duplicate key "high"`, "", false},
		{"anchor", "sbom: &s {}\n", reason.PolicyInvalid, "3:7", "anchors and aliases", "write the value out", false},
		{"missing apiVersion", "kind: ProcurementPolicy\n", reason.PolicyInvalid, "1:1", `missing required field "apiVersion"`, "apiVersion: sovcheck.dev/v1alpha1", true},
		{"wrong apiVersion", "apiVersion: sovcheck.dev/v2\nkind: ProcurementPolicy\n", reason.PolicyInvalid, "1:13", "unsupported apiVersion", "", true},
		{"wrong kind", "apiVersion: sovcheck.dev/v1alpha1\nkind: Policy\n", reason.PolicyInvalid, "2:7", `wrong kind "Policy"`, "", true},
		{"syntax error", "sbom: {\n", reason.PolicyInvalid, "3:1", "parsing policy", "fix the YAML", false},
		{"empty", "", reason.PolicyInvalid, "1:1", "policy is empty", "policy init", true},
		{"two documents", "---\n---\nsbom: {}\n", reason.PolicyInvalid, "3:1", "more than one YAML document", "", false},
		{"unknown label", "sbom:\n  forbiddenLabels: [abandoned, xz-pattern]\n", reason.PolicyInvalid, "4:32", `unknown label "xz-pattern"`, "known labels: abandoned", false},
		{"duplicate label", "sbom:\n  forbiddenLabels: [abandoned, abandoned]\n", reason.PolicyInvalid, "4:32", "listed twice", "", false},
		{"unknown grade", "sbom: {maxProductGrade: H}\n", reason.PolicyInvalid, "3:25", `unknown grade "H"`, "A (best) to G", false},
		{"quality out of range", "sbom: {minQuality: 80}\n", reason.PolicyInvalid, "3:20", "out of range", "0.8", false},
		{"unknown predicate alias", "artifacts:\n  - match: [\"*\"]\n    attestations: [slsa]\n", reason.PolicyInvalid, "5:20", `unknown predicate type "slsa"`, "slsaprovenance1", false},
		{"no match", "artifacts:\n  - signature: {}\n", reason.PolicyInvalid, "4:5", `missing required field "match"`, "", false},
		{"half an identity", "artifacts:\n  - match: [\"*\"]\n    signature:\n      identities:\n        - issuer: https://issuer.example\n", reason.PolicyInvalid, "7:11", `missing required field "subject"`, "both an issuer and a subject", false},
		{"exact and regexp together", "artifacts:\n  - match: [\"*\"]\n    signature:\n      identities:\n        - {issuer: a, subject: b, subjectRegexp: b}\n", reason.PolicyInvalid, "7:50", "given together", "", false},
		{"bad regexp", "artifacts:\n  - match: [\"*\"]\n    signature:\n      identities:\n        - {issuer: a, subjectRegexp: \"(\"}\n", reason.PolicyInvalid, "7:38", "invalid regexp", "RE2", false},
		{"bad key", "artifacts:\n  - match: [\"*\"]\n    signature: {keys: [sha256:abc]}\n", reason.PolicyInvalid, "5:24", "invalid sha256 digest", "sha256:<hex", false},
		{"unknown rebuild requirement", "artifacts:\n  - match: [\"*\"]\n    rebuild: {required: exact}\n", reason.PolicyInvalid, "5:25", `unknown rebuild requirement "exact"`, "none, match or equivalent", false},
		{"unknown normalisation", "artifacts:\n  - match: [\"*\"]\n    rebuild: {required: equivalent, normalisations: [timestamps]}\n", reason.PolicyInvalid, "5:54", `unknown normalisation "timestamps"`, "gzip-framing", false},
		{"normalisations with match", "artifacts:\n  - match: [\"*\"]\n    rebuild: {required: match, normalisations: [gzip-framing]}\n", reason.PolicyInvalid, "5:48", "without 'required: equivalent'", "", false},
		{"bad jurisdiction", "sbom: {jurisdictions: {allowed: [Germany]}}\n", reason.PolicyInvalid, "3:34", `invalid jurisdiction "Germany"`, "ISO 3166", false},
		{"bad SPDX", "licences: {deny: [\"MIT OR\"]}\n", reason.PolicyInvalid, "3:19", "invalid SPDX expression", "", false},
		{"compound licence in a list", "licences: {allow: [\"MIT OR Apache-2.0\"]}\n", reason.PolicyInvalid, "3:20", "compound expression", "", false},
		{"allowed and denied", "licences: {allow: [MIT], deny: [mit]}\n", reason.PolicyInvalid, "3:33", "both allowed and denied", "", false},
		{"unknown severity", "vulnerabilities: {maximum: {severe: 0}}\n", reason.PolicyInvalid, "3:37", `unknown severity "severe"`, "", false},
		{"unknown knownExploited", "vulnerabilities: {knownExploited: ignore}\n", reason.PolicyInvalid, "3:35", `unknown value "ignore"`, "knock-out", false},
		{"data without sha256", "data:\n  - {name: kev, kind: kev, path: kev.json}\n", reason.PolicyInvalid, "4:5", `missing required field "sha256"`, "sha256sum", false},
		{"data with bad sha256", "data:\n  - {name: kev, kind: kev, path: kev.json, sha256: nothex}\n", reason.PolicyInvalid, "4:52", "invalid sha256", "", false},
		{"unknown data kind", "data:\n  - {name: kev, kind: epss, path: e.json, sha256: " + hexSHA("x") + "}\n", reason.PolicyInvalid, "4:23", `unknown data file kind "epss"`, "", false},
		{"certification list not a data file", "certification: {list: certs}\n", reason.PolicyInvalid, "3:23", `no data file named "certs"`, "", false},
		{"certification list of the wrong kind", "data:\n  - {name: kev, kind: kev, path: kev.json, sha256: " + hexSHA("x") + "}\ncertification: {list: kev}\n", reason.PolicyInvalid, "5:23", `has kind "kev"`, "", false},
		{"certification without a way", "certification: {requireComponents: true}\n", reason.PolicyInvalid, "3:16", "names no way to certify", "", false},
		{"grades incomplete", "points: {maximum: 100, pass: 50, grades: {A: 100, B: 80}}\n", reason.PolicyInvalid, "3:42", `missing required field "C"`, "every grade", false},
		{"pass above maximum", "points: {maximum: 100, pass: 150}\n", reason.PolicyInvalid, "3:30", "out of range", "", false},
		{"penalty with unknown label", "points:\n  maximum: 10\n  penalties:\n    - {id: p, labels: [lonely], points: 1}\n", reason.PolicyInvalid, "6:24", `unknown label "lonely"`, "", false},
		{"rule without action", "rules:\n  - {id: r, expr: 'true'}\n", reason.PolicyInvalid, "4:5", `missing required field "action"`, "fail, warn or penalize", false},
		{"rule with unknown action", "rules:\n  - {id: r, action: block, expr: 'true'}\n", reason.PolicyInvalid, "4:21", `unknown action "block"`, "", false},
		{"reserved rule id", "rules:\n  - {id: sbom.mine, action: fail, expr: 'true'}\n", reason.PolicyInvalid, "4:10", "is reserved", "", false},
		{"duplicate rule id", "rules:\n  - {id: r, action: fail, expr: 'true'}\n  - {id: r, action: fail, expr: 'true'}\n", reason.PolicyInvalid, "5:10", `rule "r" defined twice`, "", false},
		{"penalize without points section", "rules:\n  - {id: r, action: penalize, points: 2, expr: 'true'}\n", reason.PolicyInvalid, "4:21", "penalize needs a points section", "", false},
		{"points on a fail rule", "rules:\n  - {id: r, action: fail, points: 2, expr: 'true'}\n", reason.PolicyInvalid, "4:35", "points given for action", "", false},
		{"CEL does not compile", "rules:\n  - {id: r, action: fail, expr: 'sbom.components.all(c, c.grade =='}\n", reason.PolicyInvalid, "4:67", "CEL does not compile: Syntax error", "variables: artifact", false},
		{"CEL misspelt field", "rules:\n  - {id: r, action: fail, expr: 'sbom.componentz.size() > 0'}\n", reason.PolicyInvalid, "4:38", "undefined field 'componentz'", "", false},
		{"CEL returns a string", "rules:\n  - {id: r, action: fail, expr: 'artifact.name'}\n", reason.PolicyInvalid, "4:33", "returns string, want bool", "", false},
		{"CEL returns dyn", "rules:\n  - {id: r, action: fail, expr: 'dyn(sbom.present)'}\n", reason.PolicyInvalid, "4:33", "returns dyn, want bool", "", false},
		{"CEL error in a block scalar", "rules:\n  - id: r\n    action: fail\n    expr: |\n      sbom.present &&\n        sbom.quality >= \"high\"\n", reason.PolicyInvalid, "8:22", "no matching overload", "", false},
		{"CEL with an invalid constant regexp", "rules:\n  - {id: r, action: fail, expr: 'artifact.name.matches(\"(\")'}\n", reason.PolicyInvalid, "4:33", "CEL does not compile: ", "", false},
		{"CEL empty", "rules:\n  - {id: r, action: fail, expr: ' '}\n", reason.PolicyInvalid, "4:5", `missing required field "expr"`, "", false},
		{"waiver for an unknown rule", "waivers:\n  - {rule: sbom.grade, reason: r, owner: o, expires: 2027-01-01}\n", reason.PolicyInvalid, "4:12", `no rule "sbom.grade"`, "rules of this policy: artifact.provenance", false},
		{"waiver without owner", "waivers:\n  - {rule: artifact.signature, reason: r, expires: 2027-01-01}\n", reason.PolicyInvalid, "4:5", `missing required field "owner"`, "reason, an owner and an expiry", false},
		{"waiver with a bad date", "waivers:\n  - {rule: artifact.signature, reason: r, owner: o, expires: next year}\n", reason.PolicyInvalid, "4:62", "invalid date", "YYYY-MM-DD", false},
		{"waiver of the points threshold", "points: {maximum: 10}\nwaivers:\n  - {rule: points.pass, reason: r, owner: o, expires: 2027-01-01}\n", reason.PolicyInvalid, "5:12", "cannot be waived", "", false},
		{"expired policy", "metadata:\n  expires: 2026-10-31\n", reason.PolicyExpired, "4:12", "policy expired on 2026-10-31", "set a new metadata.expires", false},
		{"bad policy expiry", "metadata:\n  expires: soon\n", reason.PolicyInvalid, "4:12", "invalid date", "", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			src := tc.body
			if !tc.noHeaderPrepend {
				src = header + src
			}
			p, err := Load([]byte(src), "p.yaml", testNow)
			if p != nil {
				t.Fatal("a policy with problems loaded")
			}
			checkProblem(t, err, tc.code, tc.pos, tc.msg, tc.hint)
			if !strings.HasPrefix(err.Error(), "p.yaml:"+tc.pos+": ") {
				t.Fatalf("error %q does not start with the position", err)
			}
		})
	}
}

func TestLoadNullsAreAbsent(t *testing.T) {
	p := mustLoad(t, "sbom: ~\nrules:\nwaivers: []\nmetadata: {name: n}\n")
	if _, ok := Evaluate(p, goodFacts(), testNow).Rule(RuleSBOMRequired); ok {
		t.Fatal("a null sbom section counted as present")
	}
	if p.Name() != "n" || p.WaiverCount() != 0 {
		t.Fatalf("name %q, %d waivers", p.Name(), p.WaiverCount())
	}
}

func TestLoadReportsEveryProblem(t *testing.T) {
	_, err := Load([]byte(header+"sbom:\n  forbiddenLabels: [nope]\n  maxProductGrade: Z\nrules:\n  - {id: r, action: fail, expr: '1'}\n"), "p.yaml", testNow)
	var fe *FileError
	if !errors.As(err, &fe) || len(fe.Problems) != 3 {
		t.Fatalf("got %v, want three problems", err)
	}
	if !strings.Contains(err.Error(), "(and 2 more problems)") {
		t.Fatalf("error %q does not count the others", err)
	}
	for i, want := range []string{"4:21", "5:20", "7:33"} {
		if got := fe.Problems[i].Pos.String(); got != want {
			t.Errorf("problem %d at %s, want %s", i, got, want)
		}
	}
}

func TestLoadLimits(t *testing.T) {
	big := header + "metadata: {description: \"" + strings.Repeat("x", MaxPolicyBytes) + "\"}\n"
	_, err := Load([]byte(big), "big.yaml", testNow)
	var re *reason.Error
	if !errors.As(err, &re) || re.Code != reason.InputTooLarge {
		t.Fatalf("oversized policy: %v", err)
	}
	long := header + "rules:\n  - {id: r, action: fail, expr: '" + strings.Repeat("true && ", MaxExprBytes/8) + "true'}\n"
	if _, err := Load([]byte(long), "long.yaml", testNow); err == nil || !strings.Contains(err.Error(), "CEL does not compile") {
		t.Fatalf("oversized expression: %v", err)
	}
	if _, err := Load([]byte(header), "p.yaml", time.Time{}); err == nil {
		t.Fatal("loading without a time succeeded")
	}
	if _, err := Load([]byte(header), "p.yaml", testNow, WithCostLimit(0)); err == nil {
		t.Fatal("a zero cost limit was accepted")
	}
}

func TestKeyReferences(t *testing.T) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	der, err := x509.MarshalPKIXPublicKey(&key.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	pemKey := strings.TrimSpace(string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})))
	id, err := parseKeyRef(pemKey)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(der)
	if id != hex.EncodeToString(sum[:]) {
		t.Fatalf("key id %q is not the sha256 of the key's DER", id)
	}
	// The PEM form and its sha256 form name the same key.
	for _, ref := range []string{"|\n" + indent(pemKey, "          "), "sha256:" + strings.ToUpper(id)} {
		p := mustLoad(t, "artifacts:\n  - match: [\"*\"]\n    signature:\n      keys:\n        - "+ref+"\n")
		f := goodFacts()
		f.Signers = []Signer{{KeyID: id}}
		if rr, _ := ruleResult(t, p, f, RuleSignature); rr.Status != RulePass {
			t.Fatalf("key %s: %s %s", ref, rr.Status, rr.Message)
		}
		f.Signers = []Signer{{KeyID: testKeyID}}
		if rr, _ := ruleResult(t, p, f, RuleSignature); rr.Status != RuleFail {
			t.Fatalf("another key passed: %s", rr.Status)
		}
	}
	for _, bad := range []string{"cosign.pub", "sha256:xyz", "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----"} {
		if _, err := parseKeyRef(bad); err == nil {
			t.Errorf("parseKeyRef(%q) succeeded", bad)
		}
	}
}

func indent(s, prefix string) string {
	return prefix + strings.ReplaceAll(s, "\n", "\n"+prefix)
}
