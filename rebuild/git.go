package rebuild

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/sovcheck/sovcheck/internal/reason"
)

// gitOutputLimit caps what sovcheck reads from one git command.
const gitOutputLimit = 1 << 20

// gitRunner runs git for the fetch phase with a controlled environment: no
// system or global configuration (so no URL rewrites, hooks paths or
// credential helpers of the caller), no prompts, C locale. PATH and proxy
// variables are passed through so git is found and can reach a URL.
type gitRunner struct {
	log *slog.Logger
}

func newGit(log *slog.Logger) *gitRunner {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &gitRunner{log: log}
}

func gitEnv() []string {
	env := []string{
		"GIT_CONFIG_NOSYSTEM=1",
		"GIT_CONFIG_GLOBAL=/dev/null",
		"GIT_TERMINAL_PROMPT=0",
		"GIT_ASKPASS=/bin/false",
		"GIT_SSH_COMMAND=ssh -o BatchMode=yes",
		"LC_ALL=C",
		"HOME=/nonexistent",
	}
	for _, k := range []string{"PATH", "HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy", "NO_PROXY", "no_proxy", "SSL_CERT_FILE", "SSL_CERT_DIR"} {
		if v, ok := os.LookupEnv(k); ok {
			env = append(env, k+"="+v)
		}
	}
	return env
}

// gitError is a failed git command with its stderr.
type gitError struct {
	args   []string
	stderr string
	err    error
}

func (e *gitError) Error() string {
	msg := strings.TrimSpace(e.stderr)
	if i := strings.LastIndexByte(msg, '\n'); i >= 0 {
		msg = msg[i+1:]
	}
	if msg == "" {
		msg = e.err.Error()
	}
	return fmt.Sprintf("git %s: %s", e.args[0], msg)
}

func (e *gitError) Unwrap() error { return e.err }

func (g *gitRunner) output(ctx context.Context, dir string, args ...string) (string, error) {
	return g.outputEnv(ctx, dir, nil, args...)
}

// outputEnv runs git with extra environment variables, which override
// gitEnv's.
func (g *gitRunner) outputEnv(ctx context.Context, dir string, extra []string, args ...string) (string, error) {
	var stdout, stderr bytes.Buffer
	cmd := exec.CommandContext(ctx, "git", args...)
	cmd.Dir = dir
	cmd.Env = append(gitEnv(), extra...)
	cmd.Stdout = &limitedBuffer{buf: &stdout, limit: gitOutputLimit}
	cmd.Stderr = &limitedBuffer{buf: &stderr, limit: gitOutputLimit}
	g.log.Debug("running git", "dir", dir, "args", args)
	if err := cmd.Run(); err != nil {
		return "", &gitError{args: args, stderr: stderr.String(), err: err}
	}
	return strings.TrimSpace(stdout.String()), nil
}

// checkout is a source tree at an exact commit.
type checkout struct {
	Dir        string
	Commit     string
	CommitTime time.Time
	// Missing lists (up to maxMissingListed) the objects of the commit's
	// tree that the clone lacks, as "type id path"; MissingCount counts
	// them all. git checkout reports a missing blob on stderr and exits
	// 0, leaving the file out of the tree.
	Missing      []string
	MissingCount int
}

// maxMissingListed bounds the missing objects a result names.
const maxMissingListed = 10

// isGitURL reports whether src names a remote repository rather than a
// directory.
func isGitURL(src string) bool {
	return strings.Contains(src, "://") || strings.HasPrefix(src, "git@")
}

// isRemoteGitURL reports whether uri names a repository on another
// machine (https, http, ssh, git protocols).
func isRemoteGitURL(uri string) bool {
	for _, p := range []string{"https://", "http://", "ssh://", "git://", "git@"} {
		if strings.HasPrefix(uri, p) {
			return true
		}
	}
	return false
}

// source is where a rebuild's source comes from: a remote repository, or
// a checkout directory of the caller, with the git configuration that lets
// sovcheck read it.
type source struct {
	loc string   // the URL, or the checkout's absolute path
	env []string // extra git environment for commands that read it
	url bool
}

