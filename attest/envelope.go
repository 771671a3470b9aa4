package attest

import (
	"crypto/x509"
	"encoding/json"
	"encoding/pem"

	"github.com/sovcheck/sovcheck/internal/reason"
)

// bareEnvelope is a DSSE envelope on its own, as the SLSA GitHub
// generator wrote provenance before it wrote Sigstore bundles (.intoto.jsonl
// of 2022-2023): each signature may carry the signer's Fulcio certificate
// as PEM in "cert". Its transparency-log entry was uploaded to Rekor but
// not written into the file.
type bareEnvelope struct {
	PayloadType *string `json:"payloadType"`
	Payload     *string `json:"payload"`
	Signatures  []struct {
		Sig  string `json:"sig"`
		Cert string `json:"cert"`
	} `json:"signatures"`
}

// bareEnvelopeError explains why a DSSE envelope that is not inside a
// Sigstore bundle cannot be verified; nil if data is no DSSE envelope.
func bareEnvelopeError(data []byte) *reason.Error {
	var env bareEnvelope
	if err := json.Unmarshal(data, &env); err != nil || env.PayloadType == nil || env.Payload == nil || len(env.Signatures) == 0 {
		return nil
	}
	for _, s := range env.Signatures {
		block, _ := pem.Decode([]byte(s.Cert))
		if block == nil || block.Type != "CERTIFICATE" {
			continue
		}
		if _, err := x509.ParseCertificate(block.Bytes); err != nil {
			continue
		}
		return reason.New(reason.CertificateWithoutTlog,
			"give the provenance as a Sigstore bundle with its transparency-log entry (.sigstore.json or .intoto.jsonl of bundles, as slsa-github-generator v2 and cosign write them); "+
				"for this file, fetch its Rekor entry on a connected machine and make a bundle of the envelope, the certificate and the entry",
			"DSSE envelope with a signing certificate and no transparency-log entry: the certificate was valid only for minutes, and nothing in the file proves the signature was made within them")
	}
	return reason.New(reason.BundleMalformed,
		"give the Sigstore bundle of this envelope (its key or certificate and its transparency-log entry); sovcheck verifies bundles, not bare envelopes",
		"parsing bundle: a bare DSSE envelope, not a Sigstore bundle: no verification material")
}
