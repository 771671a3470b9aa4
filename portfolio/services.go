package portfolio

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/sovcheck/sovcheck/internal/reason"
	"github.com/sovcheck/sovcheck/sbom"
)

// ServiceMatch is one hosted service of one product snapshot.
type ServiceMatch struct {
	Product        string     `json:"product"`
	ProductVersion string     `json:"productVersion,omitempty"`
	Source         string     `json:"source"`
	Digest         string     `json:"digest"`
	AsOf           string     `json:"asOf"`
	Grade          sbom.Grade `json:"grade"`
	// Service is the service as judged when the SBOM was added: provider,
	// endpoints, trust boundary and zone, data flows, hosting labels.
	Service sbom.ServiceResult `json:"service"`

	idx int
}

// Title names the product snapshot of a service: product@version.
func (m ServiceMatch) Title() string {
	return Match{Product: m.Product, ProductVersion: m.ProductVersion}.Title()
}

// LabelNames are the hosting labels of the service.
func (m ServiceMatch) LabelNames() []string {
	out := make([]string, len(m.Service.Labels))
	for i, f := range m.Service.Labels {
		out[i] = string(f.Label)
	}
	return out
}

// providerKey folds a provider name for lookup: case and runs of spaces
// do not tell providers apart.
func providerKey(p string) string {
	return strings.ToLower(strings.Join(strings.Fields(p), " "))
}

// boolOrNull stores an optional yes/no as 1, 0 or NULL.
func boolOrNull(b *bool) any {
	if b == nil {
		return nil
	}
	return boolInt(*b)
}

// insertServices stores the services of snapshot id in the open
// transaction.
func (w *writer) insertServices(ctx context.Context, id int64, j judged) error {
	for i := range j.rec.Services {
		sv := &j.rec.Services[i]
		raw, err := json.Marshal(sv)
		if err != nil {
			return fmt.Errorf("encoding service %q of %q: %w", sv.Name, j.source, err)
		}
		_, err = w.stmts[insertService].ExecContext(ctx, id, i, sv.Name, sv.Provider, providerKey(sv.Provider), boolOrNull(sv.CrossesTrustBoundary), string(raw))
		if err != nil {
			return w.s.classify(err, "writing services to")
		}
	}
	return nil
}

// decodeService reads a stored service.
func (s *Store) decodeService(raw, digest string) (sbom.ServiceResult, error) {
	var sv sbom.ServiceResult
	if err := json.Unmarshal([]byte(raw), &sv); err != nil {
		return sv, reason.Wrap(err, reason.PortfolioStoreCorrupt, "restore the store from a backup",
			"reading a service of snapshot %s from %s", digest, s.Location())
	}
	return sv, nil
}

// hosted answers which products run a service on q.Provider.
func (s *Store) hosted(ctx context.Context, q Query) ([]ServiceMatch, error) {
	from := `services v JOIN current cur ON cur.snapshot_id = v.snapshot_id`
	if q.History {
		from = `services v`
	}
	rows, err := s.db.QueryContext(ctx, s.d.q(`SELECT s.name, s.version, s.source, s.digest, s.as_of, s.grade, v.idx, v.result
		FROM `+from+` JOIN snapshots s ON s.id = v.snapshot_id WHERE v.provider_key = ?`), providerKey(q.Provider))
	if err != nil {
		return nil, s.classify(err, "querying services in")
	}
	defer rows.Close()
	out := []ServiceMatch{}
	for rows.Next() {
		var m ServiceMatch
		var raw string
		if err := rows.Scan(&m.Product, &m.ProductVersion, &m.Source, &m.Digest, &m.AsOf, &m.Grade, &m.idx, &raw); err != nil {
			return nil, s.classify(err, "reading services from")
		}
		if m.Service, err = s.decodeService(raw, m.Digest); err != nil {
			return nil, err
		}
		out = append(out, m)
	}
	if err := rows.Err(); err != nil {
		return nil, s.classify(err, "reading services from")
	}
	slices.SortFunc(out, func(x, y ServiceMatch) int {
		return cmp.Or(cmp.Compare(x.Product, y.Product), cmp.Compare(x.AsOf, y.AsOf), cmp.Compare(x.Digest, y.Digest), cmp.Compare(x.idx, y.idx))
	})
	return out, nil
}

// currentServices reads the services of the current snapshots into their
// records, in stored order.
func (s *Store) currentServices(ctx context.Context, heads map[int64]*head) error {
	rows, err := s.db.QueryContext(ctx, `SELECT v.snapshot_id, v.result FROM current cur JOIN services v ON v.snapshot_id = cur.snapshot_id
		ORDER BY v.snapshot_id, v.idx`)
	if err != nil {
		return s.classify(err, "reading services from")
	}
	defer rows.Close()
	for rows.Next() {
		var id int64
		var raw string
		if err := rows.Scan(&id, &raw); err != nil {
			return s.classify(err, "reading services from")
		}
		h := heads[id]
		if h == nil {
			continue
		}
		sv, err := s.decodeService(raw, h.digest)
		if err != nil {
			return err
		}
		h.rec.Services = append(h.rec.Services, sv)
	}
	if err := rows.Err(); err != nil {
		return s.classify(err, "reading services from")
	}
	return nil
}
