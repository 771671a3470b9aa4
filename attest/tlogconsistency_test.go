package attest

import (
	"testing"
)

func TestIsRekorV1Origin(t *testing.T) {
	for origin, want := range map[string]bool{
		"rekor.sigstore.dev - 1193050959916656506": true,
		"log2025-1.rekor.sigstore.dev":             false,
		"a - ":                                     false,
		"a - x1":                                   false,
		"":                                         false,
	} {
		if got := isRekorV1Origin(origin); got != want {
			t.Errorf("isRekorV1Origin(%q) = %v, want %v", origin, got, want)
		}
	}
}

func FuzzParseCheckpoint(f *testing.F) {
	f.Add("rekor.sigstore.dev - 1193050959916656506\n66718601\nb9PqWdvjFibQVr/AxhtI5QtxZRDsyawcQjhN/t/l2hs=\n\n\u2014 rekor.sigstore.dev wNI9ajBFAiEA\n")
	f.Add("log.example\n1\nAAAA\n\n")
	f.Add("")
	f.Fuzz(func(t *testing.T, envelope string) {
		cp, err := parseCheckpoint(envelope)
		if (err == nil) == (cp == nil) {
			t.Fatalf("parseCheckpoint = %v, %v: want exactly one of a checkpoint and an error", cp, err)
		}
	})
}
