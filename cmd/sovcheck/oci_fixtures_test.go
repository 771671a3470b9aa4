package main

import (
	"archive/tar"
	"bytes"
	"crypto"
	"crypto/rand"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"flag"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/v1/types"
	"github.com/rogpeppe/go-internal/testscript"
	"golang.org/x/crypto/bcrypt"

	"github.com/sovcheck/sovcheck/internal/oci/ocitest"
	"github.com/sovcheck/sovcheck/internal/vocab"
)

// cmdOCI runs the container image fixture commands, as subcommands of one
// script command, oci. A PLACE is HOST/REPO (a registry repository) or
// oci-layout:DIR; images are random and made fresh.
//
//	oci registry-start [-auth USER:PASS]      Debian's docker-registry on loopback; sets $REGISTRY
//	oci push [-platforms L] [-layers N] [-size B] PLACE TAG VAR
//	                                          a random image (an index with -platforms os/arch,...);
//	                                          sets $VAR to its digest and, for an index, $VAR_os_arch
//	oci sign [flags] CA PLACE DIGEST          a cosign signature (.sig tag) by a sigstore-ca
//	oci attest [flags] CA PLACE DIGEST        a cosign attestation (.att tag)
//	oci bundle [flags] CA PLACE DIGEST        a Sigstore bundle attached as an OCI 1.1 referrer
//	oci sbom PLACE DIGEST FILE                an SBOM under cosign's .sbom tag; sets $SBOM_DIGEST
//	oci archive DIR FILE                      a layout as an uncompressed tar
//	oci swap-layer PLACE DIGEST TAG VAR       the image with its first layer replaced, pushed as TAG;
//	                                          sets $VAR to its (new) digest
//	oci corrupt-layer DIR DIGEST              overwrites the first layer blob of an image in a layout,
//	                                          keeping its name (its digest)
//	oci legacy-archive FILE                   a docker save archive without an OCI index
//	oci docker-config DIR HOST USER PASS      a docker config.json with credentials for HOST
//
// Signing flags: -key FILE (else keyless as -identity/-issuer), -notlog,
// -payload-digest D (a signature payload naming D), -predicate-type T,
// -predicate FILE.
func cmdOCI(ts *testscript.TestScript, neg bool, args []string) {
	noNeg(ts, neg, "oci")
	sub := map[string]func(ts *testscript.TestScript, args []string){
		"registry-start": cmdRegistryStart,
		"push":           cmdImagePush,
		"sign":           func(ts *testscript.TestScript, args []string) { cmdImageSign(ts, args, "sign") },
		"attest":         func(ts *testscript.TestScript, args []string) { cmdImageSign(ts, args, "attest") },
		"bundle":         func(ts *testscript.TestScript, args []string) { cmdImageSign(ts, args, "bundle") },
		"sbom":           cmdImageSBOM,
		"archive":        cmdImageArchive,
		"swap-layer":     cmdImageSwapLayer,
		"corrupt-layer":  cmdImageCorruptLayer,
		"legacy-archive": cmdImageLegacyArchive,
		"docker-config":  cmdDockerConfig,
	}
	if len(args) == 0 || sub[args[0]] == nil {
		ts.Fatalf("usage: oci registry-start|push|sign|attest|bundle|sbom|archive|swap-layer|corrupt-layer|legacy-archive|docker-config ...")
	}
	sub[args[0]](ts, args[1:])
}

const (
	// registryAuthEnv holds USER:PASS of a registry started with -auth,
	// which the fixture commands use to push.
	registryAuthEnv = "REGISTRY_AUTH"
	layoutRepoName  = "registry.example.eu/team/app"
)

