package portfolio

import (
	"bytes"
	"cmp"
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"runtime"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/sovcheck/sovcheck/internal/boundedio"
	"github.com/sovcheck/sovcheck/internal/reason"
	"github.com/sovcheck/sovcheck/sbom"
)

// Ingest says how SBOMs are read and judged on their way into the store.
type Ingest struct {
	// Assessor judges every SBOM; its configuration, data sources and
	// date are stored once as the judgement the snapshots refer to.
	Assessor *sbom.Assessor
	// ReadOptions are passed to sbom.Read (logger, limits, clock).
	ReadOptions []sbom.Option
	// MaxBytes bounds one SBOM file (default: sbom.DefaultLimits).
	MaxBytes int64
	// Workers read and judge SBOMs in parallel (default: one per CPU).
	// Memory holds at most about twice this many SBOMs at once.
	Workers int
	// BySource identifies products by the SBOM's file name as given
	// instead of the product name it states: for portfolios whose SBOMs
	// name no product, or name different products alike.
	BySource bool
	// Progress, when set, is called after each file.
	Progress func(done, total int)
}

// AddSummary is what one add did.
type AddSummary struct {
	// Added counts new snapshots; Skipped the SBOMs already in the store
	// (same sha256), which are neither read again nor stored twice.
	Added    int            `json:"added"`
	Skipped  int            `json:"skipped"`
	Failures []sbom.Failure `json:"failures,omitempty"`
}

// Shard returns the files whose position in files is i modulo n: with
// the same sorted list (sbom.CollectInputs sorts), n workers with i = 0
// .. n-1 together take every file exactly once.
func Shard(files []string, i, n int) []string {
	var out []string
	for k, f := range files {
		if n > 0 && k%n == i {
			out = append(out, f)
		}
	}
	return out
}

// judged is one SBOM read and judged, on its way to the writer.
type judged struct {
	source string
	digest string
	rec    *sbom.ProductRecord
	// The rest is computed by the worker so that the single writer only
	// writes: the components' versionless purls, their stored paths and
	// labels, and the snapshot's caps and coverage as JSON.
	packages, paths, labels []string
	caps, coverage          string
}

// AddFiles reads, judges and stores each file as a snapshot, one
// transaction per SBOM: a crash leaves every SBOM either fully stored or
// absent, and the next add resumes where it stopped. An SBOM whose sha256
// is already in the store is skipped. Unreadable files are listed in the
// summary and the rest goes on; the error is for the store itself or a
// cancelled context.
func (s *Store) AddFiles(ctx context.Context, in Ingest, files []string) (*AddSummary, error) {
	if in.Assessor == nil {
		return nil, errors.New("adding to portfolio store: no assessor")
	}
	if in.MaxBytes <= 0 {
		in.MaxBytes = sbom.DefaultLimits().MaxSBOMBytes
	}
	if in.Workers <= 0 {
		in.Workers = max(1, runtime.GOMAXPROCS(0))
	}
	judgementID, asOf, err := s.judgement(ctx, in.Assessor)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()

	sum := &AddSummary{}
	var mu sync.Mutex
	done := 0
	finish := func(f *sbom.Failure, skipped bool) {
		mu.Lock()
		defer mu.Unlock()
		if f != nil {
			sum.Failures = append(sum.Failures, *f)
		}
		if skipped {
			sum.Skipped++
		}
		done++
		if in.Progress != nil {
			in.Progress(done, len(files))
		}
	}

	// Each worker asks whether its SBOM is stored with one statement,
	// prepared once per connection.
	stored, err := s.db.PrepareContext(ctx, s.d.q(`SELECT 1 FROM snapshots WHERE digest = ?`))
	if err != nil {
		return nil, s.classify(err, "reading")
	}
	defer stored.Close()
	out := s.judgeAll(ctx, in, files, stored, finish)

	w := &writer{s: s, judgementID: judgementID, asOf: asOf, bySource: in.BySource}
	defer w.rollback()
	var storeErr error
	for j := range out {
		if storeErr != nil {
			continue // drain
		}
		added, err := w.insert(ctx, j)
		// Commit when the batch is full, or when no SBOM waits and the
		// transaction has been open a while (readers and other writers
		// see progress; a crash loses little work).
		if err == nil && (w.pending >= w.s.batch() || (len(out) == 0 && time.Since(w.begun) >= commitAfter)) {
			err = w.commit()
		}
		if err != nil {
			storeErr = err
			cancel()
			continue
		}
		if added {
			mu.Lock()
			sum.Added++
			mu.Unlock()
		}
		finish(nil, !added)
	}
	if storeErr == nil {
		storeErr = w.commit()
	}
	slices.SortFunc(sum.Failures, func(x, y sbom.Failure) int { return cmp.Compare(x.Source, y.Source) })
	if storeErr != nil {
		return sum, storeErr
	}
	return sum, context.Cause(ctx)
}

