package policy

import (
	"crypto"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"sync"

	"github.com/sovcheck/sovcheck/internal/vocab"
)

var dataNamePattern = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[a-z0-9][a-z0-9-]{0,63}$`) })

func (v *validator) data() {
	v.p.data = map[string]*dataFileSpec{}
	for i := range v.p.doc.Data {
		d := &v.p.doc.Data[i]
		path := fmt.Sprintf("data[%d]", i)
		switch {
		case d.Name == "":
			v.missing(path, "name", "name the data file, e.g. name: certifications")
		case !dataNamePattern().MatchString(d.Name):
			v.ps.at(path+".name", "use lowercase letters, digits and '-'", "invalid data file name %q", d.Name)
		case v.p.data[d.Name] != nil:
			v.ps.at(path+".name", "give each data file its own name", "data file %q named twice", d.Name)
		}
		switch {
		case d.Kind == "":
			v.missing(path, "kind", "use one of: "+strings.Join(dataKinds, ", "))
		case !slices.Contains(dataKinds, d.Kind):
			v.ps.at(path+".kind", "use one of: "+strings.Join(dataKinds, ", "), "unknown data file kind %q", d.Kind)
		}
		switch {
		case d.MaxAgeDays < 0:
			v.ps.at(path+".maxAgeDays", "give the most days a snapshot may be old, e.g. 30", "maxAgeDays %d is negative", d.MaxAgeDays)
		case d.MaxAgeDays > 0 && d.Kind != DataRiskData:
			v.ps.at(path+".maxAgeDays", "maxAgeDays applies to kind risk-data only", "maxAgeDays given for kind %q", d.Kind)
		}
		if d.Key != "" && d.Kind != DataRiskData {
			v.ps.at(path+".key", "key applies to kind risk-data only", "key given for kind %q", d.Kind)
		}
		if d.Path == "" {
			v.missing(path, "path", "give the file's path, relative to the policy file")
		}
		hexSum := strings.ToLower(strings.TrimPrefix(d.SHA256, "sha256:"))
		switch {
		case d.SHA256 == "":
			v.missing(path, "sha256", "pin the file: add sha256: <output of sha256sum>")
		default:
			if _, err := vocab.ParseSHA256(hexSum); err != nil {
				v.ps.at(path+".sha256", "give the 64 hex digits printed by sha256sum", "%v", err)
			}
		}
		d.SHA256 = hexSum
		d.pos, d.sumPos = v.ps.posAt(path), v.ps.posAt(path+".sha256")
		if d.Name != "" && v.p.data[d.Name] == nil {
			v.p.data[d.Name] = d
		}
	}
}

func (v *validator) certification() {
	c := v.p.doc.Certification
	if c == nil {
		return
	}
	if c.List != "" {
		d := v.p.data[c.List]
		switch {
		case d == nil:
			v.ps.at("certification.list", "name a data file listed under data:", "no data file named %q", c.List)
		case d.Kind != DataCertifications:
			v.ps.at("certification.list", "the certification list must be a data file of kind "+DataCertifications, "data file %q has kind %q", c.List, d.Kind)
		}
	}
	v.p.certKeys = map[string]bool{}
	v.p.certPubs = map[string]crypto.PublicKey{}
	for i, k := range c.Certifiers {
		id, err := parseKeyRef(k)
		if err != nil {
			v.ps.at(fmt.Sprintf("certification.certifiers[%d]", i), "give sha256:<hex of the key's DER encoding> or a PEM public key", "%v", err)
			continue
		}
		v.p.certKeys[id] = true
		if pub := certifierKey(k); pub != nil {
			v.p.certPubs[id] = pub
		}
	}
	v.vsaPolicies(c.Policies)
	if c.List == "" && len(c.Certifiers) == 0 {
		v.ps.at("certification", "name a certification list (list:) or trusted certifier keys (certifiers:)", "certification section names no way to certify")
	}
	if c.RequireArtifact {
		v.p.ruleIDs[RuleCertifiedArtifact] = true
	}
	if c.RequireComponents {
		v.p.ruleIDs[RuleCertifiedComponent] = true
	}
}

func (v *validator) points() {
	pt := v.p.doc.Points
	if pt == nil {
		return
	}
	if pt.Maximum <= 0 {
		v.ps.at("points.maximum", "give the points a perfect artifact earns, e.g. 100", "maximum must be positive, got %d", pt.Maximum)
	}
	if pt.Pass < 0 || pt.Pass > pt.Maximum {
		v.ps.at("points.pass", "give the least points needed to pass, between 0 and the maximum", "pass %d out of range 0 to %d", pt.Pass, pt.Maximum)
	}
	v.p.ruleIDs[RulePointsPass] = true
	if len(pt.Grades) > 0 {
		v.p.ruleIDs[RulePointsGrade] = true
		for _, g := range sortedKeys(pt.Grades) {
			if vocab.GradeRank(g) < 0 {
				v.ps.at("points.grades."+g, "grades run from A (best) to G", "unknown grade %q", g)
			} else if n := pt.Grades[g]; n < 0 || n > pt.Maximum {
				v.ps.at("points.grades."+g, "give points between 0 and the maximum", "points %d out of range 0 to %d", n, pt.Maximum)
			}
		}
		for _, g := range vocab.GradeNames() {
			if _, ok := pt.Grades[g]; !ok {
				v.missing("points.grades", g, "give points for every grade, A to G")
			}
		}
	}
	for i := range pt.Penalties {
		pen := &pt.Penalties[i]
		path := fmt.Sprintf("points.penalties[%d]", i)
		switch {
		case pen.ID == "":
			v.missing(path, "id", "name the penalty, e.g. id: shared-uncertified")
		case !ruleIDPattern().MatchString(pen.ID):
			v.ps.at(path+".id", "use lowercase letters, digits, '.', '_' and '-'", "invalid penalty id %q", pen.ID)
		case v.p.ruleIDs[penaltyPrefix+pen.ID]:
			v.ps.at(path+".id", "give each penalty its own id", "penalty %q defined twice", pen.ID)
		default:
			v.p.ruleIDs[penaltyPrefix+pen.ID] = true
		}
		if len(pen.Labels) == 0 && !pen.Uncertified {
			v.missing(path, "labels", "list the labels a component must carry to be penalised")
		}
		v.labels(path+".labels", pen.Labels)
		if pen.Points <= 0 {
			v.ps.at(path+".points", "give the points lost per component, e.g. 5", "points must be positive, got %d", pen.Points)
		}
		if pen.Max < 0 {
			v.ps.at(path+".max", "give the most points the penalty may take, or 0 for no cap", "max must not be negative, got %d", pen.Max)
		}
	}
}
