package report

import (
	"fmt"
	"math"
	"unicode/utf8"

	"github.com/sovcheck/sovcheck/internal/vocab"
	"github.com/sovcheck/sovcheck/policy"
)

// The charts of the HTML report are inline SVG drawn by its template from
// the geometry computed here; every string taken from an input reaches
// the page through html/template, which escapes it. Colours come from the
// fixed palette below, never from an input.

// gradeColors are the colours of the EU energy label, A to G.
var gradeColors = map[string]string{
	"A": "#00a651", "B": "#50b848", "C": "#bed630", "D": "#fff200",
	"E": "#fdb913", "F": "#f37021", "G": "#ed1c24",
}

const (
	colorInfo = "#3b6ea8"
	colorPass = "#1b7f3b"
)

// gradeTextColors keep the letter readable on its band.
var gradeTextColors = map[string]string{
	"A": "#ffffff", "B": "#ffffff", "C": "#1a1a1a", "D": "#1a1a1a",
	"E": "#1a1a1a", "F": "#ffffff", "G": "#ffffff",
}

func fragilityColor(f float64) string {
	switch {
	case f >= 0.75:
		return gradeColors["G"]
	case f >= 0.5:
		return gradeColors["F"]
	case f >= 0.25:
		return gradeColors["E"]
	}
	return gradeColors["B"]
}

// gradeScale is the energy-label scale with the grade marked by a black
// arrow on the right, as on an EU label.
type gradeScale struct {
	Width, Height int
	Grade         string
	Rows          []gradeRow
	Marker        gradeMarker
}

type gradeRow struct {
	Letter, Color, TextColor, Points string
	TextX, TextY                     int
}

type gradeMarker struct {
	Points       string
	TextX, TextY int
}

const (
	scaleRow   = 26
	scaleGap   = 4
	scaleWidth = 300
)

func newGradeScale(grade string) gradeScale {
	s := gradeScale{Width: scaleWidth, Height: len(vocab.Grades)*(scaleRow+scaleGap) - scaleGap, Grade: grade}
	for i, g := range vocab.GradeNames() {
		y := i * (scaleRow + scaleGap)
		w := 96 + i*22
		s.Rows = append(s.Rows, gradeRow{
			Letter: g, Color: gradeColors[g], TextColor: gradeTextColors[g],
			Points: fmt.Sprintf("0,%d %d,%d %d,%d %d,%d 0,%d", y, w-12, y, w, y+scaleRow/2, w-12, y+scaleRow, y+scaleRow),
			TextX:  10, TextY: y + scaleRow/2 + 6,
		})
		if g == grade {
			x := scaleWidth - 52
			s.Marker = gradeMarker{
				Points: fmt.Sprintf("%d,%d %d,%d %d,%d %d,%d %d,%d", x, y+scaleRow/2, x+14, y, scaleWidth, y, scaleWidth, y+scaleRow, x+14, y+scaleRow),
				TextX:  x + 24, TextY: y + scaleRow/2 + 7,
			}
		}
	}
	return s
}

// barChart is a horizontal bar chart: a label column, the bars, and the
// value written after each bar.
type barChart struct {
	Width, Height int
	Narrow        bool // drawn beside another figure, not across the page
	Bars          []barRow
}

type barRow struct {
	Label, Full, Text, Color string
	LabelY, BarY, BarX, W    int
	TextX                    int
	TrackW                   int
}

type barData struct {
	Label string
	Value float64
	Text  string
	Color string
}

const (
	chartWidth = 600
	barRowH    = 22
	barH       = 14
)

// chartLayout is the width of a chart, of its label column and of the
// text after the bars.
type chartLayout struct{ width, label, text int }

var (
	wideChart   = chartLayout{chartWidth, 150, 170}
	narrowChart = chartLayout{300, 24, 36}
)

// newBarChart scales bars to maxValue, or to the largest value when
// maxValue is 0. Labels longer than the label column are shortened; the
// full label is the bar's tooltip.
func newBarChart(bars []barData, maxValue float64, layout chartLayout) barChart {
	if maxValue == 0 {
		for _, b := range bars {
			maxValue = math.Max(maxValue, b.Value)
		}
	}
	labelWidth := layout.label
	track := layout.width - labelWidth - layout.text
	c := barChart{Width: layout.width, Height: len(bars) * barRowH, Narrow: layout.width < chartWidth}
	for i, b := range bars {
		w := 0
		if maxValue > 0 {
			w = int(math.Round(float64(track) * math.Min(math.Max(b.Value/maxValue, 0), 1)))
		}
		y := i * barRowH
		c.Bars = append(c.Bars, barRow{
			Label: shorten(b.Label, labelWidth/7), Full: b.Label, Text: b.Text, Color: b.Color,
			LabelY: y + barRowH/2 + 4, BarY: y + (barRowH-barH)/2, BarX: labelWidth, W: w, TrackW: track,
			TextX: labelWidth + w + 6,
		})
	}
	return c
}

// shorten cuts s to at most n runes, marking the cut.
func shorten(s string, n int) string {
	if n < 2 || utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n-1]) + "…"
}

// pointsBar draws the points earned out of the maximum, with a line at
// the points needed to pass.
type pointsBar struct {
	Width, Height, Track, EarnedW, PassX, TextX int
	Text, Label, Color                          string
}

func newPointsBar(s *policy.Score) pointsBar {
	const track = 420
	b := pointsBar{Width: chartWidth, Height: 26, Track: track, Color: gradeColors["G"]}
	if s.Maximum > 0 {
		b.EarnedW = int(math.Round(track * math.Min(math.Max(float64(s.Earned)/float64(s.Maximum), 0), 1)))
		b.PassX = int(math.Round(track * math.Min(math.Max(float64(s.Pass)/float64(s.Maximum), 0), 1)))
	}
	if s.Earned >= s.Pass {
		b.Color = colorPass
	}
	b.TextX = track + 8
	b.Text = fmt.Sprintf("%d of %d", s.Earned, s.Maximum)
	b.Label = fmt.Sprintf("%d of %d points; %d needed to pass", s.Earned, s.Maximum, s.Pass)
	return b
}
