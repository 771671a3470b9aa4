package main

import (
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"os"

	"github.com/rogpeppe/go-internal/testscript"
)

// cmdLegacyEnvelope writes the DSSE envelope of a Sigstore bundle v0.3 as
// the SLSA GitHub generator wrote provenance before it wrote bundles: the
// envelope alone, the signer's certificate as PEM in the signature's
// "cert", no transparency-log entry.
//
//	legacy-envelope BUNDLE OUT
func cmdLegacyEnvelope(ts *testscript.TestScript, neg bool, args []string) {
	noNeg(ts, neg, "legacy-envelope")
	if len(args) != 2 {
		ts.Fatalf("usage: legacy-envelope BUNDLE OUT")
	}
	var b struct {
		VerificationMaterial struct {
			Certificate struct {
				RawBytes string `json:"rawBytes"`
			} `json:"certificate"`
		} `json:"verificationMaterial"`
		DSSEEnvelope struct {
			Payload     string `json:"payload"`
			PayloadType string `json:"payloadType"`
			Signatures  []struct {
				Sig string `json:"sig"`
			} `json:"signatures"`
		} `json:"dsseEnvelope"`
	}
	ts.Check(json.Unmarshal([]byte(ts.ReadFile(args[0])), &b))
	der, err := base64.StdEncoding.DecodeString(b.VerificationMaterial.Certificate.RawBytes)
	ts.Check(err)
	if len(der) == 0 || len(b.DSSEEnvelope.Signatures) != 1 {
		ts.Fatalf("legacy-envelope: %s is not a keyless DSSE bundle v0.3", args[0])
	}
	type signature struct {
		KeyID string `json:"keyid"`
		Sig   string `json:"sig"`
		Cert  string `json:"cert"`
	}
	env := struct {
		PayloadType string      `json:"payloadType"`
		Payload     string      `json:"payload"`
		Signatures  []signature `json:"signatures"`
	}{
		PayloadType: b.DSSEEnvelope.PayloadType,
		Payload:     b.DSSEEnvelope.Payload,
		Signatures: []signature{{Sig: b.DSSEEnvelope.Signatures[0].Sig,
			Cert: string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}))}},
	}
	out, err := json.Marshal(env)
	ts.Check(err)
	ts.Check(os.WriteFile(ts.MkAbs(args[1]), append(out, '\n'), 0o644))
}
