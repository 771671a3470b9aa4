package wasm

import (
	"bytes"
	"context"
	"testing"
)

// FuzzRead: no input panics, and an error means no module.
func FuzzRead(f *testing.F) {
	f.Add(emptyCore)
	f.Add(emptyComponent)
	f.Add(randomComponent)
	f.Add([]byte{0, 'a', 's', 'm', 0x0d, 0, 1, 0, 10, 9, 1, 2, 1, 'x', 1, 0, 1, 'v', 5, 0})
	l := DefaultLimits()
	l.MaxBytes = 1 << 16
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := Read(context.Background(), bytes.NewReader(data), "fuzz", WithLimits(l))
		if err != nil && m != nil {
			t.Fatalf("error %v with a module", err)
		}
		if err == nil && (m.Capabilities == nil || m.Imports == nil) {
			t.Fatalf("module without capability or import lists: %+v", m)
		}
	})
}
