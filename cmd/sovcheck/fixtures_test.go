package main

import (
	"crypto"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/sovcheck/sovcheck/internal/intototest"
	"github.com/sovcheck/sovcheck/internal/sigstoretest"
	"github.com/sovcheck/sovcheck/internal/vocab"
)

// Test-time fixture commands. Every key, certificate and log is made fresh
// in the script's work directory; nothing is read from the network.
//
//	sigstore-ca [-valid-for DUR] NAME       a virtual Sigstore; NAME.root.json is its trusted root
//	sigstore-sign [flags] NAME ARTIFACT BUNDLE
//	sigstore-attest [flags] -predicate-type T [-predicate FILE] NAME ARTIFACT BUNDLE
//	keygen ALG PRIVATE PUBLIC               ALG: ecdsa-p256, ed25519, rsa-2048
//	provenance KIND OUT [flags]             KIND: slsa02 (Go builder), slsa1 (GitHub workflow)
//	tamper FILE FIELD                       FIELD: see tamperBundle
//	flipbyte FILE                           changes the last byte of FILE
//	intoto-chain [flags] DIR ARTIFACT       a signed in-toto layout, keys and links for ARTIFACT
//	legacy-envelope BUNDLE OUT              the bundle's DSSE envelope alone, certificate in "cert" (pre-bundle SLSA generator)
//	demo DIR                                the demo material of `make demo` (internal/demo)
//	osv-zip DIR OUT                         the advisories DIR/*.json as an all.zip with a stable sha256
//	rebuild-attest [flags] FORMAT KEY ARTIFACT OUT  a signed rebuild attestation (sovcheck, oss, oss-rebuild)
func fixtureCommands() map[string]func(ts *testscript.TestScript, neg bool, args []string) {
	return map[string]func(ts *testscript.TestScript, neg bool, args []string){
		"sigstore-ca":     cmdSigstoreCA,
		"sigstore-sign":   func(ts *testscript.TestScript, neg bool, args []string) { cmdSigstoreSign(ts, neg, args, false) },
		"sigstore-attest": func(ts *testscript.TestScript, neg bool, args []string) { cmdSigstoreSign(ts, neg, args, true) },
		"keygen":          cmdKeygen,
		"provenance":      cmdProvenance,
		"tamper":          cmdTamper,
		"flipbyte":        cmdFlipByte,
		"intoto-chain":    cmdIntotoChain,
		"oci":             cmdOCI, // container image fixtures: oci_fixtures_test.go
		"legacy-envelope": cmdLegacyEnvelope,
		"wasm-build":      cmdWasmBuild, // wasm_fixtures_test.go
		"wasm-bytes":      cmdWasmBytes,
		"wasm-sbom":       cmdWasmSBOM,
		"demo":            cmdDemo,   // demo_fixtures_test.go
		"osv-zip":         cmdOSVZip, // osv_fixtures_test.go
		"tuf-repo":        cmdTUFRepo,
		"witness":         cmdWitness,       // witness_fixtures_test.go
		"pin":             cmdPin,           // trustpolicy_fixtures_test.go
		"rebuild-attest":  cmdRebuildAttest, // rebuilders_fixtures_test.go
	}
}

type authorities map[string]*sigstoretest.Authority

const authoritiesKey = "sigstore-authorities"

func authorityStore(ts *testscript.TestScript) authorities {
	return ts.Value(authoritiesKey).(authorities)
}

func noNeg(ts *testscript.TestScript, neg bool, name string) {
	if neg {
		ts.Fatalf("unsupported: ! %s", name)
	}
}

func parseFlags(ts *testscript.TestScript, fs *flag.FlagSet, args []string, positional int, usage string) []string {
	fs.SetOutput(new(strings.Builder))
	if err := fs.Parse(args); err != nil {
		ts.Fatalf("%s: %v (usage: %s)", fs.Name(), err, usage)
	}
	if fs.NArg() != positional {
		ts.Fatalf("usage: %s", usage)
	}
	return fs.Args()
}