// cmdRegistryStart runs docker-registry with a temporary configuration on a
// free loopback port until the script ends.
func cmdRegistryStart(ts *testscript.TestScript, args []string) {
	fs := flag.NewFlagSet("oci registry-start", flag.ContinueOnError)
	auth := fs.String("auth", "", "USER:PASS required by the registry")
	parseFlags(ts, fs, args, 0, "oci registry-start [-auth USER:PASS]")
	bin, err := exec.LookPath("docker-registry")
	if err != nil {
		ts.Fatalf("oci registry-start: docker-registry is not installed (guard the script with [!exec:docker-registry] skip)")
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	ts.Check(err)
	addr := l.Addr().String()
	l.Close()
	dir := ts.MkAbs("registry")
	ts.Check(os.MkdirAll(filepath.Join(dir, "data"), 0o755))
	config := fmt.Sprintf("version: 0.1\nlog:\n  level: error\n  accesslog:\n    disabled: true\nstorage:\n  filesystem:\n    rootdirectory: %s\n  delete:\n    enabled: true\nhttp:\n  addr: %s\n  secret: sovcheck-test\n",
		filepath.Join(dir, "data"), addr)
	if *auth != "" {
		user, pass, ok := strings.Cut(*auth, ":")
		if !ok {
			ts.Fatalf("oci registry-start: -auth wants USER:PASS")
		}
		hash, err := bcrypt.GenerateFromPassword([]byte(pass), bcrypt.MinCost)
		ts.Check(err)
		ts.Check(os.WriteFile(filepath.Join(dir, "htpasswd"), fmt.Appendf(nil, "%s:%s\n", user, hash), 0o600))
		config += fmt.Sprintf("auth:\n  htpasswd:\n    realm: sovcheck-test\n    path: %s\n", filepath.Join(dir, "htpasswd"))
		ts.Setenv(registryAuthEnv, *auth)
	}
	ts.Check(os.WriteFile(filepath.Join(dir, "config.yml"), []byte(config), 0o644))
	logFile, err := os.Create(filepath.Join(dir, "registry.log"))
	ts.Check(err)
	cmd := exec.Command(bin, "serve", filepath.Join(dir, "config.yml"))
	cmd.Stdout, cmd.Stderr = logFile, logFile
	ts.Check(cmd.Start())
	ts.Defer(func() {
		cmd.Process.Kill()
		cmd.Wait()
		logFile.Close()
	})
	deadline := time.Now().Add(15 * time.Second)
	for {
		resp, err := http.Get("http://" + addr + "/v2/")
		if err == nil {
			resp.Body.Close()
			break
		}
		if time.Now().After(deadline) {
			log, _ := os.ReadFile(filepath.Join(dir, "registry.log"))
			ts.Fatalf("oci registry-start: docker-registry did not answer on %s: %v\n%s", addr, err, log)
		}
		time.Sleep(50 * time.Millisecond)
	}
	ts.Setenv("REGISTRY", addr)
}

func openPlace(ts *testscript.TestScript, place string) ocitest.Place {
	if dir, ok := strings.CutPrefix(place, "oci-layout:"); ok {
		p, err := ocitest.NewLayoutPlace(ts.MkAbs(dir), layoutRepoName)
		ts.Check(err)
		return p
	}
	host, repo, ok := strings.Cut(place, "/")
	if !ok {
		ts.Fatalf("place %q: want HOST/REPO or oci-layout:DIR", place)
	}
	p, err := ocitest.NewRegistryPlace(host, repo)
	ts.Check(err)
	if user, pass, ok := strings.Cut(ts.Getenv(registryAuthEnv), ":"); ok {
		p.Auth = &authn.Basic{Username: user, Password: pass}
	}
	return p
}

func cmdImagePush(ts *testscript.TestScript, args []string) {
	fs := flag.NewFlagSet("oci push", flag.ContinueOnError)
	platforms := fs.String("platforms", "", "comma-separated os/arch list: push an index")
	layers := fs.Int("layers", 2, "layers per image")
	size := fs.Int64("size", 1024, "bytes per layer")
	pos := parseFlags(ts, fs, args, 3, "oci push [-platforms L] [-layers N] [-size B] PLACE TAG VAR")
	p := openPlace(ts, pos[0])
	if *platforms == "" {
		img, err := ocitest.RandomImage("linux/amd64", *layers, *size)
		ts.Check(err)
		d, err := p.PutImage(pos[1], img)
		ts.Check(err)
		ts.Setenv(pos[2], d)
		return
	}
	list := strings.Split(*platforms, ",")
	idx, err := ocitest.RandomIndex(list, *layers, *size)
	ts.Check(err)
	d, err := p.PutImage(pos[1], idx)
	ts.Check(err)
	ts.Setenv(pos[2], d)
	m, err := idx.IndexManifest()
	ts.Check(err)
	for i, pl := range list {
		ts.Setenv(pos[2]+"_"+strings.ReplaceAll(pl, "/", "_"), m.Manifests[i].Digest.String())
	}
}

func readSigner(ts *testscript.TestScript, file string) crypto.Signer {
	data, err := os.ReadFile(ts.MkAbs(file))
	ts.Check(err)
	block, _ := pem.Decode(data)
	if block == nil {
		ts.Fatalf("%s is not PEM", file)
	}
	k, err := x509.ParsePKCS8PrivateKey(block.Bytes)
	ts.Check(err)
	s, ok := k.(crypto.Signer)
	if !ok {
		ts.Fatalf("%s: %T is not a signer", file, k)
	}
	return s
}

func cmdImageSign(ts *testscript.TestScript, args []string, name string) {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	keyFile := fs.String("key", "", "sign with this PEM private key instead of keylessly")
	identity := fs.String("identity", "https://github.com/acme/app/.github/workflows/release.yml@refs/tags/v1.4.0", "certificate SAN")
	issuer := fs.String("issuer", "https://token.actions.githubusercontent.com", "OIDC issuer")
	noTlog := fs.Bool("notlog", false, "no transparency log entry")
	payloadDigest := fs.String("payload-digest", "", "image-sign: the digest the payload names")
	predicateType := fs.String("predicate-type", "", "attestation predicate type (alias or URI)")
	predicateFile := fs.String("predicate", "", "attestation predicate JSON file")
	pos := parseFlags(ts, fs, args, 3, "oci "+name+" [flags] CA PLACE DIGEST")
	a := authorityStore(ts)[pos[0]]
	if a == nil {
		ts.Fatalf("%s: no sigstore-ca %q", name, pos[0])
	}
	s := ocitest.Signer{Authority: a, Identity: *identity, Issuer: *issuer, NoTlog: *noTlog}
	if *keyFile != "" {
		s.Key = readSigner(ts, *keyFile)
	}
	p := openPlace(ts, pos[1])
	digest := pos[2]
	var predicate []byte
	if *predicateFile != "" {
		var err error
		predicate, err = os.ReadFile(ts.MkAbs(*predicateFile))
		ts.Check(err)
	}
	pt := ""
	if *predicateType != "" {
		var err error
		pt, err = vocab.ResolvePredicateType(*predicateType)
		ts.Check(err)
	}
	switch name {
	case "sign":
		named := digest
		if *payloadDigest != "" {
			named = *payloadDigest
		}
		ts.Check(s.SignPayload(p, digest, ocitest.SimpleSigningPayload(p.Name(), named)))
	case "attest":
		if pt == "" {
			ts.Fatalf("%s: -predicate-type is required", name)
		}
		ts.Check(s.Attest(p, digest, pt, predicate))
	case "bundle":
		if pt == "" {
			pt = ocitest.CosignSignPredicateType
		}
		_, err := s.AttachBundle(p, digest, pt, predicate)
		ts.Check(err)
	}
}

func cmdImageSBOM(ts *testscript.TestScript, args []string) {
	if len(args) != 3 {
		ts.Fatalf("usage: oci sbom PLACE DIGEST FILE")
	}
	data, err := os.ReadFile(ts.MkAbs(args[2]))
	ts.Check(err)
	d, err := ocitest.AttachSBOM(openPlace(ts, args[0]), args[1], data, types.MediaType("application/vnd.cyclonedx+json"))
	ts.Check(err)
	ts.Setenv("SBOM_DIGEST", d)
}

func cmdImageArchive(ts *testscript.TestScript, args []string) {
	if len(args) != 2 {
		ts.Fatalf("usage: oci archive DIR FILE")
	}
	ts.Check(ocitest.Archive(ts.MkAbs(args[0]), ts.MkAbs(args[1])))
}

func cmdImageSwapLayer(ts *testscript.TestScript, args []string) {
	if len(args) != 4 {
		ts.Fatalf("usage: oci swap-layer PLACE DIGEST TAG VAR")
	}
	d, err := ocitest.SwapLayer(openPlace(ts, args[0]), args[1], args[2])
	ts.Check(err)
	ts.Setenv(args[3], d)
}

// cmdImageCorruptLayer overwrites the first layer blob of an image in a
// layout with other bytes of the same size, keeping its file name.
func cmdImageCorruptLayer(ts *testscript.TestScript, args []string) {
	if len(args) != 2 {
		ts.Fatalf("usage: oci corrupt-layer DIR DIGEST")
	}
	blobs := filepath.Join(ts.MkAbs(args[0]), "blobs", "sha256")
	raw, err := os.ReadFile(filepath.Join(blobs, strings.TrimPrefix(args[1], "sha256:")))
	ts.Check(err)
	var m struct {
		Layers []struct {
			Digest string `json:"digest"`
			Size   int    `json:"size"`
		} `json:"layers"`
	}
	ts.Check(json.Unmarshal(raw, &m))
	if len(m.Layers) == 0 {
		ts.Fatalf("oci corrupt-layer: %s has no layers", args[1])
	}
	other := make([]byte, m.Layers[0].Size)
	rand.Read(other)
	ts.Check(os.WriteFile(filepath.Join(blobs, strings.TrimPrefix(m.Layers[0].Digest, "sha256:")), other, 0o644))
}

// cmdImageLegacyArchive writes an archive as docker save wrote it before
// Docker 25: manifest.json, a config and layers, no OCI index.
func cmdImageLegacyArchive(ts *testscript.TestScript, args []string) {
	if len(args) != 1 {
		ts.Fatalf("usage: oci legacy-archive FILE")
	}
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, f := range []struct{ name, body string }{
		{"manifest.json", `[{"Config":"config.json","RepoTags":["app:1.4"],"Layers":["layer.tar"]}]`},
		{"config.json", `{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":[]}}`},
		{"layer.tar", strings.Repeat("\x00", 1024)},
	} {
		ts.Check(tw.WriteHeader(&tar.Header{Name: f.name, Mode: 0o644, Size: int64(len(f.body)), Typeflag: tar.TypeReg}))
		_, err := tw.Write([]byte(f.body))
		ts.Check(err)
	}
	ts.Check(tw.Close())
	ts.Check(os.WriteFile(ts.MkAbs(args[0]), buf.Bytes(), 0o644))
}

func cmdDockerConfig(ts *testscript.TestScript, args []string) {
	if len(args) != 4 {
		ts.Fatalf("usage: oci docker-config DIR HOST USER PASS")
	}
	dir := ts.MkAbs(args[0])
	ts.Check(os.MkdirAll(dir, 0o700))
	cfg, err := json.Marshal(map[string]any{"auths": map[string]any{args[1]: map[string]string{
		"auth": base64.StdEncoding.EncodeToString([]byte(args[2] + ":" + args[3]))}}})
	ts.Check(err)
	ts.Check(os.WriteFile(filepath.Join(dir, "config.json"), cfg, 0o600))
}