// openSource resolves src (a checkout directory or a git URL). The caller
// named a checkout directory, and sovcheck only reads objects from it, so
// git may trust it even when another user owns it (safe.directory, which
// git honours only in global configuration: a file in scratch).
func openSource(src, scratch string) (*source, error) {
	if isGitURL(src) {
		return &source{loc: src, url: true}, nil
	}
	abs, err := filepath.Abs(src)
	if err != nil {
		return nil, fmt.Errorf("resolving %s: %w", src, err)
	}
	trust := filepath.Join(scratch, "source.gitconfig")
	conf := fmt.Sprintf("[safe]\n\tdirectory = %s\n\tdirectory = %s\n", gitQuote(abs), gitQuote(filepath.Join(abs, ".git")))
	if err := os.WriteFile(trust, []byte(conf), 0o644); err != nil {
		return nil, fmt.Errorf("writing git configuration: %w", err)
	}
	return &source{loc: abs, env: []string{"GIT_CONFIG_GLOBAL=" + trust}}, nil
}

// refs returns the branches and tags of the source, one "object ref" line
// each, sorted: what a clone copies besides the objects, and what the go
// command reads (tags) when it stamps a version.
func (g *gitRunner) refs(ctx context.Context, src *source, allowNetwork bool) (string, error) {
	var out string
	var err error
	if src.url {
		if !allowNetwork {
			return "", reason.New(reason.SourceUnavailable, "clone the repository yourself and give --source DIR, or allow the fetch phase to use the network",
				"listing %s: offline", src.loc)
		}
		out, err = g.output(ctx, "", "ls-remote", "--heads", "--tags", "--", src.loc)
	} else {
		out, err = g.outputEnv(ctx, src.loc, src.env, "for-each-ref", "--format=%(objectname)%09%(refname)", "refs/heads", "refs/tags")
	}
	if err != nil {
		return "", reason.Wrap(err, reason.SourceUnavailable, "give --source a git checkout (or URL) of the recipe's repository", "listing the refs of %s", src.loc)
	}
	var lines []string
	for _, l := range strings.Split(out, "\n") {
		oid, ref, ok := strings.Cut(strings.TrimSpace(l), "\t")
		if !ok || strings.HasSuffix(ref, "^{}") {
			continue
		}
		lines = append(lines, oid+" "+ref)
	}
	sort.Strings(lines)
	return strings.Join(lines, "\n"), nil
}

// clone makes a private clone of src in dest and checks out commit,
// detached. Objects are copied, never hard-linked, so nothing the build
// does can reach the caller's repository. Untracked files of the caller's
// checkout are not copied: the recipe's own steps create what the build
// needs. A URL source reaches the network: the caller lists its refs
// first, which an offline fetch phase refuses.
func (g *gitRunner) clone(ctx context.Context, src *source, commit, dest string) (*checkout, error) {
	hint := "give --source a git checkout (or URL) that contains commit " + commit
	if src.url {
		if _, err := g.output(ctx, "", "clone", "--quiet", "--no-checkout", "--", src.loc, dest); err != nil {
			return nil, reason.Wrap(err, reason.SourceUnavailable, hint, "cloning %s", src.loc)
		}
	} else {
		// git clone refuses anything but a repository's top directory.
		if _, err := g.outputEnv(ctx, "", src.env, "clone", "--quiet", "--no-checkout", "--no-hardlinks", "--", src.loc, dest); err != nil {
			return nil, reason.Wrap(err, reason.SourceUnavailable, hint, "cloning %s", src.loc)
		}
	}
	if _, err := g.output(ctx, dest, "checkout", "--quiet", "--detach", commit); err != nil {
		fetchErr := errors.New("commit not in the clone")
		if src.url {
			_, fetchErr = g.output(ctx, dest, "fetch", "--quiet", "origin", commit)
			if fetchErr == nil {
				_, fetchErr = g.output(ctx, dest, "checkout", "--quiet", "--detach", commit)
			}
		}
		if fetchErr != nil {
			return nil, reason.Wrap(err, reason.SourceUnavailable, hint, "checking out commit %s from %s", commit, src.loc)
		}
	}
	// One git call reads the checked-out commit and its time.
	out, err := g.output(ctx, dest, "log", "-1", "--format=%H %ct", "HEAD")
	if err != nil {
		return nil, reason.Wrap(err, reason.SourceUnavailable, hint, "reading HEAD of the clone")
	}
	head, ct, _ := strings.Cut(out, " ")
	if head != commit {
		return nil, reason.Mismatch(reason.SourceUnavailable, hint, "checked-out commit differs from the recipe", head, commit)
	}
	secs, err := strconv.ParseInt(ct, 10, 64)
	if err != nil {
		return nil, reason.Wrap(err, reason.SourceUnavailable, hint, "parsing commit time %q", ct)
	}
	co := &checkout{Dir: dest, Commit: head, CommitTime: time.Unix(secs, 0).UTC()}
	if co.Missing, co.MissingCount, err = g.missingObjects(ctx, dest, commit); err != nil {
		return nil, reason.Wrap(err, reason.SourceUnavailable, hint, "checking that the clone holds every object of commit %s", commit)
	}
	return co, nil
}

