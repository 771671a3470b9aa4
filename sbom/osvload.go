package sbom

import (
	"archive/zip"
	"bytes"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"

	"github.com/sovcheck/sovcheck/internal/reason"
)

// Reading an OSV database: a directory tree of *.json advisories and
// *.zip archives, or one zip, read in parallel with bounded sizes.

type osvLoader struct {
	limits Limits
	mu     sync.Mutex
	total  int64
	advs   []*osvEntry
}

// osvJob is one advisory to read: a file of a directory, or zf, an entry
// of an archive held in memory.
type osvJob struct {
	name string
	path string
	zf   *zip.File
}

func (j osvJob) open() (io.ReadCloser, int64, error) {
	if j.zf != nil {
		rc, err := j.zf.Open()
		return rc, int64(j.zf.UncompressedSize64), err
	}
	f, err := os.Open(j.path)
	if err != nil {
		return nil, 0, err
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, 0, err
	}
	return f, st.Size(), nil
}

// loadDir reads *.json advisories and *.zip archives of advisories (the
// layout of osv.dev exports and of osv-scanner's offline databases).
func (l *osvLoader) loadDir(root string) error {
	var jobs []osvJob
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		name := strings.ToLower(d.Name())
		switch {
		case d.IsDir():
			return nil
		case strings.HasSuffix(name, ".zip"):
			zr, err := l.openZip(p)
			if err != nil {
				return err
			}
			rel, _ := filepath.Rel(root, p)
			jobs, err = l.zipJobs(zr, filepath.ToSlash(rel)+"!", jobs)
			return err
		case !strings.HasSuffix(name, ".json"):
			return nil
		}
		if len(jobs) >= l.limits.MaxAdvisories {
			return tooMany("OSV advisories", l.limits.MaxAdvisories, "load one ecosystem's advisories, or raise the advisory limit")
		}
		rel, _ := filepath.Rel(root, p)
		jobs = append(jobs, osvJob{name: filepath.ToSlash(rel), path: p})
		return nil
	})
	if err != nil {
		return reason.As(err, reason.InputUnreadable, "check the OSV directory and its permissions")
	}
	return l.run(jobs)
}

func (l *osvLoader) loadZip(path string) error {
	zr, err := l.openZip(path)
	if err != nil {
		return err
	}
	jobs, err := l.zipJobs(zr, "", nil)
	if err != nil {
		return err
	}
	return l.run(jobs)
}

// openZip reads an advisory archive whole: tens of thousands of small
// entries then inflate from memory, and an advisory a component needs is
// decoded in full from there later. An archive larger than the total
// advisory limit is refused before it is read.
func (l *osvLoader) openZip(path string) (*zip.Reader, error) {
	st, err := os.Stat(path)
	if err != nil {
		return nil, reason.Wrap(err, reason.InputUnreadable, "check the OSV data", "opening OSV zip %q", path)
	}
	if st.Size() > l.limits.MaxAdvisoryTotalBytes {
		return nil, tooLarge("OSV zip "+quoteName(path), st.Size(), l.limits.MaxAdvisoryTotalBytes, "load one ecosystem's advisories, or raise the total advisory limit")
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, reason.Wrap(err, reason.InputUnreadable, "check the OSV data", "reading OSV zip %q", path)
	}
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		return nil, dataMalformed(err, hintOSV, "opening OSV zip %q", path)
	}
	return zr, nil
}

// zipJobs adds a job per *.json entry of zr; prefix names the archive in
// records ("npm/all.zip!GHSA-....json").
func (l *osvLoader) zipJobs(zr *zip.Reader, prefix string, jobs []osvJob) ([]osvJob, error) {
	for _, f := range zr.File {
		if f.FileInfo().IsDir() || !strings.HasSuffix(strings.ToLower(f.Name), ".json") {
			continue
		}
		if len(jobs) >= l.limits.MaxAdvisories {
			return nil, tooMany("OSV advisories", l.limits.MaxAdvisories, "load one ecosystem's advisories, or raise the advisory limit")
		}
		jobs = append(jobs, osvJob{name: prefix + f.Name, zf: f})
	}
	return jobs, nil
}

// run reads advisories in parallel; the index is built afterwards in a
// fixed order, so results do not depend on scheduling.
func (l *osvLoader) run(jobs []osvJob) error {
	workers := min(runtime.GOMAXPROCS(0), 8)
	ch := make(chan osvJob)
	var wg sync.WaitGroup
	var firstErr error
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var buf []byte // reused: an archive entry is read again when needed
			for j := range ch {
				var e *osvEntry
				var err error
				e, buf, err = l.read(j, buf)
				l.mu.Lock()
				if err != nil && firstErr == nil {
					firstErr = err
				}
				if err == nil {
					l.advs = append(l.advs, e)
				}
				l.mu.Unlock()
			}
		}()
	}
	for _, j := range jobs {
		l.mu.Lock()
		stop := firstErr != nil
		l.mu.Unlock()
		if stop {
			break
		}
		ch <- j
	}
	close(ch)
	wg.Wait()
	return firstErr
}

// read reads one advisory into buf (grown as needed and returned for
// reuse) and decodes what the index needs.
func (l *osvLoader) read(j osvJob, buf []byte) (*osvEntry, []byte, error) {
	data, err := l.limits.readAdvisory(j, buf)
	if err != nil {
		return nil, buf, err
	}
	l.mu.Lock()
	l.total += int64(len(data))
	over := l.total > l.limits.MaxAdvisoryTotalBytes
	l.mu.Unlock()
	if over {
		return nil, data, tooLarge("OSV advisories in total", l.total, l.limits.MaxAdvisoryTotalBytes, "load one ecosystem's advisories, or raise the total advisory limit")
	}
	e, err := indexAdvisory(data, j.name)
	if err != nil {
		return nil, data, err
	}
	if j.zf != nil {
		e.zf = j.zf
	} else {
		e.raw = bytes.Clone(data)
	}
	return e, data, nil
}

// readAdvisory reads one advisory into buf, failing with INPUT_TOO_LARGE
// past the advisory limit. The size the archive or file system reports
// sizes the first allocation; it is never trusted as a bound.
func (lim Limits) readAdvisory(j osvJob, buf []byte) ([]byte, error) {
	rc, size, err := j.open()
	if err != nil {
		return nil, reason.Wrap(err, reason.InputUnreadable, "check the OSV data", "opening advisory %q", j.name)
	}
	defer rc.Close()
	limit := lim.MaxAdvisoryBytes
	what, hint := "OSV advisory "+quoteName(j.name), "remove the oversized advisory, or raise the advisory size limit"
	if size > limit {
		return nil, tooLarge(what, size, limit, hint)
	}
	buf = buf[:0]
	if want := min(max(size, 512), limit) + 1; int64(cap(buf)) < want {
		buf = make([]byte, 0, want)
	}
	for {
		if len(buf) == cap(buf) {
			buf = slices.Grow(buf, int(min(int64(cap(buf)), limit+1-int64(len(buf)))))
		}
		n, err := rc.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		if int64(len(buf)) > limit {
			return nil, tooLarge(what, int64(len(buf)), limit, hint)
		}
		if err == io.EOF {
			return buf, nil
		}
		if err != nil {
			return nil, reason.Wrap(err, reason.InputUnreadable, "check the OSV data", "reading %s", what)
		}
	}
}
