package intototest

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/in-toto/in-toto-golang/in_toto"
	"github.com/secure-systems-lab/go-securesystemslib/dsse"
	"github.com/secure-systems-lab/go-securesystemslib/signerverifier"
)

// KeyType names the kind of key NewKey generates.
type KeyType string

// Key types NewKey understands.
const (
	Ed25519 KeyType = "ed25519"
	ECDSA   KeyType = "ecdsa" // P-256
)

// Key is a freshly generated in-toto key.
type Key struct {
	Signer    in_toto.Key // private and public parts; signs metadata
	Public    in_toto.Key // public part only, as a layout lists it
	PublicPEM []byte      // PKIX "PUBLIC KEY" PEM, as a user passes it to --layout-key
}

// NewKey generates a key of the given type (Ed25519 when empty).
func NewKey(t KeyType) (*Key, error) {
	var priv crypto.Signer
	var err error
	switch t {
	case Ed25519, "":
		_, priv, err = ed25519.GenerateKey(rand.Reader)
	case ECDSA:
		priv, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	default:
		return nil, fmt.Errorf("generating key: unknown key type %q, want %q or %q", t, Ed25519, ECDSA)
	}
	if err != nil {
		return nil, fmt.Errorf("generating %s key: %w", t, err)
	}
	der, err := x509.MarshalPKCS8PrivateKey(priv)
	if err != nil {
		return nil, fmt.Errorf("encoding private key: %w", err)
	}
	pubDER, err := x509.MarshalPKIXPublicKey(priv.Public())
	if err != nil {
		return nil, fmt.Errorf("encoding public key: %w", err)
	}
	k := &Key{PublicPEM: pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: pubDER})}
	privPEM := pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})
	if err := k.Signer.LoadKeyReaderDefaults(strings.NewReader(string(privPEM))); err != nil {
		return nil, fmt.Errorf("loading private key: %w", err)
	}
	if err := k.Public.LoadKeyReaderDefaults(strings.NewReader(string(k.PublicPEM))); err != nil {
		return nil, fmt.Errorf("loading public key: %w", err)
	}
	if k.Signer.KeyID != k.Public.KeyID {
		return nil, fmt.Errorf("loading key: key ids differ: got %s, want %s", k.Signer.KeyID, k.Public.KeyID)
	}
	return k, nil
}

// ID returns the key's in-toto key id.
func (k *Key) ID() string { return k.Public.KeyID }

// LinkName returns the file name in-toto gives to k's link for step, e.g.
// "build.1a2b3c4d.link".
func (k *Key) LinkName(step string) string {
	return fmt.Sprintf(in_toto.LinkNameFormat, step, k.ID())
}

// SublayoutDir returns the directory, relative to the link directory, that
// holds the links of the sublayout k signed for step.
func (k *Key) SublayoutDir(step string) string {
	return fmt.Sprintf(in_toto.SublayoutLinkDirFormat, step, k.ID())
}

// Keys returns the public keys of ks as a layout's "keys" map.
func Keys(ks ...*Key) map[string]in_toto.Key {
	m := make(map[string]in_toto.Key, len(ks))
	for _, k := range ks {
		m[k.ID()] = k.Public
	}
	return m
}

// IDs returns the key ids of ks, as a step's "pubkeys" list.
func IDs(ks ...*Key) []string {
	ids := make([]string, len(ks))
	for i, k := range ks {
		ids[i] = k.ID()
	}
	return ids
}

// Expires formats t as a layout's expiry date.
func Expires(t time.Time) string { return t.UTC().Format(in_toto.ISO8601DateSchema) }

// SHA256 returns the in-toto artifact digest of data.
func SHA256(data []byte) in_toto.HashObj {
	sum := sha256.Sum256(data)
	return in_toto.HashObj{"sha256": hex.EncodeToString(sum[:])}
}

