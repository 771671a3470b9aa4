package policy

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/sovcheck/sovcheck/internal/reason"
	"github.com/sovcheck/sovcheck/internal/vocab"
)

// RuleVulnerabilityDataAge fails when the advisory data is older than
// vulnerabilities.maxDataAge and staleData is "fail".
const RuleVulnerabilityDataAge = "vulnerabilities.data-age"

// What stale advisory data does (vulnerabilities.staleData).
const (
	StaleDataFail       = "fail"
	StaleDataUnassessed = "unassessed"
)

// maxDataAgeLimit bounds vulnerabilities.maxDataAge (ten years).
const maxDataAgeLimit = 10 * 365 * 24 * time.Hour

// parseDataAge reads "30d", "12h" or any Go duration.
func parseDataAge(s string) (time.Duration, error) {
	if d, ok := strings.CutSuffix(s, "d"); ok {
		n, err := strconv.Atoi(d)
		if err != nil || n < 1 {
			return 0, fmt.Errorf("got %q, want a whole number of days such as 30d", s)
		}
		return time.Duration(n) * 24 * time.Hour, nil
	}
	dur, err := time.ParseDuration(s)
	if err != nil || dur <= 0 {
		return 0, fmt.Errorf("got %q, want a duration such as 30d or 72h", s)
	}
	return dur, nil
}

// vulnerabilityData validates unknownSeverity, maxDataAge and staleData.
func (v *validator) vulnerabilityData(vs *vulnerabilitySection) {
	if s := vs.UnknownSeverity; s != "" && !slices.Contains(vocab.Severities, s) {
		v.ps.at("vulnerabilities.unknownSeverity", "use critical, high (the default), medium, low, or unknown (a class of its own)", "unknown severity %q", s)
	}
	switch vs.StaleData {
	case "", StaleDataFail, StaleDataUnassessed:
	default:
		v.ps.at("vulnerabilities.staleData", "use fail (the default) or unassessed", "unknown value %q", vs.StaleData)
	}
	if vs.MaxDataAge == "" {
		if vs.StaleData != "" {
			v.ps.at("vulnerabilities.staleData", "give vulnerabilities.maxDataAge too", "staleData without maxDataAge")
		}
		return
	}
	d, err := parseDataAge(vs.MaxDataAge)
	if err == nil && d > maxDataAgeLimit {
		err = fmt.Errorf("got %s, want at most 3650d", vs.MaxDataAge)
	}
	if err != nil {
		v.ps.at("vulnerabilities.maxDataAge", "give the oldest advisory data accepted, e.g. 7d", "%v", err)
		return
	}
	if vs.StaleData != StaleDataUnassessed {
		v.p.ruleIDs[RuleVulnerabilityDataAge] = true
	}
}

// UnknownSeverity is how a vulnerability without a stated severity
// counts under this policy: high unless the policy says otherwise.
func (p *Policy) UnknownSeverity() string {
	if vs := p.doc.Vulnerabilities; vs != nil && vs.UnknownSeverity != "" {
		return vs.UnknownSeverity
	}
	return "high"
}

// MaxDataAge is the oldest advisory data the policy accepts (0: any) and
// what stale data does: StaleDataFail (the default) or
// StaleDataUnassessed.
func (p *Policy) MaxDataAge() (time.Duration, string) {
	vs := p.doc.Vulnerabilities
	if vs == nil || vs.MaxDataAge == "" {
		return 0, ""
	}
	d, err := parseDataAge(vs.MaxDataAge)
	if err != nil {
		return 0, ""
	}
	if vs.StaleData == "" {
		return d, StaleDataFail
	}
	return d, vs.StaleData
}

// countedSeverity is the severity a vulnerability counts as.
func (p *Policy) countedSeverity(s string) string {
	sev := normaliseSeverity(s)
	if sev == "unknown" {
		return p.UnknownSeverity()
	}
	return sev
}

// vulnerabilitiesUnassessed fails a vulnerability rule when the SBOM's
// components could not be matched against any advisory: no data is no
// evidence of no vulnerability.
func (ctx *evalContext) vulnerabilitiesUnassessed() *outcome {
	a := ctx.f.SBOM.Advisories
	total := max(a.Total, len(ctx.f.SBOM.Components))
	if !ctx.f.SBOM.Present || total == 0 || a.Assessed > 0 {
		return nil
	}
	return failed(reason.VulnDataMissing, fmt.Sprintf("no vulnerability assessed: 0 of %d components matched against advisory data", total),
		"give advisory data (OSV) that covers the product's ecosystems, pinned under data: in the policy",
		Evidence{Source: ctx.f.SBOM.Source, Field: "sbom.advisories", Detail: fmt.Sprintf("0 of %d assessed", total), Failed: true})
}

func (ctx *evalContext) vulnerabilityDataAge() *outcome {
	if o := ctx.withoutSBOM("judge the advisory data of"); o != nil {
		return o
	}
	maxAge, _ := ctx.p.MaxDataAge()
	asOf := ctx.f.SBOM.Advisories.AsOf
	ev := Evidence{Source: ctx.f.SBOM.Source, Field: "sbom.advisories.asOf", Detail: asOf, Failed: true}
	hint := "refresh the advisory data (a new OSV export) and pin it in the policy"
	if asOf == "" {
		ev.Detail = "none"
		return failed(reason.VulnDataStale, "the advisory data states no date: its age is unknown", hint, ev)
	}
	t, err := time.Parse(time.RFC3339, asOf)
	if err != nil {
		return failed(reason.VulnDataStale, fmt.Sprintf("the advisory data's date %q does not parse", asOf), hint, ev)
	}
	age := ctx.now.Sub(t)
	days := int(age.Hours() / 24)
	if age > maxAge {
		return failed(reason.VulnDataStale, fmt.Sprintf("advisory data as of %s is %d days old, older than %s", t.Format(time.DateOnly), days, ctx.p.doc.Vulnerabilities.MaxDataAge), hint, ev)
	}
	ev.Failed = false
	return passed(fmt.Sprintf("advisory data as of %s (%d days old, at most %s)", t.Format(time.DateOnly), days, ctx.p.doc.Vulnerabilities.MaxDataAge), ev)
}
