// Package sbom turns SBOMs and lockfiles into one component graph, labels
// each component with the systemic risks it carries, scores products from
// A (best) to G, and finds what a portfolio of products shares.
//
// # Inputs
//
// Read sniffs the content before decoding; the file name only tells text
// formats apart and is otherwise overruled by the content (an SPDX
// document named app.cdx.json is read as SPDX, with a warning and a log
// line). Supported: CycloneDX JSON and XML 1.2 to 1.7 (cyclonedx-go;
// nested components are walked and count as parts of their parent; 1.0
// and 1.1 are refused with a conversion hint), SPDX 2.2 and 2.3 JSON and
// tag-value (spdx/tools-golang, with a tolerant fallback for common JSON
// deviations such as an originator without "Person:"; tag-value locations
// are file:line), SPDX 3.0.1 JSON-LD (the compacted @graph: packages and
// files, relationships, licence expressions, agents), go.mod with its
// go.sum (golang.org/x/mod) and package-lock.json v2/v3. A JSON object
// that is neither is refused with SBOM_FORMAT_UNKNOWN: cyclonedx-go would
// decode it into an empty BOM, which must never be graded. Every reader
// enforces the Limits (bytes, components, edges, nesting) and fails with
// INPUT_TOO_LARGE past them; a byte pre-pass counts components and edges
// before any decoder allocates, and refuses an input whose count or
// estimated memory (MaxMemoryBytes) is too large (budget.go). Binary
// content is refused after the first 64 KiB. Components that repeat an
// earlier component's purl are merged into it, so they count once.
//
// CollectInputs lists every file of a directory; what cannot be read is
// reported with its reason, never skipped in silence: named pipes and
// other special files are listed, not opened.
//
// # Generator placeholders
//
// Components that generators write for things they could not name
// (Trivy's "gobinary" and "jar" application entries, components named
// after a file path or a lockfile, empty or UNKNOWN names) are
// unidentifiable with an identity/placeholder-* rule and resolve to no
// upstream, so a portfolio never ranks them as shared (placeholder.go).
//
// # Conformance profiles
//
// CheckProfile lists every gap between an SBOM and a conformance profile
// (BSI TR-03183-2 v2.1.0), per field and component (profile.go).
//
// # Upstream identity
//
// Components of different ecosystems that are built from the same project
// share an upstream id, so Debian liblzma5, Alpine xz-libs and RPM
// xz-libs count as one. Readers collect hints, best first: the purl
// "upstream" qualifier, generator properties naming the source package
// (syft, trivy), CycloneDX pedigree ancestors, SPDX sourceInfo and
// ancestor relationships, the source repository, and the versionless purl.
// The first hint an optional mapping file knows decides; otherwise the
// first hint, with well-known distribution renames applied (xz-utils is
// xz). Distribution source packages are keyed "src:NAME" whatever the
// distribution.
//
// # Labels
//
// Each label that fires carries the rule id, the SBOM field (a JSON
// pointer, XML path or file:line) and the data record it read. Labels that
// need data the run does not have are not guessed: they are listed as
// unassessed with the reason, and the report states the share of label
// questions left open, per dimension.
//
//	identity       unidentifiable, unverifiable-artifact, opaque-binary,
//	               unknown-producer, unknown-licence, graph-incomplete
//	provenance     no-provenance, unsigned, not-reproducible (facts from
//	               sovcheck verify/rebuild), locally-modified (the SBOM)
//	stewardship    single-maintainer, anonymous-maintainer, abandoned,
//	               uncertified-steward (trust registry, else a risk data
//	               snapshot), deprecated, retracted (risk data snapshot)
//	sovereignty    foreign-single-source (registry + allowed jurisdictions),
//	               unsandboxed-native, sandboxed and ambient-authority
//	               (Wasm: by the capabilities of a module read beside the
//	               SBOM and matched by SHA-256, else sandboxed by name)
//	vulnerability  known-vulnerable (OSV, each ecosystem's identity rules
//	               and version order from osv-scalibr's semantic package;
//	               severity from CVSS vectors via go-cvss, else the
//	               ecosystem's or database's own word; a trusted VEX
//	               not_affected with a justification suppresses, and is
//	               listed), known-exploited (KEV)
//	systemic       portfolio-pervasive, high-blast-radius,
//	               supplier-concentration, systemic-fragile
//
// Hosted services (CycloneDX services, services.go) are subjects of their
// own, with foreign-hosted, uncertified-host, unauthenticated-endpoint,
// crosses-trust-boundary and single-provider (hosting.go); a portfolio
// adds hosting-concentration and a Herfindahl index of providers that is
// null, never 0, when a provider is unknown. They do not enter component
// scores.
//
// # Scores
//
// Fragility is the noisy-OR of the fired labels' weights. Impact is the
// blast radius, the larger of two OpenSSF-style signals
// log(1+x)/log(1+max(x,T)) over transitive dependents and dominated
// components, averaged with pervasiveness (share of products holding the
// upstream) in a portfolio. Risk = 100 x fragility x (floor + (1-floor) x
// impact), lifted by per-label floors; grades follow cut-offs. A product's
// grade is its worst component's grade, never an average, capped when the
// SBOM is too poor to assess (few identifiable components, no dependency
// graph, no components). Config holds every weight and cut-off; the
// report embeds the Config it used, so every number can be recomputed.
//
// # Data files
//
// Trust registry (YAML):
//
//	stewards:
//	  - name: Tukaani Project
//	    upstreams: [src:xz]          # upstream keys or mapping ids
//	    jurisdiction: FI             # ISO 3166-1 alpha-2, or EU
//	    maintainers: 2
//	    anonymousMaintainers: 1
//	    lastRelease: 2024-02-24
//	    funding: volunteer
//	    certifications: [{scheme: ISO 27001, validUntil: 2027-01-31}]
//	    alternatives: []             # interchangeable upstreams
//	suppliers:
//	  - name: Example GmbH
//	    aliases: [Example]
//	    jurisdiction: DE
//	providers:                       # hosting providers of services
//	  - name: OVH
//	    jurisdiction: FR
//	    regions: [eu-west-par]
//	    certifications: [{scheme: SecNumCloud, validUntil: 2027-01-31}]
//
// Upstream mapping (YAML): "upstreams: {ID: [KEY, ...]}" with keys
// src:NAME, versionless purls or repository URLs. OSV: a directory tree or
// zip of OSV JSON advisories. KEV: CISA's JSON feed. Facts: JSON with media
// type vocab.MediaTypeSBOMFacts, per purl or SHA-256: signed, provenance,
// reproducible. Risk data (vocab.MediaTypeRiskData, riskdata.go): a snapshot
// written by sovcheck data pull, facts per versionless purl, each traced to
// the source it was read from.
//
// # Output
//
// Report, PortfolioReport and ProfileReport are typed documents with a
// versioned media type; WriteJSON writes them. Package report renders
// them for people (text, HTML, Markdown, SARIF, JUnit), in process or
// from their JSON. LoadData reads the data files an Assessor is given
// with WithData; WithScoring gives it its Config.
//
// # Invariants
//
// The package never prints and never reaches the network; it logs through
// the *slog.Logger given with WithLogger. Output is deterministic for a
// fixed clock (WithClock): components, upstreams and reasons are sorted,
// and sources appear as the caller named them. A portfolio keeps a compact
// record per component and drops each graph after assessing it.
package sbom