// Encode signs signed (an in_toto.Layout or in_toto.Link) with every signer
// and returns the metadata file's bytes: a Metablock, or a DSSE envelope
// when dsseEnvelope is set.
func Encode(signed any, dsseEnvelope bool, signers ...*Key) ([]byte, error) {
	switch signed.(type) {
	case in_toto.Layout, in_toto.Link:
	default:
		return nil, fmt.Errorf("encoding metadata: got %T, want in_toto.Layout or in_toto.Link", signed)
	}
	if !dsseEnvelope {
		mb := &in_toto.Metablock{Signed: signed, Signatures: []in_toto.Signature{}}
		for _, k := range signers {
			if err := mb.Sign(k.Signer); err != nil {
				return nil, fmt.Errorf("signing metablock with key %.8s: %w", k.ID(), err)
			}
		}
		return json.MarshalIndent(mb, "", "  ")
	}
	// in_toto.Envelope.Sign replaces earlier signatures, so a DSSE envelope
	// with several signers is made with the dsse package directly. The
	// payload is plain JSON: in-toto-golang's own envelopes carry
	// canonical JSON, which leaves newlines unescaped (in PEM keys, in
	// captured stdout), and its loader then rejects them.
	payload, err := json.Marshal(signed)
	if err != nil {
		return nil, fmt.Errorf("encoding payload: %w", err)
	}
	svs := make([]dsse.Signer, 0, len(signers))
	for _, k := range signers {
		sv, err := signerVerifier(k.Signer)
		if err != nil {
			return nil, err
		}
		svs = append(svs, sv)
	}
	if len(svs) == 0 {
		env := dsse.Envelope{PayloadType: in_toto.PayloadType, Payload: base64.StdEncoding.EncodeToString(payload), Signatures: []dsse.Signature{}}
		return json.MarshalIndent(env, "", "  ")
	}
	es, err := dsse.NewEnvelopeSigner(svs...)
	if err != nil {
		return nil, fmt.Errorf("making envelope signer: %w", err)
	}
	env, err := es.SignPayload(context.Background(), in_toto.PayloadType, payload)
	if err != nil {
		return nil, fmt.Errorf("signing envelope: %w", err)
	}
	return json.MarshalIndent(env, "", "  ")
}

func signerVerifier(k in_toto.Key) (dsse.SignerVerifier, error) {
	sk := &signerverifier.SSLibKey{
		KeyType:             k.KeyType,
		KeyIDHashAlgorithms: k.KeyIDHashAlgorithms,
		KeyID:               k.KeyID,
		Scheme:              k.Scheme,
		KeyVal:              signerverifier.KeyVal{Public: k.KeyVal.Public, Private: k.KeyVal.Private},
	}
	switch k.KeyType {
	case signerverifier.ED25519KeyType:
		return signerverifier.NewED25519SignerVerifierFromSSLibKey(sk)
	case signerverifier.ECDSAKeyType:
		return signerverifier.NewECDSASignerVerifierFromSSLibKey(sk)
	}
	return nil, fmt.Errorf("making signer: unsupported key type %q", k.KeyType)
}

// WriteMetadata writes signed, signed by every signer, to path (see Encode).
func WriteMetadata(path string, signed any, dsseEnvelope bool, signers ...*Key) error {
	data, err := Encode(signed, dsseEnvelope, signers...)
	if err != nil {
		return err
	}
	return os.WriteFile(path, data, 0o644)
}

// WriteLink writes link, signed by k, into dir under in-toto's file name
// (see Key.LinkName) and returns the file's path.
func WriteLink(dir string, link in_toto.Link, dsseEnvelope bool, k *Key) (string, error) {
	path := filepath.Join(dir, k.LinkName(link.Name))
	return path, WriteMetadata(path, link, dsseEnvelope, k)
}

// NewLink returns a link for step with the given materials, products and
// command, as in-toto-run would record it (exit status 0).
func NewLink(step string, materials, products map[string]in_toto.HashObj, command ...string) in_toto.Link {
	if materials == nil {
		materials = map[string]in_toto.HashObj{}
	}
	if products == nil {
		products = map[string]in_toto.HashObj{}
	}
	return in_toto.Link{
		Type:        "link",
		Name:        step,
		Materials:   materials,
		Products:    products,
		ByProducts:  map[string]any{"return-value": 0, "stdout": "", "stderr": ""},
		Command:     command,
		Environment: map[string]any{},
	}
}

// NewStep returns a layout step performed by the functionaries fs, of whom
// threshold must have signed a link.
func NewStep(name string, threshold int, materialRules, productRules [][]string, command []string, fs ...*Key) in_toto.Step {
	return in_toto.Step{
		Type:            "step",
		PubKeys:         IDs(fs...),
		ExpectedCommand: command,
		Threshold:       threshold,
		SupplyChainItem: in_toto.SupplyChainItem{
			Name:              name,
			ExpectedMaterials: materialRules,
			ExpectedProducts:  productRules,
		},
	}
}

// NewLayout returns a layout with the given steps, expiring at expires and
// listing the public keys of fs.
func NewLayout(expires time.Time, steps []in_toto.Step, fs ...*Key) in_toto.Layout {
	return in_toto.Layout{
		Type:    "layout",
		Steps:   steps,
		Inspect: []in_toto.Inspection{},
		Keys:    Keys(fs...),
		Expires: Expires(expires),
		Readme:  "sovcheck test supply chain",
	}
}

// ChainOptions configures WriteSupplyChain.
type ChainOptions struct {
	// Artifact is the final product's file (required). The package step
	// reports it under its base name with its sha256 digest.
	Artifact string
	// Expires is the layout's expiry; zero means one year from now.
	Expires time.Time
	// KeyType is the type of every generated key; empty means Ed25519.
	KeyType KeyType
	// DSSE writes the layout and links as DSSE envelopes instead of
	// Metablocks.
	DSSE bool
	// Inspection, when set, adds an inspection named "inspect" that runs
	// this command (in the verifier's working directory) and allows any
	// materials and products.
	Inspection []string
}

