package rebuild

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/sovcheck/sovcheck/internal/atomicfile"

	"golang.org/x/mod/modfile"
	"golang.org/x/mod/module"

	"github.com/sovcheck/sovcheck/internal/reason"
)

// fetchDependencies downloads the modules of every module a step builds
// into the private module cache, with the recipe's toolchain, through the
// configured proxy and checksum database. Modules with a committed vendor
// directory need nothing. The go command reads the snapshot's go.mod and
// go.sum through copies (-modfile), so it writes nothing into the
// snapshot. What a download put into the module cache is recorded beside
// the snapshot, per toolchain, and while all of it is still there the
// next rebuild does not run the go command at all.
func (r *run) fetchDependencies(ctx context.Context, tc *Toolchain, snap *snapshot) (int, error) {
	root := snap.co.Dir
	seen := map[string]bool{}
	var dirs []string
	for _, st := range r.res.Recipe.Steps {
		dir := filepath.Join(root, filepath.FromSlash(st.Dir))
		for d := dir; within(d, root); d = filepath.Dir(d) {
			if _, err := os.Stat(filepath.Join(d, "go.mod")); err == nil {
				if !seen[d] {
					seen[d] = true
					dirs = append(dirs, d)
				}
				break
			}
			if d == root {
				break
			}
		}
	}
	n := 0
	home := filepath.Join(r.ws, "fetch-home")
	for i, d := range dirs {
		if err := confined(root, d); err != nil {
			return n, err
		}
		rel := relTo(root, d)
		need, err := needsDownload(d)
		if err != nil {
			return n, reason.Wrap(err, reason.InputMalformed, "the source's go.mod is not valid", "reading go.mod in %s", rel)
		}
		if !need {
			continue
		}
		n++
		record := filepath.Join(snap.dir, "deps-"+tc.Version+"-"+shortHash(rel)+".json")
		if r.rb.depsPresent(record, d) {
			continue
		}
		modfile, err := copyModFiles(d, filepath.Join(r.ws, "deps"), i)
		if err != nil {
			return n, err
		}
		env := []string{
			"GOMODCACHE=" + r.rb.modCache(),
			"GOPROXY=" + r.rb.goproxy,
			"GOSUMDB=" + r.rb.gosumdb,
			"GOFLAGS=-modcacherw",
			"GOTOOLCHAIN=local",
			"GOENV=off",
			"GOWORK=off", // a go.work in the source could use directories of this machine
			"GONOSUMDB=", "GONOSUMCHECK=", "GOPRIVATE=", "GOINSECURE=",
			"HOME=" + home,
			"GOPATH=" + filepath.Join(home, "gopath"),
			"GOCACHE=" + r.rb.buildCache(tc, r.source),
		}
		env = append(env, proxyEnv()...)
		out, err := runGo(ctx, filepath.Join(tc.GOROOT, "bin", "go"), d, env, "mod", "download", "-json", "-modfile="+modfile)
		if err != nil {
			return n, reason.Wrap(err, reason.DependenciesUnavailable,
				"check that the module proxy is reachable and the source's go.sum is complete, or fill the module cache before going offline",
				"downloading modules for %s", rel)
		}
		r.rb.recordDeps(record, out)
	}
	return n, nil
}

// copyModFiles copies the module's go.mod and go.sum (if any) into dir as
// N.mod and N.sum, the pair -modfile=N.mod makes the go command use.
func copyModFiles(module, dir string, n int) (string, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", fmt.Errorf("creating module file dir: %w", err)
	}
	base := filepath.Join(dir, strconv.Itoa(n))
	for _, f := range [][2]string{{"go.mod", ".mod"}, {"go.sum", ".sum"}} {
		data, err := readLimited(filepath.Join(module, f[0]), maxModFileBytes)
		if errors.Is(err, fs.ErrNotExist) && f[0] == "go.sum" {
			continue
		}
		if err != nil {
			return "", reason.Wrap(err, reason.InputMalformed, "the source's module files are not readable", "reading %s", f[0])
		}
		if err := os.WriteFile(base+f[1], data, 0o644); err != nil {
			return "", fmt.Errorf("copying %s: %w", f[0], err)
		}
	}
	return base + ".mod", nil
}

// maxModFileBytes bounds a go.mod or go.sum the fetch phase copies.
const maxModFileBytes = 16 << 20

// depsRecord lists what one download put into the module cache, as paths
// relative to it.
type depsRecord struct {
	Files []string `json:"files"`
}

