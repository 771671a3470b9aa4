// Package portfolio is the auditor's store: every SBOM of every product,
// judged once and kept, so that "which of our products contain X, in
// which versions?" is answered from an index in a second instead of by
// re-reading the portfolio.
//
// # Stores
//
// Open takes a file path (SQLite through the pure-Go modernc.org/sqlite
// driver, so sovcheck stays CGO-free) or a postgres:// URL (PostgreSQL
// through pgx, for a store shared by a team or by many ingestion workers).
// Both have the same schema, written once (schema.go), and give the same
// answers. The schema is versioned: Open applies the missing migrations in
// one transaction (serialised by an advisory lock on PostgreSQL, by an
// immediate transaction on SQLite), refuses a store of a newer sovcheck
// with PORTFOLIO_STORE_TOO_NEW and a file or database that is not a store
// with PORTFOLIO_STORE_FOREIGN, touching neither.
//
// # What is kept
//
//	judgements  the configuration, data sources and date SBOMs were judged
//	            with (one row per distinct judgement)
//	snapshots   one SBOM of one product: sha256 digest (unique), product
//	            name and version, source, format, date, grade, caps, coverage
//	components  per snapshot: name, version, purl, versionless purl,
//	            upstream id, supplier, labels, signals, grade, and the
//	            component's parent on a shortest path from the product root
//	services    per snapshot: each hosted service (CycloneDX services) with
//	            its provider (indexed, case and spacing folded), trust
//	            boundary, and the service as judged (endpoints, trust zone,
//	            data flows, hosting labels)
//	current     each product's latest snapshot: the latest date, then the
//	            greater source, then the greater digest (byte order), so
//	            the order in which parallel writers insert does not count
//
// A product is identified by the name its SBOM gives it (the source file
// when it gives none); its snapshots are its history.
//
// # Ingestion
//
// AddFiles reads and judges SBOMs in parallel through package sbom while
// one writer stores them, an SBOM never split across transactions (SQLite
// batches up to 256 per transaction): memory holds a few SBOMs at a time,
// whatever the size of the portfolio; a crash leaves every SBOM stored
// whole or not at all; an SBOM whose digest is stored is skipped, so the
// next add resumes. Concurrent writers (two processes on one SQLite file,
// many machines on one PostgreSQL) rely on the unique digest: a product
// snapshot is never stored twice.
//
// # Questions
//
// Where finds components by versionless purl, name or upstream id, with a
// version range in the ecosystem's own order (compareVersions delegates to
// package sbom, the order vulnerability matching uses); a version that
// cannot be compared is reported as undetermined, never dropped. Paths
// through the dependency graph are walked up the stored shortest-path tree
// in one recursive query. A hosting question (NewHostingQuery) finds the
// products that run a service on a provider. Report rebuilds an sbom.Portfolio from the
// current snapshots, so the portfolio view from the store equals 'sovcheck
// sbom labels --portfolio' on the same SBOMs. Diff compares the portfolio
// before a date with today's.
//
// # Invariants
//
// The package never prints and never reaches the network beyond the
// PostgreSQL server it is given; it logs through the *slog.Logger given
// with WithLogger. Answers are sorted and carry no store-internal ids.
package portfolio
