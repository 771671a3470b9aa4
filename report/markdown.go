package report

import (
	"fmt"
	"html"
	"io"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/sovcheck/sovcheck/policy"
	"github.com/sovcheck/sovcheck/rebuild"
)

// MarkdownLimit is the most characters a Markdown report holds, so that it
// fits a pull-request comment (GitHub refuses more than 65,536).
const MarkdownLimit = 65_000

// headlineItems bounds the facts in the first line of a Markdown report,
// and headlineRunes each fact, so that the summary always fits.
const (
	headlineItems = 6
	headlineRunes = 120
)

// Markdown writes a report for a pull-request comment: the decision and a
// summary table first, then each artifact, rebuild, product and portfolio
// collapsed in <details>. Past MarkdownLimit characters, whole rows and
// sections are left out from the end and a note says how many.
func Markdown(w io.Writer, docs *Documents, opts Options) error {
	v := newView(docs, opts)
	var blocks []string
	blocks = append(blocks, mdHead(v))
	if len(v.Artifacts) > 0 {
		blocks = append(blocks, "| Verdict | Artifact | First failure | Checks | Points | Rebuild |\n|---|---|---|---|---|---|\n")
		for _, a := range v.Artifacts {
			points, rebuild := "", ""
			if a.Policy != nil && a.Policy.Points != nil {
				points = fmt.Sprintf("%d/%d", a.Policy.Points.Earned, a.Policy.Points.Maximum)
			}
			if a.Rebuild != nil {
				rebuild = string(a.Rebuild.Status)
			}
			blocks = append(blocks, fmt.Sprintf("| %s | %s | %s | %s | %s | %s |\n", mdStatus(a.Verdict.Status), mdCell(a.Verdict.Subject.Name),
				mdCell(a.Verdict.Reason), countsText(a.Counts), points, rebuild))
		}
	}
	if len(v.Products) > 0 {
		blocks = append(blocks, "\n| Grade | Product | Risk | Worst component | Why |\n|---|---|---|---|---|\n")
		for _, p := range v.Products {
			worst, why := "", ""
			if len(p.Worst) > 0 {
				worst = mdCell(p.Worst[0].Title())
				why = mdText(strings.Join(labelsWhy(p.Worst[0].Labels), ", "))
			}
			blocks = append(blocks, fmt.Sprintf("| **%s** | %s | %d | %s | %s |\n", mdText(string(p.Doc.Product.Grade)), mdCell(p.Title), p.Doc.Product.Risk, worst, why))
		}
	}
	blocks = append(blocks, "\n")
	for _, a := range v.Artifacts {
		blocks = append(blocks, mdArtifact(a))
	}
	for i := range v.Rebuilds {
		blocks = append(blocks, mdRebuild(&v.Rebuilds[i]))
	}
	for _, p := range v.Products {
		blocks = append(blocks, mdProduct(p))
	}
	for _, p := range v.Portfolios {
		blocks = append(blocks, mdPortfolio(p))
	}
	_, err := io.WriteString(w, fitBlocks(blocks, MarkdownLimit))
	return err
}

// fitBlocks joins blocks, keeping the first always, and leaving out the
// blocks that would pass limit characters, with a note that says so.
func fitBlocks(blocks []string, limit int) string {
	total := 0
	for _, b := range blocks {
		total += utf8.RuneCountInString(b)
	}
	if total <= limit {
		return strings.Join(blocks, "")
	}
	note := func(left int) string {
		return fmt.Sprintf("\n> [!NOTE]\n> Truncated to fit a pull-request comment: %d of %d rows and sections are not shown. "+
			"The HTML report (`sovcheck report --format html`) shows everything.\n", left, len(blocks))
	}
	room := limit - utf8.RuneCountInString(note(len(blocks)))
	var out strings.Builder
	used := 0
	for i, b := range blocks {
		n := utf8.RuneCountInString(b)
		if i > 0 && used+n > room {
			out.WriteString(note(len(blocks) - i))
			break
		}
		out.WriteString(b)
		used += n
	}
	return out.String()
}

