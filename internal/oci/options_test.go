package oci_test

import (
	"strings"
	"testing"
	"time"

	"github.com/sovcheck/sovcheck/internal/oci"
)

func TestNewClientRejectsInvalidOptions(t *testing.T) {
	for name, tc := range map[string]struct {
		opt  oci.Option
		want string
	}{
		"host with path":   {oci.WithInsecureRegistries("localhost:5000/team"), `invalid insecure registry "localhost:5000/team": want HOST or HOST:PORT`},
		"empty host":       {oci.WithInsecureRegistries(""), `invalid insecure registry ""`},
		"negative timeout": {oci.WithTimeout(-time.Second), "negative timeout"},
		"negative retries": {oci.WithRetries(-1, 0), "negative timeout, attempts or retry delay"},
		"negative delay":   {oci.WithRetries(2, -time.Millisecond), "negative timeout, attempts or retry delay"},
	} {
		if c, err := oci.NewClient(tc.opt); c != nil || err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: got %v, %v; want error %q", name, c, err, tc.want)
		}
	}
}

func TestNewClientDefaults(t *testing.T) {
	c, err := oci.NewClient()
	if err != nil || c.Timeout() != oci.DefaultTimeout {
		t.Fatalf("no options: got %v, %v", c, err)
	}
	c, err = oci.NewClient(oci.WithTimeout(0), oci.WithTimeout(time.Minute), oci.WithLogger(nil))
	if err != nil || c.Timeout() != time.Minute {
		t.Fatalf("WithTimeout: got %v, %v", c, err)
	}
}