// judgeAll judges files on in.Workers goroutines and sends each SBOM to
// store on the channel it returns, closed when all are judged or ctx is
// done; a failed or skipped file is reported to finish instead. stored
// asks whether a digest is stored.
func (s *Store) judgeAll(ctx context.Context, in Ingest, files []string, stored *sql.Stmt, finish func(*sbom.Failure, bool)) <-chan judged {
	jobs := make(chan string)
	out := make(chan judged, in.Workers)
	var wg sync.WaitGroup
	for range in.Workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for f := range jobs {
				j, skipped, err := s.judge(ctx, in, f, stored)
				switch {
				case err != nil:
					re := reason.As(err, reason.InputUnreadable, "check the file")
					finish(&sbom.Failure{Source: f, Code: re.Code, Message: re.Error(), Hint: re.Hint}, false)
				case skipped:
					finish(nil, true)
				default:
					select {
					case out <- j:
					case <-ctx.Done():
						return
					}
				}
			}
		}()
	}
	go func() {
		defer close(jobs)
		for _, f := range files {
			select {
			case jobs <- f:
			case <-ctx.Done():
				return
			}
		}
	}()
	go func() {
		wg.Wait()
		close(out)
	}()
	return out
}

// judge reads one file; skipped is set when its digest is already stored
// (asked with stored).
func (s *Store) judge(ctx context.Context, in Ingest, path string, stored *sql.Stmt) (judged, bool, error) {
	f, err := os.Open(path)
	if err != nil {
		return judged{}, false, reason.Wrap(err, reason.InputUnreadable, "check the path and its permissions", "reading %q", path)
	}
	data, err := boundedio.ReadAll(f, in.MaxBytes)
	f.Close()
	switch {
	case reason.CodeOf(err, "") == reason.InputTooLarge:
		return judged{}, false, reason.New(reason.InputTooLarge, "split the SBOM, or raise the SBOM size limit",
			"reading %q: larger than %d bytes", path, in.MaxBytes)
	case err != nil:
		return judged{}, false, reason.Wrap(err, reason.InputUnreadable, "check the file", "reading %q", path)
	}
	sum := sha256.Sum256(data)
	digest := "sha256:" + hex.EncodeToString(sum[:])
	var one int
	err = stored.QueryRowContext(ctx, digest).Scan(&one)
	switch {
	case err == nil:
		return judged{}, true, nil
	case !errors.Is(err, sql.ErrNoRows):
		return judged{}, false, s.classify(err, "reading")
	}
	g, err := sbom.Read(bytes.NewReader(data), path, in.ReadOptions...)
	if err != nil {
		return judged{}, false, err
	}
	rec := in.Assessor.Record(g)
	caps, err := json.Marshal(rec.Caps)
	if err != nil {
		return judged{}, false, fmt.Errorf("encoding caps of %q: %w", path, err)
	}
	cov, err := json.Marshal(rec.Coverage)
	if err != nil {
		return judged{}, false, fmt.Errorf("encoding coverage of %q: %w", path, err)
	}
	j := judged{source: path, digest: digest, rec: rec, caps: string(caps), coverage: string(cov),
		packages: make([]string, len(rec.Components)), labels: make([]string, len(rec.Components)), paths: pathsFromRoot(rec.Components)}
	for i := range rec.Components {
		j.packages[i] = sbom.PackageKey(rec.Components[i].PURL)
		j.labels[i] = joinLabels(rec.Components[i].Labels)
	}
	return j, false, nil
}

