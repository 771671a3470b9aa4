package report

import (
	"io"

	"github.com/sovcheck/sovcheck/policy"
)

// WriteExplain writes, after a text report, why each artifact judged by a
// policy lost points or failed it: one explanation per verdict with a
// policy result, each after a blank line.
func WriteExplain(w io.Writer, verdicts []policy.Verdict) error {
	for _, v := range verdicts {
		if v.Policy != nil {
			if _, err := io.WriteString(w, "\n"+policy.ExplainText(v.Policy)); err != nil {
				return err
			}
		}
	}
	return nil
}
