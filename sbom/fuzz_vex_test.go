package sbom

import (
	"math"
	"testing"
)

// FuzzCVSSVector scores any vector of any type: no panic, an error means
// no score, a score is 0 to 10 with a level.
func FuzzCVSSVector(f *testing.F) {
	f.Add("CVSS_V3", cvssCritical)
	f.Add("CVSS_V3", "CVSS:3.0/AV:N/AC:L/PR:N/UI:R/S:C/C:L/I:L/A:N")
	f.Add("CVSS_V2", "AV:N/AC:L/Au:N/C:P/I:P/A:P")
	f.Add("CVSS_V4", "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N")
	f.Add("CVSS_V4", "CVSS:4.0/AV:P/AC:H/AT:P/PR:H/UI:A/VC:L/VI:N/VA:N/SC:N/SI:N/SA:N/E:U")
	f.Fuzz(func(t *testing.T, typ, vector string) {
		score, level, err := ScoreCVSS(typ, vector)
		if err != nil {
			if score != 0 || level != "" {
				t.Fatalf("error %v with score %v level %q", err, score, level)
			}
			return
		}
		if math.IsNaN(score) || score < 0 || score > 10 {
			t.Fatalf("%s %q: score %v", typ, vector, score)
		}
		if _, ok := severityRank[level]; !ok || level == SeverityUnknown {
			t.Fatalf("%s %q: level %q", typ, vector, level)
		}
	})
}

func fuzzVEX(f *testing.F, seeds ...string) {
	for _, s := range seeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		v, err := parseVEX(data, "fuzz.json")
		if err != nil {
			if v != nil {
				t.Fatal("error with a document")
			}
			return
		}
		for _, s := range v.statements {
			if len(s.vulns) == 0 || len(s.products) == 0 || vexStatusRank[s.status] < 0 {
				t.Fatalf("statement without vulnerability or product: %+v", s)
			}
			if _, ok := vexStatusRank[s.status]; !ok {
				t.Fatalf("status %q", s.status)
			}
		}
	})
}

// FuzzOpenVEX, FuzzCycloneDXVEX and FuzzCSAFVEX feed each reader: no
// panic, an error means no document, every statement names a
// vulnerability, a product and a known status.
func FuzzOpenVEX(f *testing.F) { fuzzVEX(f, openVEXDoc) }

func FuzzCycloneDXVEX(f *testing.F) { fuzzVEX(f, cycloneDXVEXDoc) }

func FuzzCSAFVEX(f *testing.F) { fuzzVEX(f, csafVEXDoc) }
