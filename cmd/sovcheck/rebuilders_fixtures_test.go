package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"time"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/sovcheck/sovcheck/internal/vocab"
	"github.com/sovcheck/sovcheck/rebuild"
)

// cmdRebuildAttest writes a signed rebuild attestation of ARTIFACT, as a
// rebuilder holding KEY (a PEM private key) would:
//
//	rebuild-attest [flags] FORMAT KEY ARTIFACT OUT
//
// FORMAT: sovcheck (sovcheck rebuild --attest's DSSE envelope, written by
// package rebuild), oss (OSS Rebuild's Rebuild@v0.1 and
// ArtifactEquivalence@v0.1, one per line, with a cloud KMS key name as
// keyid), oss-rebuild (Rebuild@v0.1 alone). -rebuilt HEX is the digest the
// rebuilder got (default: the artifact's); -upstream HEX the digest it
// compared with (default: the artifact's); -source URI@COMMIT or
// ecosystem/package@version what it rebuilt.
func cmdRebuildAttest(ts *testscript.TestScript, neg bool, args []string) {
	noNeg(ts, neg, "rebuild-attest")
	fs := flag.NewFlagSet("rebuild-attest", flag.ContinueOnError)
	rebuilt := fs.String("rebuilt", "", "digest of the rebuild")
	upstream := fs.String("upstream", "", "digest of the artifact compared with")
	repo := fs.String("repo", "https://github.com/acme/tool", "sovcheck: source repository")
	commit := fs.String("commit", "4d329c75e7ec1725f7c9ce917a8799d408d06be3", "sovcheck: source commit")
	pkg := fs.String("package", "tool", "oss: package")
	version := fs.String("version", "1.2.0", "oss: version")
	pos := parseFlags(ts, fs, args, 4, "rebuild-attest [flags] FORMAT KEY ARTIFACT OUT")
	format, keyFile, artifact, out := pos[0], pos[1], pos[2], pos[3]
	data, err := os.ReadFile(ts.MkAbs(artifact))
	ts.Check(err)
	sum := sha256.Sum256(data)
	art := hex.EncodeToString(sum[:])
	if *rebuilt == "" {
		*rebuilt = art
	}
	if *upstream == "" {
		*upstream = art
	}
	pemKey, err := os.ReadFile(ts.MkAbs(keyFile))
	ts.Check(err)
	key, err := rebuild.ParseSigningKey(pemKey)
	ts.Check(err)
	name := filepath.Base(artifact)
	var statements [][]byte
	switch format {
	case "sovcheck":
		status := rebuild.StatusMatch
		if *rebuilt != *upstream {
			status = rebuild.StatusMismatch
		}
		t := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
		res := &rebuild.Result{Artifact: name, ArtifactSHA256: *upstream, Subject: rebuild.Subject{Name: name, SHA256: *upstream}, Status: status,
			Recipe:    &rebuild.Recipe{BuildType: vocab.BuildTypeSovcheckGo, Source: rebuild.Source{URI: *repo, Commit: *commit}, Output: name},
			Toolchain: &rebuild.Toolchain{Version: "go1.26.0", Origin: rebuild.ToolchainFromHost}, RebuiltSHA256: *rebuilt, Started: t, Finished: t}
		st, err := rebuild.NewRebuildStatement(res, rebuild.AttestationInput{RebuilderVersion: "test"})
		ts.Check(err)
		statements = append(statements, st)
	case "oss", "oss-rebuild":
		statements = append(statements, ossStatement(vocab.BuildTypeOSSRebuild, "rebuild/"+name, *rebuilt,
			map[string]any{"ecosystem": "npm", "package": *pkg, "version": *version, "artifact": name}, nil))
		if format == "oss" {
			target := "https://registry.example/" + *pkg + "/-/" + name
			statements = append(statements, ossStatement(vocab.BuildTypeOSSArtifactEquivalence, name, *upstream,
				map[string]any{"candidate": "rebuild/" + name, "target": target},
				[]any{map[string]any{"name": "rebuild/" + name, "digest": map[string]string{"sha256": *rebuilt}},
					map[string]any{"name": target, "digest": map[string]string{"sha256": *upstream}}}))
		}
	default:
		ts.Fatalf("rebuild-attest: unknown format %q", format)
	}
	var file []byte
	for _, st := range statements {
		env, err := rebuild.SignStatement(context.Background(), st, key)
		ts.Check(err)
		if format != "sovcheck" {
			// OSS Rebuild names its cloud KMS key, not a key digest.
			var e map[string]any
			ts.Check(json.Unmarshal(env, &e))
			e["signatures"].([]any)[0].(map[string]any)["keyid"] = "projects/rebuilder/locations/global/keyRings/ring/cryptoKeys/signing-key/cryptoKeyVersions/1"
			env, err = json.Marshal(e)
			ts.Check(err)
			env = append(env, '\n')
		}
		file = append(file, env...)
	}
	ts.Check(os.WriteFile(ts.MkAbs(out), file, 0o644))
}

// ossStatement is an in-toto statement with a SLSA provenance v1
// predicate as OSS Rebuild fills it.
func ossStatement(buildType, subject, digest string, external map[string]any, deps []any) []byte {
	st := map[string]any{
		"_type":         vocab.StatementTypeV1,
		"subject":       []any{map[string]any{"name": subject, "digest": map[string]string{"sha256": digest}}},
		"predicateType": vocab.PredicateSLSAProvenanceV1,
		"predicate": map[string]any{
			"buildDefinition": map[string]any{"buildType": buildType, "externalParameters": external, "resolvedDependencies": deps,
				"internalParameters": map[string]any{"serviceSource": map[string]string{"repository": "https://rebuilder.example/service", "ref": "v1"}}},
			"runDetails": map[string]any{"builder": map[string]any{"id": "https://rebuilder.example/builder"},
				"metadata": map[string]any{"invocationID": "1", "startedOn": "2026-01-02T03:04:05Z"}},
		},
	}
	out, err := json.Marshal(st)
	if err != nil {
		panic(err)
	}
	return out
}
