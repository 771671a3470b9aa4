package sbom

import (
	"fmt"
	"math"
	"path"
	"slices"
	"strings"
	"time"

	"github.com/sovcheck/sovcheck/internal/vocab"
)

// Native-code and binary markers.
var (
	nativeExtensions = []string{".so", ".dll", ".dylib", ".exe", ".bin", ".a", ".o", ".ko", ".elf", ".sys", ".node"}
	binaryKinds      = map[string]bool{"file": true, "firmware": true, "device-driver": true, "install": true, "archive": true}
	binaryMIME       = map[string]bool{"application/octet-stream": true, "application/x-executable": true, "application/x-sharedlib": true,
		"application/x-elf": true, "application/x-msdownload": true, "application/x-mach-binary": true}
	nativePURLTypes = map[string]bool{"deb": true, "rpm": true, "apk": true, "alpm": true, "conan": true, "cargo": true,
		"golang": true, "cocoapods": true, "swift": true}
	nativeKinds = map[string]bool{"firmware": true, "device-driver": true, "operating-system": true}
)

func hasNativeExt(name string) (string, bool) {
	ext := strings.ToLower(path.Ext(name))
	if slices.Contains(nativeExtensions, ext) {
		return ext, true
	}
	if strings.Contains(strings.ToLower(name), ".so.") {
		return ".so", true
	}
	return "", false
}

func isWasm(c *Component) bool {
	return strings.EqualFold(c.MIMEType, "application/wasm") ||
		strings.HasSuffix(strings.ToLower(c.Name), ".wasm") || strings.HasSuffix(strings.ToLower(c.FileName), ".wasm")
}

func (x *ruleCtx) identity() {
	c, f := x.c, x.g.Format
	p, purlOK := parsePURL(c.PURL)
	if rule, detail := placeholderOf(c); rule != "" {
		x.fire(vocab.LabelUnidentifiable, rule, fieldOf(f, c, "name"), "", detail)
	} else if !purlOK && c.CPE == "" && c.SWID == "" && len(c.Hashes) == 0 {
		detail := "no purl, CPE, SWID tag or hash: the component can only be named, not looked up"
		if c.PURL != "" {
			detail = fmt.Sprintf("purl %q does not parse, and there is no CPE, SWID tag or hash", c.PURL)
		}
		x.fire(vocab.LabelUnidentifiable, "identity/no-identifier", c.Location, "", detail)
	}
	strong := false
	var algs []string
	for _, h := range c.Hashes {
		if strongHash(h.Algorithm) {
			strong = true
		}
		algs = append(algs, h.Algorithm)
	}
	if !strong {
		detail := "no hash of the artifact"
		if len(algs) > 0 {
			detail = "only weak hashes: " + strings.Join(algs, ", ")
		}
		x.fire(vocab.LabelUnverifiableArtifact, "identity/no-strong-hash", fieldOf(f, c, "hashes"), "", detail+"; SHA-256 or stronger is needed")
	}
	binary, why := false, ""
	switch {
	case binaryKinds[c.Kind]:
		binary, why = true, "component type "+c.Kind
	case binaryMIME[strings.ToLower(c.MIMEType)]:
		binary, why = true, "MIME type "+c.MIMEType
	default:
		for _, n := range []string{c.Name, c.FileName} {
			if ext, ok := hasNativeExt(n); ok {
				binary, why = true, "file name ends in "+ext
				break
			}
		}
	}
	if binary && !isWasm(c) {
		traced := c.VCS != "" || (purlOK && p.Type != "generic")
		for _, h := range c.UpstreamHints {
			if h.Rule != "purl" && h.Rule != "purl-os-package-name" {
				traced = true
			}
		}
		if !traced {
			x.fire(vocab.LabelOpaqueBinary, "identity/binary-without-source", fieldOf(f, c, "kind"), "",
				why+", and no source repository, package purl, pedigree or source package traces it to source")
		}
	}
	if c.Supplier == "" && len(c.Authors) == 0 {
		if _, _, ok := x.a.stewardOf(c, x.r.Upstream); !ok {
			x.fire(vocab.LabelUnknownProducer, "identity/no-supplier", fieldOf(f, c, "supplier"), "",
				"no supplier, manufacturer, publisher or author in the SBOM, and no steward in the trust registry")
		}
	}
	if len(c.Licences) == 0 {
		x.fire(vocab.LabelUnknownLicence, "identity/no-licence", fieldOf(f, c, "licences"), "", "no licence, or NOASSERTION")
	}
	switch {
	case !x.g.Dependencies:
		x.fire(vocab.LabelGraphIncomplete, "identity/no-graph", x.g.Source, "", "the SBOM declares no dependency relationships at all")
	case !c.DependenciesKnown:
		x.fire(vocab.LabelGraphIncomplete, "identity/no-dependency-entry", c.Location, "", "the SBOM does not state this component's dependencies")
	}
}

