package wasm

import (
	"bytes"
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"slices"
	"strings"

	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"
	"golang.org/x/mod/semver"

	"github.com/sovcheck/sovcheck/internal/boundedio"
	"github.com/sovcheck/sovcheck/internal/reason"
)

// Kind tells a core module from a component.
type Kind string

// Kinds of WebAssembly binaries.
const (
	KindCoreModule Kind = "core-module"
	KindComponent  Kind = "component"
)

// Import is one function or instance a binary imports, with the
// capability it maps to.
type Import struct {
	// Module is the import's module name (core modules); empty for
	// components.
	Module string `json:"module,omitempty"`
	// Name is the function name (core modules) or the full import name
	// (components, e.g. "wasi:filesystem/types@0.2.0").
	Name string `json:"name"`
	// Interface and Version split a component import name.
	Interface  string     `json:"interface,omitempty"`
	Version    string     `json:"version,omitempty"`
	Capability Capability `json:"capability"`
}

// Module is what sovcheck read from one .wasm file.
type Module struct {
	Kind   Kind   `json:"kind"`
	SHA256 string `json:"sha256"`
	Size   int64  `json:"size"`
	// WASI is "preview1" for core modules importing WASI preview 1, the
	// highest version of the wasi:* interfaces a component imports
	// ("0.2.3"), and
	// empty when the binary imports no WASI.
	WASI string `json:"wasi,omitempty"`
	// Imports are sorted by module, then name.
	Imports []Import `json:"imports"`
	// Capabilities is the set of the imports' capabilities, in the order
	// of Capabilities.
	Capabilities []Capability `json:"capabilities"`
}

// AmbientCapabilities returns the capabilities of m that give ambient
// authority, in report order.
func (m *Module) AmbientCapabilities() []Capability {
	var out []Capability
	for _, c := range m.Capabilities {
		if c.Ambient() {
			out = append(out, c)
		}
	}
	return out
}

// Limits bounds what Read accepts.
type Limits struct {
	// MaxBytes is the largest .wasm file read.
	MaxBytes int64
	// MaxImports is the most imports one binary may declare.
	MaxImports int
	// MaxSections is the most top-level sections of a component.
	MaxSections int
	// MaxNameBytes is the longest import name.
	MaxNameBytes int
}

// DefaultLimits admit the largest real modules (a Go or .NET program with
// its runtime is tens of MiB) with room to spare.
func DefaultLimits() Limits {
	return Limits{MaxBytes: 256 << 20, MaxImports: 100_000, MaxSections: 100_000, MaxNameBytes: 4096}
}

// Option configures Read.
type Option func(*options) error

type options struct {
	limits Limits
	logger *slog.Logger
}

// WithLimits replaces the default limits; every limit must be positive.
func WithLimits(l Limits) Option {
	return func(o *options) error {
		if l.MaxBytes <= 0 || l.MaxImports <= 0 || l.MaxSections <= 0 || l.MaxNameBytes <= 0 {
			return errors.New("wasm limits must be positive")
		}
		o.limits = l
		return nil
	}
}

// WithLogger logs what Read does; the default discards.
func WithLogger(l *slog.Logger) Option {
	return func(o *options) error {
		if l == nil {
			return errors.New("nil logger")
		}
		o.logger = l
		return nil
	}
}

func newOptions(opts []Option) (*options, error) {
	o := &options{limits: DefaultLimits(), logger: slog.New(slog.DiscardHandler)}
	for _, opt := range opts {
		if err := opt(o); err != nil {
			return nil, err
		}
	}
	return o, nil
}

const hintMalformed = "the file is not a valid WebAssembly module or component; rebuild it, or check that it was not truncated or altered"

var magic = []byte{0x00, 'a', 's', 'm'}

// Read reads a WebAssembly core module or component and maps its imports
// to capabilities. Core modules are decoded and validated by wazero;
// components are walked section by section and only their top-level
// imports are read, since imports of nested modules are satisfied inside
// the component. name is how the user named the input, for messages.
func Read(ctx context.Context, r io.Reader, name string, opts ...Option) (*Module, error) {
	o, err := newOptions(opts)
	if err != nil {
		return nil, err
	}
	data, err := boundedio.ReadAll(r, o.limits.MaxBytes)
	switch {
	case reason.CodeOf(err, "") == reason.InputTooLarge:
		return nil, tooLarge(name, o.limits.MaxBytes)
	case err != nil:
		return nil, reason.Wrap(err, reason.InputUnreadable, "check that the file is readable", "reading %s", name)
	}
	return parse(ctx, data, name, o)
}

