package report

import (
	"encoding/json"
	"fmt"
	"image/png"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// overflowProbe measures the rendered page: every element that reaches
// past the right edge of its card, of the page body or of the window,
// and every table cell whose content is wider than the cell. It is added
// to a copy of the page for the test only, with a policy that lets it run.
const overflowProbe = `<script>
(function () {
  var bad = [], de = document.documentElement;
  if (de.scrollWidth > de.clientWidth) bad.push("page " + de.scrollWidth + " > " + de.clientWidth);
  var body = document.body.getBoundingClientRect();
  document.querySelectorAll("body *").forEach(function (el) {
    if (el.tagName === "SCRIPT" || el.closest("details:not([open])")) return;
    var r = el.getBoundingClientRect(), card = el.closest(".card, header");
    var edge = card && card !== el ? card.getBoundingClientRect().right : body.right;
    if (r.width > 0 && r.right > edge + 1) bad.push(el.tagName.toLowerCase() + "." + el.className + " ends at " + Math.round(r.right) + ", its box at " + Math.round(edge) + ": " + (el.textContent || "").slice(0, 60));
  });
  document.querySelectorAll("td, th").forEach(function (td) {
    if (td.scrollWidth > td.clientWidth + 1) bad.push("cell " + td.scrollWidth + " > " + td.clientWidth + ": " + td.textContent.slice(0, 60));
  });
  var out = document.createElement("pre");
  out.id = "overflow";
  out.textContent = JSON.stringify(bad);
  document.body.appendChild(out);
})();
</script>`

var overflowOut = regexp.MustCompile(`(?s)<pre id="overflow">(.*?)</pre>`)

// probed is page with the probe added and its policy opened to inline
// scripts; nothing else of the page changes.
func probed(t *testing.T, page string) string {
	t.Helper()
	const csp = `content="default-src &#39;none&#39;;`
	if !strings.Contains(page, csp) || !strings.Contains(page, "</body>") {
		t.Fatal("the page has no Content-Security-Policy or body to probe")
	}
	page = strings.Replace(page, csp, `content="default-src &#39;none&#39;; script-src &#39;unsafe-inline&#39;;`, 1)
	return strings.Replace(page, "</body>", overflowProbe+"</body>", 1)
}

// overflows opens page in Chromium at width CSS pixels and returns what
// overflows, and the console messages of the page.
func overflows(t *testing.T, bin, path string, width int) ([]string, []string) {
	t.Helper()
	dom, log := runChromium(t, bin, path, "--dump-dom", fmt.Sprintf("--window-size=%d,1000", width))
	m := overflowOut.FindStringSubmatch(dom)
	if m == nil {
		t.Fatalf("the probe did not run at %d px: no result in the DOM\n%s", width, log)
	}
	var bad []string
	if err := json.Unmarshal([]byte(strings.NewReplacer("&#34;", `"`, "&quot;", `"`, "&gt;", ">", "&lt;", "<", "&amp;", "&").Replace(m[1])), &bad); err != nil {
		t.Fatalf("reading the probe's result %q: %v", m[1], err)
	}
	return bad, consoleLine.FindAllString(log, -1)
}

// a4Width is the printable width of A4 with the report's page margins
// (210 mm - 2 x 12 mm) in CSS pixels.
const a4Width = 703

// layoutPages are the pages whose layout is checked: a portfolio with
// long paths and purls, empty SBOMs and many products, and verify
// results with a grade and a long evidence list.
func layoutPages(t *testing.T) map[string]string {
	docs := bigPortfolio(t, 80, 6)
	p := &docs.Portfolios[0]
	for i := range p.Products {
		if i%3 == 0 {
			p.Products[i].Source = "sboms/" + strings.Repeat("vendor-supplied/nested-directory/", 4) + fmt.Sprintf("product-%03d.cdx.json", i)
			p.Products[i].Worst = "pkg:golang/google.golang.org/genproto/googleapis/rpc@v0.0.0-20260523011958-0a33c5d7ca68"
		}
	}
	p.Upstreams[0].Upstream = "pkg:golang/google.golang.org/genproto/googleapis/rpc/with/a/very/long/path"
	full := sampleDocuments(t)
	return map[string]string{
		"portfolio": renderHTML(t, &Documents{Inputs: docs.Inputs[3:], Portfolios: docs.Portfolios}, Options{Title: "portfolio", MinGrade: "C"}),
		"verify":    renderHTML(t, &Documents{Inputs: full.Inputs[:1], Verify: full.Verify}, Options{}),
		"every":     renderHTML(t, full, Options{}),
	}
}

// TestHTMLFitsScreenAndA4 opens the portfolio and verify reports in
// Chromium at 1280 px and at the printable width of A4: nothing reaches
// past its card or the page, no console message, a screenshot of each,
// and the portfolio prints on A4.
func TestHTMLFitsScreenAndA4(t *testing.T) {
	bin := chromiumPath(t)
	dir := outputDir(t)
	for name, page := range layoutPages(t) {
		path := writePage(t, dir, name+".html", page)
		probe := writePage(t, t.TempDir(), name+"-probe.html", probed(t, page))
		for _, width := range []int{1280, a4Width} {
			bad, console := overflows(t, bin, probe, width)
			if len(bad) > 0 {
				t.Errorf("%s at %d px: %d elements overflow:\n%s", name, width, len(bad), strings.Join(bad, "\n"))
			}
			if len(console) > 0 {
				t.Errorf("%s at %d px: console messages:\n%s", name, width, strings.Join(console, "\n"))
			}
			shot := filepath.Join(dir, fmt.Sprintf("%s-%d.png", name, width))
			_, log := runChromium(t, bin, path, fmt.Sprintf("--window-size=%d,1800", width), "--screenshot="+shot)
			if msgs := consoleLine.FindAllString(log, -1); len(msgs) > 0 {
				t.Errorf("%s at %d px: console messages of the page itself:\n%s", name, width, strings.Join(msgs, "\n"))
			}
			f, err := os.Open(shot)
			if err != nil {
				t.Fatalf("no screenshot: %v", err)
			}
			img, err := png.Decode(f)
			f.Close()
			if err != nil || img.Bounds().Dx() != width {
				t.Errorf("screenshot %s: %v, %v", shot, err, img.Bounds())
			}
		}
		pdf := filepath.Join(dir, name+".pdf")
		runChromium(t, bin, path, "--no-pdf-header-footer", "--print-to-pdf="+pdf)
		data, err := os.ReadFile(pdf)
		if err != nil {
			t.Fatalf("no PDF: %v", err)
		}
		for _, m := range regexp.MustCompile(`/MediaBox \[0 0 (\d+)(?:\.\d+)? (\d+)(?:\.\d+)?\]`).FindAllSubmatch(data, -1) {
			if string(m[1]) != "594" && string(m[1]) != "595" {
				t.Errorf("%s PDF page is %s points wide, want A4 (595)", name, m[1])
			}
		}
	}
	t.Logf("screenshots and PDFs in %s", dir)
}

// TestOverflowProbeCatches is the failure twin: a box that cannot wrap,
// wider than its card, must be reported.
func TestOverflowProbeCatches(t *testing.T) {
	bin := chromiumPath(t)
	page := renderHTML(t, verifyOnly(sampleVerdicts()), Options{})
	page = strings.Replace(page, "</main>", `<section class="card"><span class="badge">`+strings.Repeat("W", 200)+`</span></section></main>`, 1)
	probe := writePage(t, t.TempDir(), "wide.html", probed(t, page))
	bad, _ := overflows(t, bin, probe, 1280)
	if len(bad) == 0 {
		t.Error("a badge wider than its card was not reported")
	}
}
