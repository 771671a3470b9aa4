// Package intototest builds in-toto fixtures for sovcheck's tests: fresh
// functionary and owner keys, signed layouts and links (as Metablocks or DSSE
// envelopes), and a ready-made two-step supply chain whose final product is a
// given artifact.
//
// It is for tests only: the private keys it makes are thrown away with the
// test's temporary directory and never written unless a test asks for them.
package intototest
