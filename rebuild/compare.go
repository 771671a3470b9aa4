package rebuild

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"syscall"

	"github.com/sovcheck/sovcheck/internal/boundedio"
	"github.com/sovcheck/sovcheck/internal/reason"
)

// compare hashes the rebuilt output, the file output (a slash path) in
// the checkout dir on the host, and on a difference explains it. The
// build may have renamed or linked anything in its work dir, so the
// output is opened through roots that no symlink leads out of.
func (r *run) compare(ctx context.Context, dir, output string) error {
	rec := r.res.Recipe
	work, err := os.OpenRoot(filepath.Dir(dir))
	if err != nil {
		return fmt.Errorf("opening work dir: %w", err)
	}
	defer work.Close()
	root, err := work.OpenRoot(filepath.Base(dir))
	if err != nil {
		why := reason.New(reason.OutputMissing, "the build replaced its checkout directory; check the recipe",
			"checkout is no longer a directory inside the work dir: %v", err)
		r.phase(PhaseCompare, PhaseFail, why.Msg, 0)
		r.finish(StatusMismatch, why)
		return nil
	}
	defer root.Close()
	// Not a FIFO or device a build left there (opening one could block
	// for good), and not larger than any artifact sovcheck compares.
	name := filepath.FromSlash(output)
	fi, err := root.Lstat(name)
	var f *os.File
	if err == nil && fi.Mode().IsRegular() {
		f, err = root.OpenFile(name, os.O_RDONLY|syscall.O_NONBLOCK|syscall.O_NOFOLLOW, 0)
		if err == nil {
			defer f.Close()
			fi, err = f.Stat()
		}
	}
	if err != nil || !fi.Mode().IsRegular() {
		why := reason.New(reason.OutputMissing, "the recipe's -o names a different file than the build wrote; check the recipe",
			"build did not write %s as a regular file inside the checkout", rec.Output)
		r.phase(PhaseCompare, PhaseFail, why.Msg, 0)
		r.finish(StatusMismatch, why)
		return nil
	}
	if fi.Size() > MaxOutputBytes {
		why := &reason.Error{Code: reason.InputTooLarge, Msg: "rebuilt output is too large to compare",
			Got: fmt.Sprintf("%d bytes", fi.Size()), Want: fmt.Sprintf("at most %d", int64(MaxOutputBytes)), Hint: "check the recipe; sovcheck compares artifacts up to 4 GiB"}
		r.phase(PhaseCompare, PhaseFail, why.Msg, 0)
		r.finish(StatusMismatch, why)
		return nil
	}
	sum, err := readerSHA256(boundedio.NewReader(f, MaxOutputBytes, nil)) // a file grown since Stat fails
	if err != nil {
		return fmt.Errorf("hashing rebuilt %s: %w", rec.Output, err)
	}
	r.res.RebuiltSHA256 = sum
	if sum == r.res.Subject.SHA256 {
		r.phase(PhaseCompare, PhasePass, "rebuilt sha256:"+sum+" equals the attested digest", 0)
		r.finish(StatusMatch, nil)
		return nil
	}
	rebuilt := filepath.Join(r.ws, "rebuilt")
	if err := copyFromRoot(root, name, rebuilt); err != nil {
		return fmt.Errorf("keeping rebuilt output: %w", err)
	}
	causes := []Cause{{Code: reason.DigestMismatch, What: "the published artifact was given by its digest; give its file to explain the difference"}}
	if r.req.Artifact != "" {
		causes = explainWith(r.req.Artifact, rebuilt, ldflagsXSymbols(rec))
	}
	r.res.Causes = causes
	top := causes[0]
	why := &reason.Error{Code: top.Code, Msg: "rebuilt artifact differs: " + top.What, Got: top.Got, Want: top.Want, Hint: hintFor(top.Code)}
	r.phase(PhaseCompare, PhaseFail, fmt.Sprintf("rebuilt sha256:%s, attested sha256:%s", sum, r.res.Subject.SHA256), 0)
	r.finish(StatusMismatch, why)
	return ctx.Err()
}

func copyFromRoot(root *os.Root, name, dst string) error {
	in, err := root.Open(name)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.Create(dst)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}

// hintFor says what to do about each cause of a mismatch.
func hintFor(code string) string {
	switch code {
	case reason.GoVersionMismatch:
		return "the artifact was built by another Go toolchain than the provenance records; ask the publisher which one"
	case reason.VCSStampMismatch:
		return "the artifact was built from another commit or another checkout state than the provenance records"
	case reason.LdflagsMismatch:
		return "the artifact was linked with other -ldflags than the provenance records"
	case reason.BuildSettingMismatch:
		return "the artifact was built with other flags or environment (GOOS, GOARCH, CGO_ENABLED, -tags, -trimpath) than the provenance records"
	case reason.ModuleMismatch:
		return "the artifact was built with other dependency versions than the source at this commit selects"
	case reason.GzipOnly:
		return "the archives hold the same data; only the gzip compression differs (level, mtime or OS byte in the header)"
	case reason.ArchiveMismatch:
		return "the archives differ in the entries listed; compare them with the recipe's inputs"
	case reason.SourceIncomplete:
		return "give --source a complete clone of the repository (git fsck --connectivity-only finds what is missing) and rebuild again"
	}
	return "the metadata sovcheck reads does not name the cause; rebuild locally and compare the files"
}