func mdHead(v *view) string {
	var b strings.Builder
	word := verdictWord(v.Decision)
	emoji := "ℹ️"
	if v.Decision.Decided > 0 {
		emoji = mdEmoji(v.Decision.Status)
	}
	fmt.Fprintf(&b, "### %s %s: %s\n\n", emoji, mdText(shorten(v.Title, headlineRunes)), word)
	var facts []string
	for _, f := range v.Headline[:min(len(v.Headline), headlineItems)] {
		facts = append(facts, mdText(shorten(f, headlineRunes)))
	}
	if n := len(v.Headline) - headlineItems; n > 0 {
		facts = append(facts, fmt.Sprintf("%d more", n))
	}
	if v.Points != nil {
		pts := fmt.Sprintf("**%d/%d** %s (%d to pass)", v.Points.Earned, v.Points.Maximum, v.PointsNote, v.Points.Pass)
		if v.KnockOut != "" {
			pts += ", FAIL by knock-out: " + mdText(v.KnockOut)
		}
		facts = append(facts, pts)
	}
	if len(facts) > 0 {
		b.WriteString(strings.Join(facts, " · ") + "\n\n")
	}
	switch {
	case v.Decision.Decided == 0:
		b.WriteString("Grades only: no verdict was asked for.\n\n")
	case v.MinGrade != "":
		fmt.Fprintf(&b, "Product grades are judged against the minimum grade %s.\n\n", v.MinGrade)
	}
	return b.String()
}

func countsText(c checkCounts) string {
	s := fmt.Sprintf("%d pass", c.Pass)
	if c.Fail > 0 {
		s += fmt.Sprintf(", %d fail", c.Fail)
	}
	if c.Skip > 0 {
		s += fmt.Sprintf(", %d skip", c.Skip)
	}
	return s
}

func mdArtifact(a artifactView) string {
	var b strings.Builder
	vd := a.Verdict
	fmt.Fprintf(&b, "<details><summary>%s %s <code>%s</code>: %s</summary>\n\n", mdEmoji(vd.Status), vd.Status, mdHTML(vd.Subject.Name), countsText(a.Counts))
	if a.Digest != "" && a.Digest != vd.Subject.Name {
		fmt.Fprintf(&b, "Digest %s\n\n", mdCode(a.Digest))
	}
	b.WriteString("| | Check | Reason | Detail |\n|---|---|---|---|\n")
	for _, c := range vd.Checks {
		var detail []string
		if c.Message != "" {
			detail = append(detail, mdText(c.Message))
		}
		if c.Status != policy.StatusPass {
			if c.Got != "" || c.Want != "" {
				detail = append(detail, "got "+mdCell(orNone(c.Got)), "want "+mdCell(orNone(c.Want)))
			}
			if c.Evidence != "" {
				detail = append(detail, "evidence "+mdCell(c.Evidence))
			}
			if c.Hint != "" {
				detail = append(detail, "hint: "+mdText(c.Hint))
			}
		}
		fmt.Fprintf(&b, "| %s | %s | %s | %s |\n", mdEmoji(c.Status), mdCell(c.ID), mdCell(c.Reason), strings.Join(detail, "<br>"))
	}
	if a.Policy != nil {
		b.WriteString("\n" + mdPolicy(a.Policy))
	}
	if a.Rebuild != nil {
		fmt.Fprintf(&b, "\nRebuild: **%s**", a.Rebuild.Status)
		if a.Rebuild.Reason != nil {
			fmt.Fprintf(&b, " %s %s", mdCode(a.Rebuild.Reason.Code), mdText(a.Rebuild.Reason.Message))
		}
		b.WriteString("\n")
	}
	b.WriteString("\n</details>\n\n")
	return b.String()
}