// recordDeps writes down the module cache files that go mod download -json
// reported. A record that cannot be made is no error: the next rebuild
// downloads again.
func (rb *Rebuilder) recordDeps(record, downloadJSON string) {
	var rec depsRecord
	dec := json.NewDecoder(strings.NewReader(downloadJSON))
	for {
		var m struct{ GoMod, Zip, Dir, Error string }
		if err := dec.Decode(&m); errors.Is(err, io.EOF) {
			break
		} else if err != nil || m.Error != "" {
			return
		}
		for _, f := range []string{m.GoMod, m.Zip, m.Dir} {
			if f == "" {
				continue
			}
			rel, err := filepath.Rel(rb.modCache(), f)
			if err != nil || !filepath.IsLocal(rel) {
				return
			}
			rec.Files = append(rec.Files, filepath.ToSlash(rel))
		}
	}
	data, err := json.Marshal(rec)
	if err != nil {
		return
	}
	_ = atomicfile.Write(record, data, time.Time{}) // a record not written is a download next time
}

// depsPresent reports whether the module in dir finds what its build
// needs in the module cache: every file the record of its last download
// lists, and the go.mod of every module its go.sum names. A download
// lists only the modules it fetched whole, and the go command reads no
// go.mod without a go.sum line for it.
func (rb *Rebuilder) depsPresent(record, dir string) bool {
	data, err := readLimited(record, maxModFileBytes)
	if err != nil {
		return false
	}
	var rec depsRecord
	if json.Unmarshal(data, &rec) != nil || len(rec.Files) == 0 {
		return false
	}
	for _, f := range rec.Files {
		if !filepath.IsLocal(filepath.FromSlash(f)) {
			return false
		}
		if _, err := os.Stat(filepath.Join(rb.modCache(), filepath.FromSlash(f))); err != nil {
			return false
		}
	}
	sum, err := readLimited(filepath.Join(dir, "go.sum"), MaxGoSumBytes)
	if errors.Is(err, fs.ErrNotExist) {
		return true
	}
	if err != nil {
		return false
	}
	for _, line := range strings.Split(string(sum), "\n") {
		f := strings.Fields(line)
		if len(f) != 3 {
			continue
		}
		version, ok := strings.CutSuffix(f[1], "/go.mod")
		if !ok {
			continue
		}
		p, err := module.EscapePath(f[0])
		if err != nil {
			return false
		}
		v, err := module.EscapeVersion(version)
		if err != nil {
			return false
		}
		if _, err := os.Stat(filepath.Join(rb.modCache(), "cache", "download", filepath.FromSlash(p), "@v", v+".mod")); err != nil {
			return false
		}
	}
	return true
}

func shortHash(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:6])
}

// confined checks that the module directory d, which the fetch phase runs
// the go command in on this machine, is inside the checkout once symlinks
// are resolved, and that its module files are no symlinks: the source
// could otherwise point the download (and its go.sum writes) at a
// project of the caller.
func confined(checkout, d string) error {
	refuse := func(format string, args ...any) error {
		return reason.New(reason.RecipeUnsupported, "the source points out of its checkout with symlinks; sovcheck does not follow them",
			format, args...)
	}
	base, err := filepath.EvalSymlinks(checkout)
	if err != nil {
		return fmt.Errorf("resolving checkout: %w", err)
	}
	real, err := filepath.EvalSymlinks(d)
	if err != nil || !within(real, base) {
		return refuse("module directory %s leads out of the checkout", relTo(checkout, d))
	}
	for _, f := range []string{"go.mod", "go.sum", "go.work", "go.work.sum"} {
		if fi, err := os.Lstat(filepath.Join(d, f)); err == nil && fi.Mode()&os.ModeSymlink != 0 {
			return refuse("%s in %s is a symlink", f, relTo(checkout, d))
		}
	}
	return nil
}

func relTo(base, p string) string {
	rel, err := filepath.Rel(base, p)
	if err != nil {
		return p
	}
	return filepath.ToSlash(rel)
}

// needsDownload reports whether the module in dir requires other modules
// and has no committed vendor directory.
func needsDownload(dir string) (bool, error) {
	data, err := readLimited(filepath.Join(dir, "go.mod"), maxModFileBytes)
	if err != nil {
		return false, err
	}
	mf, err := modfile.ParseLax("go.mod", data, nil)
	if err != nil {
		return false, err
	}
	if len(mf.Require) == 0 {
		return false, nil
	}
	if _, err := os.Stat(filepath.Join(dir, "vendor", "modules.txt")); err == nil {
		return false, nil
	}
	return true, nil
}
