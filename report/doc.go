// Package report renders sovcheck's verdicts for people and machines: a
// text report for terminals and CI logs, and JSON with a versioned media
// type for tools.
//
// Invariants: output is deterministic for the same verdicts (no clock, no
// map iteration order, no absolute paths beyond what the user typed), and
// fields of the JSON format are added, never repurposed.
package report
