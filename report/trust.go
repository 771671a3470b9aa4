package report

import (
	"encoding/json"
	"fmt"
	"io"
	"text/tabwriter"
	"time"

	"github.com/sovcheck/sovcheck/attest/trustdoc"
)

// TrustShowJSON writes what 'sovcheck trust show' found in a trust
// snapshot as its JSON document (media type vocab.MediaTypeTrustShow).
func TrustShowJSON(w io.Writer, d *trustdoc.Show) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(d)
}

// TrustShowText writes the snapshot's verdict, its repository, dates and
// trusted root, then each TUF role and target, in aligned columns.
func TrustShowText(w io.Writer, d *trustdoc.Show) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	ew := &errWriter{w: tw}
	ew.printf("trust snapshot %s: %s\n", d.File, d.Status)
	if d.Status != "PASS" {
		ew.printf("  reason\t%s: %s\n", d.Reason, d.Message)
	}
	ew.printf("  repository\t%s\n", d.Repository)
	ew.printf("  as of\t%s\n", d.AsOf.Format(time.RFC3339))
	ew.printf("  expires\t%s (TUF %s metadata)\n", d.Expires.Format(time.RFC3339), d.ExpiresRole)
	ew.printf("  checked at\t%s\n", d.CheckedAt.Format(time.RFC3339))
	ew.printf("  trusted root\t%d certificate authorities, %d transparency logs, %d CT logs, %d timestamping authorities\n",
		d.TrustedRoot.CertificateAuthorities, d.TrustedRoot.TransparencyLogs, d.TrustedRoot.CTLogs, d.TrustedRoot.TimestampingAuthorities)
	ew.printf("TUF metadata:\n")
	for _, m := range d.Metadata {
		ew.printf("  %s\tversion %d\texpires %s\n", m.Role, m.Version, m.Expires.Format(time.RFC3339))
	}
	ew.printf("targets:\n")
	for _, t := range d.Targets {
		ew.printf("  %s\tsha256:%s\t%d bytes\n", t.Name, t.SHA256, t.Length)
	}
	if ew.err != nil {
		return ew.err
	}
	if err := tw.Flush(); err != nil {
		return fmt.Errorf("writing trust snapshot summary: %w", err)
	}
	return nil
}
