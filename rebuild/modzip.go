package rebuild

import (
	"archive/zip"
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"golang.org/x/mod/module"
	"golang.org/x/mod/semver"
	"golang.org/x/mod/sumdb/dirhash"
	modzip "golang.org/x/mod/zip"

	"github.com/sovcheck/sovcheck/internal/boundedio"
	"github.com/sovcheck/sovcheck/internal/reason"
)

// Limits on go.sum input.
const (
	MaxGoSumBytes = 16 << 20
	MaxGoSumLines = 200_000
)

// ModuleZipRequest asks for a Go module zip to be recreated from git.
type ModuleZipRequest struct {
	Source  string // git checkout directory or git URL of the module's repository
	Module  string // module path, e.g. example.com/tool/v2
	Version string // canonical version: a tag (v1.2.3) or a pseudo-version
	// Dir is the module's directory in the repository, "" for the root. Its
	// tags are Dir/vX.Y.Z.
	Dir string
	// WantH1 is the hash to reproduce ("h1:..."), from a go.sum line or the
	// checksum database.
	WantH1 string
	// Published is the published module zip (for example from the module
	// proxy or GOMODCACHE/cache/download); optional. With it a mismatch is
	// explained entry by entry.
	Published string
}

// ModuleZipResult is the outcome of recreating one module zip.
type ModuleZipResult struct {
	Module  string        `json:"module"`
	Version string        `json:"version"`
	Commit  string        `json:"commit,omitempty"`
	Status  Status        `json:"status"`
	Reason  *reason.Error `json:"-"`
	GotH1   string        `json:"gotH1,omitempty"`
	WantH1  string        `json:"wantH1"`
	Causes  []Cause       `json:"causes,omitempty"`
}

// CheckModuleZip recreates a module zip the way the go command does from
// git (git archive of the tagged commit, the module zip rules of
// golang.org/x/mod/zip) and compares its h1: hash with WantH1. The error is
// non-nil only when no verdict can be given (malformed request, context
// cancelled).
func (rb *Rebuilder) CheckModuleZip(ctx context.Context, req ModuleZipRequest) (*ModuleZipResult, error) {
	if err := module.Check(req.Module, req.Version); err != nil {
		return nil, reason.Wrap(err, reason.InputMalformed, "give a module path and a canonical version as in go.sum", "checking module %s@%s", req.Module, req.Version)
	}
	if !strings.HasPrefix(req.WantH1, "h1:") {
		return nil, reason.New(reason.InputMalformed, "give the h1: hash of the module zip from go.sum", "module hash %q is not an h1: hash", req.WantH1)
	}
	if err := checkRelPath("module dir", req.Dir); err != nil {
		return nil, err
	}
	res := &ModuleZipResult{Module: req.Module, Version: req.Version, WantH1: req.WantH1}
	skip := func(err error) (*ModuleZipResult, error) {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		res.Status, res.Reason = StatusSkip, reason.As(err, reason.SourceUnavailable, "")
		return res, nil
	}
	if err := os.MkdirAll(rb.workRoot(), 0o755); err != nil {
		return nil, fmt.Errorf("creating work dir: %w", err)
	}
	ws, err := os.MkdirTemp(rb.workRoot(), "modzip-")
	if err != nil {
		return nil, fmt.Errorf("creating work dir: %w", err)
	}
	defer os.RemoveAll(ws)

	rev, err := moduleRevision(req.Dir, req.Version)
	if err != nil {
		return nil, err
	}
	g := newGit(rb.log)
	repo := filepath.Join(ws, "repo")
	hint := "give --source a git checkout (or URL) that has " + rev
	args := []string{"clone", "--quiet", "--bare"}
	if !isGitURL(req.Source) {
		args = append(args, "--no-hardlinks")
	} else if rb.offline {
		return skip(reason.New(reason.SourceUnavailable, "clone the repository yourself and give its directory", "cloning %s: offline", req.Source))
	}
	if _, err := g.output(ctx, "", append(args, "--", req.Source, repo)...); err != nil {
		return skip(reason.Wrap(err, reason.SourceUnavailable, hint, "cloning %s", req.Source))
	}
	// The go command makes module zips with git attributes export-ignore
	// and export-subst switched off (they would make zips depend on the
	// archiver); so does sovcheck.
	if err := os.MkdirAll(filepath.Join(repo, "info"), 0o755); err != nil {
		return nil, fmt.Errorf("writing git attributes: %w", err)
	}
	if err := os.WriteFile(filepath.Join(repo, "info", "attributes"), []byte("* -export-subst -export-ignore\n"), 0o644); err != nil {
		return nil, fmt.Errorf("writing git attributes: %w", err)
	}
	commit, err := g.output(ctx, repo, "rev-parse", "--verify", "--end-of-options", rev+"^{commit}")
	if err != nil {
		return skip(reason.Wrap(err, reason.SourceUnavailable, hint, "resolving %s", rev))
	}
	res.Commit = commit

	zipPath := filepath.Join(ws, "rebuilt.zip")
	if err := rb.createModuleZip(ctx, repo, commit, req, zipPath); err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		res.Status = StatusMismatch
		res.Reason = reason.Wrap(err, reason.ModuleHashMismatch, "the repository at this version does not make a valid module zip", "creating module zip")
		return res, nil
	}
	got, err := dirhash.HashZip(zipPath, dirhash.Hash1)
	if err != nil {
		return nil, fmt.Errorf("hashing module zip: %w", err)
	}
	res.GotH1 = got
	if got == req.WantH1 {
		res.Status = StatusMatch
		return res, nil
	}
	res.Status = StatusMismatch
	res.Causes = []Cause{{Code: reason.ModuleHashMismatch, What: "module zip hash", Got: got, Want: req.WantH1}}
	if req.Published != "" {
		if c, ok := diffArchives(req.Published, zipPath); ok {
			res.Causes = append(res.Causes, c...)
		}
	}
	res.Reason = &reason.Error{Code: reason.ModuleHashMismatch, Msg: "module zip recreated from git has another hash",
		Got: got, Want: req.WantH1,
		Hint: "the published module differs from the repository at " + rev + "; check that the tag was not moved and compare the published zip's files"}
	return res, nil
}

