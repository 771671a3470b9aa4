package data

import (
	"bufio"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"strconv"
	"time"

	"github.com/sovcheck/sovcheck/internal/reason"
	"github.com/sovcheck/sovcheck/sbom"
)

// Columns of criticality_score output: v2 (Go) writes repo.url and
// default_score, the earlier Python tool url and criticality_score; both
// write the other signals beside them.
var (
	criticalityURLColumns   = []string{"repo.url", "url"}
	criticalityScoreColumns = []string{"default_score", "criticality_score"}
)

// parseCriticality reads criticality_score output: CSV with a header row,
// or JSON, one result per line (nested objects as v2 writes them, or flat).
func parseCriticality(r io.Reader) (*imported, error) {
	br := bufio.NewReader(r)
	if firstByte(br) == '{' {
		return parseCriticalityJSON(br)
	}
	cr := csv.NewReader(&lineLimiter{r: br, limit: MaxImportRecordBytes})
	cr.ReuseRecord = true
	head, err := cr.Read()
	if err != nil {
		return nil, reason.Wrap(err, reason.RiskDataMalformed, "", "reading the CSV header")
	}
	if len(head) > maxCriticalityColumns {
		return nil, tooMany("columns", maxCriticalityColumns)
	}
	head = append([]string{}, head...)
	in := &imported{}
	for line := 2; ; line++ {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, reason.Wrap(err, reason.RiskDataMalformed, "", "reading CSV line %d", line)
		}
		row := make(map[string]string, len(head))
		for i, h := range head {
			if rec[i] != "" {
				row[h] = rec[i]
			}
		}
		if err := in.addCriticality(row, fmt.Sprintf("#line=%d", line)); err != nil {
			return nil, err
		}
	}
	return in.criticalityDone()
}

func parseCriticalityJSON(r *bufio.Reader) (*imported, error) {
	dec := json.NewDecoder(r)
	dec.UseNumber()
	in := &imported{}
	var prev int64
	for n := 1; ; n++ {
		var obj map[string]any
		err := dec.Decode(&obj)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, reason.Wrap(err, reason.RiskDataMalformed, "", "decoding result %d", n)
		}
		if off := dec.InputOffset(); off-prev > MaxImportRecordBytes {
			return nil, tooMany("bytes in one result", MaxImportRecordBytes)
		} else {
			prev = off
		}
		row := map[string]string{}
		if err := flatten(row, "", obj); err != nil {
			return nil, err
		}
		if err := in.addCriticality(row, fmt.Sprintf("#/%d", n-1)); err != nil {
			return nil, err
		}
	}
	return in.criticalityDone()
}

// flatten writes nested objects as dotted columns, as v2's CSV names them.
func flatten(row map[string]string, prefix string, obj map[string]any) error {
	for k, v := range obj {
		if len(row) > maxCriticalityColumns {
			return tooMany("columns", maxCriticalityColumns)
		}
		switch v := v.(type) {
		case map[string]any:
			if err := flatten(row, prefix+k+".", v); err != nil {
				return err
			}
		case nil:
		case string:
			row[prefix+k] = v
		default:
			b, _ := json.Marshal(v)
			row[prefix+k] = string(b)
		}
	}
	return nil
}

// addCriticality keeps one result: its repository, score and signals.
func (in *imported) addCriticality(row map[string]string, record string) error {
	url, score := "", ""
	for _, c := range criticalityURLColumns {
		if url == "" {
			url = row[c]
		}
		delete(row, c)
	}
	for _, c := range criticalityScoreColumns {
		if score == "" {
			score = row[c]
		}
		delete(row, c)
	}
	repo := normRepository(url)
	if repo == "" {
		return reason.New(reason.RiskDataMalformed, "", "%s: repo.url: got %q, want a repository URL", record, url)
	}
	s, err := strconv.ParseFloat(score, 64)
	if err != nil || s < 0 || s > 1 {
		return reason.New(reason.RiskDataMalformed, "", "%s (%s): default_score: got %q, want a number from 0 to 1", record, url, score)
	}
	if in.records++; in.records > MaxImportRecords {
		return tooMany("criticality results", MaxImportRecords)
	}
	if t, err := time.Parse(time.RFC3339, row["collection_date"]); err == nil && t.After(in.asOf) {
		in.asOf = t
	}
	in.repositories = append(in.repositories, sbom.RepositoryFacts{Repository: repo,
		Criticality: &sbom.CriticalityFacts{Record: record, Score: s, Signals: maps.Clone(row)}})
	return nil
}

func (in *imported) criticalityDone() (*imported, error) {
	if in.records == 0 {
		return nil, reason.New(reason.RiskDataMalformed, "", "no criticality result in the file")
	}
	return in, nil
}

// lineLimiter fails a read once a line runs over limit bytes: a CSV
// reader would otherwise hold a line of any length in memory.
type lineLimiter struct {
	r     io.Reader
	limit int
	line  int // bytes since the last newline
}

func (l *lineLimiter) Read(p []byte) (int, error) {
	n, err := l.r.Read(p)
	for _, b := range p[:n] {
		if b == '\n' {
			l.line = 0
		} else if l.line++; l.line > l.limit {
			return 0, tooMany("bytes in one line", l.limit)
		}
	}
	return n, err
}
