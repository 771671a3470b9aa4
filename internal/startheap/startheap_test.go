package startheap

import (
	"math"
	"os"
	"os/exec"
	"runtime/debug"
	"strconv"
	"testing"
)

// Done gives back GOGC and GOMEMLIMIT as the environment set them when the
// process started, or defaultPercent and no limit when it set none. Each
// case runs this test binary again with its environment, since the
// runtime reads both when the process starts; the child prints what the
// collector runs with during init (before Done) and after Done.
func TestDoneRestores(t *testing.T) {
	if os.Getenv("STARTHEAP_CHILD") != "" {
		during, limitDuring := debug.SetGCPercent(debug.SetGCPercent(-1)), debug.SetMemoryLimit(-1)
		Done(400)
		after, limitAfter := debug.SetGCPercent(-1), debug.SetMemoryLimit(-1)
		os.Stdout.WriteString(strconv.Itoa(during) + " " + strconv.FormatInt(limitDuring, 10) + " " +
			strconv.Itoa(after) + " " + strconv.FormatInt(limitAfter, 10))
		os.Exit(0)
	}
	noLimit := strconv.FormatInt(math.MaxInt64, 10)
	for _, c := range []struct {
		env  []string
		want string // percent and limit during init, then after Done
	}{
		{nil, "-1 67108864 400 " + noLimit},
		{[]string{"GOGC=50"}, "-1 67108864 50 " + noLimit},
		{[]string{"GOGC=off"}, "-1 67108864 -1 " + noLimit},
		{[]string{"GOMEMLIMIT=1GiB"}, "-1 67108864 400 1073741824"},
		// A limit below limitAtStart stays during init.
		{[]string{"GOMEMLIMIT=32MiB"}, "-1 33554432 400 33554432"},
	} {
		cmd := exec.Command(os.Args[0], "-test.run=^TestDoneRestores$")
		cmd.Env = append(os.Environ(), "STARTHEAP_CHILD=1", "GOGC=", "GOMEMLIMIT=")
		cmd.Env = append(cmd.Env, c.env...)
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("%v: %v", c.env, err)
		}
		if string(out) != c.want {
			t.Errorf("%v: percent and limit during init, then after Done: got %q, want %q", c.env, out, c.want)
		}
	}
}