func (x *ruleCtx) provenance() {
	c := x.c
	if c.Modified {
		x.fire(vocab.LabelLocallyModified, "provenance/modified", c.ModifiedBy, "", "the SBOM records patches or a replacement relative to the upstream release")
	}
	labels := []Label{vocab.LabelNoProvenance, vocab.LabelUnsigned, vocab.LabelNotReproducible}
	if x.a.data.Facts == nil {
		x.unknown("no verify/rebuild facts given", labels...)
		return
	}
	fact, idx, ok := x.a.data.Facts.lookup(c)
	if !ok {
		x.unknown("no verify/rebuild facts for this component", labels...)
		return
	}
	record := func(field string) string {
		return fmt.Sprintf("%s#/components/%d/%s", x.a.data.Facts.source, idx, field)
	}
	ev := ""
	if fact.Evidence != "" {
		ev = " (" + fact.Evidence + ")"
	}
	check := func(v *bool, l Label, field, detail string) {
		switch {
		case v == nil:
			x.unknown("facts do not say "+field, l)
		case !*v:
			x.fire(l, "provenance/"+field+"-false", "", record(field), detail+ev)
		}
	}
	check(fact.Provenance, vocab.LabelNoProvenance, "provenance", "no verified provenance attestation")
	check(fact.Signed, vocab.LabelUnsigned, "signed", "no valid signature")
	check(fact.Reproducible, vocab.LabelNotReproducible, "reproducible", "the rebuild did not reproduce the artifact")
}

// stewardOf finds the trust registry steward of a component: by its
// upstream id, then by each upstream hint.
func (a *Assessor) stewardOf(c *Component, upstream string) (*Steward, int, bool) {
	reg := a.data.Registry
	if reg == nil {
		return nil, -1, false
	}
	if s, i, ok := reg.steward(upstream); ok {
		return s, i, true
	}
	for _, h := range c.UpstreamHints {
		if s, i, ok := reg.steward(h.Key); ok {
			return s, i, true
		}
		if alias, ok := sourceAliases[h.Key]; ok {
			if s, i, ok := reg.steward(alias); ok {
				return s, i, true
			}
		}
	}
	return nil, -1, false
}

