package main

import (
	"crypto/ed25519"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http/httptest"
	"os"
	"strconv"
	"sync"
	"time"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/sovcheck/sovcheck/attest"
	"github.com/sovcheck/sovcheck/internal/sigstoretest"
)

// tufRepos holds the TUF repository each script serves, keyed by script.
var tufRepos sync.Map // *testscript.TestScript -> *sigstoretest.TUFRepo

// cmdTUFRepo serves a real TUF repository (go-tuf v2 metadata, fresh keys)
// on loopback for the trust scripts, and changes it as an attacker or a
// careless operator would.
//
//	tuf-repo serve [ROOT]           start it; $TUF_URL is its URL, tuf-root.json its version 1 root;
//	                                its trusted root is ROOT when given
//	tuf-repo freeze FILE -N         as freeze, dated N days before today
//	tuf-repo rotate-root            publish root v2 signed by the old and new root keys
//	tuf-repo rotate-root-unsigned   publish root v2 signed by the new key only
//	tuf-repo expire-timestamp       publish a timestamp that has expired
//	tuf-repo expire-snapshot        publish a snapshot that has expired
//	tuf-repo tamper TARGET          change TARGET's bytes behind its signed digest
//	tuf-repo publish                publish new targets, snapshot and timestamp versions
//	tuf-repo serve-timestamp N      serve timestamp version N again (a rollback)
//	tuf-repo freeze FILE DATE       date a pulled snapshot FILE as pulled on DATE, for golden output
func cmdTUFRepo(ts *testscript.TestScript, neg bool, args []string) {
	noNeg(ts, neg, "tuf-repo")
	if len(args) == 0 {
		ts.Fatalf("usage: tuf-repo serve|rotate-root|rotate-root-unsigned|expire-timestamp|expire-snapshot|tamper|publish|serve-timestamp|freeze")
	}
	if args[0] == "serve" {
		tufServe(ts, args[1:])
		return
	}
	if args[0] == "freeze" {
		if len(args) != 3 {
			ts.Fatalf("usage: tuf-repo freeze FILE DATE")
		}
		tufFreeze(ts, ts.MkAbs(args[1]), args[2])
		return
	}
	v, ok := tufRepos.Load(ts)
	if !ok {
		ts.Fatalf("tuf-repo %s: run 'tuf-repo serve' first", args[0])
	}
	repo := v.(*sigstoretest.TUFRepo)
	var err error
	switch {
	case args[0] == "rotate-root":
		err = repo.RotateRoot()
	case args[0] == "rotate-root-unsigned":
		err = repo.RotateRootUnsigned()
	case args[0] == "expire-timestamp":
		err = repo.ExpireTimestamp()
	case args[0] == "expire-snapshot":
		err = repo.ExpireSnapshot()
	case args[0] == "tamper" && len(args) == 2:
		err = repo.TamperTarget(args[1])
	case args[0] == "publish":
		err = repo.SetTarget(attest.SigningConfigTarget, []byte(`{"mediaType": "application/vnd.dev.sigstore.signingconfig.v0.2+json", "caUrls": []}`))
	case args[0] == "serve-timestamp" && len(args) == 2:
		var n int64
		if n, err = strconv.ParseInt(args[1], 10, 64); err == nil {
			err = repo.ServeTimestamp(n)
		}
	default:
		ts.Fatalf("tuf-repo: unknown command %q", args)
	}
	ts.Check(err)
}

func tufServe(ts *testscript.TestScript, args []string) {
	trJSON, err := fixedTrustedRoot()
	ts.Check(err)
	if len(args) == 1 { // a trusted root of a virtual Sigstore (sigstore-ca)
		trJSON, err = os.ReadFile(ts.MkAbs(args[0]))
		ts.Check(err)
	}
	repo, err := sigstoretest.NewTUFRepo(time.Now(), map[string][]byte{
		attest.TrustedRootTarget:   trJSON,
		attest.SigningConfigTarget: []byte(`{"mediaType": "application/vnd.dev.sigstore.signingconfig.v0.2+json"}`),
	})
	ts.Check(err)
	srv := httptest.NewServer(repo)
	tufRepos.Store(ts, repo)
	ts.Defer(func() {
		srv.Close()
		tufRepos.Delete(ts)
	})
	ts.Setenv("TUF_URL", srv.URL)
	ts.Check(os.WriteFile(ts.MkAbs("tuf-root.json"), repo.RootJSON(), 0o644))
}

// fixedTrustedRoot is a trusted root naming one Rekor log whose Ed25519
// key comes from a fixed seed, so the target's sha256 is the same in
// every run and the show output can be a golden file.
func fixedTrustedRoot() ([]byte, error) {
	pub := ed25519.NewKeyFromSeed(make([]byte, ed25519.SeedSize)).Public()
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		return nil, err
	}
	id := sha256.Sum256(der)
	return fmt.Appendf(nil, `{
  "mediaType": "application/vnd.dev.sigstore.trustedroot+json;version=0.1",
  "tlogs": [
    {
      "baseUrl": "https://rekor.sovcheck.test",
      "hashAlgorithm": "SHA2_256",
      "publicKey": {"rawBytes": %q, "keyDetails": "PKIX_ED25519", "validFor": {"start": "2026-01-01T00:00:00Z"}},
      "logId": {"keyId": %q}
    }
  ]
}
`, base64.StdEncoding.EncodeToString(der), base64.StdEncoding.EncodeToString(id[:])), nil
}

// tufFreeze rewrites the times of a snapshot as if it had been pulled on
// date from a repository signed that day: the timestamp valid for 7 days,
// snapshot and targets for 30, root for a year. The times are recorded
// data, outside the targets' digests, so the snapshot stays valid.
func tufFreeze(ts *testscript.TestScript, path, date string) {
	day, err := time.Parse(time.DateOnly, date)
	if days, derr := strconv.Atoi(date); derr == nil && days < 0 {
		day, err = time.Now().UTC().Truncate(24*time.Hour).AddDate(0, 0, days), nil
	}
	ts.Check(err)
	data, err := os.ReadFile(path)
	ts.Check(err)
	var s attest.TrustSnapshot
	ts.Check(json.Unmarshal(data, &s))
	s.AsOf = day.Add(12 * time.Hour)
	validity := map[string]time.Time{"root": day.AddDate(1, 0, 0), "targets": day.AddDate(0, 0, 30), "snapshot": day.AddDate(0, 0, 30), "timestamp": day.AddDate(0, 0, 7)}
	for i := range s.Metadata {
		s.Metadata[i].Expires = validity[s.Metadata[i].Role]
	}
	s.Repository = "http://tuf.sovcheck.test"
	out, err := json.MarshalIndent(&s, "", "  ")
	ts.Check(err)
	ts.Check(os.WriteFile(path, out, 0o644))
}
