package report

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"html"
	"regexp"
	"strings"
	"testing"
)

func renderHTML(t *testing.T, docs *Documents, opts Options) string {
	t.Helper()
	var buf bytes.Buffer
	if err := HTML(&buf, docs, opts); err != nil {
		t.Fatal(err)
	}
	return buf.String()
}

// liveMarkup finds markup that would run or load something.
func liveMarkup(page string) []string {
	var found []string
	for _, re := range []*regexp.Regexp{
		regexp.MustCompile(`(?i)<script|<img|</details>`),
		regexp.MustCompile(`(?i)<[^>]*\bonerror=`),
		regexp.MustCompile(`(?i)<[^>]*="javascript:`),
	} {
		found = append(found, re.FindAllString(page, -1)...)
	}
	return found
}

func TestHTMLEscapesHostileInput(t *testing.T) {
	if len(liveMarkup(hostile)) != 4 {
		t.Fatalf("liveMarkup misses markup in %q", hostile)
	}
	page := renderHTML(t, hostileDocuments(t), Options{})
	if m := liveMarkup(page); len(m) > 0 {
		t.Errorf("page carries live markup from its inputs: %q", m)
	}
	if n := strings.Count(page, "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;"); n < 8 {
		t.Errorf("hostile string shown escaped %d times, want it everywhere it was put (artifact, evidence, hint, component, upstream, supplier, detail, warning, portfolio)", n)
	}
}

// TestHTMLSelfContained: nothing is fetched and nothing runs; the
// Content-Security-Policy allows only the page's own style sheet.
func TestHTMLSelfContained(t *testing.T) {
	page := renderHTML(t, sampleDocuments(t), Options{})
	for _, bad := range []*regexp.Regexp{
		regexp.MustCompile(`(?i)<(script|link|img|iframe|object|embed|audio|video|source|base|form)\b`),
		regexp.MustCompile(`(?i)\b(src|srcset|action|xlink:href)=`),
		regexp.MustCompile(`(?i)@import|url\(|@font-face`),
		regexp.MustCompile(`(?i)href="(?:[a-z]+:|//)`),
		regexp.MustCompile(`(?i)\sstyle=`),
		regexp.MustCompile(`(?i)\son[a-z]+=`),
	} {
		if m := bad.FindString(page); m != "" {
			t.Errorf("page is not self-contained: %q", m)
		}
	}
	css := regexp.MustCompile(`(?s)<style>(.*?)</style>`).FindStringSubmatch(page)
	if css == nil {
		t.Fatal("no style sheet")
	}
	sum := sha256.Sum256([]byte(css[1]))
	want := "default-src 'none'; style-src 'sha256-" + base64.StdEncoding.EncodeToString(sum[:]) + "'; base-uri 'none'; form-action 'none'"
	csp := regexp.MustCompile(`<meta http-equiv="Content-Security-Policy" content="([^"]*)">`).FindStringSubmatch(page)
	if csp == nil || html.UnescapeString(csp[1]) != want {
		t.Errorf("Content-Security-Policy = %q, want %q", csp, want)
	}
	for _, print := range []string{"@page { size: A4;", "@media print"} {
		if !strings.Contains(css[1], print) {
			t.Errorf("style sheet has no %q", print)
		}
	}
}

func TestHTMLContent(t *testing.T) {
	page := renderHTML(t, sampleDocuments(t), Options{})
	head := page[:strings.Index(page, "<main>")]
	for _, want := range []string{`<div class="badge">FAIL</div>`, "2 artifacts: 1 passed, 1 failed", `<span class="num">82</span> <span class="of">/ 100</span>`} {
		if !strings.Contains(head, want) {
			t.Errorf("the header does not show %q up front", want)
		}
	}
	for _, want := range []string{
		`aria-label="grade G on the scale A (best) to G (worst)"`, // energy label
		"Worst components and why", "liblzma5@5.6.0-0.2", "CVE-2024-3094 is in the KEV catalog",
		"Shared upstreams", "Supplier concentration", "Herfindahl-Hirschman index 0.501",
		"GO_VERSION_MISMATCH", "replacement scheduled for Q3",
		`<svg class="chart"`,
	} {
		if !strings.Contains(page, want) {
			t.Errorf("page does not show %q", want)
		}
	}
	// The marker of the scale sits on the row of the grade.
	s := newGradeScale("C")
	if !strings.Contains(s.Marker.Points, ",60 ") || s.Rows[2].Letter != "C" {
		t.Errorf("marker of grade C at %q", s.Marker.Points)
	}
}

func TestHTMLGradesOnly(t *testing.T) {
	docs := &Documents{}
	if err := ReadDocument("labels.json", readTestdata(t, "labels.json"), docs); err != nil {
		t.Fatal(err)
	}
	page := renderHTML(t, docs, Options{})
	if !strings.Contains(page, `<div class="badge">GRADES</div>`) || !strings.Contains(page, "no verdict was asked for") {
		t.Error("a report of grades only claims a verdict")
	}
	page = renderHTML(t, docs, Options{MinGrade: "B"})
	if !strings.Contains(page, `<div class="badge">FAIL</div>`) || !strings.Contains(page, "judged against the minimum grade B") {
		t.Error("a G product passes a minimum grade of B")
	}
}

func TestShorten(t *testing.T) {
	if got := shorten("héllo wörld", 6); got != "héllo…" {
		t.Errorf("shorten = %q", got)
	}
	if got := shorten("short", 6); got != "short" {
		t.Errorf("shorten = %q", got)
	}
}

func TestHTMLEmptyResultFails(t *testing.T) {
	page := renderHTML(t, &Documents{Verify: []VerifyDocument{NewVerifyDocument(nil)}}, Options{})
	if !strings.Contains(page, `<div class="badge">FAIL</div>`) || !strings.Contains(page, "1 result without a verdict or rebuild, which fails") {
		t.Error("a verify result without verdicts does not say why it fails")
	}
}