// judgement stores the assessor's configuration, data sources and date
// once, and returns its id and date.
func (s *Store) judgement(ctx context.Context, a *sbom.Assessor) (int64, string, error) {
	empty := a.NewPortfolio().Report(0)
	cfg, err := json.Marshal(empty.Config)
	if err != nil {
		return 0, "", fmt.Errorf("encoding the judgement: %w", err)
	}
	data, err := json.Marshal(empty.Data)
	if err != nil {
		return 0, "", fmt.Errorf("encoding the judgement: %w", err)
	}
	h := sha256.New()
	for _, part := range [][]byte{[]byte(empty.AsOf), cfg, data} {
		h.Write(part)
		h.Write([]byte{0})
	}
	digest := "sha256:" + hex.EncodeToString(h.Sum(nil))
	_, err = s.db.ExecContext(ctx, s.d.q(`INSERT INTO judgements (digest, as_of, config, data) VALUES (?, ?, ?, ?) ON CONFLICT (digest) DO NOTHING`),
		digest, empty.AsOf, string(cfg), string(data))
	if err != nil {
		return 0, "", s.classify(err, "writing the judgement to")
	}
	var id int64
	if err := s.db.QueryRowContext(ctx, s.d.q(`SELECT id FROM judgements WHERE digest = ?`), digest).Scan(&id); err != nil {
		return 0, "", s.classify(err, "reading the judgement from")
	}
	return id, empty.AsOf, nil
}

// productKey identifies a product across snapshots: its name, or the
// source when the SBOM names no product or bySource is set.
func productKey(rec *sbom.ProductRecord, bySource bool) string {
	if rec.Name != "" && !bySource {
		return rec.Name
	}
	return rec.Source
}

// componentColumns are the columns of one component row, in insert order.
const componentColumns = 19

// componentBatch rows go into one INSERT statement.
const componentBatch = 100

// batch bounds the SBOMs written in one transaction. Batching saves the
// commit cost when SBOMs arrive faster than they are written; an SBOM is
// never split across transactions, so a crash still leaves each one whole
// or absent. SQLite has one writer at a time; on PostgreSQL, where many
// writers run at once, each SBOM commits alone, so that two writers never
// hold each other's digests in open transactions (a deadlock).
func (s *Store) batch() int {
	if s.d.name == "postgres" {
		return 1
	}
	return 256
}

// commitAfter is how long a transaction stays open while no SBOM waits.
const commitAfter = 250 * time.Millisecond

// writer writes snapshots in transactions of up to maxBatch SBOMs.
type writer struct {
	s           *Store
	judgementID int64
	asOf        string
	bySource    bool
	tx          *sql.Tx
	begun       time.Time
	pending     int
	// stmts are prepared in each transaction (writerStatements).
	stmts [writerStatementCount]*sql.Stmt
	// terms caches term ids, and idents identity ids; each is cleared
	// when full, and both when a transaction fails (on SQLite the ids of
	// a rolled-back transaction do not exist).
	terms  map[string]int64
	idents map[ident]int64
}

// The statements a writer prepares in each transaction, by index in
// writer.stmts.
const (
	insertSnapshot = iota
	insertComponents
	insertService
	upsertCurrent
	writerStatementCount
)

// writerStatements are the writer's statements, indexed as writer.stmts.
func writerStatements(d dialect) [writerStatementCount]string {
	return [...]string{
		insertSnapshot: `INSERT INTO snapshots (digest, product, name, version, purl, source, format, spec_version,
			as_of, added_at, judgement_id, risk, computed_grade, grade, caps, coverage, components)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (digest) DO NOTHING RETURNING id`,
		insertComponents: d.componentInsert(componentBatch),
		insertService: `INSERT INTO services (snapshot_id, idx, name, provider, provider_key, crosses_trust_boundary, result)
			VALUES (?, ?, ?, ?, ?, ?, ?)`,
		// The product's latest snapshot by date; on a tie the greater
		// source, then the greater digest (latestFirst), whichever was
		// inserted first.
		upsertCurrent: `INSERT INTO current (product, snapshot_id, as_of, source, digest) VALUES (?, ?, ?, ?, ?)
			ON CONFLICT (product) DO UPDATE SET snapshot_id = excluded.snapshot_id, as_of = excluded.as_of,
				source = excluded.source, digest = excluded.digest
			WHERE excluded.as_of > current.as_of OR (excluded.as_of = current.as_of AND
				(excluded.source > current.source OR (excluded.source = current.source AND excluded.digest > current.digest)))`,
	}
}

func (w *writer) rollback() {
	if w.tx != nil {
		w.tx.Rollback()
		w.tx, w.pending, w.terms, w.idents = nil, 0, nil, nil
	}
}

func (w *writer) commit() error {
	if w.tx == nil {
		return nil
	}
	err := w.tx.Commit()
	w.tx, w.pending = nil, 0
	if err != nil {
		w.terms, w.idents = nil, nil
		return w.s.classify(err, "committing snapshots to")
	}
	return nil
}

