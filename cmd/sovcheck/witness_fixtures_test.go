package main

import (
	"os"
	"strings"
	"sync"

	"github.com/rogpeppe/go-internal/testscript"
	"golang.org/x/mod/sumdb/note"

	"github.com/sovcheck/sovcheck/internal/sigstoretest"
)

// scriptWitnesses holds the witnesses each script made, keyed by script
// and name.
var scriptWitnesses sync.Map // *testscript.TestScript -> map[string]*sigstoretest.Witness

// cmdWitness makes witnesses with fresh keys and has them cosign the
// checkpoints of bundles.
//
//	witness new NAME [LIST [OPERATOR [JURISDICTION]]]  a witness; appended to the witness list LIST when given
//	witness cosign BUNDLE OUT NAME...                  OUT: BUNDLE with its checkpoints cosigned by each NAME
//	                                                   (forged:NAME writes a cosignature that does not verify)
func cmdWitness(ts *testscript.TestScript, neg bool, args []string) {
	noNeg(ts, neg, "witness")
	const usage = "usage: witness new NAME [LIST [OPERATOR [JURISDICTION]]] | witness cosign BUNDLE OUT NAME..."
	v, _ := scriptWitnesses.LoadOrStore(ts, map[string]*sigstoretest.Witness{})
	witnesses := v.(map[string]*sigstoretest.Witness)
	if len(args) == 0 {
		ts.Fatalf(usage)
	}
	switch {
	case args[0] == "new" && len(args) >= 2 && len(args) <= 5:
		if len(witnesses) == 0 {
			ts.Defer(func() { scriptWitnesses.Delete(ts) })
		}
		w, err := sigstoretest.NewWitness(args[1])
		ts.Check(err)
		witnesses[args[1]] = w
		if len(args) > 2 {
			line := strings.Join(append([]string{w.VerifierKey}, args[3:]...), " ") + "\n"
			f, err := os.OpenFile(ts.MkAbs(args[2]), os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
			ts.Check(err)
			_, err = f.WriteString(line)
			ts.Check(err)
			ts.Check(f.Close())
		}
	case args[0] == "cosign" && len(args) >= 4:
		data, err := os.ReadFile(ts.MkAbs(args[1]))
		ts.Check(err)
		var signers []note.Signer
		for _, name := range args[3:] {
			forged := strings.HasPrefix(name, "forged:")
			w := witnesses[strings.TrimPrefix(name, "forged:")]
			if w == nil {
				ts.Fatalf("witness cosign: no witness %q", name)
			}
			if forged {
				signers = append(signers, w.ForgedSigner())
			} else {
				signers = append(signers, w.Signer())
			}
		}
		out, err := sigstoretest.Cosign(data, signers...)
		ts.Check(err)
		ts.Check(os.WriteFile(ts.MkAbs(args[2]), out, 0o644))
	default:
		ts.Fatalf(usage)
	}
}
