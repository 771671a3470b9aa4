package layout

import (
	"errors"
	"fmt"
	"io/fs"
	"strings"

	"github.com/in-toto/in-toto-golang/in_toto"
	"github.com/sovcheck/sovcheck/internal/reason"
)

// runInspections runs the layout's inspections in the current working
// directory (in-toto's convention) and checks their artifact rules against
// the steps' links. Unlike in-toto-golang's RunInspections it writes no
// inspection links into the working directory and never prints.
func (v *verifier) runInspections(layout in_toto.Layout, reduced map[string]in_toto.Metadata) error {
	if len(layout.Inspect) == 0 {
		return nil
	}
	items := make([]any, len(layout.Inspect))
	mds := make(map[string]in_toto.Metadata, len(layout.Inspect)+len(reduced))
	for i, in := range layout.Inspect {
		if err := v.ctx.Err(); err != nil {
			return cancelled(err)
		}
		items[i] = in
		v.log.Info("running inspection", "name", in.Name, "command", in.Run)
		md, err := in_toto.InTotoRun(in.Name, "", []string{"."}, []string{"."}, in.Run, in_toto.Key{}, []string{"sha256"}, nil, nil, false, false, false)
		if err != nil {
			return reason.Wrap(err, reason.LayoutInspectionFailed, "check that the inspection's program is installed and the working directory is readable",
				"running inspection %q", in.Name)
		}
		link, ok := md.GetPayload().(in_toto.Link)
		if !ok {
			return reason.New(reason.LayoutInspectionFailed, "report this to the sovcheck maintainers", "running inspection %q: no link recorded", in.Name)
		}
		if rv := link.ByProducts["return-value"]; rv != float64(0) {
			stderr, _ := link.ByProducts["stderr"].(string)
			v.log.Debug("inspection failed", "name", in.Name, "stderr", stderr)
			return &reason.Error{Code: reason.LayoutInspectionFailed,
				Msg: fmt.Sprintf("running inspection %q (%s): %s", in.Name, strings.Join(in.Run, " "), excerpt(stderr)),
				Got: fmt.Sprintf("exit status %v", rv), Want: "exit status 0",
				Hint: "the inspection rejected the final product, or needs files in the working directory that are not there"}
		}
		mds[in.Name] = md
	}
	for k, md := range reduced {
		mds[k] = md
	}
	if err := in_toto.VerifyArtifacts(items, mds); err != nil {
		return reason.Wrap(err, reason.LayoutRuleViolated,
			"the files the inspection saw in the working directory do not meet its rules; run the verification where the final product was unpacked",
			"verifying inspection artifact rules")
	}
	return nil
}

// excerpt shortens an inspection's stderr for a message.
func excerpt(s string) string {
	const max = 512
	s = strings.TrimSpace(s)
	if s == "" {
		return "no output on stderr"
	}
	if len(s) > max {
		s = s[:max] + "…"
	}
	return s
}

// withContext prefixes the message of err's *reason.Error with context,
// keeping its code, hint and evidence.
func withContext(err error, context string) error {
	var re *reason.Error
	if !errors.As(err, &re) {
		return reason.Wrap(err, reason.LayoutInvalid, "ask the layout owner to check the layout and its links", "%s", context)
	}
	c := *re
	c.Msg = context + ": " + re.Msg
	return &c
}

// pathErr drops the path from an *fs.PathError, so that messages
// name files by base name only.
func pathErr(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

func cancelled(err error) error {
	return reason.Wrap(err, reason.InternalError, "the verification was interrupted; run it again", "verifying layout")
}