// moduleRevision is the git revision a module version names: the tag
// (prefixed with the module's directory) or a pseudo-version's commit.
func moduleRevision(dir, version string) (string, error) {
	if module.IsPseudoVersion(version) {
		rev, err := module.PseudoVersionRev(version)
		if err != nil {
			return "", reason.Wrap(err, reason.InputMalformed, "give a canonical module version", "parsing pseudo-version %s", version)
		}
		return rev, nil
	}
	tag := strings.TrimSuffix(version, "+incompatible")
	if !semver.IsValid(tag) {
		return "", reason.New(reason.InputMalformed, "give a canonical module version", "version %q is not semantic", version)
	}
	if dir != "" {
		tag = dir + "/" + tag
	}
	return "refs/tags/" + tag, nil
}

// createModuleZip writes the module zip of commit: the files of git
// archive (attributes off) below the module's directory, with the
// repository root's LICENSE when the module has none, filtered by the
// module zip rules of golang.org/x/mod/zip.
func (rb *Rebuilder) createModuleZip(ctx context.Context, repo, commit string, req ModuleZipRequest, dst string) error {
	archive := filepath.Join(filepath.Dir(dst), "archive.zip")
	out, err := os.Create(archive)
	if err != nil {
		return err
	}
	cmd := exec.CommandContext(ctx, "git", "-c", "core.autocrlf=input", "-c", "core.eol=lf", "archive", "--format=zip", commit)
	if req.Dir != "" {
		cmd.Args = append(cmd.Args, "--", req.Dir)
	}
	var stderr bytes.Buffer
	cmd.Dir, cmd.Env = repo, gitEnv()
	cmd.Stdout = &capWriter{w: out, left: modzip.MaxZipFile * 2}
	cmd.Stderr = &limitedBuffer{buf: &stderr, limit: gitOutputLimit}
	runErr := cmd.Run()
	closeErr := out.Close()
	if runErr != nil {
		return fmt.Errorf("git archive: %v: %s", runErr, strings.TrimSpace(stderr.String()))
	}
	if closeErr != nil {
		return closeErr
	}
	zr, err := zip.OpenReader(archive)
	if err != nil {
		return fmt.Errorf("reading git archive: %w", err)
	}
	defer zr.Close()
	prefix := ""
	if req.Dir != "" {
		prefix = req.Dir + "/"
	}
	var files []modzip.File
	haveLicense := false
	for _, f := range zr.File {
		if strings.HasSuffix(f.Name, "/") || !strings.HasPrefix(f.Name, prefix) {
			continue
		}
		name := strings.TrimPrefix(f.Name, prefix)
		files = append(files, archiveFile{name: name, f: f})
		if name == "LICENSE" {
			haveLicense = true
		}
	}
	if !haveLicense && req.Dir != "" {
		if _, err := newGit(rb.log).output(ctx, repo, "cat-file", "-e", commit+":LICENSE"); err == nil {
			data, err := gitBlob(ctx, repo, commit+":LICENSE")
			if err != nil {
				return err
			}
			files = append(files, dataFile{name: "LICENSE", data: data})
		}
	}
	zf, err := os.Create(dst)
	if err != nil {
		return err
	}
	if err := modzip.Create(zf, module.Version{Path: req.Module, Version: req.Version}, files); err != nil {
		zf.Close()
		return err
	}
	return zf.Close()
}