// missingObjects lists the objects of commit's tree (not its history)
// that the repository in dir lacks, without fetching them (a partial
// clone would): git rev-list prints them as "?id". Each is named by type
// and path where git can tell. The output is read as a stream, so a large
// tree is no reason to stop reading.
func (g *gitRunner) missingObjects(ctx context.Context, dir, commit string) ([]string, int, error) {
	args := []string{"rev-list", "--objects", "--no-walk", "--missing=print", commit, "--"}
	cmd := exec.CommandContext(ctx, "git", args...)
	cmd.Dir = dir
	cmd.Env = gitEnv()
	var stderr bytes.Buffer
	cmd.Stderr = &limitedBuffer{buf: &stderr, limit: gitOutputLimit}
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, 0, err
	}
	g.log.Debug("running git", "dir", dir, "args", args)
	if err := cmd.Start(); err != nil {
		return nil, 0, &gitError{args: args, err: err}
	}
	// Paths of the objects git could list, to name a missing blob by the
	// tree entry that refers to it (rev-list prints "?id" alone).
	var ids []string
	sc := bufio.NewScanner(out)
	sc.Buffer(make([]byte, 0, 64<<10), 1<<20)
	for sc.Scan() {
		if id, ok := strings.CutPrefix(sc.Text(), "?"); ok {
			ids = append(ids, id)
		}
	}
	scanErr := sc.Err()
	if err := cmd.Wait(); err != nil {
		return nil, 0, &gitError{args: args, stderr: stderr.String(), err: err}
	}
	if scanErr != nil {
		return nil, 0, fmt.Errorf("reading git rev-list: %w", scanErr)
	}
	if len(ids) == 0 {
		return nil, 0, nil
	}
	sort.Strings(ids)
	named := map[string]string{}
	if tree, err := g.output(ctx, dir, "ls-tree", "-r", "-t", "--full-tree", commit); err == nil {
		for _, l := range strings.Split(tree, "\n") {
			meta, p, ok := strings.Cut(l, "\t")
			if f := strings.Fields(meta); ok && len(f) == 3 {
				named[f[2]] = f[1] + " " + f[2] + " " + p
			}
		}
	}
	var list []string
	for _, id := range ids[:min(len(ids), maxMissingListed)] {
		if n, ok := named[id]; ok {
			list = append(list, n)
		} else {
			list = append(list, "object "+id)
		}
	}
	return list, len(ids), nil
}

// gitQuote quotes a value for a git configuration file.
func gitQuote(s string) string {
	return `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(s) + `"`
}

// limitedBuffer keeps the first limit bytes written and drops the rest.
type limitedBuffer struct {
	buf   *bytes.Buffer
	limit int
}

func (l *limitedBuffer) Write(p []byte) (int, error) {
	if room := l.limit - l.buf.Len(); room > 0 {
		if len(p) > room {
			l.buf.Write(p[:room])
		} else {
			l.buf.Write(p)
		}
	}
	return len(p), nil
}
