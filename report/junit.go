package report

import (
	"encoding/xml"
	"fmt"
	"io"
	"strings"

	"github.com/sovcheck/sovcheck/internal/reason"
	"github.com/sovcheck/sovcheck/internal/vocab"
	"github.com/sovcheck/sovcheck/policy"
)

type junitSuites struct {
	XMLName  xml.Name     `xml:"testsuites"`
	Name     string       `xml:"name,attr"`
	Tests    int          `xml:"tests,attr"`
	Failures int          `xml:"failures,attr"`
	Errors   int          `xml:"errors,attr"`
	Skipped  int          `xml:"skipped,attr"`
	Suites   []junitSuite `xml:"testsuite"`
}

type junitSuite struct {
	Name       string           `xml:"name,attr"`
	Tests      int              `xml:"tests,attr"`
	Failures   int              `xml:"failures,attr"`
	Errors     int              `xml:"errors,attr"`
	Skipped    int              `xml:"skipped,attr"`
	Properties *junitProperties `xml:"properties,omitempty"`
	Cases      []junitCase      `xml:"testcase"`
}

type junitProperties struct {
	Properties []junitProperty `xml:"property"`
}

type junitProperty struct {
	Name  string `xml:"name,attr"`
	Value string `xml:"value,attr"`
}

type junitCase struct {
	Name      string        `xml:"name,attr"`
	Classname string        `xml:"classname,attr"`
	Failure   *junitFailure `xml:"failure,omitempty"`
	Skipped   *junitSkipped `xml:"skipped,omitempty"`
}

type junitFailure struct {
	Message string `xml:"message,attr"`
	Type    string `xml:"type,attr"`
	Text    string `xml:",chardata"`
}

// MarshalXML writes the failure text with its line breaks as they are,
// where a chardata field would write them as &#xA;.
func (f *junitFailure) MarshalXML(e *xml.Encoder, start xml.StartElement) error {
	start.Attr = []xml.Attr{{Name: xml.Name{Local: "message"}, Value: f.Message}, {Name: xml.Name{Local: "type"}, Value: f.Type}}
	if err := e.EncodeToken(start); err != nil {
		return err
	}
	if err := e.EncodeToken(xml.CharData(f.Text)); err != nil {
		return err
	}
	return e.EncodeToken(start.End())
}

type junitSkipped struct {
	Message string `xml:"message,attr"`
}

func (s *junitSuite) add(c junitCase) {
	s.Tests++
	switch {
	case c.Failure != nil:
		s.Failures++
	case c.Skipped != nil:
		s.Skipped++
	}
	s.Cases = append(s.Cases, c)
}

func failureText(got, want, evidence, hint string) string {
	var lines []string
	if got != "" || want != "" {
		lines = append(lines, "got:  "+orNone(got), "want: "+orNone(want))
	}
	if evidence != "" {
		lines = append(lines, "evidence: "+evidence)
	}
	if hint != "" {
		lines = append(lines, "hint: "+hint)
	}
	return strings.Join(lines, "\n")
}

