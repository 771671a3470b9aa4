package rebuild

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

func TestReleaseVersionFileAgreesWithGoEnv(t *testing.T) {
	goPath, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go command")
	}
	out, err := exec.Command(goPath, "env", "GOVERSION", "GOROOT").Output()
	if err != nil {
		t.Fatal(err)
	}
	want := strings.Fields(string(out))
	v, root, ok := releaseVersionFile(goPath)
	if !ok {
		t.Skipf("%s is not a release layout", goPath)
	}
	realRoot, _ := filepath.EvalSymlinks(want[1])
	if v != want[0] || root != realRoot {
		t.Fatalf("releaseVersionFile = %s %s, go env says %s %s", v, root, want[0], realRoot)
	}
}

func TestReleaseVersionFileRefusesOtherLayouts(t *testing.T) {
	dir := t.TempDir()
	write := func(name, data string) string {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(data), 0o755); err != nil {
			t.Fatal(err)
		}
		return p
	}
	wrapper := write("wrapper/go", "#!/bin/sh\n")
	devel := write("devel/bin/go", "")
	write("devel/VERSION", "devel go1.27-abcdef Tue\n")
	noVersion := write("plain/bin/go", "")
	for _, p := range []string{wrapper, devel, noVersion} {
		if v, _, ok := releaseVersionFile(p); ok {
			t.Errorf("%s: read version %q; want go env to be asked", p, v)
		}
	}
}
