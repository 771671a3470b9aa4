// Package policy owns sovcheck's verdict model: the result of each check,
// and the fail-closed aggregation of checks into a verdict per subject.
//
// Invariants:
//   - a verdict passes only if at least one check passed, every required
//     check passed and no check failed;
//   - a zero or unknown status is a FAIL, and a required check that was
//     skipped is a FAIL;
//   - Decide is the one place a verdict is decided (Result.Verdict adds
//     the policy's checks and calls it once); Decided counts its calls;
//   - the package is pure: no I/O, no clock, and no globals but that
//     count, which no result reads;
//   - it stands below the crypto stack: of sovcheck it imports only the
//     vocabulary (internal/vocab), the reason codes (internal/reason) and
//     internal/anchor, so that report, which renders its results, does not
//     depend on sigstore-go (internal/arch enforces it).
package policy
