//go:build !linux

package sandbox

import (
	"context"
	"fmt"
	"io"
	"os/exec"
	"runtime"
	"syscall"
)

// Start reports the sandbox unavailable: it is built from Linux
// namespaces.
func Start(ctx context.Context, out io.Writer) *Sandbox {
	return Unavailable(fmt.Errorf("Linux namespaces are not available on %s", runtime.GOOS))
}

// OverlayPathOK reports false: there are no overlays without Linux.
func OverlayPathOK(string) bool { return false }

func groupProcAttr() *syscall.SysProcAttr { return nil }

func killGroup(cmd *exec.Cmd) error {
	if cmd.Process == nil {
		return nil
	}
	return cmd.Process.Kill()
}
