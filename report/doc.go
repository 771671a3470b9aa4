// Package report renders sovcheck's verdicts for people and machines: a
// text report for terminals and CI logs, and JSON with a versioned media
// type for tools; and, for auditors and CI, one self-contained HTML page,
// Markdown for pull-request comments, SARIF 2.1.0 for code scanning and
// JUnit XML for test reports. ExplainText is the text of `sovcheck verify
// --explain`: the points and knock-outs of policy.Explain, one per line.
//
// SBOM labels and portfolios are package sbom's own typed documents
// (sbom.Report, sbom.PortfolioReport): commands add them in process with
// Documents.AddLabels and AddPortfolio, which check them as the JSON
// reader does, and WriteSBOMText, WritePortfolioText and WriteProfileText
// write their text reports.
//
// `sovcheck report` reads the JSON results of other runs (Read,
// ReadDocument): verify verdicts, SBOM labels of one product or a
// portfolio, and rebuilds. The mediaType of each document picks its
// reader; a new kind of document is one more entry in documentReaders.
// Only the fields a report renders are decoded, so fields added to a
// producer's format do not break it.
//
// Invariants: output is deterministic for the same documents (no clock, no
// map iteration order, no absolute paths beyond what the user typed), and
// fields of the JSON format are added, never repurposed. Reading fails
// closed: a document that is not JSON, too large, of an unknown media
// type, off the scale (grades, risks, shares) or that contradicts itself
// (a verdict whose checks fail says PASS) is refused with a reason code,
// and verdicts are decided again with policy.Decide. Every string from an
// input is escaped for its format: html/template for HTML, whose
// Content-Security-Policy allows nothing but the page's own style sheet;
// code spans and entities in Markdown, where "@" cannot mention anyone.
package report
