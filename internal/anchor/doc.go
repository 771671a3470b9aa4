// Package anchor compiles the regular expressions sovcheck takes from its
// users (certificate identities and issuers on the command line, signer
// identities in a procurement policy) so that they must match the whole
// value.
//
// Invariant: an expression is parsed on its own first, and anchored by
// wrapping its syntax tree between begin-of-text and end-of-text; it is
// never spliced into a larger expression as a string. So an input that is
// not a regular expression by itself (such as "x)|(.*", which as a string
// inside "^(?:...)$" would match anything) is refused, and no input can
// escape its anchors.
package anchor
