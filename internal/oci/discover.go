package oci

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"sync"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/types"

	"github.com/sovcheck/sovcheck/internal/reason"
	"github.com/sovcheck/sovcheck/internal/vocab"
)

// EvidenceKind says what format a piece of evidence came in.
type EvidenceKind string

const (
	// EvidenceSignature is a cosign image signature: a simple signing
	// payload with its signature in annotations (.sig tag, or referrer).
	EvidenceSignature EvidenceKind = "cosign signature"
	// EvidenceAttestation is a cosign attestation: a DSSE envelope with
	// its certificate and log entry in annotations (.att tag, or referrer).
	EvidenceAttestation EvidenceKind = "cosign attestation"
	// EvidenceBundle is a Sigstore bundle attached as an OCI 1.1 referrer
	// (cosign --new-bundle-format).
	EvidenceBundle EvidenceKind = "sigstore bundle"
)

// Evidence is one signature or attestation found for a manifest.
type Evidence struct {
	Kind    EvidenceKind
	Subject string // the digest it was found for
	Source  string // where it was found, for reports
	Label   string // a short name for messages: ".sig layer 0", "referrer sha256:0123abcd4567"
	// Bundle is a Sigstore bundle document: as attached, or converted
	// from cosign's layer format by LegacyBundle.
	Bundle []byte
	// Payload is the signed simple signing payload of an
	// EvidenceSignature, whose claimed digest the caller checks.
	Payload []byte
	// Err says why this piece could not be read; Bundle is then nil.
	Err *reason.Error
}

// SBOM is an SBOM attached with cosign's .sbom tag, and the signatures
// found for it (cosign sign --attachment sbom).
type SBOM struct {
	Source     string
	Digest     string
	MediaType  string
	Signatures []Evidence
}

// Discovery is what was found for one manifest.
type Discovery struct {
	Subject  string
	Evidence []Evidence // sorted by Source
	SBOMs    []SBOM
	Searched []string // where it looked, for messages
}

// Discover looks for the evidence of digest where the ecosystem publishes
// it: cosign's sha256-<hex>.sig, .att and .sbom tags, and the OCI 1.1
// referrers (the referrers API, or the sha256-<hex> tag schema). A source
// that cannot be read is an error; a single piece of evidence that cannot
// be read is an Evidence with Err.
func (img *Image) Discover(ctx context.Context, digest string) (*Discovery, error) {
	if !validDigest(digest) {
		return nil, reason.New(reason.InputMalformed, "give a sha256 digest", "discovering evidence: invalid digest %q", digest)
	}
	d := &Discovery{Subject: digest, Searched: []string{
		img.store.where(tagFor(digest, "sig")), img.store.where(tagFor(digest, "att")),
		img.store.where(tagFor(digest, "sbom")), "referrers of " + img.store.where(digest),
	}}
	type result struct {
		evidence []Evidence
		sboms    []SBOM
		err      error
	}
	var results [4]result
	var wg sync.WaitGroup
	run := func(i int, f func() ([]Evidence, []SBOM, error)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ev, sb, err := f()
			results[i] = result{ev, sb, err}
		}()
	}
	run(0, func() ([]Evidence, []SBOM, error) {
		ev, err := img.tagEvidence(ctx, digest, "sig", EvidenceSignature)
		return ev, nil, err
	})
	run(1, func() ([]Evidence, []SBOM, error) {
		ev, err := img.tagEvidence(ctx, digest, "att", EvidenceAttestation)
		return ev, nil, err
	})
	run(2, func() ([]Evidence, []SBOM, error) {
		sb, err := img.sbomEvidence(ctx, digest)
		return nil, sb, err
	})
	run(3, func() ([]Evidence, []SBOM, error) {
		ev, err := img.referrerEvidence(ctx, digest)
		return ev, nil, err
	})
	wg.Wait()
	for _, r := range results {
		if r.err != nil {
			return nil, public(r.err)
		}
		d.Evidence = append(d.Evidence, r.evidence...)
		d.SBOMs = append(d.SBOMs, r.sboms...)
	}
	if len(d.Evidence) > MaxEvidencePerSubject {
		return nil, &reason.Error{Code: reason.InputTooLarge, Msg: "too many signatures and attestations for one manifest",
			Got: fmt.Sprint(len(d.Evidence)), Want: fmt.Sprintf("at most %d", MaxEvidencePerSubject),
			Hint: "someone with push access attached an implausible number of signatures; clean up the signature tags"}
	}
	sort.SliceStable(d.Evidence, func(i, j int) bool { return d.Evidence[i].Source < d.Evidence[j].Source })
	return d, nil
}

