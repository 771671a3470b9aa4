//go:build !linux

package rebuild

import (
	"context"
	"fmt"
	"io"
	"runtime"
)

// startSandbox reports the sandbox unavailable: it is built from Linux
// namespaces.
func startSandbox(ctx context.Context, spec *sandboxSpec, out io.Writer) *preparedSandbox {
	return failedSandbox(fmt.Errorf("%w: Linux namespaces are not available on %s", errSandboxUnavailable, runtime.GOOS))
}
