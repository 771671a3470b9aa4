package verify

import (
	"os"
	"sync"
	"time"

	"github.com/sovcheck/sovcheck/internal/oci"
	"github.com/sovcheck/sovcheck/internal/reason"
)

// OCIOptions configure the verification of container images: registry
// references (registry.example/repo:tag, ...@sha256:...), oci-layout:DIR,
// docker-archive:FILE and oci-archive:FILE.
type OCIOptions struct {
	// Platform selects the platforms of a multi-platform index to verify
	// (os/arch[/variant]); empty verifies every platform.
	Platform string
	// InsecureRegistries are hosts (HOST or HOST:PORT, as written in the
	// references) that may be reached over plain HTTP.
	InsecureRegistries []string
	// InsecureIgnoreTlog accepts key-based signatures that carry no
	// transparency log entry (cosign sign --key --tlog-upload=false, as
	// air-gapped organisations sign). It needs Key: keyless signatures
	// always need transparency evidence. Without TrustedRoot, log entries
	// that are present are not checked either; with it, they are. The
	// policy file will make this a policy choice; until then it is a flag.
	InsecureIgnoreTlog bool
	// Timeout bounds the registry work for one image; default
	// oci.DefaultTimeout.
	Timeout time.Duration
}

// validate checks the image options against the rest of the run.
func (o OCIOptions) validate(opts config) error {
	if o.InsecureIgnoreTlog && opts.Key == "" {
		return &ConfigError{reason.New(reason.InputMalformed,
			"--insecure-ignore-tlog accepts key-based signatures without a log entry; keyless signatures always need transparency evidence, so give --key FILE",
			"--insecure-ignore-tlog without --key")}
	}
	if o.Platform != "" {
		if _, err := oci.ParsePlatform(o.Platform); err != nil {
			return configErr(err, reason.InputMalformed, "")
		}
	}
	if o.Timeout < 0 {
		return &ConfigError{reason.New(reason.InputMalformed, "give a positive --registry-timeout, e.g. 2m", "negative registry timeout %s", o.Timeout)}
	}
	if _, err := oci.NewClient(oci.WithInsecureRegistries(o.InsecureRegistries...)); err != nil {
		return configErr(err, reason.InputMalformed, "give --insecure-registry as HOST or HOST:PORT")
	}
	return nil
}

// isImageArg reports whether an artifact argument names a container image.
func isImageArg(arg string) bool { return oci.IsImageArg(arg) }

// preflightImage makes a malformed image argument, or a layout or archive
// that does not exist, a run error: it is a mistake on the command line.
func preflightImage(arg string) error {
	ref, err := oci.ParseRef(arg)
	if err != nil {
		return configErr(err, reason.InputMalformed, "")
	}
	if ref.Kind != oci.KindRegistry {
		if _, err := os.Stat(ref.Path); err != nil {
			return &ConfigError{reason.Wrap(err, reason.InputUnreadable, "check the path of the layout or archive", "opening %s", ref.Path)}
		}
	}
	return nil
}

// preflightOffline makes an image in a registry named under --offline a
// run error (no verdict, exit 2): verifying it would need the network that
// --offline forbids, which says nothing about the image.
func preflightOffline(offline bool, artifacts []string) error {
	if !offline {
		return nil
	}
	for _, a := range artifacts {
		if isDigestArg(a) || !isImageArg(a) {
			continue
		}
		if ref, err := oci.ParseRef(a); err == nil && ref.Kind == oci.KindRegistry {
			return &ConfigError{reason.New(reason.RegistryOffline,
				"--offline never touches the network: save the image with its signatures (`cosign save --dir DIR IMAGE`) and verify oci-layout:DIR, or verify without --offline",
				"image %s is in a registry, and --offline never touches the network", a)}
		}
	}
	return nil
}

// imageClient is the registry client, built on the first image of a run
// and shared by all.
type imageClient struct {
	once   sync.Once
	client *oci.Client
	err    *reason.Error
}

// imageClient returns the run's registry client.
func (r *Runner) imageClient() (*oci.Client, *reason.Error) {
	c := &r.images
	c.once.Do(func() {
		client, err := oci.NewClient(oci.WithInsecureRegistries(r.opts.OCI.InsecureRegistries...), oci.WithTimeout(r.opts.OCI.Timeout),
			oci.WithOffline(r.opts.Offline), oci.WithLogger(r.logger))
		if err != nil {
			c.err = reason.As(err, reason.InputMalformed, "")
			return
		}
		c.client = client
	})
	return c.client, c.err
}
