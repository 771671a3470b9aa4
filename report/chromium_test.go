package report

import (
	"bytes"
	"context"
	"flag"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

var screenshotDir = flag.String("screenshot", "", "keep the screenshot and the A4 PDF that Chromium makes of the HTML report in this `directory`")

// chromiumPath finds Debian's chromium (or another build of it), or skips
// the test: CI installs it with `apt-get install -y chromium`.
func chromiumPath(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	t.Skip("chromium is not installed, so the HTML report is not opened in a browser; install it with: apt-get install -y chromium")
	return ""
}

// runChromium opens page headless, offline and without a profile of the
// user's, and returns stdout and the log on stderr.
func runChromium(t *testing.T, bin, page string, args ...string) (string, string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	base := []string{"--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
		"--disable-background-networking", "--disable-component-update", "--disable-sync",
		"--user-data-dir=" + t.TempDir(), "--enable-logging=stderr", "--v=0", "--hide-scrollbars"}
	cmd := exec.CommandContext(ctx, bin, append(append(base, args...), "file://"+page)...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("running chromium: %v\n%s", err, stderr.Bytes())
	}
	return stdout.String(), stderr.String()
}

// consoleLine is a message of the page's console in Chromium's log:
// errors, CSP violations and failed loads all land there. A page without
// scripts should have none.
var consoleLine = regexp.MustCompile(`(?m)^.*:CONSOLE[:(].*$`)

func writePage(t *testing.T, dir, name, page string) string {
	t.Helper()
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, []byte(page), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func outputDir(t *testing.T) string {
	if *screenshotDir == "" {
		return t.TempDir()
	}
	if err := os.MkdirAll(*screenshotDir, 0o755); err != nil {
		t.Fatal(err)
	}
	abs, err := filepath.Abs(*screenshotDir)
	if err != nil {
		t.Fatal(err)
	}
	return abs
}

// TestHTMLInChromium renders the report in a real browser: no console
// errors, the DOM holds what the report says, a screenshot is taken and
// the page prints on A4.
func TestHTMLInChromium(t *testing.T) {
	bin := chromiumPath(t)
	dir := outputDir(t)
	page := writePage(t, dir, "report.html", renderHTML(t, sampleDocuments(t), Options{}))

	dom, log := runChromium(t, bin, page, "--dump-dom")
	if msgs := consoleLine.FindAllString(log, -1); len(msgs) > 0 {
		t.Errorf("console messages while rendering the report:\n%s", strings.Join(msgs, "\n"))
	}
	for _, want := range []string{`<div class="badge">FAIL</div>`, "Worst components and why", "liblzma5@5.6.0-0.2", "Supplier concentration"} {
		if !strings.Contains(dom, want) {
			t.Errorf("rendered DOM has no %q", want)
		}
	}
	if n := strings.Count(dom, "<svg"); n < 7 {
		t.Errorf("rendered DOM has %d SVG charts, want at least 7", n)
	}

	shot := filepath.Join(dir, "report.png")
	_, log = runChromium(t, bin, page, "--window-size=1000,2600", "--screenshot="+shot)
	if msgs := consoleLine.FindAllString(log, -1); len(msgs) > 0 {
		t.Errorf("console messages while taking the screenshot:\n%s", strings.Join(msgs, "\n"))
	}
	f, err := os.Open(shot)
	if err != nil {
		t.Fatalf("no screenshot: %v", err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatalf("screenshot is not a PNG: %v", err)
	}
	if b := img.Bounds(); b.Dx() != 1000 || b.Dy() != 2600 {
		t.Errorf("screenshot is %dx%d, want 1000x2600", b.Dx(), b.Dy())
	}
	// The FAIL badge up front is red: the page rendered with its style
	// sheet.
	red := 0
	for y := range 160 {
		for x := range 1000 {
			r, g, b, _ := img.At(x, y).RGBA()
			if r>>8 > 160 && g>>8 < 80 && b>>8 < 80 {
				red++
			}
		}
	}
	if red < 1000 {
		t.Errorf("%d red pixels at the top of the page, want the FAIL badge: the style sheet did not apply", red)
	}

	pdf := filepath.Join(dir, "report.pdf")
	runChromium(t, bin, page, "--no-pdf-header-footer", "--print-to-pdf="+pdf)
	data, err := os.ReadFile(pdf)
	if err != nil {
		t.Fatalf("no PDF: %v", err)
	}
	boxes := regexp.MustCompile(`/MediaBox \[0 0 (\d+)(?:\.\d+)? (\d+)(?:\.\d+)?\]`).FindAllSubmatch(data, -1)
	if len(boxes) < 2 {
		t.Fatalf("the PDF has %d pages, want several", len(boxes))
	}
	for _, m := range boxes {
		if string(m[1]) != "594" && string(m[1]) != "595" || string(m[2]) != "841" && string(m[2]) != "842" {
			t.Errorf("PDF page is %sx%s points, want A4 (595x842)", m[1], m[2])
		}
	}
	t.Logf("screenshot %s, PDF %s (%d A4 pages)", shot, pdf, len(boxes))
}

// TestChromiumCatchesConsoleErrors is the failure twin: a page that breaks
// its Content-Security-Policy must show up in the log the test reads.
func TestChromiumCatchesConsoleErrors(t *testing.T) {
	bin := chromiumPath(t)
	bad := strings.Replace(renderHTML(t, verifyOnly(sampleVerdicts()), Options{}), "</main>", `<p style="color: red">inline style</p></main>`, 1)
	page := writePage(t, t.TempDir(), "bad.html", bad)
	_, log := runChromium(t, bin, page, "--dump-dom")
	if msgs := consoleLine.FindAllString(log, -1); len(msgs) == 0 || !strings.Contains(log, "Content Security Policy") {
		t.Errorf("a CSP violation left no console message in the log:\n%s", log)
	}
}