func cmdSigstoreCA(ts *testscript.TestScript, neg bool, args []string) {
	noNeg(ts, neg, "sigstore-ca")
	fs := flag.NewFlagSet("sigstore-ca", flag.ContinueOnError)
	validFor := fs.Duration("valid-for", 0, "validity of the CA, logs and TSA either side of now")
	pos := parseFlags(ts, fs, args, 1, "sigstore-ca [-valid-for DUR] NAME")
	var opts []sigstoretest.Option
	if *validFor > 0 {
		now := time.Now()
		opts = append(opts, sigstoretest.WithValidity(now.Add(-*validFor), now.Add(*validFor)))
	}
	a, err := sigstoretest.New(opts...)
	ts.Check(err)
	root, err := a.TrustedRootJSON()
	ts.Check(err)
	ts.Check(os.WriteFile(ts.MkAbs(pos[0]+".root.json"), root, 0o644))
	authorityStore(ts)[pos[0]] = a
}

func cmdSigstoreSign(ts *testscript.TestScript, neg bool, args []string, attestation bool) {
	name := "sigstore-sign"
	if attestation {
		name = "sigstore-attest"
	}
	noNeg(ts, neg, name)
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	identity := fs.String("identity", "https://github.com/acme/tool/.github/workflows/release.yml@refs/tags/v1.2.0", "certificate SAN")
	issuer := fs.String("issuer", "https://token.actions.githubusercontent.com", "OIDC issuer")
	version := fs.String("version", "v0.3", "bundle version")
	tlog := fs.String("tlog", "proof", "none, promise, proof or v2")
	contradiction := fs.String("contradict", "", "root-hash, tree-size or log-index: the inclusion proof contradicts the checkpoint or the entry")
	tsa := fs.String("tsa", "none", "none, certs or nocerts")
	noSCT := fs.Bool("nosct", false, "omit the SCT")
	chain := fs.Bool("chain", false, "x509 certificate chain instead of one certificate")
	keyFile := fs.String("key", "", "sign with this PEM private key instead of keylessly")
	keyAlg := fs.String("keyalg", "", "keyless leaf key type")
	at := fs.Duration("at", 0, "signing time relative to now")
	ghRepo := fs.String("gh-repo", "", "GitHub Fulcio extension: source repository URI")
	ghRef := fs.String("gh-ref", "", "GitHub Fulcio extension: source ref")
	ghSigner := fs.String("gh-signer", "", "GitHub Fulcio extension: build signer URI")
	predicateType := fs.String("predicate-type", "", "attestation predicate type (alias or URI)")
	predicateFile := fs.String("predicate", "", "attestation predicate JSON file")
	subjectName := fs.String("subject-name", "", "statement subject name (default: the artifact's base name)")
	usage := name + " [flags] NAME ARTIFACT BUNDLE"
	pos := parseFlags(ts, fs, args, 3, usage)

	a := authorityStore(ts)[pos[0]]
	if a == nil {
		ts.Fatalf("%s: no sigstore-ca %q", name, pos[0])
	}
	artifact, err := os.ReadFile(ts.MkAbs(pos[1]))
	ts.Check(err)
	o := sigstoretest.SignOptions{BundleVersion: *version, Identity: *identity, Issuer: *issuer, NoSCT: *noSCT, IncludeChain: *chain, KeyAlg: *keyAlg}
	if *at != 0 {
		o.SignedAt = time.Now().Add(*at)
	}
	switch *tlog {
	case "none":
		o.Tlog = sigstoretest.TlogNone
	case "promise":
		o.Tlog = sigstoretest.TlogV1Promise
	case "proof":
		o.Tlog = sigstoretest.TlogV1Proof
	case "v2":
		o.Tlog = sigstoretest.TlogV2
	default:
		ts.Fatalf("%s: unknown -tlog %q", name, *tlog)
	}
	switch *contradiction {
	case "":
	case "root-hash":
		o.Contradict = sigstoretest.ContradictRootHash
	case "tree-size":
		o.Contradict = sigstoretest.ContradictTreeSize
	case "log-index":
		o.Contradict = sigstoretest.ContradictLogIndex
	default:
		ts.Fatalf("%s: unknown -contradict %q", name, *contradiction)
	}
	switch *tsa {
	case "none":
		o.TSA = sigstoretest.TSANone
	case "certs":
		o.TSA = sigstoretest.TSAWithCerts
	case "nocerts":
		o.TSA = sigstoretest.TSAWithoutCerts
	default:
		ts.Fatalf("%s: unknown -tsa %q", name, *tsa)
	}
	if *ghRepo != "" || *ghRef != "" || *ghSigner != "" {
		o.GitHub = &sigstoretest.GitHubClaims{SourceRepositoryURI: *ghRepo, SourceRepositoryRef: *ghRef, BuildSignerURI: *ghSigner, RunnerEnvironment: "github-hosted", BuildTrigger: "push"}
	}
	if *keyFile != "" {
		pemData, err := os.ReadFile(ts.MkAbs(*keyFile))
		ts.Check(err)
		block, _ := pem.Decode(pemData)
		if block == nil {
			ts.Fatalf("%s: %s is not PEM", name, *keyFile)
		}
		k, err := x509.ParsePKCS8PrivateKey(block.Bytes)
		ts.Check(err)
		signer, ok := k.(crypto.Signer)
		if !ok {
			ts.Fatalf("%s: %T is not a signer", name, k)
		}
		o.Key = signer
		o.Identity, o.Issuer = "", ""
	}
	var bundle []byte
	if attestation {
		if *predicateType == "" {
			ts.Fatalf("usage: %s (-predicate-type is required)", usage)
		}
		pt, err := vocab.ResolvePredicateType(*predicateType)
		ts.Check(err)
		predicate := json.RawMessage(`{}`)
		if *predicateFile != "" {
			predicate, err = os.ReadFile(ts.MkAbs(*predicateFile))
			ts.Check(err)
		}
		sum := sha256.Sum256(artifact)
		subject := *subjectName
		if subject == "" {
			subject = filepath.Base(pos[1])
		}
		st, err := sigstoretest.Statement(map[string]string{subject: hex.EncodeToString(sum[:])}, pt, predicate)
		ts.Check(err)
		bundle, err = a.SignDSSE(st, o)
		ts.Check(err)
	} else {
		bundle, err = a.SignBlob(artifact, o)
		ts.Check(err)
	}
	ts.Check(os.WriteFile(ts.MkAbs(pos[2]), bundle, 0o644))
}

