package portfolio

import (
	"cmp"
	"context"
	"database/sql"
	"encoding/json"
	"maps"
	"slices"
	"time"

	"github.com/sovcheck/sovcheck/internal/reason"
	"github.com/sovcheck/sovcheck/internal/vocab"
	"github.com/sovcheck/sovcheck/sbom"
)

// Report is the portfolio view of today: each product's latest snapshot,
// scored together (pervasiveness is recomputed over the products of the
// day) with the configuration of the latest judgement among them, and
// rendered as 'sovcheck sbom labels --portfolio' renders it. top bounds
// the upstream and supplier lists (0 keeps all). Memory holds a compact
// record per component of the view, as sbom.Portfolio does.
func (s *Store) Report(ctx context.Context, top int) (*sbom.PortfolioReport, error) {
	rep, err := s.report(ctx, top)
	if err = s.afterFrozen(err); err != nil {
		return nil, err
	}
	return rep, nil
}

func (s *Store) report(ctx context.Context, top int) (*sbom.PortfolioReport, error) {
	var asOf string
	var cfgJSON string
	err := s.db.QueryRowContext(ctx, `SELECT j.config, (SELECT MAX(as_of) FROM current)
		FROM judgements j WHERE j.id = (SELECT MAX(s.judgement_id) FROM current cur JOIN snapshots s ON s.id = cur.snapshot_id)`).Scan(&cfgJSON, &asOf)
	if err == sql.ErrNoRows {
		return nil, reason.New(reason.PortfolioQueryInvalid, "add SBOMs first: sovcheck portfolio add DIR", "reporting on portfolio store %s: the store holds no products", s.Location())
	}
	if err != nil {
		return nil, s.classify(err, "reading the judgement from")
	}
	var cfg sbom.Config
	if err := json.Unmarshal([]byte(cfgJSON), &cfg); err != nil {
		return nil, reason.Wrap(err, reason.PortfolioStoreCorrupt, "restore the store from a backup", "reading the configuration stored in %s", s.Location())
	}
	day, err := time.Parse(time.DateOnly, asOf)
	if err != nil {
		return nil, reason.Wrap(err, reason.PortfolioStoreCorrupt, "restore the store from a backup", "reading the date stored in %s", s.Location())
	}
	a, err := sbom.NewAssessor(sbom.WithScoring(cfg), sbom.WithClock(func() time.Time { return day }), sbom.WithLogger(s.log))
	if err != nil {
		return nil, reason.Wrap(err, reason.PortfolioStoreCorrupt, "restore the store from a backup", "using the configuration stored in %s", s.Location())
	}
	data, err := s.dataSources(ctx)
	if err != nil {
		return nil, err
	}
	p := a.NewPortfolio()
	if err := s.eachCurrentRecord(ctx, p.AddRecord); err != nil {
		return nil, err
	}
	rep := p.Report(top)
	rep.Data = data
	return rep, nil
}

