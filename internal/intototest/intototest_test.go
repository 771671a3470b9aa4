package intototest

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/in-toto/in-toto-golang/in_toto"
)

func TestNewKey(t *testing.T) {
	for _, kt := range []KeyType{"", Ed25519, ECDSA} {
		k, err := NewKey(kt)
		if err != nil {
			t.Fatalf("NewKey(%q): %v", kt, err)
		}
		if k.Public.KeyVal.Private != "" || k.Signer.KeyVal.Private == "" {
			t.Errorf("NewKey(%q): public part holds a private key, or signer lacks one", kt)
		}
		if !strings.HasPrefix(string(k.PublicPEM), "-----BEGIN PUBLIC KEY-----") {
			t.Errorf("NewKey(%q): PublicPEM = %q", kt, k.PublicPEM)
		}
		if got := k.LinkName("build"); got != "build."+k.ID()[:8]+".link" {
			t.Errorf("LinkName = %q", got)
		}
	}
	if _, err := NewKey("rsa"); err == nil {
		t.Error("NewKey(rsa) succeeded, want an error")
	}
}

func TestEncode(t *testing.T) {
	k, err := NewKey(ECDSA)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Encode("not metadata", false, k); err == nil {
		t.Error("Encode(string) succeeded, want an error")
	}
	link := NewLink("build", nil, nil, "make")
	for _, dsse := range []bool{false, true} {
		data, err := Encode(link, dsse, k, k)
		if err != nil {
			t.Fatal(err)
		}
		p := filepath.Join(t.TempDir(), "build.link")
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
		md, err := in_toto.LoadMetadata(p)
		if err != nil {
			t.Fatalf("dsse=%v: LoadMetadata: %v", dsse, err)
		}
		if len(md.Sigs()) != 2 {
			t.Errorf("dsse=%v: %d signatures, want 2", dsse, len(md.Sigs()))
		}
		if err := md.VerifySignature(k.Public); err != nil {
			t.Errorf("dsse=%v: VerifySignature: %v", dsse, err)
		}
	}
}

func TestWriteSupplyChain(t *testing.T) {
	dir := t.TempDir()
	if _, err := WriteSupplyChain(dir, ChainOptions{}); err == nil {
		t.Error("WriteSupplyChain without an artifact succeeded")
	}
	artifact := filepath.Join(dir, "app-1.0.tar.gz")
	if err := os.WriteFile(artifact, []byte("app"), 0o644); err != nil {
		t.Fatal(err)
	}
	files, err := WriteSupplyChain(dir, ChainOptions{Artifact: artifact, Inspection: []string{"true"}})
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range append([]string{files.Layout, files.OwnerKey}, files.FunctionaryKeys...) {
		if _, err := os.Stat(p); err != nil {
			t.Error(err)
		}
	}
	entries, err := os.ReadDir(files.LinkDir)
	if err != nil || len(entries) != 2 {
		t.Fatalf("link directory: %d entries, %v; want 2", len(entries), err)
	}
	data, err := os.ReadFile(files.Layout)
	if err != nil {
		t.Fatal(err)
	}
	var mb struct{ Signed in_toto.Layout }
	if err := json.Unmarshal(data, &mb); err != nil {
		t.Fatal(err)
	}
	if len(mb.Signed.Inspect) != 1 || mb.Signed.Inspect[0].Run[0] != "true" {
		t.Errorf("inspections = %+v, want one running true", mb.Signed.Inspect)
	}
	if files.Product != "app-1.0.tar.gz" {
		t.Errorf("Product = %q", files.Product)
	}
	// A second chain in the same directory would mix links: refused.
	if _, err := WriteSupplyChain(dir, ChainOptions{Artifact: artifact}); err == nil {
		t.Error("second WriteSupplyChain into the same directory succeeded")
	}
}