// stewardship applies the registry's steward record. It returns the party
// (steward, else registered supplier) whose jurisdiction and certification
// count, and that party's record.
func (x *ruleCtx) stewardship(up resolvedUpstream) (*Party, string) {
	labels := []Label{vocab.LabelSingleMaintainer, vocab.LabelAnonymousMaintainer, vocab.LabelAbandoned, vocab.LabelUncertifiedSteward}
	if _, _, known := x.a.stewardOf(x.c, up.ID); !known && x.riskDataStewardship() {
		return nil, ""
	}
	reg := x.a.data.Registry
	if reg == nil {
		x.unknown("no trust registry given", labels...)
		return nil, ""
	}
	s, si, ok := x.a.stewardOf(x.c, up.ID)
	var party *Party
	var partyRecord string
	if ok {
		party, partyRecord = &s.Party, fmt.Sprintf("%s#/stewards/%d", reg.source, si)
	} else if sup, spi, ok := reg.supplier(x.c.Supplier); ok {
		party, partyRecord = &sup.Party, fmt.Sprintf("%s#/suppliers/%d", reg.source, spi)
	}
	if party != nil {
		x.r.Jurisdiction = party.Jurisdiction
	}
	if !ok {
		x.unknown("upstream not in the trust registry", vocab.LabelSingleMaintainer, vocab.LabelAnonymousMaintainer, vocab.LabelAbandoned)
		if party == nil {
			x.unknown("upstream not in the trust registry", vocab.LabelUncertifiedSteward)
			return nil, ""
		}
	} else {
		rec := func(f string) string { return fmt.Sprintf("%s#/stewards/%d/%s", reg.source, si, f) }
		x.r.Steward = &StewardInfo{Name: s.Name, Record: fmt.Sprintf("%s#/stewards/%d", reg.source, si),
			Jurisdiction: s.Jurisdiction, Maintainers: s.Maintainers, LastRelease: s.LastRelease, Funding: s.Funding}
		switch {
		case s.Maintainers == nil:
			x.unknown("registry gives no maintainer count", vocab.LabelSingleMaintainer)
		case *s.Maintainers <= 1:
			x.fire(vocab.LabelSingleMaintainer, "stewardship/maintainers-at-most-1", "", rec("maintainers"),
				fmt.Sprintf("%s has %d maintainer(s) with release rights%s", s.Name, *s.Maintainers, fundingNote(s.Funding)))
		}
		switch {
		case s.AnonymousMaintainers == nil:
			x.unknown("registry gives no anonymous-maintainer count", vocab.LabelAnonymousMaintainer)
		case *s.AnonymousMaintainers > 0:
			x.fire(vocab.LabelAnonymousMaintainer, "stewardship/anonymous-maintainers", "", rec("anonymousMaintainers"),
				fmt.Sprintf("%d maintainer(s) of %s are not identified", *s.AnonymousMaintainers, s.Name))
		}
		switch {
		case s.lastRelease.IsZero():
			x.unknown("registry gives no last release date", vocab.LabelAbandoned)
		default:
			age := int(x.a.now.Sub(s.lastRelease).Hours() / 24)
			if age > x.a.cfg.AbandonedAfterDays {
				x.fire(vocab.LabelAbandoned, "stewardship/no-release", "", rec("lastRelease"),
					fmt.Sprintf("last release %s, %d days before %s (limit %d days)", s.LastRelease, age, x.a.now.Format(time.DateOnly), x.a.cfg.AbandonedAfterDays))
			}
		}
	}
	if _, certified := party.certifiedAt(x.a.now); !certified {
		who := "the supplier"
		if ok {
			who = s.Name
		}
		x.fire(vocab.LabelUncertifiedSteward, "stewardship/no-valid-certification", "", partyRecord+"/certifications",
			fmt.Sprintf("%s holds no certification valid on %s", who, x.a.now.Format(time.DateOnly)))
	}
	return party, partyRecord
}

func fundingNote(f string) string {
	if f == "" {
		return ""
	}
	return ", funding: " + f
}