// dataSources lists the data files the current snapshots were judged
// with, once each.
func (s *Store) dataSources(ctx context.Context) ([]sbom.DataSource, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT DISTINCT j.data FROM judgements j
		WHERE j.id IN (SELECT s.judgement_id FROM current cur JOIN snapshots s ON s.id = cur.snapshot_id)`)
	if err != nil {
		return nil, s.classify(err, "reading data sources from")
	}
	defer rows.Close()
	seen := map[sbom.DataSource]bool{}
	var out []sbom.DataSource
	for rows.Next() {
		var raw string
		var ds []sbom.DataSource
		if err := rows.Scan(&raw); err != nil {
			return nil, s.classify(err, "reading data sources from")
		}
		if err := json.Unmarshal([]byte(raw), &ds); err != nil {
			return nil, reason.Wrap(err, reason.PortfolioStoreCorrupt, "restore the store from a backup", "reading data sources stored in %s", s.Location())
		}
		for _, d := range ds {
			if !seen[d] {
				seen[d] = true
				out = append(out, d)
			}
		}
	}
	if err := rows.Err(); err != nil {
		return nil, s.classify(err, "reading data sources from")
	}
	slices.SortFunc(out, func(x, y sbom.DataSource) int {
		return cmp.Or(cmp.Compare(x.Kind, y.Kind), cmp.Compare(x.Source, y.Source), cmp.Compare(x.Records, y.Records))
	})
	return out, nil
}

// eachCurrentRecord streams the records of the current snapshots, in the
// order they were added (by id).
func (s *Store) eachCurrentRecord(ctx context.Context, fn func(*sbom.ProductRecord) error) error {
	heads := map[int64]*head{}
	sources := map[string]bool{}
	rows, err := s.db.QueryContext(ctx, `SELECT s.id, s.digest, s.name, s.version, s.purl, s.source, s.format, s.spec_version,
		s.risk, s.computed_grade, s.grade, s.caps, s.coverage, s.components
		FROM current cur JOIN snapshots s ON s.id = cur.snapshot_id`)
	if err != nil {
		return s.classify(err, "reading snapshots from")
	}
	for rows.Next() {
		rec := &sbom.ProductRecord{}
		var id int64
		var digest, caps, cov string
		var n int
		if err := rows.Scan(&id, &digest, &rec.Name, &rec.Version, &rec.PURL, &rec.Source, &rec.Format, &rec.SpecVersion,
			&rec.Risk, &rec.ComputedGrade, &rec.Grade, &caps, &cov, &n); err != nil {
			rows.Close()
			return s.classify(err, "reading snapshots from")
		}
		if json.Unmarshal([]byte(caps), &rec.Caps) != nil || json.Unmarshal([]byte(cov), &rec.Coverage) != nil {
			rows.Close()
			return reason.New(reason.PortfolioStoreCorrupt, "restore the store from a backup", "reading snapshot %s from %s: undecodable caps or coverage", digest, s.Location())
		}
		// Two products read from files of the same name stay apart.
		if sources[rec.Source] {
			rec.Source += " (" + digest + ")"
		}
		sources[rec.Source] = true
		heads[id] = &head{rec: rec, digest: digest, count: n}
	}
	if err := rows.Err(); err != nil {
		return s.classify(err, "reading snapshots from")
	}
	rows.Close()
	if err := s.currentServices(ctx, heads); err != nil {
		return err
	}

	ids := slices.Sorted(maps.Keys(heads))
	return s.eachRecord(ctx, ids, heads, fn)
}

// head is a current snapshot as read before its components: its record
// (without components yet), its digest, and how many components it says
// it holds.
type head struct {
	rec    *sbom.ProductRecord
	digest string
	count  int
}

// Diff is what changed in the portfolio between a date and today.
type Diff struct {
	MediaType string `json:"mediaType"`
	// Since is the date asked; the portfolio then is each product's latest
	// snapshot dated before it.
	Since string `json:"since"`
	// Entered are products with no snapshot before Since; Changed those
	// with a newer snapshot since.
	Entered []ProductChange `json:"entered"`
	Changed []ProductChange `json:"changed"`
	// UpstreamsEntered and UpstreamsLeft are upstreams the portfolio as a
	// whole gained and lost.
	UpstreamsEntered []string `json:"upstreamsEntered"`
	UpstreamsLeft    []string `json:"upstreamsLeft"`
}

// ProductChange is one product's move between two snapshots.
type ProductChange struct {
	Product     string     `json:"product"`
	FromVersion string     `json:"fromVersion,omitempty"`
	ToVersion   string     `json:"toVersion,omitempty"`
	FromAsOf    string     `json:"fromAsOf,omitempty"`
	ToAsOf      string     `json:"toAsOf"`
	FromGrade   sbom.Grade `json:"fromGrade,omitempty"`
	ToGrade     sbom.Grade `json:"toGrade"`
	// GradeMoved is +n when the grade got n steps worse, -n when better.
	GradeMoved       int      `json:"gradeMoved"`
	UpstreamsEntered []string `json:"upstreamsEntered,omitempty"`
	UpstreamsLeft    []string `json:"upstreamsLeft,omitempty"`
}

type viewRow struct {
	id                     int64
	product, version, asOf string
	grade                  sbom.Grade
	upstreams              map[string]bool
}

// Diff compares the portfolio before since (YYYY-MM-DD) with today's.
func (s *Store) Diff(ctx context.Context, since string) (*Diff, error) {
	d, err := s.diff(ctx, since)
	if err = s.afterFrozen(err); err != nil {
		return nil, err
	}
	return d, nil
}

func (s *Store) diff(ctx context.Context, since string) (*Diff, error) {
	if _, err := time.Parse(time.DateOnly, since); err != nil {
		return nil, reason.New(reason.PortfolioQueryInvalid, "write the date as YYYY-MM-DD", "reading --since %q: not a date", since)
	}
	then := `SELECT id FROM (SELECT id, ROW_NUMBER() OVER (PARTITION BY product ORDER BY ` + s.d.ddl(latestFirst) + `) AS rn
		FROM snapshots WHERE as_of < ?) t WHERE rn = 1`
	now := `SELECT snapshot_id FROM current`
	before, err := s.view(ctx, then, since)
	if err != nil {
		return nil, err
	}
	after, err := s.view(ctx, now)
	if err != nil {
		return nil, err
	}
	d := &Diff{MediaType: vocab.MediaTypePortfolioDiff, Since: since, Entered: []ProductChange{}, Changed: []ProductChange{},
		UpstreamsEntered: []string{}, UpstreamsLeft: []string{}}
	upBefore, upAfter := map[string]bool{}, map[string]bool{}
	for _, r := range before {
		for u := range r.upstreams {
			upBefore[u] = true
		}
	}
	for product, r := range after {
		for u := range r.upstreams {
			upAfter[u] = true
		}
		old, ok := before[product]
		switch {
		case !ok:
			d.Entered = append(d.Entered, ProductChange{Product: product, ToVersion: r.version, ToAsOf: r.asOf, ToGrade: r.grade,
				UpstreamsEntered: setDiff(r.upstreams, nil)})
		case old.id != r.id:
			d.Changed = append(d.Changed, ProductChange{Product: product, FromVersion: old.version, ToVersion: r.version,
				FromAsOf: old.asOf, ToAsOf: r.asOf, FromGrade: old.grade, ToGrade: r.grade,
				GradeMoved:       r.grade.Rank() - old.grade.Rank(),
				UpstreamsEntered: setDiff(r.upstreams, old.upstreams), UpstreamsLeft: setDiff(old.upstreams, r.upstreams)})
		}
	}
	d.UpstreamsEntered = append(d.UpstreamsEntered, setDiff(upAfter, upBefore)...)
	d.UpstreamsLeft = append(d.UpstreamsLeft, setDiff(upBefore, upAfter)...)
	byProduct := func(x, y ProductChange) int { return cmp.Compare(x.Product, y.Product) }
	slices.SortFunc(d.Entered, byProduct)
	slices.SortFunc(d.Changed, byProduct)
	return d, nil
}

// view loads the snapshots whose ids the subquery selects, keyed by
// product, with their upstreams.
func (s *Store) view(ctx context.Context, ids string, args ...any) (map[string]*viewRow, error) {
	rows, err := s.db.QueryContext(ctx, s.d.q(`SELECT s.id, s.product, s.version, s.as_of, s.grade FROM snapshots s
		WHERE s.id IN (`+ids+`)`), args...)
	if err != nil {
		return nil, s.classify(err, "reading a portfolio view from")
	}
	out := map[string]*viewRow{}
	byID := map[int64]*viewRow{}
	for rows.Next() {
		r := &viewRow{upstreams: map[string]bool{}}
		if err := rows.Scan(&r.id, &r.product, &r.version, &r.asOf, &r.grade); err != nil {
			rows.Close()
			return nil, s.classify(err, "reading a portfolio view from")
		}
		out[r.product] = r
		byID[r.id] = r
	}
	if err := rows.Err(); err != nil {
		return nil, s.classify(err, "reading a portfolio view from")
	}
	rows.Close()
	rows, err = s.db.QueryContext(ctx, s.d.q(`SELECT DISTINCT c.snapshot_id, t.term FROM components c
		JOIN terms t ON t.id = c.upstream_id WHERE c.snapshot_id IN (`+ids+`)`), args...)
	if err != nil {
		return nil, s.classify(err, "reading upstreams from")
	}
	defer rows.Close()
	for rows.Next() {
		var id int64
		var up string
		if err := rows.Scan(&id, &up); err != nil {
			return nil, s.classify(err, "reading upstreams from")
		}
		if r := byID[id]; r != nil {
			r.upstreams[up] = true
		}
	}
	if err := rows.Err(); err != nil {
		return nil, s.classify(err, "reading upstreams from")
	}
	return out, nil
}

// setDiff lists the keys of a missing from b, sorted.
func setDiff(a, b map[string]bool) []string {
	var out []string
	for k := range a {
		if !b[k] {
			out = append(out, k)
		}
	}
	slices.Sort(out)
	return out
}

// Stats counts what the store holds.
type Stats struct {
	Snapshots  int `json:"snapshots"`
	Products   int `json:"products"`
	Components int `json:"components"`
}

// Stats counts snapshots, products and stored components.
func (s *Store) Stats(ctx context.Context) (Stats, error) {
	var st Stats
	err := s.db.QueryRowContext(ctx, `SELECT (SELECT COUNT(*) FROM snapshots), (SELECT COUNT(*) FROM current), (SELECT COUNT(*) FROM components)`).
		Scan(&st.Snapshots, &st.Products, &st.Components)
	if err != nil {
		return st, s.classify(err, "counting")
	}
	return st, nil
}