// JUnit writes JUnit XML for CI test reports: one test suite per artifact
// with one test case per check, one per rebuild, and one per product
// grade. A failed check is a failure with its reason, message and hint;
// a skipped optional check is skipped. Grades are skipped unless a
// minimum grade judges them.
func JUnit(w io.Writer, docs *Documents, opts Options) error {
	v := newView(docs, opts)
	var suites []junitSuite
	for _, doc := range docs.Verify {
		if len(doc.Verdicts) == 0 {
			s := junitSuite{Name: "sovcheck verify"}
			s.add(junitCase{Name: "verdict", Classname: "sovcheck.verify", Failure: &junitFailure{Type: reason.NoChecks,
				Message: reason.NoChecks + ": the result holds no verdict", Text: "hint: verify at least one artifact"}})
			suites = append(suites, s)
		}
	}
	for _, a := range v.Artifacts {
		vd := a.Verdict
		s := junitSuite{Name: vd.Subject.Name}
		props := []junitProperty{{Name: "verdict", Value: string(vd.Status)}}
		if a.Digest != "" {
			props = append(props, junitProperty{Name: "digest", Value: a.Digest})
		}
		if a.Policy != nil && a.Policy.Points != nil {
			props = append(props, junitProperty{Name: "points", Value: fmt.Sprintf("%d/%d", a.Policy.Points.Earned, a.Policy.Points.Maximum)})
		}
		if asOf := verdictAsOf(vd); len(asOf) > 0 {
			props = append(props, junitProperty{Name: "advisoriesAsOf", Value: strings.Join(asOf, ", ")})
		}
		s.Properties = &junitProperties{props}
		for _, c := range vd.Checks {
			tc := junitCase{Name: c.ID, Classname: vd.Subject.Name}
			msg := c.Message
			if c.Reason != "" {
				msg = c.Reason + ": " + msg
			}
			switch c.Status {
			case policy.StatusPass:
			case policy.StatusSkip:
				tc.Skipped = &junitSkipped{Message: msg}
			default:
				tc.Failure = &junitFailure{Message: msg, Type: c.Reason, Text: failureText(c.Got, c.Want, c.Evidence, c.Hint)}
			}
			s.add(tc)
		}
		suites = append(suites, s)
	}
	if len(v.Rebuilds) > 0 || len(docs.Rebuilds) > 0 {
		s := junitSuite{Name: "sovcheck rebuild"}
		for _, doc := range docs.Rebuilds {
			if len(doc.Results)+len(doc.Modules) == 0 {
				s.add(junitCase{Name: "rebuild", Classname: "sovcheck.rebuild", Failure: &junitFailure{Type: reason.NoChecks,
					Message: reason.NoChecks + ": the result holds no rebuild", Text: "hint: rebuild at least one artifact"}})
			}
		}
		for _, r := range v.Rebuilds {
			tc := junitCase{Name: r.Name, Classname: "sovcheck.rebuild"}
			if !r.Passed() {
				f := &junitFailure{Message: string(r.Status), Type: string(r.Status)}
				var lines []string
				if r.Reason != nil {
					f.Type = r.Reason.Code
					f.Message = string(r.Status) + ": " + r.Reason.Code + ": " + r.Reason.Message
					lines = append(lines, failureText(r.Reason.Got, r.Reason.Want, "", ""))
				}
				for _, c := range r.Causes {
					lines = append(lines, c.Code+" "+c.What)
				}
				if r.Reason != nil && r.Reason.Hint != "" {
					lines = append(lines, "hint: "+r.Reason.Hint)
				}
				f.Text = strings.TrimSpace(strings.Join(lines, "\n"))
				tc.Failure = f
			}
			s.add(tc)
		}
		suites = append(suites, s)
	}
	for _, p := range v.Products {
		s := junitSuite{Name: "sbom " + p.Title, Properties: &junitProperties{[]junitProperty{
			{Name: "source", Value: p.Doc.Product.Source}, {Name: "grade", Value: string(p.Doc.Product.Grade)},
			{Name: "unassessed", Value: percent(p.Doc.Coverage.Unassessed)},
		}}}
		if a := p.Doc.AdvisoriesAsOf(); a != "" {
			s.Properties.Properties = append(s.Properties.Properties, junitProperty{Name: "advisoriesAsOf", Value: a})
		}
		s.add(gradeCase(p.Title, string(p.Doc.Product.Grade), worstWhy(p), opts.MinGrade))
		suites = append(suites, s)
	}
	for _, p := range v.Portfolios {
		s := junitSuite{Name: "sbom portfolio"}
		for _, pr := range p.Doc.Products {
			s.add(gradeCase(productTitle(pr.Name, pr.Version)+" ("+pr.Source+")", string(pr.Grade), pr.Worst+": "+strings.Join(labelNames(pr.WorstLabels), ", "), opts.MinGrade))
		}
		for _, f := range p.Doc.Failures {
			tc := junitCase{Name: f.Source, Classname: "sovcheck.sbom"}
			msg := f.Code + ": " + f.Message
			if opts.MinGrade == "" {
				tc.Skipped = &junitSkipped{Message: "not read: " + msg}
			} else {
				tc.Failure = &junitFailure{Message: msg, Type: f.Code, Text: failureText("", "", "", f.Hint)}
			}
			s.add(tc)
		}
		suites = append(suites, s)
	}
	out := junitSuites{Name: "sovcheck", Suites: suites}
	for _, s := range suites {
		out.Tests += s.Tests
		out.Failures += s.Failures
		out.Skipped += s.Skipped
	}
	return writeJUnitXML(w, out)
}

// writeJUnitXML writes suites as an indented JUnit XML document.
func writeJUnitXML(w io.Writer, out junitSuites) error {
	if _, err := io.WriteString(w, xml.Header); err != nil {
		return err
	}
	enc := xml.NewEncoder(w)
	enc.Indent("", "  ")
	if err := enc.Encode(out); err != nil {
		return err
	}
	_, err := io.WriteString(w, "\n")
	return err
}

func worstWhy(p productView) string {
	if len(p.Worst) == 0 {
		return "no components"
	}
	return p.Worst[0].Title() + ": " + strings.Join(labelsWhy(p.Worst[0].Labels), ", ")
}

func gradeCase(name, grade, why, minGrade string) junitCase {
	tc := junitCase{Name: "grade " + name, Classname: "sovcheck.sbom"}
	msg := fmt.Sprintf("grade %s; worst %s", grade, why)
	switch {
	case minGrade == "":
		tc.Skipped = &junitSkipped{Message: msg + "; not judged: no minimum grade given"}
	case vocab.GradeRank(grade) > vocab.GradeRank(minGrade):
		tc.Failure = &junitFailure{Message: fmt.Sprintf("graded %s, worse than the minimum %s", grade, minGrade), Type: reason.ReportGradeBelowMinimum,
			Text: msg + "\nhint: act on the worst components first; the HTML report says why each is risky"}
	}
	return tc
}