// tagEvidence reads the layers of cosign's sha256-<hex>.SUFFIX tag.
func (img *Image) tagEvidence(ctx context.Context, digest, suffix string, kind EvidenceKind) ([]Evidence, error) {
	tag := tagFor(digest, suffix)
	m, err := img.store.manifest(ctx, tag)
	if errors.Is(err, errNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	if m.Image == nil {
		return nil, reason.New(reason.ManifestInvalid, "cosign's signature and attestation tags hold image manifests; the tag was overwritten with something else",
			"%s is an index, not a signature image", img.store.where(tag))
	}
	if len(m.Image.Layers) > MaxEvidencePerSubject {
		return nil, &reason.Error{Code: reason.InputTooLarge, Msg: img.store.where(tag) + " has too many layers",
			Got: fmt.Sprint(len(m.Image.Layers)), Want: fmt.Sprintf("at most %d", MaxEvidencePerSubject),
			Hint: "someone with push access attached an implausible number of signatures; clean up the tag"}
	}
	return img.layerEvidence(ctx, m, digest, img.store.where(tag), "."+suffix, kind), nil
}

// layerEvidence converts each layer of a cosign signature or attestation
// manifest into Evidence.
func (img *Image) layerEvidence(ctx context.Context, m *manifest, digest, source, label string, kind EvidenceKind) []Evidence {
	wantType := vocab.MediaTypeSimpleSigning
	if kind == EvidenceAttestation {
		wantType = vocab.MediaTypeDSSE
	}
	var out []Evidence
	for i, l := range m.Image.Layers {
		e := Evidence{Kind: kind, Subject: digest, Source: fmt.Sprintf("%s layer %d", source, i), Label: fmt.Sprintf("%s layer %d", label, i)}
		if string(l.MediaType) != wantType {
			e.Err = &reason.Error{Code: reason.MediaTypeUnknown, Msg: "unexpected layer media type in a cosign " + string(kind) + " image",
				Got: orNone(string(l.MediaType)), Want: wantType, Hint: "the layer is not a cosign signature; it is ignored only if another signature verifies"}
			out = append(out, e)
			continue
		}
		data, err := img.store.blob(ctx, l, MaxEvidenceSize)
		if err != nil {
			e.Err = evidenceErr(err, "reading layer")
			out = append(out, e)
			continue
		}
		b, err := LegacyBundle(string(l.MediaType), data, l.Annotations)
		if err != nil {
			e.Err = evidenceErr(err, "converting layer")
			out = append(out, e)
			continue
		}
		e.Bundle = b
		if kind == EvidenceSignature {
			e.Payload = data
		}
		out = append(out, e)
	}
	return out
}

// sbomEvidence reads cosign's sha256-<hex>.sbom tag and the signatures of
// the SBOM image.
func (img *Image) sbomEvidence(ctx context.Context, digest string) ([]SBOM, error) {
	tag := tagFor(digest, "sbom")
	m, err := img.store.manifest(ctx, tag)
	if errors.Is(err, errNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	if m.Digest == digest {
		return nil, &reason.Error{Code: reason.ReferrerLoop, Msg: "the SBOM tag points at the image itself", Got: m.Digest,
			Hint: "the tag " + tag + " was overwritten; clean it up"}
	}
	s := SBOM{Source: img.store.where(tag), Digest: m.Digest}
	if m.Image != nil && len(m.Image.Layers) > 0 {
		s.MediaType = string(m.Image.Layers[0].MediaType)
	}
	sigs, err := img.tagEvidence(ctx, m.Digest, "sig", EvidenceSignature)
	if err != nil {
		return nil, err
	}
	s.Signatures = sigs
	return []SBOM{s}, nil
}

// referrerEvidence reads the referrers of digest that carry Sigstore
// bundles or cosign signature layers. Other referrers are not evidence
// sovcheck verifies and are skipped.
func (img *Image) referrerEvidence(ctx context.Context, digest string) ([]Evidence, error) {
	descs, err := img.store.referrers(ctx, digest)
	if err != nil {
		return nil, err
	}
	if len(descs) > MaxReferrers {
		return nil, &reason.Error{Code: reason.InputTooLarge, Msg: "too many referrers for one manifest", Got: fmt.Sprint(len(descs)),
			Want: fmt.Sprintf("at most %d", MaxReferrers), Hint: "the registry lists an implausible number of referrers"}
	}
	var out []Evidence
	seen := map[string]bool{}
	for _, d := range descs {
		rd := d.Digest.String()
		if rd == digest {
			return nil, &reason.Error{Code: reason.ReferrerLoop, Msg: "the manifest is listed as its own referrer", Got: rd,
				Hint: "the registry's referrers list is corrupt"}
		}
		if seen[rd] {
			continue
		}
		seen[rd] = true
		source := img.store.where(rd)
		label := "referrer " + rd[:len("sha256:")+12]
		// A descriptor's artifactType decides, except when it is missing or
		// the empty config type, which some registries list in its place:
		// then the manifest says.
		at := d.ArtifactType
		if at == string(types.OCIEmptyJSON) {
			at = ""
		}
		if at != "" && !isBundleType(at) && at != vocab.ArtifactTypeCosignSig && at != vocab.InTotoPayloadType {
			continue
		}
		m, err := img.manifestFor(ctx, d)
		if err != nil {
			out = append(out, Evidence{Kind: EvidenceBundle, Subject: digest, Source: source, Label: label, Err: evidenceErr(err, "reading referrer")})
			continue
		}
		if at == "" {
			at = m.ArtifactType()
		}
		kind := EvidenceBundle
		switch {
		case isBundleType(at):
		case at == vocab.ArtifactTypeCosignSig:
			kind = EvidenceSignature
		case at == vocab.InTotoPayloadType:
			kind = EvidenceAttestation
		default:
			continue
		}
		if m.Image == nil {
			out = append(out, Evidence{Kind: kind, Subject: digest, Source: source, Label: label,
				Err: reason.New(reason.ManifestInvalid, "a referrer carrying evidence must be an image manifest", "referrer is an index")})
			continue
		}
		if sub := m.Subject(); sub == nil || sub.Digest.String() != digest {
			got := "(none)"
			if sub != nil {
				got = sub.Digest.String()
			}
			out = append(out, Evidence{Kind: kind, Subject: digest, Source: source, Label: label, Err: &reason.Error{Code: reason.SubjectMismatch,
				Msg: "referrer names another subject", Got: got, Want: digest, Hint: "the registry lists a referrer of another manifest"}})
			continue
		}
		if len(m.Image.Layers) > MaxEvidencePerSubject {
			return nil, &reason.Error{Code: reason.InputTooLarge, Msg: source + " has too many layers", Got: fmt.Sprint(len(m.Image.Layers)),
				Want: fmt.Sprintf("at most %d", MaxEvidencePerSubject), Hint: "the referrer is not a plausible signature"}
		}
		if kind != EvidenceBundle {
			out = append(out, img.layerEvidence(ctx, m, digest, source, label, kind)...)
			continue
		}
		out = append(out, img.bundleLayers(ctx, m, digest, source, label)...)
	}
	return out, nil
}

// bundleLayers reads the Sigstore bundle layers of a referrer.
func (img *Image) bundleLayers(ctx context.Context, m *manifest, digest, source, label string) []Evidence {
	var out []Evidence
	for i, l := range m.Image.Layers {
		if !isBundleType(string(l.MediaType)) {
			continue
		}
		e := Evidence{Kind: EvidenceBundle, Subject: digest, Source: source, Label: label}
		if len(m.Image.Layers) > 1 {
			e.Source, e.Label = fmt.Sprintf("%s layer %d", source, i), fmt.Sprintf("%s layer %d", label, i)
		}
		data, err := img.store.blob(ctx, l, MaxEvidenceSize)
		if err != nil {
			e.Err = evidenceErr(err, "reading bundle layer")
		} else {
			e.Bundle = data
		}
		out = append(out, e)
	}
	if len(out) == 0 {
		out = append(out, Evidence{Kind: EvidenceBundle, Subject: digest, Source: source, Label: label, Err: &reason.Error{Code: reason.MediaTypeUnknown,
			Msg: "bundle referrer has no bundle layer", Got: layerTypes(m.Image.Layers), Want: vocab.MediaTypeBundleV03,
			Hint: "the referrer claims to carry a Sigstore bundle but does not"}})
	}
	return out
}

func layerTypes(ls []v1.Descriptor) string {
	var s []string
	for _, l := range ls {
		s = append(s, string(l.MediaType))
	}
	if len(s) == 0 {
		return "no layers"
	}
	return fmt.Sprint(s)
}

// evidenceErr keeps a reason error and wraps anything else.
func evidenceErr(err error, what string) *reason.Error {
	if errors.Is(err, errNotFound) {
		return reason.Wrap(err, reason.ImageNotFound, "the signature image is incomplete in its source", "%s", what)
	}
	return reason.As(err, reason.SignatureMalformed, "the evidence could not be read")
}