func mdPolicy(r *policy.Result) string {
	var b strings.Builder
	fmt.Fprintf(&b, "Policy %s", mdCode(r.Policy.Name))
	if r.Policy.File != "" && r.Policy.File != r.Policy.Name {
		fmt.Fprintf(&b, " from %s", mdCode(r.Policy.File))
	}
	fmt.Fprintf(&b, " (sha256:%s)", mdText(r.Policy.SHA256))
	if r.Points != nil {
		fmt.Fprintf(&b, ": **%d/%d points**, %d to pass", r.Points.Earned, r.Points.Maximum, r.Points.Pass)
	}
	b.WriteString("\n\n| | Rule | Points lost | Detail |\n|---|---|---|---|\n")
	for _, rr := range r.Rules {
		lost := ""
		if rr.PointsLost > 0 {
			lost = fmt.Sprintf("-%d", rr.PointsLost)
		}
		detail := []string{mdText(rr.Message)}
		if rr.Reason != "" {
			detail[0] += " " + mdCell(rr.Reason)
		}
		if rr.Hint != "" && rr.Status != policy.RulePass {
			detail = append(detail, "hint: "+mdText(rr.Hint))
		}
		for _, wv := range rr.Waivers {
			state := "waived"
			if wv.Expired {
				state = "expired waiver"
			}
			detail = append(detail, fmt.Sprintf("%s: %s (owner %s, expires %s)", state, mdText(wv.Reason), mdText(wv.Owner), mdText(wv.Expires)))
		}
		fmt.Fprintf(&b, "| %s %s | %s | %s | %s |\n", mdRuleEmoji(rr), rr.Status, mdCell(rr.ID), lost, strings.Join(detail, "<br>"))
	}
	return b.String()
}

func mdRebuild(r *rebuildView) string {
	var b strings.Builder
	fmt.Fprintf(&b, "<details><summary>%s rebuild %s <code>%s</code></summary>\n\n", mdRebuildEmoji(r.Status), r.Status, mdHTML(r.Name))
	if r.Detail != "" {
		b.WriteString(mdText(r.Detail) + "\n\n")
	}
	if r.Reason != nil {
		fmt.Fprintf(&b, "%s %s\n\n", mdCode(r.Reason.Code), mdText(r.Reason.Message))
		if r.Reason.Hint != "" {
			fmt.Fprintf(&b, "Hint: %s\n\n", mdText(r.Reason.Hint))
		}
	}
	if len(r.Causes) > 0 {
		b.WriteString("| Cause | What | Got | Want |\n|---|---|---|---|\n")
		for _, c := range r.Causes {
			fmt.Fprintf(&b, "| %s | %s | %s | %s |\n", mdCell(c.Code), mdText(c.What), mdCell(c.Got), mdCell(c.Want))
		}
		b.WriteString("\n")
	}
	if len(r.Phases) > 0 {
		b.WriteString("| Phase | Status | Detail |\n|---|---|---|\n")
		for _, p := range r.Phases {
			fmt.Fprintf(&b, "| %s | %s %s | %s |\n", mdText(p.Name), mdEmoji(policy.Status(p.Status)), mdText(p.Status), mdText(p.Detail))
		}
		b.WriteString("\n")
	}
	b.WriteString("</details>\n\n")
	return b.String()
}

