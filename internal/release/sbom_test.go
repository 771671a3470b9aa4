package release

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// The SBOM of a Go binary (the release command's) lists the standard library and
// the modules its build information records, and binds the program to the
// sum it is given; the same binary gives the same bytes.
func TestSBOMFromBuildInfo(t *testing.T) {
	if _, err := exec.LookPath("go"); err != nil {
		t.Skip("needs the go command to build a binary with module dependencies")
	}
	// A test binary records no dependencies; the release command does.
	bin := filepath.Join(t.TempDir(), "release")
	if out, err := exec.Command("go", "build", "-o", bin, "../cmd/release").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	sum := strings.Repeat("ab", 32)
	doc, _, err := SBOM(bin, sum)
	if err != nil {
		t.Fatal(err)
	}
	var bom struct {
		SpecVersion string `json:"specVersion"`
		Metadata    struct {
			Component struct {
				Hashes []struct{ Alg, Content string } `json:"hashes"`
			} `json:"component"`
		} `json:"metadata"`
		Components []struct{ Name, Purl string } `json:"components"`
	}
	if err := json.Unmarshal(doc, &bom); err != nil {
		t.Fatal(err)
	}
	if bom.SpecVersion != "1.6" || len(bom.Metadata.Component.Hashes) != 1 || bom.Metadata.Component.Hashes[0].Content != sum {
		t.Errorf("the SBOM does not bind the program to its sha256:\n%s", doc)
	}
	var names []string
	for _, c := range bom.Components {
		names = append(names, c.Name)
	}
	for _, want := range []string{"stdlib", "github.com/CycloneDX/cyclonedx-go", "github.com/google/go-containerregistry"} {
		if !strings.Contains(strings.Join(names, " "), want) {
			t.Errorf("no component %s among %v", want, names)
		}
	}
	again, _, err := SBOM(bin, sum)
	if err != nil || string(again) != string(doc) {
		t.Errorf("a second SBOM of the same binary differs (%v)", err)
	}
}

// Twin: a file that is not a Go binary has no build information to list.
func TestSBOMRefusesNonGoFile(t *testing.T) {
	p := filepath.Join(t.TempDir(), "script.sh")
	if err := os.WriteFile(p, []byte("#!/bin/sh\necho hi\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	if _, _, err := SBOM(p, strings.Repeat("00", 32)); err == nil || !strings.Contains(err.Error(), "reading the build information") {
		t.Errorf("got %v, want a build information error", err)
	}
}