func cmdKeygen(ts *testscript.TestScript, neg bool, args []string) {
	noNeg(ts, neg, "keygen")
	if len(args) != 3 {
		ts.Fatalf("usage: keygen ALG PRIVATE PUBLIC")
	}
	k, err := sigstoretest.NewKey(args[0])
	ts.Check(err)
	priv, err := sigstoretest.PrivateKeyPEM(k)
	ts.Check(err)
	pub, err := sigstoretest.PublicKeyPEM(k)
	ts.Check(err)
	ts.Check(os.WriteFile(ts.MkAbs(args[1]), priv, 0o600))
	ts.Check(os.WriteFile(ts.MkAbs(args[2]), pub, 0o644))
}

// cmdProvenance writes a SLSA provenance predicate as the SLSA GitHub
// generator's Go builder (slsa02) or a GitHub workflow build (slsa1) does.
func cmdProvenance(ts *testscript.TestScript, neg bool, args []string) {
	noNeg(ts, neg, "provenance")
	fs := flag.NewFlagSet("provenance", flag.ContinueOnError)
	repo := fs.String("repo", "github.com/acme/tool", "source repository")
	ref := fs.String("ref", "refs/tags/v1.2.0", "source ref")
	baseRef := fs.String("base-ref", "refs/heads/main", "branch a tag was pushed from (slsa02)")
	builder := fs.String("builder", "https://github.com/slsa-framework/slsa-github-generator/.github/workflows/builder_go_slsa3.yml@refs/tags/v2.1.0", "builder id")
	commit := fs.String("commit", "4d329c75e7ec1725f7c9ce917a8799d408d06be3", "source commit")
	pos := parseFlags(ts, fs, args[min(len(args), 2):], 0, "provenance KIND OUT [flags]")
	_ = pos
	if len(args) < 2 {
		ts.Fatalf("usage: provenance KIND OUT [flags]")
	}
	var predicate any
	switch args[0] {
	case "slsa02":
		predicate = map[string]any{
			"builder":   map[string]any{"id": *builder},
			"buildType": "https://github.com/slsa-framework/slsa-github-generator/go@v1",
			"invocation": map[string]any{
				"configSource": map[string]any{"uri": "git+https://" + *repo + "@" + *ref, "digest": map[string]string{"sha1": *commit}, "entryPoint": ".github/workflows/release.yml"},
				"environment":  map[string]any{"github_ref": *ref, "github_event_name": "push", "github_event_payload": map[string]any{"base_ref": *baseRef}},
			},
			"materials": []any{map[string]any{"uri": "git+https://" + *repo + "@" + *ref, "digest": map[string]string{"sha1": *commit}}},
		}
	case "slsa1":
		predicate = map[string]any{
			"buildDefinition": map[string]any{
				"buildType":            "https://actions.github.io/buildtypes/workflow/v1",
				"externalParameters":   map[string]any{"workflow": map[string]any{"ref": *ref, "repository": "https://" + *repo, "path": ".github/workflows/release.yml"}},
				"resolvedDependencies": []any{map[string]any{"uri": "git+https://" + *repo + "@" + *ref, "digest": map[string]string{"gitCommit": *commit}}},
			},
			"runDetails": map[string]any{"builder": map[string]any{"id": *builder}},
		}
	default:
		ts.Fatalf("provenance: unknown kind %q (want slsa02 or slsa1)", args[0])
	}
	data, err := json.MarshalIndent(predicate, "", "  ")
	ts.Check(err)
	ts.Check(os.WriteFile(ts.MkAbs(args[1]), data, 0o644))
}

