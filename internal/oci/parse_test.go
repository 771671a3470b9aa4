package oci

import (
	"encoding/base64"
	"encoding/json"
	"os"
	"path/filepath"
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

func codeOf(err error) string { return reason.CodeOf(err, "(none)") }

func TestParseManifest(t *testing.T) {
	for _, tc := range []struct {
		file, contentType string
		index             bool
	}{
		{"manifest-oci.json", "application/vnd.oci.image.manifest.v1+json", false},
		{"manifest-oci.json", "", false},
		{"manifest-oci.json", "application/json; charset=utf-8", false},
		{"manifest-docker.json", "application/vnd.docker.distribution.manifest.v2+json", false},
		{"index-oci.json", "application/vnd.oci.image.index.v1+json", true},
		{"referrer-bundle.json", "", false},
	} {
		m, err := parseManifest(readTestdata(t, tc.file), tc.contentType)
		if err != nil {
			t.Fatalf("%s as %q: %v", tc.file, tc.contentType, err)
		}
		if (m.Index != nil) != tc.index || (m.Image != nil) == tc.index || !validDigest(m.Digest) {
			t.Fatalf("%s: index %v image %v digest %s", tc.file, m.Index != nil, m.Image != nil, m.Digest)
		}
	}
	m, _ := parseManifest(readTestdata(t, "referrer-bundle.json"), "")
	if m.ArtifactType() != vocab.MediaTypeBundleV03 || m.Subject() == nil {
		t.Fatalf("referrer: artifact type %q subject %v", m.ArtifactType(), m.Subject())
	}

	for _, tc := range []struct {
		name, body, contentType, code string
	}{
		{"no media type, no shape", `{"schemaVersion":2}`, "", reason.MediaTypeUnknown},
		{"schema version 1", `{"schemaVersion":1,"config":{}}`, "", reason.ManifestInvalid},
		{"no schema version", `{"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[]}`, "", reason.ManifestInvalid},
		{"disagreeing header", `{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[]}`, "application/vnd.docker.distribution.manifest.v2+json", reason.ManifestInvalid},
		{"bad digest", `{"schemaVersion":2,"manifests":[{"digest":"sha256:xyz","size":1}]}`, "", reason.ManifestInvalid},
		{"negative size", `{"schemaVersion":2,"manifests":[{"digest":"sha256:` + strings.Repeat("0", 64) + `","size":-1}]}`, "", reason.ManifestInvalid},
		{"no config digest", `{"schemaVersion":2,"config":{},"layers":[]}`, "", reason.ManifestInvalid},
		{"array", `[]`, "", reason.ManifestInvalid},
		{"too many layers", `{"schemaVersion":2,"config":{"digest":"sha256:` + strings.Repeat("0", 64) + `","size":1},"layers":[` +
			strings.TrimSuffix(strings.Repeat(`{"digest":"sha256:`+strings.Repeat("0", 64)+`","size":1},`, MaxLayers+1), ",") + `]}`, "", reason.InputTooLarge},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m, err := parseManifest([]byte(tc.body), tc.contentType)
			if m != nil || codeOf(err) != tc.code {
				t.Fatalf("parseManifest = %v, %v; want %s", m, err, tc.code)
			}
		})
	}
}

func TestParseRef(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)
	if err := os.MkdirAll("dist/tool", 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile("app.tar", nil, 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		arg   string
		image bool
	}{
		{"registry.example.eu/team/app:1.4", true},
		{"127.0.0.1:5000/app@sha256:" + strings.Repeat("a", 64), true},
		{"localhost/app", true},
		{"docker://alpine:3.20", true},
		{"oci-layout:./app", true},
		{"docker-archive:app.tar", true},
		{"oci-archive:app.tar:1.4", true},
		{"dist/tool", false},              // an existing path
		{"./registry.example/app", false}, // explicitly a path
		{"tool-linux-amd64", false},
		{"library/alpine", false}, // no registry host: a path that does not exist
		{"sha256:" + strings.Repeat("a", 64), false},
		{"app.tar", false},
	} {
		if got := IsImageArg(tc.arg); got != tc.image {
			t.Errorf("IsImageArg(%q) = %v, want %v", tc.arg, got, tc.image)
		}
	}
	for _, tc := range []struct {
		arg, path, sel string
		kind           Kind
		pinned         bool
	}{
		{"oci-layout:app", "app", "", KindLayout, false},
		{"oci-layout:app:1.4", "app", "1.4", KindLayout, false},
		{"oci-layout:app@sha256:" + strings.Repeat("b", 64), "app", "sha256:" + strings.Repeat("b", 64), KindLayout, true},
		{"docker-archive:app.tar", "app.tar", "", KindArchive, false},
		{"oci-archive:app.tar:docker.io/library/app:1.4", "app.tar:docker.io/library/app", "1.4", KindArchive, false},
	} {
		r, err := ParseRef(tc.arg)
		if err != nil || r.Path != tc.path || r.Select != tc.sel || r.Kind != tc.kind || r.Pinned() != tc.pinned {
			t.Errorf("ParseRef(%q) = %+v, %v; want path %q select %q kind %s", tc.arg, r, err, tc.path, tc.sel, tc.kind)
		}
	}
	r, err := ParseRef("registry.example.eu/team/app@sha256:" + strings.Repeat("c", 64))
	if err != nil || r.Kind != KindRegistry || !r.Pinned() {
		t.Fatalf("digest reference = %+v, %v", r, err)
	}
	for _, bad := range []string{"oci-layout:", "oci-layout:app:", "oci-layout:app@sha256:abc", "docker://UPPER/Case", "notanimage"} {
		if _, err := ParseRef(bad); codeOf(err) != reason.InputMalformed {
			t.Errorf("ParseRef(%q) = %v, want INPUT_MALFORMED", bad, err)
		}
	}
}

