package policy

// GateResult is the certification status of every dependency of one
// dependency list under a policy: what `sovcheck gate` decides and
// prints. Package verify produces it, package report renders it.
type GateResult struct {
	Input        string
	Policy       string // the policy's name
	PolicySHA256 string
	Dependencies int // distinct dependencies judged
	Uncertified  []GateFinding
	// Baselined are dependencies that are not certified either but were
	// accepted before (the gate's --baseline): listed, never failing, so
	// that a team can adopt the gate on an existing project and fail only
	// on what it adds.
	Baselined []GateFinding
	// Baseline names the baseline file, when one was given.
	Baseline string
	// Rejected are VSAs that do not verify: changed after signing, or
	// corrupt. They fail the gate: evidence that was given must hold.
	Rejected []Check
	// Unused are VSAs not counted: signed by a key the policy does not
	// trust, a FAILED verification, or about no dependency of the input.
	Unused []Check
}

// GateFinding is one dependency that is not certified.
type GateFinding struct {
	Dependency    string // purl, or name@version without one
	Location      string // where the input lists it
	Certification Certification
}

// Passed reports whether every dependency is certified and every VSA
// given verified.
func (r *GateResult) Passed() bool { return len(r.Uncertified) == 0 && len(r.Rejected) == 0 }
