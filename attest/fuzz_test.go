package attest

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/sovcheck/sovcheck/internal/vocab"
)

// seedInterop adds the real public bundles, when present, to a corpus.
func seedInterop(f *testing.F) {
	dir := filepath.Join("..", "..", "shared", "interop")
	matches, _ := filepath.Glob(filepath.Join(dir, "*.sigstore.json"))
	for _, m := range matches {
		if data, err := os.ReadFile(m); err == nil {
			f.Add(data)
		}
	}
}

var fuzzSeeds = []string{
	``,
	`{}`,
	`null`,
	`{"mediaType":"application/vnd.dev.sigstore.bundle.v0.3+json"}`,
	`{"mediaType":"application/vnd.dev.sigstore.bundle+json;version=0.1","verificationMaterial":{}}`,
	`{"mediaType":"application/vnd.dev.sigstore.bundle.v0.4+json"}`,
	`{"mediaType":1}`,
	"{\"mediaType\":\"x\"}\n{\"mediaType\":\"y\"}\n",
	// Bare DSSE envelopes, as the SLSA GitHub generator wrote them before
	// bundles: with a (truncated) certificate, and without.
	`{"payloadType":"application/vnd.in-toto+json","payload":"e30=","signatures":[{"keyid":"","sig":"c2ln","cert":"-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n"}]}`,
	`{"payloadType":"application/vnd.in-toto+json","payload":"e30=","signatures":[{"keyid":"","sig":"c2ln"}]}`,
}

func FuzzReadBundles(f *testing.F) {
	for _, s := range fuzzSeeds {
		f.Add([]byte(s))
	}
	seedInterop(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		bs, err := ReadBundles(bytes.NewReader(data))
		if err != nil && bs != nil {
			t.Fatalf("error %v with non-nil result", err)
		}
		if err == nil && len(bs) == 0 {
			t.Fatal("no error and no bundle")
		}
		for _, b := range bs {
			if b.Bundle == nil || b.Version == "" {
				t.Fatalf("incomplete bundle %+v", b)
			}
			_ = b.Describe()
		}
	})
}

func FuzzParseStatement(f *testing.F) {
	f.Add([]byte(`{"_type":"https://in-toto.io/Statement/v1","subject":[{"name":"a","digest":{"sha256":"00"}}],"predicateType":"x","predicate":{}}`))
	f.Add([]byte(`{"_type":"https://in-toto.io/Statement/v0.1","subject":[],"predicateType":"x"}`))
	f.Add([]byte(`[]`))
	f.Fuzz(func(t *testing.T, data []byte) {
		st, err := ParseStatement(vocab.InTotoPayloadType, data)
		if err != nil && st != nil {
			t.Fatalf("error %v with non-nil result", err)
		}
		if err == nil {
			_ = st.SubjectSummary()
			st.MatchSubject("00")
		}
	})
}

func FuzzParseProvenance(f *testing.F) {
	f.Add(vocab.PredicateSLSAProvenanceV02, []byte(`{"builder":{"id":"b"},"invocation":{"configSource":{"uri":"git+https://github.com/a/b@refs/tags/v1"},"environment":{"github_event_payload":{"base_ref":"refs/heads/main"}}}}`))
	f.Add(vocab.PredicateSLSAProvenanceV1, []byte(`{"buildDefinition":{"externalParameters":{"workflow":{"repository":"https://github.com/a/b","ref":"refs/heads/main"}},"resolvedDependencies":[{"uri":"git+https://github.com/a/b@refs/heads/main"}]},"runDetails":{"builder":{"id":"b"}}}`))
	f.Add("x", []byte(`{}`))
	f.Fuzz(func(t *testing.T, predicateType string, predicate []byte) {
		st := &Statement{Type: vocab.StatementTypeV1, PredicateType: predicateType, Predicate: predicate, Subject: []Subject{{Name: "a"}}}
		p, err := ParseProvenance(st)
		if err != nil && p != nil {
			t.Fatalf("error %v with non-nil result", err)
		}
		_ = CheckProvenance(st, nil, ProvenanceRequirements{SourceURI: "github.com/a/b", SourceTag: "v1", SourceBranch: "main", BuilderID: "b"})
	})
}

func FuzzReadPublicKey(f *testing.F) {
	f.Add([]byte("-----BEGIN PUBLIC KEY-----\nMFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE\n-----END PUBLIC KEY-----\n"))
	f.Add([]byte("not pem"))
	f.Fuzz(func(t *testing.T, data []byte) {
		k, err := ReadPublicKey(bytes.NewReader(data))
		if err != nil && k != nil {
			t.Fatalf("error %v with non-nil key", err)
		}
	})
}

func FuzzReadTrustedRoot(f *testing.F) {
	if data, err := os.ReadFile(filepath.Join("..", "..", "shared", "interop", "public-good-trusted_root.json")); err == nil {
		f.Add(data)
	}
	f.Add([]byte(`{"mediaType":"application/vnd.dev.sigstore.trustedroot+json;version=0.1"}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		tr, err := ReadTrustedRoot(bytes.NewReader(data))
		if err != nil && tr != nil {
			t.Fatalf("error %v with non-nil root", err)
		}
	})
}