func gitBlob(ctx context.Context, repo, object string) ([]byte, error) {
	var stdout, stderr bytes.Buffer
	cmd := exec.CommandContext(ctx, "git", "cat-file", "blob", object)
	cmd.Dir, cmd.Env = repo, gitEnv()
	cmd.Stdout = &limitedBuffer{buf: &stdout, limit: modzip.MaxLICENSE + 1}
	cmd.Stderr = &limitedBuffer{buf: &stderr, limit: gitOutputLimit}
	if err := cmd.Run(); err != nil {
		return nil, fmt.Errorf("git cat-file %s: %v: %s", object, err, strings.TrimSpace(stderr.String()))
	}
	return stdout.Bytes(), nil
}

// capWriter fails once more than left bytes are written.
type capWriter struct {
	w    io.Writer
	left int64
}

func (c *capWriter) Write(p []byte) (int, error) {
	if int64(len(p)) > c.left {
		return 0, fmt.Errorf("git archive output exceeds %d bytes", modzip.MaxZipFile*2)
	}
	c.left -= int64(len(p))
	return c.w.Write(p)
}

type archiveFile struct {
	name string
	f    *zip.File
}

func (a archiveFile) Path() string                 { return a.name }
func (a archiveFile) Lstat() (os.FileInfo, error)  { return a.f.FileInfo(), nil }
func (a archiveFile) Open() (io.ReadCloser, error) { return a.f.Open() }

type dataFile struct {
	name string
	data []byte
}

func (d dataFile) Path() string                 { return d.name }
func (d dataFile) Lstat() (os.FileInfo, error)  { return dataFileInfo{d}, nil }
func (d dataFile) Open() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(d.data)), nil }

type dataFileInfo struct{ d dataFile }

func (i dataFileInfo) Name() string       { return filepath.Base(i.d.name) }
func (i dataFileInfo) Size() int64        { return int64(len(i.d.data)) }
func (i dataFileInfo) Mode() os.FileMode  { return 0o644 }
func (i dataFileInfo) ModTime() time.Time { return time.Time{} }
func (i dataFileInfo) IsDir() bool        { return false }
func (i dataFileInfo) Sys() any           { return nil }

// GoSumHashes finds the hashes of module@version in go.sum data: the h1:
// of the module zip and of its go.mod (either may be empty).
func GoSumHashes(r io.Reader, mod, version string) (zipH1, modH1 string, err error) {
	data, err := boundedio.ReadAll(r, MaxGoSumBytes)
	if reason.CodeOf(err, "") == reason.InputTooLarge {
		return "", "", &reason.Error{Code: reason.InputTooLarge, Msg: "go.sum too large", Want: fmt.Sprintf("at most %d bytes", MaxGoSumBytes), Hint: "give the go.sum line of the module"}
	}
	if err != nil {
		return "", "", reason.Wrap(err, reason.InputUnreadable, "check the go.sum path", "reading go.sum")
	}
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(nil, MaxGoSumBytes)
	n := 0
	for sc.Scan() {
		n++
		if n > MaxGoSumLines {
			return "", "", &reason.Error{Code: reason.InputTooLarge, Msg: "go.sum has too many lines", Want: fmt.Sprintf("at most %d", MaxGoSumLines), Hint: "give the go.sum line of the module"}
		}
		line := strings.TrimSpace(sc.Text())
		if line == "" {
			continue
		}
		f := strings.Fields(line)
		if len(f) != 3 || !strings.HasPrefix(f[2], "h1:") {
			return "", "", reason.New(reason.InputMalformed, "go.sum lines are: module version h1:hash", "parsing go.sum line %d", n)
		}
		if f[0] != mod {
			continue
		}
		switch f[1] {
		case version:
			zipH1 = f[2]
		case version + "/go.mod":
			modH1 = f[2]
		}
	}
	if err := sc.Err(); err != nil {
		return "", "", reason.Wrap(err, reason.InputMalformed, "go.sum lines are: module version h1:hash", "reading go.sum")
	}
	if zipH1 == "" && modH1 == "" {
		return "", "", reason.New(reason.EvidenceMissing, "give a go.sum that lists the module, or the hash itself", "go.sum has no line for %s %s", mod, version)
	}
	return zipH1, modH1, nil
}