// ReadFile reads the .wasm file at path.
func ReadFile(ctx context.Context, path string, opts ...Option) (*Module, error) {
	o, err := newOptions(opts)
	if err != nil {
		return nil, err
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, reason.Wrap(err, reason.InputUnreadable, "check the path and its permissions", "opening %s", path)
	}
	defer f.Close()
	if st, err := f.Stat(); err == nil {
		if st.IsDir() {
			return nil, reason.New(reason.InputUnreadable, "give a .wasm file, not a directory", "reading %s: is a directory", path)
		}
		if st.Mode().IsRegular() && st.Size() > o.limits.MaxBytes {
			return nil, tooLarge(path, o.limits.MaxBytes)
		}
	}
	return Read(ctx, f, path, opts...)
}

func tooLarge(name string, limit int64) *reason.Error {
	return &reason.Error{Code: reason.InputTooLarge, Msg: "reading " + name + ": module exceeds the size limit",
		Got: fmt.Sprintf("more than %d bytes", limit), Want: fmt.Sprintf("at most %d bytes", limit),
		Hint: "a module this large is refused to protect the run; raise the limit only for a module you trust to be this size"}
}

func malformed(err error, format string, args ...any) *reason.Error {
	return reason.Wrap(err, reason.WasmMalformed, hintMalformed, format, args...)
}

func parse(ctx context.Context, data []byte, name string, o *options) (*Module, error) {
	if len(data) < 8 || !bytes.Equal(data[:4], magic) {
		return nil, malformed(nil, "reading %s: no WebAssembly header (\\0asm)", name)
	}
	sum := sha256.Sum256(data)
	m := &Module{SHA256: hex.EncodeToString(sum[:]), Size: int64(len(data))}
	version, layer := uint16(data[4])|uint16(data[5])<<8, uint16(data[6])|uint16(data[7])<<8
	var err error
	switch {
	case layer == 0 && version == 1:
		m.Kind = KindCoreModule
		m.Imports, err = coreImports(ctx, data, name, o)
	case layer == 1 && version == componentVersion:
		m.Kind = KindComponent
		m.Imports, err = componentImports(data, name, o.limits)
	default:
		return nil, reason.Mismatch(reason.WasmVersionUnsupported,
			"sovcheck reads core modules (version 1) and components (layer 1, version 0x0d, as wasm-tools writes them today); rebuild the component with a current toolchain",
			"reading "+name+": unsupported WebAssembly version", fmt.Sprintf("version 0x%x layer %d", version, layer), "version 1 layer 0, or version 0x0d layer 1")
	}
	if err != nil {
		return nil, err
	}
	o.logger.Debug("read wasm", "name", name, "kind", m.Kind, "imports", len(m.Imports))
	m.finish()
	return m, nil
}

// finish sorts the imports and derives the capability set and WASI level.
func (m *Module) finish() {
	slices.SortFunc(m.Imports, func(a, b Import) int {
		return cmp.Or(cmp.Compare(a.Module, b.Module), cmp.Compare(a.Name, b.Name))
	})
	m.Imports = slices.Compact(m.Imports)
	seen := map[Capability]bool{}
	for _, im := range m.Imports {
		seen[im.Capability] = true
		switch {
		case preview1Modules[im.Module]:
			m.WASI = "preview1"
		case strings.HasPrefix(im.Interface, "wasi:") && semver.IsValid("v"+im.Version):
			if m.WASI == "" || semver.Compare("v"+im.Version, "v"+m.WASI) > 0 {
				m.WASI = im.Version
			}
		}
	}
	m.Capabilities = []Capability{}
	for _, c := range Capabilities {
		if seen[c] {
			m.Capabilities = append(m.Capabilities, c)
		}
	}
	if m.Imports == nil {
		m.Imports = []Import{}
	}
}

// coreFeatures are the core specification features a module may use:
// WebAssembly 2.0, which toolchains emit by default today.
const coreFeatures = api.CoreFeaturesV2

// coreImports decodes and validates a core module with wazero and returns
// its function imports. Imported memories, tables and globals carry no
// authority of their own and are not listed.
func coreImports(ctx context.Context, data []byte, name string, o *options) ([]Import, error) {
	rt := wazero.NewRuntimeWithConfig(ctx, wazero.NewRuntimeConfigInterpreter().WithCoreFeatures(coreFeatures))
	defer rt.Close(ctx)
	cm, err := rt.CompileModule(ctx, data)
	if err != nil {
		return nil, malformed(err, "decoding %s", name)
	}
	defer cm.Close(ctx)
	fns := cm.ImportedFunctions()
	if len(fns) > o.limits.MaxImports {
		return nil, &reason.Error{Code: reason.InputTooLarge, Msg: "reading " + name + ": too many imports",
			Got: fmt.Sprint(len(fns)), Want: fmt.Sprintf("at most %d", o.limits.MaxImports), Hint: hintMalformed}
	}
	out := make([]Import, 0, len(fns))
	for _, fn := range fns {
		mod, fname, _ := fn.Import()
		out = append(out, Import{Module: mod, Name: fname, Capability: preview1Capability(mod, fname)})
	}
	return out, nil
}
