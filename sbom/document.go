package sbom

import (
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/sovcheck/sovcheck/internal/reason"
)

// Document is one SBOM read once: the component graph that assessments
// read, and the bytes a conformance profile is checked against. A caller
// that needs labels, a grade and a profile verdict for one SBOM (a file,
// or the predicate of a signed attestation) reads it once with
// ReadDocument, assesses Graph once with its Assessor and keeps the
// Report; Assess does not change the graph, so several assessors may read
// it.
type Document struct {
	Graph *Graph
	name  string
	data  []byte
	o     *options
}

// ReadDocument reads one SBOM or lockfile from r, as Read does, and keeps
// its bytes for CheckProfile.
func ReadDocument(r io.Reader, name string, opts ...Option) (*Document, error) {
	o, err := newOptions(opts)
	if err != nil {
		return nil, err
	}
	return readDocument(r, name, o)
}

// ReadDocumentFile reads the SBOM or lockfile at path, as ReadFile does,
// and keeps its bytes for CheckProfile.
func ReadDocumentFile(path string, opts ...Option) (*Document, error) {
	o, err := newOptions(opts)
	if err != nil {
		return nil, err
	}
	return readDocumentFile(path, path, o)
}

// CheckProfile checks the document against profile, as CheckProfile
// checks an SBOM it reads, without reading it again.
func (d *Document) CheckProfile(profile string) (*ProfileReport, error) {
	if err := checkProfileName(profile, d.name); err != nil {
		return nil, err
	}
	return checkProfileData(d.data, d.name, d.o)
}

func readDocument(r io.Reader, name string, o *options) (*Document, error) {
	data, err := readLimitedSized(r, -1, o.limits.MaxSBOMBytes, true, "SBOM "+quoteName(name), "split the SBOM or raise the size limit")
	if err != nil {
		return nil, err
	}
	return newDocument(data, nil, name, o)
}

func readDocumentFile(path, name string, o *options) (*Document, error) {
	data, err := readFileLimitedAs(path, o.limits.MaxSBOMBytes, true, "SBOM "+quoteName(name), "split the SBOM or raise the size limit")
	if err != nil {
		return nil, err
	}
	var sum []byte
	if filepath.Base(path) == "go.mod" {
		sumPath := filepath.Join(filepath.Dir(path), "go.sum")
		if _, statErr := os.Stat(sumPath); statErr == nil {
			sum, err = readFileLimited(sumPath, o.limits.MaxSBOMBytes, "go.sum beside "+quoteName(name), "check the go.sum file")
			if err != nil {
				return nil, err
			}
		}
	}
	return newDocument(data, sum, name, o)
}

// newDocument decodes data (with the go.sum beside a go.mod, if any) and
// keeps it.
func newDocument(data, goSum []byte, name string, o *options) (*Document, error) {
	g, err := decode(data, goSum, name, o)
	if err != nil {
		return nil, err
	}
	return &Document{Graph: g, name: name, data: data, o: o}, nil
}

// checkProfileName refuses a profile sovcheck does not know.
func checkProfileName(profile, name string) error {
	if !slices.Contains(Profiles, profile) {
		return reason.New(reason.SBOMConfigInvalid, "use --profile "+strings.Join(Profiles, ", "),
			"checking %s: unknown profile %q", quoteName(name), profile)
	}
	return nil
}