// cmdTamper changes one field of a Sigstore bundle, keeping it well formed
// JSON, so that verification must notice the change itself.
//
//	signature   one bit of the message or DSSE signature
//	payload     one bit of the DSSE payload
//	certificate one bit inside the leaf certificate's signature
//	proof       one bit of the first inclusion proof hash
//	checkpoint  the checkpoint's origin line (a checkpoint for another log)
//	logindex    a negative log index
//	promise     one bit of the signed entry timestamp
//	digest      one bit of the message digest
//	mediatype   an unknown bundle media type
//	nocert      an empty certificate
func cmdTamper(ts *testscript.TestScript, neg bool, args []string) {
	noNeg(ts, neg, "tamper")
	if len(args) != 2 {
		ts.Fatalf("usage: tamper FILE FIELD")
	}
	path := ts.MkAbs(args[0])
	data, err := os.ReadFile(path)
	ts.Check(err)
	var b map[string]any
	ts.Check(json.Unmarshal(data, &b))
	vm, _ := b["verificationMaterial"].(map[string]any)
	firstEntry := func() map[string]any {
		entries, _ := vm["tlogEntries"].([]any)
		if len(entries) == 0 {
			ts.Fatalf("tamper: bundle has no tlog entry")
		}
		return entries[0].(map[string]any)
	}
	flipB64 := func(m map[string]any, key string, index int) {
		s, ok := m[key].(string)
		if !ok {
			ts.Fatalf("tamper: no %s", key)
		}
		raw, err := base64.StdEncoding.DecodeString(s)
		ts.Check(err)
		if index < 0 {
			index += len(raw)
		}
		raw[index] ^= 0x01
		m[key] = base64.StdEncoding.EncodeToString(raw)
	}
	switch args[1] {
	case "signature":
		if env, ok := b["dsseEnvelope"].(map[string]any); ok {
			flipB64(env["signatures"].([]any)[0].(map[string]any), "sig", -1)
		} else {
			flipB64(b["messageSignature"].(map[string]any), "signature", -1)
		}
	case "payload":
		env, ok := b["dsseEnvelope"].(map[string]any)
		if !ok {
			ts.Fatalf("tamper: not a DSSE bundle")
		}
		payload, err := base64.StdEncoding.DecodeString(env["payload"].(string))
		ts.Check(err)
		// Change a byte of the predicate, keeping the statement valid JSON.
		i := strings.LastIndex(string(payload), "}")
		payload = append(append(append([]byte{}, payload[:i]...), []byte(`,"x":1`)...), payload[i:]...)
		env["payload"] = base64.StdEncoding.EncodeToString(payload)
	case "certificate":
		cert, ok := vm["certificate"].(map[string]any)
		if !ok {
			ts.Fatalf("tamper: no certificate")
		}
		flipB64(cert, "rawBytes", -3)
	case "nocert":
		vm["certificate"] = map[string]any{"rawBytes": ""}
	case "proof":
		proof := firstEntry()["inclusionProof"].(map[string]any)
		hashes, _ := proof["hashes"].([]any)
		if len(hashes) == 0 {
			flipB64(proof, "rootHash", 0)
		} else {
			m := map[string]any{"h": hashes[0]}
			flipB64(m, "h", 0)
			hashes[0] = m["h"]
		}
	case "checkpoint":
		cp := firstEntry()["inclusionProof"].(map[string]any)["checkpoint"].(map[string]any)
		env := cp["envelope"].(string)
		_, rest, _ := strings.Cut(env, "\n")
		cp["envelope"] = "rekor.other.example - 1\n" + rest
	case "logindex":
		firstEntry()["logIndex"] = "-1"
	case "promise":
		flipB64(firstEntry()["inclusionPromise"].(map[string]any), "signedEntryTimestamp", -1)
	case "digest":
		flipB64(b["messageSignature"].(map[string]any)["messageDigest"].(map[string]any), "digest", 0)
	case "mediatype":
		b["mediaType"] = "application/vnd.dev.sigstore.bundle.v0.9+json"
	default:
		ts.Fatalf("tamper: unknown field %q", args[1])
	}
	out, err := json.Marshal(b)
	ts.Check(err)
	ts.Check(os.WriteFile(path, out, 0o644))
}