// componentInsert is the INSERT of n component rows. On SQLite a failing
// row rolls the whole transaction back (OR ROLLBACK), which the writer
// does anyway on any error: SQLite then keeps no statement journal, a
// copy of every page the statement changes.
func (d dialect) componentInsert(n int) string {
	var q strings.Builder
	q.WriteString(`INSERT `)
	if !d.dollar {
		q.WriteString(`OR ROLLBACK `)
	}
	q.WriteString(`INTO components (snapshot_id, idx, name_id, version, purl, package_id, upstream_id, supplier, parent,
		dependents_signal, dominated_signal, fragility, assessed, sandboxed, labels, risk, grade, path, ident_id) VALUES `)
	q.WriteString(list("("+list("?", componentColumns)+")", n))
	return q.String()
}

// insert stores one snapshot in the open transaction. added is false
// when the digest is already stored (by another writer, or twice in one
// run). Its components and its row in current are written with the
// snapshot, never without one: where's parts check they saw one store by
// the last snapshot id (readParts).
func (w *writer) insert(ctx context.Context, j judged) (added bool, err error) {
	s := w.s
	rec := j.rec
	if w.tx == nil {
		if w.tx, err = s.db.BeginTx(ctx, nil); err != nil {
			return false, s.classify(err, "writing to")
		}
		w.begun = time.Now()
		for i, q := range writerStatements(s.d) {
			if w.stmts[i], err = w.tx.PrepareContext(ctx, s.d.q(q)); err != nil {
				return false, s.classify(err, "writing to")
			}
		}
	}
	tx := w.tx
	var id int64
	err = w.stmts[insertSnapshot].QueryRowContext(ctx, j.digest, productKey(rec, w.bySource), rec.Name, rec.Version, rec.PURL, rec.Source, string(rec.Format), rec.SpecVersion,
		w.asOf, s.now().UTC().Format(time.RFC3339), w.judgementID, rec.Risk, string(rec.ComputedGrade), string(rec.Grade),
		j.caps, j.coverage, len(rec.Components)).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	if err != nil {
		return false, s.classify(err, "writing a snapshot to")
	}
	w.pending++
	terms := make([]string, 0, 3*len(rec.Components))
	for i := range rec.Components {
		terms = append(terms, rec.Components[i].Name, j.packages[i], rec.Components[i].Upstream)
	}
	ids, err := w.termIDs(ctx, terms)
	if err != nil {
		return false, err
	}
	triples := make([]ident, len(rec.Components))
	for i := range triples {
		triples[i] = ident{ids[3*i], ids[3*i+1], ids[3*i+2]}
	}
	identIDs, err := w.identIDs(ctx, triples)
	if err != nil {
		return false, err
	}
	args := make([]any, 0, componentBatch*componentColumns)
	for start := 0; start < len(rec.Components); start += componentBatch {
		batch := rec.Components[start:min(start+componentBatch, len(rec.Components))]
		args = args[:0]
		for k := range batch {
			c := &batch[k]
			t := 3 * (start + k)
			args = append(args, id, start+k, ids[t], c.Version, c.PURL, ids[t+1], ids[t+2], c.Supplier, c.Parent,
				c.DependentsSignal, c.DominatedSignal, c.Fragility, boolInt(c.Assessed), boolInt(c.Sandboxed),
				j.labels[start+k], c.Risk, string(c.Grade), j.paths[start+k], identIDs[start+k])
		}
		if len(batch) == componentBatch {
			_, err = w.stmts[insertComponents].ExecContext(ctx, args...)
		} else {
			_, err = tx.ExecContext(ctx, s.d.q(s.d.componentInsert(len(batch))), args...)
		}
		if err != nil {
			return false, s.classify(err, "writing components to")
		}
	}
	if err := w.insertServices(ctx, id, j); err != nil {
		return false, err
	}
	_, err = w.stmts[upsertCurrent].ExecContext(ctx, productKey(rec, w.bySource), id, w.asOf, rec.Source, j.digest)
	if err != nil {
		return false, s.classify(err, "updating the current portfolio in")
	}
	return true, nil
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

func joinLabels(ls []sbom.Label) string {
	parts := make([]string, len(ls))
	for i, l := range ls {
		parts[i] = string(l)
	}
	return strings.Join(parts, ",")
}

func splitLabels(s string) []sbom.Label {
	if s == "" {
		return nil
	}
	parts := strings.Split(s, ",")
	out := make([]sbom.Label, len(parts))
	for i, p := range parts {
		out[i] = sbom.Label(p)
	}
	return out
}
