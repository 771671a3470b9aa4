package verify

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"github.com/sovcheck/sovcheck/internal/boundedio"
	"github.com/sovcheck/sovcheck/internal/reason"
	"github.com/sovcheck/sovcheck/policy"
	"github.com/sovcheck/sovcheck/sbom"
)

// LoadPolicy reads a policy file, or the embedded default for
// DefaultPolicy, and the data files it pins (paths relative to the policy
// file), each checked against its sha256. A certification list is
// handed to the policy; a trust registry, advisories (a zip file) and a
// KEV catalogue are read for the SBOM assessment, at now and logging to
// logger (nil: discard). Problems with the policy or a pin are a
// *policy.FileError with line and column.
func LoadPolicy(path string, now time.Time, logger *slog.Logger) (*policy.Policy, sbom.Data, error) {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	opts := []sbom.Option{sbom.WithLogger(logger), sbom.WithClock(func() time.Time { return now })}
	if path == DefaultPolicy {
		p, err := policy.Default(now)
		return p, sbom.Data{}, err
	}
	// One byte over the limit, so that Load reports an oversized policy.
	data, err := readUpTo(path, policy.MaxPolicyBytes+1)
	if err != nil {
		return nil, sbom.Data{}, reason.Wrap(err, reason.InputUnreadable, "check the policy path", "reading policy")
	}
	p, err := policy.Load(data, path, now)
	if err != nil {
		return nil, sbom.Data{}, err
	}
	var d sbom.Data
	limits := sbom.DefaultLimits()
	for _, df := range p.DataFiles() {
		file := df.Path
		if !filepath.IsAbs(file) {
			file = filepath.Join(filepath.Dir(path), file)
		}
		unreadable := func(err error) error {
			return &policy.FileError{Name: path, Problems: []policy.Problem{{Pos: df.Pos, Code: reason.InputUnreadable,
				Path: "data[" + df.Name + "]", Msg: fmt.Sprintf("reading data file %s: %v", df.Name, err),
				Hint: "put the file at its path, relative to the policy file, or fix the path in the policy"}}}
		}
		if df.Kind == policy.DataAdvisories {
			// OSV databases can be large: hashed while streaming, then
			// read by package sbom.
			sum, err := hashRegularFile(file)
			if err != nil {
				return nil, sbom.Data{}, unreadable(err)
			}
			if err := p.CheckDataDigest(df.Name, sum); err != nil {
				return nil, sbom.Data{}, err
			}
			if d.Advisories, err = sbom.LoadAdvisories(file, opts...); err != nil {
				return nil, sbom.Data{}, err
			}
			continue
		}
		limit := limits.MaxDataFileBytes
		switch df.Kind {
		case policy.DataCertifications:
			limit = policy.MaxDataListBytes
		case policy.DataRiskData:
			limit = limits.MaxRiskDataBytes
		}
		content, err := readFile(file, limit)
		if reason.CodeOf(err, "") == reason.InputTooLarge {
			err = fmt.Errorf("larger than %d bytes", limit)
		}
		if err != nil {
			return nil, sbom.Data{}, unreadable(err)
		}
		if p, err = p.WithData(df.Name, content); err != nil {
			return nil, sbom.Data{}, err
		}
		switch df.Kind {
		case policy.DataTrustRegistry:
			d.Registry, err = sbom.ReadRegistry(bytes.NewReader(content), file, opts...)
		case policy.DataKEV:
			d.KEV, err = sbom.ReadKEV(bytes.NewReader(content), file, opts...)
		case policy.DataVEX:
			var v *sbom.VEX
			if v, err = sbom.ReadVEX(bytes.NewReader(content), file, opts...); err == nil {
				d.VEX = append(d.VEX, v.Trust("pinned by sha256 in the policy"))
			}
		case policy.DataRiskData:
			d.Risk, err = readRiskData(path, df, content, file, now, opts)
		}
		if err != nil {
			return nil, sbom.Data{}, err
		}
	}
	if p, err = loadTrustFiles(path, p); err != nil {
		return nil, sbom.Data{}, err
	}
	return p, d, nil
}

// readFile reads a file of at most limit bytes (boundedio.ReadAll).
func readFile(path string, limit int64) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return boundedio.ReadAll(f, limit)
}

// readUpTo reads the first n bytes of a file, for a parser that reports an
// oversized input itself, in its own terms (a policy with its position, a
// VSA with its size), when handed one byte over its limit.
func readUpTo(path string, n int64) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return io.ReadAll(io.LimitReader(f, n))
}

func hashRegularFile(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return "", err
	}
	if !fi.Mode().IsRegular() {
		return "", fmt.Errorf("%s is not a regular file: a pinned data file is one file (an OSV database as a zip)", path)
	}
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// PolicyTemplate is the commented starting point of a policy file
// (`sovcheck policy init`).
func PolicyTemplate() []byte { return policy.InitTemplate() }

// DefaultPolicySource is the embedded default policy that DefaultPolicy
// selects (`sovcheck policy show-default`).
func DefaultPolicySource() []byte { return policy.DefaultSource() }

// PolicyProblems returns the problems of a policy file error (from
// LoadPolicy), each as a *reason.Error whose message names the file, line
// and column; nil when err is not about a policy file.
func PolicyProblems(err error) []*reason.Error {
	var fe *policy.FileError
	if !errors.As(err, &fe) {
		return nil
	}
	out := make([]*reason.Error, len(fe.Problems))
	for i, p := range fe.Problems {
		out[i] = &reason.Error{Code: p.Code, Msg: fe.Format(p), Hint: p.Hint}
	}
	return out
}