// ChainFiles are the files WriteSupplyChain wrote. Paths are dir joined
// with fixed names.
type ChainFiles struct {
	Layout          string   // dir/root.layout, signed by the owner
	OwnerKey        string   // dir/owner.pub, PEM public key for --layout-key
	FunctionaryKeys []string // dir/build.pub and dir/package.pub
	LinkDir         string   // dir/links, holding build.<id>.link and package.<id>.link
	Product         string   // the artifact's base name, as the package link reports it
}

// Contents of the synthetic build step, fixed so fixtures are comparable.
var (
	chainSource = []byte("package main\n\nfunc main() {}\n")
	chainBinary = []byte("sovcheck test build output\n")
)

// WriteSupplyChain writes into dir a two-step supply chain whose final
// product is o.Artifact: an owner-signed layout with steps "build" (source
// src/main.go in, binary "app" out) and "package" ("app" in, the artifact
// out), one functionary per step, their signed links, and the public keys.
// dir must exist; the links go to dir/links, which must not.
func WriteSupplyChain(dir string, o ChainOptions) (ChainFiles, error) {
	if o.Artifact == "" {
		return ChainFiles{}, errors.New("writing supply chain: no artifact given")
	}
	artifact, err := os.ReadFile(o.Artifact)
	if err != nil {
		return ChainFiles{}, fmt.Errorf("writing supply chain: reading artifact: %w", err)
	}
	expires := o.Expires
	if expires.IsZero() {
		expires = time.Now().AddDate(1, 0, 0)
	}
	var owner, builder, packager *Key
	for _, k := range []**Key{&owner, &builder, &packager} {
		if *k, err = NewKey(o.KeyType); err != nil {
			return ChainFiles{}, fmt.Errorf("writing supply chain: %w", err)
		}
	}
	product := filepath.Base(o.Artifact)
	layout := NewLayout(expires, []in_toto.Step{
		NewStep("build", 1,
			[][]string{{"ALLOW", "src/*"}, {"DISALLOW", "*"}},
			[][]string{{"CREATE", "app"}, {"DISALLOW", "*"}},
			[]string{"go", "build", "-o", "app", "./src"}, builder),
		NewStep("package", 1,
			[][]string{{"MATCH", "app", "WITH", "PRODUCTS", "FROM", "build"}, {"DISALLOW", "*"}},
			[][]string{{"CREATE", product}, {"DISALLOW", "*"}},
			[]string{"package", "app", product}, packager),
	}, builder, packager)
	if len(o.Inspection) > 0 {
		layout.Inspect = []in_toto.Inspection{{
			Type: "inspection",
			Run:  o.Inspection,
			SupplyChainItem: in_toto.SupplyChainItem{
				Name:              "inspect",
				ExpectedMaterials: [][]string{{"ALLOW", "*"}},
				ExpectedProducts:  [][]string{{"ALLOW", "*"}},
			},
		}}
	}
	files := ChainFiles{
		Layout:          filepath.Join(dir, "root.layout"),
		OwnerKey:        filepath.Join(dir, "owner.pub"),
		FunctionaryKeys: []string{filepath.Join(dir, "build.pub"), filepath.Join(dir, "package.pub")},
		LinkDir:         filepath.Join(dir, "links"),
		Product:         product,
	}
	if err := os.Mkdir(files.LinkDir, 0o755); err != nil {
		return ChainFiles{}, fmt.Errorf("writing supply chain: %w", err)
	}
	if err := WriteMetadata(files.Layout, layout, o.DSSE, owner); err != nil {
		return ChainFiles{}, fmt.Errorf("writing supply chain layout: %w", err)
	}
	for path, k := range map[string]*Key{files.OwnerKey: owner, files.FunctionaryKeys[0]: builder, files.FunctionaryKeys[1]: packager} {
		if err := os.WriteFile(path, k.PublicPEM, 0o644); err != nil {
			return ChainFiles{}, fmt.Errorf("writing supply chain key: %w", err)
		}
	}
	links := []struct {
		link in_toto.Link
		key  *Key
	}{
		{NewLink("build",
			map[string]in_toto.HashObj{"src/main.go": SHA256(chainSource)},
			map[string]in_toto.HashObj{"app": SHA256(chainBinary)},
			layout.Steps[0].ExpectedCommand...), builder},
		{NewLink("package",
			map[string]in_toto.HashObj{"app": SHA256(chainBinary)},
			map[string]in_toto.HashObj{product: SHA256(artifact)},
			layout.Steps[1].ExpectedCommand...), packager},
	}
	for _, l := range links {
		if _, err := WriteLink(files.LinkDir, l.link, o.DSSE, l.key); err != nil {
			return ChainFiles{}, fmt.Errorf("writing supply chain link %q: %w", l.link.Name, err)
		}
	}
	return files, nil
}
