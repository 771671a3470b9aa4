//go:build !linux

package rebuild

import (
	"context"
	"fmt"
	"io"
	"runtime"
)

// runSandbox reports the sandbox unavailable: it is built from Linux
// namespaces.
func runSandbox(ctx context.Context, spec *sandboxSpec, out io.Writer) (*sandboxStatus, error) {
	return nil, fmt.Errorf("%w: Linux namespaces are not available on %s", errSandboxUnavailable, runtime.GOOS)
}
