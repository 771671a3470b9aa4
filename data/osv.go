package data

import (
	"archive/zip"
	"encoding/json"
	"fmt"
	"io"
	"path"
	"regexp"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/sovcheck/sovcheck/internal/reason"
	"github.com/sovcheck/sovcheck/sbom"
)

// osvAdvisory is the part of an OSV advisory (schema 1.x) that is kept.
type osvAdvisory struct {
	ID        string   `json:"id"`
	Modified  string   `json:"modified"`
	Withdrawn string   `json:"withdrawn"`
	Aliases   []string `json:"aliases"`
	Affected  []struct {
		Package struct {
			Ecosystem string `json:"ecosystem"`
			Name      string `json:"name"`
		} `json:"package"`
	} `json:"affected"`
}

// osvPurlTypes maps OSV ecosystems (without their release, "Debian:12"
// is Debian) to the purl prefix of package keys.
var osvPurlTypes = map[string]string{
	"Go": "pkg:golang/", "npm": "pkg:npm/", "PyPI": "pkg:pypi/", "crates.io": "pkg:cargo/",
	"Maven": "pkg:maven/", "RubyGems": "pkg:gem/", "NuGet": "pkg:nuget/", "Packagist": "pkg:composer/",
	"Debian": "pkg:deb/debian/", "Ubuntu": "pkg:deb/ubuntu/", "Alpine": "pkg:apk/alpine/", "Hex": "pkg:hex/", "Pub": "pkg:pub/",
}

var pypiRuns = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`[-_.]+`) })

// osvKey is the package key of an OSV package, "" for an ecosystem
// without a purl type here.
func osvKey(ecosystem, name string) string {
	eco, _, _ := strings.Cut(ecosystem, ":")
	prefix, ok := osvPurlTypes[eco]
	if !ok || name == "" {
		return ""
	}
	switch eco {
	case "PyPI": // PEP 503 names, as purls write them
		name = pypiRuns().ReplaceAllString(strings.ToLower(name), "-")
	case "Maven":
		name = strings.Replace(name, ":", "/", 1)
	}
	return prefix + name
}

// advisoryFilter maps OSV package keys to the snapshot's package keys:
// nil when the snapshot has no packages (every advisory is kept). Debian
// advisories name source packages: they map to every binary package of
// the snapshot built from that source.
func advisoryFilter(rd *sbom.RiskData) map[string][]string {
	if len(rd.Packages) == 0 {
		return nil
	}
	m := map[string][]string{}
	for _, p := range rd.Packages {
		m[p.Key] = append(m[p.Key], p.Key)
		if p.SourcePackage != "" && strings.HasPrefix(p.Key, "pkg:deb/") {
			k := p.Key[:strings.LastIndex(p.Key, "/")+1] + p.SourcePackage
			if k != p.Key {
				m[k] = append(m[k], p.Key)
			}
		}
	}
	return m
}

// readOSVZip reads the advisories of an OSV zip and keeps those that
// name a package of the filter (all, with a nil filter); each file is
// bounded, and so are their number and total size.
func readOSVZip(r io.ReaderAt, size int64, filter map[string][]string) (*imported, error) {
	zr, err := zip.NewReader(r, size)
	if err != nil {
		return nil, reason.Wrap(err, reason.RiskDataMalformed, "", "opening the zip")
	}
	if len(zr.File) > MaxImportRecords {
		return nil, tooMany("files in the zip", MaxImportRecords)
	}
	in := &imported{}
	var total int64
	for _, f := range zr.File {
		if f.FileInfo().IsDir() || path.Ext(f.Name) != ".json" {
			continue
		}
		if f.UncompressedSize64 > MaxImportRecordBytes {
			return nil, tooMany(fmt.Sprintf("bytes in advisory %s", f.Name), MaxImportRecordBytes)
		}
		rc, err := f.Open()
		if err != nil {
			return nil, reason.Wrap(err, reason.RiskDataMalformed, "", "opening %s in the zip", f.Name)
		}
		b, err := readBounded(rc, MaxImportRecordBytes, f.Name)
		rc.Close()
		if err != nil {
			return nil, err
		}
		if total += int64(len(b)); total > MaxOSVTotalBytes {
			return nil, tooMany("uncompressed bytes in the zip", MaxOSVTotalBytes)
		}
		a, err := osvFact(b, f.Name, filter)
		if err != nil {
			return nil, err
		}
		in.records++
		if a == nil {
			continue
		}
		if t, _ := time.Parse(time.RFC3339, a.Modified); t.After(in.asOf) {
			in.asOf = t
		}
		in.advisories = append(in.advisories, *a)
	}
	if in.records == 0 {
		return nil, reason.New(reason.RiskDataMalformed, "", "no OSV advisory (*.json) in the zip")
	}
	return in, nil
}

// osvFact reads one advisory; nil when it names no package of the
// filter.
func osvFact(b []byte, name string, filter map[string][]string) (*sbom.AdvisoryFact, error) {
	var a osvAdvisory
	if err := json.Unmarshal(b, &a); err != nil {
		return nil, reason.Wrap(err, reason.RiskDataMalformed, "", "decoding advisory %s", name)
	}
	if a.ID == "" {
		return nil, reason.New(reason.RiskDataMalformed, "", "advisory %s has no id", name)
	}
	if _, err := time.Parse(time.RFC3339, a.Modified); err != nil {
		return nil, reason.Mismatch(reason.RiskDataMalformed, "", "advisory "+a.ID+" modified", a.Modified, "an RFC 3339 time")
	}
	var keys []string
	for _, af := range a.Affected {
		k := osvKey(af.Package.Ecosystem, af.Package.Name)
		switch {
		case k == "":
		case filter == nil:
			keys = append(keys, k)
		default:
			keys = append(keys, filter[k]...)
		}
	}
	if len(keys) == 0 {
		return nil, nil
	}
	slices.Sort(keys)
	return &sbom.AdvisoryFact{ID: a.ID, Record: "#" + name, Modified: a.Modified, Aliases: a.Aliases,
		Packages: slices.Compact(keys), Withdrawn: a.Withdrawn}, nil
}