func mdProduct(p productView) string {
	var b strings.Builder
	d := p.Doc
	fmt.Fprintf(&b, "<details><summary>Grade %s: %s (%d components, %s not assessed)</summary>\n\n", mdHTML(string(d.Product.Grade)), mdHTML(p.Title),
		d.Product.Components, percent(d.Coverage.Unassessed))
	fmt.Fprintf(&b, "SBOM %s, %s %s, as of %s; worst component risk %d/100.\n\n", mdCode(d.Product.Source), mdText(string(d.Product.Format)), mdText(d.Product.SpecVersion),
		mdText(d.AsOf), d.Product.Risk)
	if a := d.AdvisoriesAsOf(); a != "" {
		fmt.Fprintf(&b, "Advisories as of %s.\n\n", mdText(a))
	}
	for _, c := range d.Product.Caps {
		fmt.Fprintf(&b, "Capped at %s: %s\n\n", mdText(string(c.Grade)), mdText(c.Reason))
	}
	if len(p.Worst) > 0 {
		b.WriteString("| Risk | Grade | Component | Why |\n|---|---|---|---|\n")
		for _, c := range p.Worst {
			var why []string
			for _, f := range sortedFindings(c.Labels) {
				why = append(why, fmt.Sprintf("**%s**: %s", mdText(string(f.Label)), mdText(f.Detail)))
			}
			fmt.Fprintf(&b, "| %d | %s | %s | %s |\n", c.Risk, mdText(string(c.Grade)), mdCell(c.Title()), strings.Join(why, "<br>"))
		}
		if p.MoreWorst > 0 {
			fmt.Fprintf(&b, "\n%d more components, less risky, are in the JSON result.\n", p.MoreWorst)
		}
		b.WriteString("\n")
	}
	for _, dim := range d.Coverage.Dimensions {
		if len(dim.Reasons) == 0 {
			continue
		}
		var rs []string
		for _, r := range dim.Reasons {
			rs = append(rs, fmt.Sprintf("%s (%d)", mdText(r.Reason), r.Components))
		}
		fmt.Fprintf(&b, "- %s %s assessed: %s\n", mdText(string(dim.Dimension)), percent(dim.Share), strings.Join(rs, "; "))
	}
	b.WriteString("\n</details>\n\n")
	return b.String()
}

func mdPortfolio(p portfolioView) string {
	var b strings.Builder
	d := p.Doc
	t := d.Totals
	fmt.Fprintf(&b, "<details><summary>Portfolio: %d products, %d shared upstreams, supplier HHI %s</summary>\n\n", t.Products, t.Shared, supplierHHI(d))
	b.WriteString("| Grade | Risk | Product | Worst component |\n|---|---|---|---|\n")
	shown := p.Products[:min(len(p.Products), tableRows)]
	for _, pr := range shown {
		fmt.Fprintf(&b, "| %s | %d | %s | %s |\n", mdText(string(pr.Grade)), pr.Risk, mdCell(productTitle(pr.Name, pr.Version)), mdCell(pr.Worst))
	}
	if more := p.Assessable - len(shown); more > 0 {
		fmt.Fprintf(&b, "\nThe %d worst of %d assessed products are shown; the other %d are in the JSON result.\n", len(shown), p.Assessable, more)
	}
	if len(p.Unassessable) > 0 {
		fmt.Fprintf(&b, "\nNot assessable (%d), the SBOM lists no components:", len(p.Unassessable))
		for _, u := range p.Unassessable[:min(len(p.Unassessable), tableRows)] {
			fmt.Fprintf(&b, " %s", mdCode(u.Source))
		}
		if n := len(p.Unassessable) - tableRows; n > 0 {
			fmt.Fprintf(&b, " and %d more", n)
		}
		b.WriteString("\n")
	}
	if len(d.Upstreams) > 0 {
		b.WriteString("\n| Share | Upstream | Fragility | Labels |\n|---|---|---|---|\n")
		for _, u := range p.Upstreams {
			fmt.Fprintf(&b, "| %s | %s | %.2f | %s |\n", percent(u.Share), mdCell(u.Upstream), u.Fragility, mdText(strings.Join(labelNames(u.Labels), ", ")))
		}
	}
	if len(d.Suppliers) > 0 {
		b.WriteString("\n| Share | Supplier | Components |\n|---|---|---|\n")
		for _, s := range d.Suppliers[:min(len(d.Suppliers), tableRows)] {
			fmt.Fprintf(&b, "| %s | %s | %d |\n", percent(s.Share), mdText(s.Supplier), s.Components)
		}
	}
	for _, f := range d.Failures {
		fmt.Fprintf(&b, "\n- not read: %s %s", mdCode(f.Source), mdCode(f.Code))
	}
	b.WriteString("\n\n</details>\n\n")
	return b.String()
}

func mdEmoji(s policy.Status) string {
	switch s {
	case policy.StatusPass:
		return "✅"
	case policy.StatusSkip:
		return "⚠️"
	}
	return "❌"
}

