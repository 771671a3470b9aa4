package report

import (
	"bytes"
	"fmt"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/sovcheck/sovcheck/policy"
)

func renderMarkdown(t *testing.T, docs *Documents) string {
	t.Helper()
	var buf bytes.Buffer
	if err := Markdown(&buf, docs, Options{}); err != nil {
		t.Fatal(err)
	}
	return buf.String()
}

// manyVerdicts makes n failing verdicts, each with a long message.
func manyVerdicts(n int) []policy.Verdict {
	var vs []policy.Verdict
	for i := range n {
		s := policy.Subject{Name: fmt.Sprintf("dist/tool-%04d", i)}
		vs = append(vs, policy.Decide(s, []policy.Check{
			{ID: "signature", Status: policy.StatusPass, Required: true, Message: "bundle verified"},
			{ID: "provenance", Status: policy.StatusFail, Required: true, Reason: "BUILDER_ID_MISMATCH", Message: strings.Repeat("the builder differs ", 20),
				Got: "https://example.test/builder", Want: "https://github.com/slsa-framework/slsa-github-generator", Hint: "check --builder-id"},
		}))
	}
	return vs
}

func TestMarkdownTruncates(t *testing.T) {
	md := renderMarkdown(t, verifyOnly(manyVerdicts(400)))
	if n := utf8.RuneCountInString(md); n > MarkdownLimit {
		t.Fatalf("markdown has %d characters, more than %d", n, MarkdownLimit)
	}
	if !strings.HasPrefix(md, "### ❌ sovcheck report: FAIL\n\n400 artifacts: 0 passed, 400 failed") {
		t.Errorf("summary does not come first:\n%.300s", md)
	}
	if !strings.Contains(md, "> [!NOTE]\n> Truncated to fit a pull-request comment:") {
		t.Error("no truncation note")
	}
	if strings.Count(md, "<details>") != strings.Count(md, "</details>") {
		t.Error("a <details> section was cut in half")
	}
	// The summary table keeps whole rows.
	for _, line := range strings.Split(md, "\n") {
		if strings.HasPrefix(line, "| ❌") && !strings.HasSuffix(line, "|") {
			t.Errorf("cut row: %q", line)
		}
	}
}

func TestMarkdownNotTruncated(t *testing.T) {
	md := renderMarkdown(t, sampleDocuments(t))
	if strings.Contains(md, "Truncated") {
		t.Error("a small report was truncated")
	}
	if n := strings.Count(md, "<details>"); n != 7 {
		t.Errorf("got %d collapsed sections, want 7: 2 artifacts, 3 rebuilds, 1 product, 1 portfolio", n)
	}
}

func TestFitBlocks(t *testing.T) {
	blocks := []string{"head\n", strings.Repeat("a", 100), strings.Repeat("b", 100), strings.Repeat("c", 100)}
	if got := fitBlocks(blocks, 305); got != strings.Join(blocks, "") {
		t.Errorf("blocks within the limit changed: %q", got)
	}
	got := fitBlocks(blocks, 304)
	if utf8.RuneCountInString(got) > 304 || !strings.HasPrefix(got, "head\n"+strings.Repeat("a", 100)+"\n> [!NOTE]") {
		t.Errorf("fitBlocks(304) = %q", got)
	}
	if !strings.Contains(got, "of 4 rows and sections are not shown") {
		t.Errorf("note missing: %q", got)
	}
}

func TestMarkdownEscapes(t *testing.T) {
	md := renderMarkdown(t, hostileDocuments(t))
	if !strings.Contains(md, "`dist/<script>") {
		t.Error("hostile artifact name not shown as code")
	}
	// Code spans show their content as typed: no HTML, no links, no
	// mentions. Outside them nothing may be live.
	md = stripCodeSpans(md)
	for _, bad := range []string{"<script", "<img", "</details><", "@everyone", "[link](javascript"} {
		if strings.Contains(md, bad) {
			t.Errorf("markdown carries %q unescaped", bad)
		}
	}
	if !strings.Contains(md, "&lt;script&gt;") {
		t.Error("hostile prose not shown escaped")
	}
	// Every table row keeps its column count: a hostile pipe is escaped.
	for _, line := range strings.Split(md, "\n") {
		if !strings.HasPrefix(line, "| ") {
			continue
		}
		cells := strings.Count(strings.ReplaceAll(line, `\|`, ""), "|")
		if cells < 4 || cells > 7 {
			t.Errorf("row with %d separators: %q", cells, line)
		}
	}
}

func TestMarkdownCode(t *testing.T) {
	for in, want := range map[string]string{
		"plain":      "`plain`",
		"a`b":        "``a`b``",
		"`x":         "`` `x ``",
		"a|b":        "`a\\|b`",
		"two\nlines": "`two lines`",
		"":           "",
	} {
		if got := mdCell(in); got != want {
			t.Errorf("mdCell(%q) = %q, want %q", in, got, want)
		}
	}
	if got := mdCode("a|b"); got != "`a|b`" {
		t.Errorf("mdCode outside a table escaped the pipe: %q", got)
	}
	if got := mdText("*x* <b> @team [l](u) a|b\nc"); got != "\\*x\\* &lt;b&gt; @\u2060team \\[l\\](u) a\\|b c" {
		t.Errorf("mdText = %q", got)
	}
	// An "@" inside a word mentions no one and stays as the input wrote
	// it: a purl, a workflow ref or an e-mail address copied from the
	// report holds no invisible character. One that starts a word is
	// still broken.
	for in, want := range map[string]string{
		"pkg:golang/golang.org/x/mod@v0.42.0": "pkg:golang/golang.org/x/mod@v0.42.0",
		"release.yml@refs/tags/v1.2.0":        "release.yml@refs/tags/v1.2.0",
		"owner procurement@acme.example":      "owner procurement@acme.example",
		"@everyone (@team) x_@y":              "@\u2060everyone (@\u2060team) x\\_@y",
		"pkg:npm/@scope/name@1.0":             "pkg:npm/@\u2060scope/name@1.0",
	} {
		if got := mdText(in); got != want {
			t.Errorf("mdText(%q) = %q, want %q", in, got, want)
		}
	}
	if got := mdHTML("github.com/acme/tool@v1.2.0"); got != "github.com/acme/tool@v1.2.0" {
		t.Errorf("mdHTML of a module version = %q", got)
	}
	if got := mdHTML("@team"); got != "@\u2060team" {
		t.Errorf("mdHTML of a mention = %q", got)
	}
}

// stripCodeSpans removes the code spans of md, as a Markdown reader would
// take them out of inline parsing.
func stripCodeSpans(md string) string {
	var b strings.Builder
	for {
		i := strings.IndexByte(md, '`')
		if i < 0 {
			b.WriteString(md)
			return b.String()
		}
		b.WriteString(md[:i])
		n := len(md[i:]) - len(strings.TrimLeft(md[i:], "`"))
		fence := md[i : i+n]
		rest := md[i+n:]
		j := strings.Index(rest, fence)
		for j >= 0 && j+n < len(rest) && rest[j+n] == '`' {
			k := strings.Index(rest[j+n:], fence)
			if k < 0 {
				j = -1
				break
			}
			j += n + k
		}
		if j < 0 {
			b.WriteString(fence)
			md = rest
			continue
		}
		md = rest[j+n:]
	}
}