func TestParseSimpleSigning(t *testing.T) {
	ss, err := ParseSimpleSigning(readTestdata(t, "simplesigning.json"))
	if err != nil || ss.ManifestDigest != "sha256:3b5a6b6a0c6e58ea6e3e1cdd7c8e9a0b9b0e6f1b2a9c8d7e6f5a4b3c2d1e0f9a" || ss.Reference != "registry.example.eu/team/app" {
		t.Fatalf("ParseSimpleSigning = %+v, %v", ss, err)
	}
	for _, bad := range []string{
		`{}`, `null`, `{"critical":{"type":"atomic container signature","image":{"docker-manifest-digest":"sha256:` + strings.Repeat("0", 64) + `"}}}`,
		`{"critical":{"type":"cosign container image signature","image":{"docker-manifest-digest":"sha256:short"}}}`,
		`{"critical":{"type":"cosign container image signature"}}`,
	} {
		if _, err := ParseSimpleSigning([]byte(bad)); codeOf(err) != reason.SignatureMalformed {
			t.Errorf("ParseSimpleSigning(%s) = %v, want SIGNATURE_MALFORMED", bad, err)
		}
	}
}

type legacySeed struct {
	MediaType   string            `json:"mediaType"`
	Layer       []byte            `json:"layer"`
	Annotations map[string]string `json:"annotations"`
}

func readLegacySeed(t testing.TB, name string) legacySeed {
	t.Helper()
	var s legacySeed
	if err := json.Unmarshal(readTestdata(t, name), &s); err != nil {
		t.Fatal(err)
	}
	return s
}

func TestLegacyBundle(t *testing.T) {
	for _, name := range []string{"legacy-signature.json", "legacy-attestation.json"} {
		s := readLegacySeed(t, name)
		b, err := LegacyBundle(s.MediaType, s.Layer, s.Annotations)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		var doc map[string]any
		if err := json.Unmarshal(b, &doc); err != nil || doc["mediaType"] != vocab.MediaTypeBundleV01 {
			t.Fatalf("%s: bundle %s", name, b)
		}
	}
	sig := readLegacySeed(t, "legacy-signature.json")
	without := func(key, value string) map[string]string {
		a := map[string]string{}
		for k, v := range sig.Annotations {
			a[k] = v
		}
		if value == "" {
			delete(a, key)
		} else {
			a[key] = value
		}
		return a
	}
	for _, tc := range []struct {
		name, mediaType string
		layer           []byte
		annotations     map[string]string
		code            string
	}{
		{"no signature", sig.MediaType, sig.Layer, without(AnnotationSignature, ""), reason.SignatureMalformed},
		{"signature not base64", sig.MediaType, sig.Layer, without(AnnotationSignature, "!!"), reason.SignatureMalformed},
		{"certificate not PEM", sig.MediaType, sig.Layer, without(AnnotationCertificate, "MIIB"), reason.SignatureMalformed},
		{"log bundle not JSON", sig.MediaType, sig.Layer, without(AnnotationBundle, "{"), reason.SignatureMalformed},
		{"log bundle without index", sig.MediaType, sig.Layer, without(AnnotationBundle, `{"SignedEntryTimestamp":"AA==","Payload":{"body":"e30=","integratedTime":1,"logID":"00"}}`), reason.SignatureMalformed},
		{"log id not hex", sig.MediaType, sig.Layer, without(AnnotationBundle, `{"SignedEntryTimestamp":"AA==","Payload":{"body":"eyJraW5kIjoiaCIsImFwaVZlcnNpb24iOiIxIn0=","integratedTime":1,"logIndex":1,"logID":"zz"}}`), reason.SignatureMalformed},
		{"timestamp not JSON", sig.MediaType, sig.Layer, without(AnnotationRFC3161, "x"), reason.SignatureMalformed},
		{"unknown media type", "application/octet-stream", sig.Layer, sig.Annotations, reason.MediaTypeUnknown},
		{"envelope not JSON", vocab.MediaTypeDSSE, []byte("x"), nil, reason.SignatureMalformed},
		{"envelope without signature", vocab.MediaTypeDSSE, []byte(`{"payloadType":"t","payload":"e30=","signatures":[]}`), nil, reason.SignatureMalformed},
		{"envelope of two signatures", vocab.MediaTypeDSSE, []byte(`{"payloadType":"t","payload":"e30=","signatures":[{"sig":"AA=="},{"sig":"AA=="}]}`), nil, reason.SignatureMalformed},
		{"huge layer", sig.MediaType, make([]byte, MaxEvidenceSize+1), sig.Annotations, reason.InputTooLarge},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b, err := LegacyBundle(tc.mediaType, tc.layer, tc.annotations)
			if b != nil || codeOf(err) != tc.code {
				t.Fatalf("LegacyBundle = %s, %v; want %s", b, err, tc.code)
			}
		})
	}
	// Unpadded base64, as some signers write it, is read.
	a := without(AnnotationSignature, strings.TrimRight(base64.StdEncoding.EncodeToString([]byte("0Esig")), "="))
	if _, err := LegacyBundle(sig.MediaType, sig.Layer, a); err != nil {
		t.Fatalf("unpadded signature: %v", err)
	}
}