func cmdFlipByte(ts *testscript.TestScript, neg bool, args []string) {
	noNeg(ts, neg, "flipbyte")
	if len(args) != 1 {
		ts.Fatalf("usage: flipbyte FILE")
	}
	path := ts.MkAbs(args[0])
	data, err := os.ReadFile(path)
	ts.Check(err)
	if len(data) == 0 {
		ts.Fatalf("flipbyte: %s is empty", args[0])
	}
	data[len(data)-1] ^= 0x01
	ts.Check(os.WriteFile(path, data, 0o644))
}

func cmdIntotoChain(ts *testscript.TestScript, neg bool, args []string) {
	noNeg(ts, neg, "intoto-chain")
	fs := flag.NewFlagSet("intoto-chain", flag.ContinueOnError)
	expires := fs.Duration("expires", 24*time.Hour, "layout expiry relative to now (negative: expired)")
	inspection := fs.String("inspection", "", "an inspection command (space separated)")
	pos := parseFlags(ts, fs, args, 2, "intoto-chain [flags] DIR ARTIFACT")
	o := intototest.ChainOptions{Artifact: ts.MkAbs(pos[1]), Expires: time.Now().Add(*expires)}
	if *inspection != "" {
		o.Inspection = strings.Fields(*inspection)
	}
	dir := ts.MkAbs(pos[0])
	ts.Check(os.MkdirAll(dir, 0o755))
	files, err := intototest.WriteSupplyChain(dir, o)
	ts.Check(err)
	ts.Logf("in-toto chain: %+v", files)
}
