// Package arch keeps the shape of sovcheck's house: its test enforces the
// package arrows of the design (which package may import which package of
// sovcheck), the size of files and the length of functions. It holds no
// code of its own.
//
// Invariants:
//   - allowed lists, for every package of sovcheck, the packages of
//     sovcheck it may import (test files excluded); a package missing from
//     the table fails the test, so a new package states its place.
//   - Nothing imports cmd/sovcheck; the leaves (internal/vocab,
//     internal/reason) import nothing of sovcheck; fixture builders are
//     imported only by tests and development tools.
//   - No non-test .go file is over maxFileLines lines; no function is over
//     maxFuncLines lines unless a line of its doc comment starts with
//     "Length:" and says why.
//   - pending lists what goes against these rules today, each with the
//     branch that removes it; an entry that no longer applies fails the
//     test, so the table only shrinks.
package arch