func mdRuleEmoji(r policy.RuleResult) string {
	switch ruleClass(r) {
	case "pass":
		return "✅"
	case "skip":
		return "⚠️"
	}
	return "❌"
}

func mdRebuildEmoji(s rebuild.Status) string {
	switch s {
	case rebuild.StatusMatch:
		return "✅"
	case rebuild.StatusSkip:
		return "⚠️"
	}
	return "❌"
}

// wordJoiner follows an "@" taken from an input where a mention could
// start, so that a hostile string cannot mention people or teams in a
// pull-request comment.
const wordJoiner = "\u2060"

// breakMentions puts a word joiner after each "@" that could start a
// mention: at the start or after a character that is not a letter, digit
// or underscore, as GitHub reads mentions. An "@" inside a word (a purl's
// version, a workflow ref, an e-mail address) mentions no one and stays
// as it is, so that what a reader copies from the report is what the
// input said, with no invisible character in it.
func breakMentions(s string) string {
	if !strings.Contains(s, "@") {
		return s
	}
	var b strings.Builder
	prev := rune(-1)
	for _, r := range s {
		b.WriteRune(r)
		if r == '@' && mentionAfter(prev) {
			b.WriteString(wordJoiner)
		}
		prev = r
	}
	return b.String()
}

// mentionAfter reports whether an "@" after prev (-1: at the start) may
// start a mention.
func mentionAfter(prev rune) bool {
	return prev == -1 || !(unicode.IsLetter(prev) || unicode.IsDigit(prev) || prev == '_')
}

// mdText escapes prose taken from an input: HTML and Markdown syntax are
// shown as typed, line breaks become spaces, so that the text stays
// inside its table cell or paragraph.
func mdText(s string) string {
	var b strings.Builder
	prev := rune(-1)
	for _, r := range s {
		last := prev
		prev = r
		switch {
		case r == '&':
			b.WriteString("&amp;")
		case r == '<':
			b.WriteString("&lt;")
		case r == '>':
			b.WriteString("&gt;")
		case r == '@' && mentionAfter(last):
			b.WriteString("@" + wordJoiner)
		case strings.ContainsRune("\\`*_[]|~#!", r):
			b.WriteByte('\\')
			b.WriteRune(r)
		case unicode.IsControl(r) || r == '\u2028' || r == '\u2029':
			b.WriteByte(' ')
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// mdCell is an identifier in a table cell: a code span, with pipes
// escaped as GitHub tables need. Code spans show HTML as typed and link
// no mentions.
func mdCell(s string) string {
	return mdCodeSpan(s, true)
}

// mdCode is an identifier outside tables.
func mdCode(s string) string {
	return mdCodeSpan(s, false)
}

func mdCodeSpan(s string, inTable bool) string {
	if s == "" {
		return ""
	}
	s = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) || r == '\u2028' || r == '\u2029' {
			return ' '
		}
		return r
	}, s)
	if inTable {
		s = strings.ReplaceAll(s, "|", `\|`)
	}
	longest, run := 0, 0
	for _, r := range s {
		if r == '`' {
			run++
			longest = max(longest, run)
		} else {
			run = 0
		}
	}
	fence := strings.Repeat("`", longest+1)
	if strings.HasPrefix(s, "`") || strings.HasSuffix(s, "`") || strings.HasPrefix(s, " ") || strings.HasSuffix(s, " ") {
		s = " " + s + " "
	}
	return fence + s + fence
}

// mdHTML escapes a string for the HTML of a <summary>; Markdown syntax
// is escaped as entities too, in case a renderer parses it there.
func mdHTML(s string) string {
	s = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return ' '
		}
		return r
	}, s)
	return summaryEscaper.Replace(html.EscapeString(breakMentions(s)))
}

var summaryEscaper = strings.NewReplacer("[", "&#91;", "]", "&#93;", "*", "&#42;", "_", "&#95;", "`", "&#96;", "|", "&#124;", "~", "&#126;")

func mdStatus(s policy.Status) string { return mdEmoji(s) + " " + string(s) }
