package main

import (
	"archive/zip"
	"bytes"
	"os"
	"path/filepath"
	"sort"
	"time"

	"github.com/rogpeppe/go-internal/testscript"
)

// cmdOSVZip writes the *.json files of DIR into the zip OUT, as osv.dev
// publishes an ecosystem's all.zip:
//
//	osv-zip DIR OUT
//
// Entries are stored (not deflated), in name order, with a fixed time, so
// the zip's sha256 is the same on every run and a policy can pin it.
func cmdOSVZip(ts *testscript.TestScript, neg bool, args []string) {
	noNeg(ts, neg, "osv-zip")
	if len(args) != 2 {
		ts.Fatalf("usage: osv-zip DIR OUT")
	}
	names, err := filepath.Glob(filepath.Join(ts.MkAbs(args[0]), "*.json"))
	ts.Check(err)
	sort.Strings(names)
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, n := range names {
		data, err := os.ReadFile(n)
		ts.Check(err)
		w, err := zw.CreateHeader(&zip.FileHeader{Name: filepath.Base(n), Method: zip.Store, Modified: time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)})
		ts.Check(err)
		_, err = w.Write(data)
		ts.Check(err)
	}
	ts.Check(zw.Close())
	ts.Check(os.WriteFile(ts.MkAbs(args[1]), buf.Bytes(), 0o644))
}
