package data

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/sovcheck/sovcheck/internal/reason"
	"github.com/sovcheck/sovcheck/sbom"
)

// scorecardResult is an OpenSSF Scorecard result in its JSON format v2.
type scorecardResult struct {
	Date string `json:"date"`
	Repo struct {
		Name   string `json:"name"`
		Commit string `json:"commit"`
	} `json:"repo"`
	Score  *float64 `json:"score"`
	Checks []struct {
		Name  string `json:"name"`
		Score *int   `json:"score"`
	} `json:"checks"`
}

// parseScorecard reads Scorecard results: one JSON object, a JSON list of
// them, or one per line.
func parseScorecard(r io.Reader) (*imported, error) {
	br := bufio.NewReader(r)
	dec := json.NewDecoder(br)
	list := firstByte(br) == '['
	if list {
		if _, err := dec.Token(); err != nil {
			return nil, reason.Wrap(err, reason.RiskDataMalformed, "", "decoding the results list")
		}
	}
	in := &imported{}
	var prev int64
	for n := 0; ; n++ {
		if list && !dec.More() {
			break
		}
		var res scorecardResult
		err := dec.Decode(&res)
		if errors.Is(err, io.EOF) && !list {
			break
		}
		if err != nil {
			return nil, reason.Wrap(err, reason.RiskDataMalformed, "", "decoding result %d", n)
		}
		if n >= MaxImportRecords {
			return nil, tooMany("Scorecard results", MaxImportRecords)
		}
		if off := dec.InputOffset(); off-prev > MaxImportRecordBytes {
			return nil, tooMany("bytes in one Scorecard result", MaxImportRecordBytes)
		} else {
			prev = off
		}
		facts, date, err := scorecardFacts(&res, n)
		if err != nil {
			return nil, err
		}
		in.records++
		if date.After(in.asOf) {
			in.asOf = date
		}
		in.repositories = append(in.repositories, sbom.RepositoryFacts{Repository: normRepository(res.Repo.Name), Scorecard: facts})
	}
	if in.records == 0 {
		return nil, reason.New(reason.RiskDataMalformed, "", "no Scorecard result in the file")
	}
	return in, nil
}

// scorecardFacts checks result n and returns what is kept of it.
func scorecardFacts(res *scorecardResult, n int) (*sbom.ScorecardFacts, time.Time, error) {
	bad := func(format string, args ...any) error {
		return reason.New(reason.RiskDataMalformed, "", "result %d (%s): %s", n, res.Repo.Name, fmt.Sprintf(format, args...))
	}
	if normRepository(res.Repo.Name) == "" {
		return nil, time.Time{}, bad("repo.name: got %q, want HOST/OWNER/REPO", res.Repo.Name)
	}
	// Scorecard wrote a date (2021-10-19) before it wrote a time.
	date, err := time.Parse(time.RFC3339, res.Date)
	if err != nil {
		if date, err = time.Parse(time.DateOnly, res.Date); err != nil {
			return nil, time.Time{}, bad("date: got %q, want an RFC 3339 time or YYYY-MM-DD", res.Date)
		}
	}
	if res.Score == nil || *res.Score < -1 || *res.Score > 10 {
		return nil, time.Time{}, bad("score: missing or outside -1..10")
	}
	if len(res.Checks) > maxScorecardChecks {
		return nil, time.Time{}, tooMany("checks in one Scorecard result", maxScorecardChecks)
	}
	f := &sbom.ScorecardFacts{Record: fmt.Sprintf("#/%d", n), Date: date.UTC().Format(time.RFC3339), Score: *res.Score, Commit: res.Repo.Commit, Checks: []sbom.ScorecardCheck{}}
	for i, c := range res.Checks {
		// A check Scorecard could not run scores -1 ("?" in its text
		// output); a missing score is not a score.
		if c.Name == "" || c.Score == nil || *c.Score < -1 || *c.Score > 10 {
			return nil, time.Time{}, bad("checks[%d] (%s): name or score missing, or score outside -1..10", i, c.Name)
		}
		f.Checks = append(f.Checks, sbom.ScorecardCheck{Name: c.Name, Score: *c.Score})
	}
	return f, date, nil
}
