package report

import (
	"regexp"
	"strings"
	"sync"
	"unicode/utf8"
)

// Text output fits a terminal of textWidth columns. Tables cut their
// widest cells, marking the cut with "…"; free text wraps at spaces. The
// JSON result of the same run keeps every value whole.
const (
	textWidth = 100
	// minColumn is the narrowest a table column is cut to.
	minColumn = 8
)

func runeLen(s string) int { return utf8.RuneCountInString(s) }

// writeTable writes rows (the first is the header) as columns two spaces
// apart, each line after indent. While the table is wider than
// textWidth, its widest column loses a rune, down to minColumn, and cut
// cells are marked with "…".
func writeTable(ew *errWriter, indent string, rows [][]string) {
	if len(rows) == 0 {
		return
	}
	widths := make([]int, len(rows[0]))
	for _, r := range rows {
		for i, c := range r {
			widths[i] = max(widths[i], runeLen(c))
		}
	}
	total := func() int {
		t := runeLen(indent) + 2*(len(widths)-1)
		for _, w := range widths {
			t += w
		}
		return t
	}
	for total() > textWidth {
		widest := 0
		for i, w := range widths {
			if w > widths[widest] {
				widest = i
			}
		}
		if widths[widest] <= minColumn {
			break
		}
		widths[widest]--
	}
	var b strings.Builder
	for _, r := range rows {
		b.Reset()
		b.WriteString(indent)
		for i, c := range r {
			c = cut(c, widths[i])
			b.WriteString(c)
			if i < len(r)-1 {
				b.WriteString(strings.Repeat(" ", widths[i]-runeLen(c)+2))
			}
		}
		ew.printf("%s\n", strings.TrimRight(b.String(), " "))
	}
}

// cut shortens s to n runes. A path, purl or module path (a word with a
// slash) is cut at its start, since its end names it; other text at its
// end.
func cut(s string, n int) string {
	if n < 2 || runeLen(s) <= n {
		return s
	}
	if strings.Contains(s, "/") && !strings.Contains(s, " ") {
		r := []rune(s)
		return "…" + string(r[len(r)-n+1:])
	}
	return shorten(s, n)
}

// writeWrapped writes first followed by text, wrapped at spaces so that
// no line is wider than textWidth; the lines after the first start with
// as many spaces as first is long, up to half the width. A word longer
// than a line is broken where the line ends.
func writeWrapped(ew *errWriter, first, text string) {
	writeHanging(ew, first, strings.Repeat(" ", min(runeLen(first), textWidth/2)), text)
}

// writeHanging is writeWrapped with the lines after the first starting
// with hang.
func writeHanging(ew *errWriter, first, hang, text string) {
	line, lineLen := first, runeLen(first)
	empty := true // nothing of text on this line yet
	flush := func() {
		ew.printf("%s\n", strings.TrimRight(line, " "))
		line, lineLen, empty = hang, runeLen(hang), true
	}
	// Each word keeps the spaces before it, unless it starts a line.
	for _, gapWord := range spacedWords().FindAllString(text, -1) {
		word := strings.TrimLeft(gapWord, " ")
		gap, n := len(gapWord)-len(word), runeLen(word)
		if !empty && lineLen+gap+n > textWidth {
			flush()
		}
		if !empty {
			line += gapWord[:gap]
			lineLen += gap
		}
		for lineLen+n > textWidth {
			room := textWidth - lineLen
			if room <= 0 {
				flush()
				continue
			}
			r := []rune(word)
			line += string(r[:room])
			word, n = string(r[room:]), n-room
			flush()
		}
		line += word
		lineLen += n
		empty = false
	}
	if !empty || line != hang {
		flush()
	}
}

// spacedWords matches a word with the spaces before it.
var spacedWords = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(` *[^ ]+`) })
