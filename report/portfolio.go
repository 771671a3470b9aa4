package report

import (
	"fmt"
	"io"
	"strings"

	"github.com/sovcheck/sovcheck/portfolio"
)

// The answer of 'sovcheck portfolio diff' as text. The where answers are
// report/where's.

// WriteDiffText writes a portfolio diff for people.
func WriteDiffText(w io.Writer, d *portfolio.Diff) error {
	ew := &errWriter{w: w}
	ew.printf("Portfolio since %s: %d products entered, %d changed; upstreams: %d entered, %d left\n",
		d.Since, len(d.Entered), len(d.Changed), len(d.UpstreamsEntered), len(d.UpstreamsLeft))
	for _, p := range d.Entered {
		ew.printf("  + %s %s (grade %s, %s, %d upstreams)\n", p.Product, p.ToVersion, p.ToGrade, p.ToAsOf, len(p.UpstreamsEntered))
	}
	for _, p := range d.Changed {
		move := "grade unchanged"
		switch {
		case p.GradeMoved > 0:
			move = fmt.Sprintf("grade %s -> %s (worse)", p.FromGrade, p.ToGrade)
		case p.GradeMoved < 0:
			move = fmt.Sprintf("grade %s -> %s (better)", p.FromGrade, p.ToGrade)
		}
		ew.printf("  ~ %s %s -> %s (%s)\n", p.Product, p.FromVersion, p.ToVersion, move)
		for _, u := range p.UpstreamsEntered {
			ew.printf("      + %s\n", u)
		}
		for _, u := range p.UpstreamsLeft {
			ew.printf("      - %s\n", u)
		}
	}
	if len(d.UpstreamsEntered) > 0 {
		ew.printf("Upstreams new to the portfolio: %s\n", strings.Join(d.UpstreamsEntered, ", "))
	}
	if len(d.UpstreamsLeft) > 0 {
		ew.printf("Upstreams gone from the portfolio: %s\n", strings.Join(d.UpstreamsLeft, ", "))
	}
	return ew.err
}
