package sbom

import (
	"context"
	"io"
	"log/slog"
	"time"

	"github.com/sovcheck/sovcheck/internal/reason"
)

// Option configures readers, loaders and the Assessor.
type Option func(*options) error

type options struct {
	logger *slog.Logger
	limits Limits
	now    func() time.Time
	// scoring and data configure an Assessor (WithScoring, WithData).
	scoring *Config
	data    Data
}

func newOptions(opts []Option) (*options, error) {
	o := &options{
		logger: slog.New(slog.DiscardHandler),
		limits: DefaultLimits(),
		now:    time.Now,
	}
	for _, opt := range opts {
		if opt == nil {
			continue
		}
		if err := opt(o); err != nil {
			return nil, err
		}
	}
	return o, nil
}

// WithLogger sends diagnostics (format decisions, tolerated deviations) to
// l. The default discards them.
func WithLogger(l *slog.Logger) Option {
	return func(o *options) error {
		if l == nil {
			return reason.New(reason.SBOMConfigInvalid, "pass a logger, or omit WithLogger", "configuring sbom: nil logger")
		}
		o.logger = l
		return nil
	}
}

// WithLimits replaces the default size and count limits.
func WithLimits(l Limits) Option {
	return func(o *options) error {
		if err := l.validate(); err != nil {
			return err
		}
		o.limits = l
		return nil
	}
}

// WithClock sets the clock used to judge "abandoned" and certificate
// validity. Reports are deterministic for a fixed clock.
func WithClock(now func() time.Time) Option {
	return func(o *options) error {
		if now == nil {
			return reason.New(reason.SBOMConfigInvalid, "pass a clock function, or omit WithClock", "configuring sbom: nil clock")
		}
		o.now = now
		return nil
	}
}

// Read sniffs and decodes one SBOM or lockfile from r. name is the input's
// name as the user gave it; it appears in reports and decides between the
// text formats (go.mod, go.sum). Content wins over a misleading name.
func Read(r io.Reader, name string, opts ...Option) (*Graph, error) {
	o, err := newOptions(opts)
	if err != nil {
		return nil, err
	}
	d, err := readDocument(r, name, o)
	if err != nil {
		return nil, err
	}
	return d.Graph, nil
}

// ReadFile reads the SBOM or lockfile at path. For a go.mod it also reads
// the go.sum beside it, when there is one, for module hashes.
func ReadFile(path string, opts ...Option) (*Graph, error) {
	o, err := newOptions(opts)
	if err != nil {
		return nil, err
	}
	return readFile(path, path, o)
}

func readFile(path, name string, o *options) (*Graph, error) {
	d, err := readDocumentFile(path, name, o)
	if err != nil {
		return nil, err
	}
	return d.Graph, nil
}

// ReadGoModule reads a go.mod and, when goSum is not nil, its go.sum.
func ReadGoModule(goMod, goSum []byte, name string, opts ...Option) (*Graph, error) {
	o, err := newOptions(opts)
	if err != nil {
		return nil, err
	}
	if int64(len(goMod)) > o.limits.MaxSBOMBytes || int64(len(goSum)) > o.limits.MaxSBOMBytes {
		return nil, tooLarge("go module files", int64(max(len(goMod), len(goSum))), o.limits.MaxSBOMBytes, "check the go.mod and go.sum files")
	}
	return readGoMod(goMod, goSum, name, o)
}

func decode(data, goSum []byte, name string, o *options) (*Graph, error) {
	s, err := Sniff(data, name)
	if err != nil {
		return nil, err
	}
	if misnamed(s) {
		o.logger.LogAttrs(context.Background(), slog.LevelWarn, "file name and content disagree; reading by content",
			slog.String("input", name), slog.String("named", string(s.NamedAs)), slog.String("content", string(s.Format)))
	}
	if err := checkBudget(data, s.Format, name, o.limits); err != nil {
		return nil, err
	}
	var g *Graph
	switch s.Format {
	case FormatCycloneDXJSON, FormatCycloneDXXML:
		g, err = readCycloneDX(data, s, name, o)
	case FormatSPDXJSON:
		g, err = readSPDX(data, s, name, o)
	case FormatSPDXTagValue:
		g, err = readSPDXTagValue(data, s, name, o)
	case FormatSPDX3JSON:
		g, err = readSPDX3(data, s, name, o)
	case FormatGoMod:
		g, err = readGoMod(data, goSum, name, o)
	case FormatGoSum:
		g, err = readGoSum(data, name, o)
	case FormatNPMLock:
		g, err = readNPMLock(data, s, name, o)
	default:
		return nil, reason.New(reason.SBOMFormatUnknown, hintFormatUnknown, "reading %s: format %q has no reader", quoteName(name), s.Format)
	}
	if err != nil {
		return nil, err
	}
	if misnamed(s) {
		g.Warnings = append(g.Warnings, "the file is named like "+s.NamedAs.Title()+" but holds "+s.Format.Title()+"; read by content")
	}
	return g, nil
}

// misnamed reports whether the file name promises another format than the
// content holds. SPDX 3 generators use the .spdx.json suffix of SPDX 2
// JSON, so that pair is not a contradiction.
func misnamed(s Sniffed) bool {
	if s.NamedAs == FormatSPDXJSON && s.Format == FormatSPDX3JSON {
		return false
	}
	return s.NamedAs != "" && s.NamedAs != s.Format
}
