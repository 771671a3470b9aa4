//go:build !linux

package rebuild

import (
	"context"
	"fmt"
	"io"
	"os/exec"
	"runtime"
	"syscall"
)

// startSandbox reports the sandbox unavailable: it is built from Linux
// namespaces.
func startSandbox(ctx context.Context, spec *sandboxSpec, out io.Writer) *preparedSandbox {
	return failedSandbox(fmt.Errorf("%w: Linux namespaces are not available on %s", errSandboxUnavailable, runtime.GOOS))
}

func stepProcAttr() *syscall.SysProcAttr { return nil }

func killGroup(cmd *exec.Cmd) error {
	if cmd.Process == nil {
		return nil
	}
	return cmd.Process.Kill()
}