func (x *ruleCtx) sovereignty(party *Party, partyRecord string) {
	c := x.c
	allowed := x.a.cfg.AllowedJurisdictions
	switch {
	case len(allowed) == 0:
		x.unknown("no allowed jurisdictions configured", vocab.LabelForeignSingleSource)
	case party == nil:
		if x.a.data.Registry == nil {
			x.unknown("no trust registry given", vocab.LabelForeignSingleSource)
		} else {
			x.unknown("upstream not in the trust registry", vocab.LabelForeignSingleSource)
		}
	case party.Jurisdiction == "":
		x.unknown("registry gives no jurisdiction", vocab.LabelForeignSingleSource)
	case !slices.Contains(allowed, party.Jurisdiction) && len(party.Alternatives) == 0:
		x.fire(vocab.LabelForeignSingleSource, "sovereignty/foreign-no-alternative", "", partyRecord+"/jurisdiction",
			fmt.Sprintf("jurisdiction %s is outside %s and the registry lists no alternative", party.Jurisdiction, strings.Join(allowed, ",")))
	}
	if x.wasmCapabilities() {
		return
	}
	p, purlOK := parsePURL(c.PURL)
	switch {
	case c.InstallScript:
		x.fire(vocab.LabelUnsandboxedNative, "sovereignty/install-script", c.Location+"/hasInstallScript", "", "the package runs its own scripts at install time")
	case nativeKinds[c.Kind]:
		x.fire(vocab.LabelUnsandboxedNative, "sovereignty/native-kind", fieldOf(x.g.Format, c, "kind"), "", "component type "+c.Kind+" runs as native code")
	case purlOK && nativePURLTypes[p.Type]:
		x.fire(vocab.LabelUnsandboxedNative, "sovereignty/native-ecosystem", fieldOf(x.g.Format, c, "purl"), "", "purl type "+p.Type+" ships native code")
	default:
		for _, n := range []string{c.Name, c.FileName} {
			if ext, ok := hasNativeExt(n); ok {
				x.fire(vocab.LabelUnsandboxedNative, "sovereignty/native-file", fieldOf(x.g.Format, c, "name"), "", "file name ends in "+ext)
				break
			}
		}
	}
}

func (x *ruleCtx) systemic(i int, st *assessment, suppliers supplierStats) {
	c := x.c
	imp := &x.r.Impact
	if x.g.Dependencies {
		imp.Assessed = true
		d := int(st.blast.dependents[i])
		if d > st.blast.limit {
			imp.Dependents, imp.DependentsAtLeast = st.blast.limit, true
		} else {
			imp.Dependents = d
		}
		imp.Dominated = int(st.blast.dominated[i])
		imp.DependentsSignal = round3(lognorm(float64(d), st.tDep))
		imp.DominatedSignal = round3(lognorm(float64(imp.Dominated), st.tDom))
		if sig := math.Max(imp.DependentsSignal, imp.DominatedSignal); sig >= x.a.cfg.HighBlastRadius {
			x.fire(vocab.LabelHighBlastRadius, "systemic/blast-radius", c.Location, "",
				fmt.Sprintf("%s components depend on it, %d are reachable only through it (signal %.2f >= %.2f)",
					imp.DependentsText(), imp.Dominated, sig, x.a.cfg.HighBlastRadius))
		}
	} else {
		x.unknown("the SBOM carries no dependency graph", vocab.LabelHighBlastRadius)
	}
	imp.Sandboxed = x.r.bits.has(vocab.LabelSandboxed)
	if x.r.Supplier == "" {
		x.unknown("no supplier known", vocab.LabelSupplierConcentration)
		return
	}
	share := suppliers.share[supplierKey(x.r.Supplier)]
	if suppliers.known >= x.a.cfg.SupplierConcentrationMinComponents && share >= x.a.cfg.SupplierConcentrationShare {
		x.fire(vocab.LabelSupplierConcentration, "systemic/supplier-share", fieldOf(x.g.Format, c, "supplier"), "",
			fmt.Sprintf("%s supplies %.0f%% of the %d components with a known supplier", x.r.Supplier, 100*share, suppliers.known))
	}
}

// DependentsText is the number of dependents as reports write it: "more
// than N" when the count was capped.
func (imp *Impact) DependentsText() string {
	if imp.DependentsAtLeast {
		return fmt.Sprintf("more than %d", imp.Dependents)
	}
	return fmt.Sprint(imp.Dependents)
}
