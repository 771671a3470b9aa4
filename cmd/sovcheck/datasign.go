package main

import (
	"fmt"
	"os"

	"github.com/urfave/cli/v2"

	"github.com/sovcheck/sovcheck/internal/reason"
	"github.com/sovcheck/sovcheck/sbom"
	"github.com/sovcheck/sovcheck/verify"
)

// dataSignFlag is data pull's and data import's --key: the snapshot is
// signed, and the bundle written beside it.
var dataSignFlag = &cli.StringFlag{Name: "key", Usage: "sign the snapshot with the PEM private key `FILE` (ECDSA or Ed25519); the bundle is written to SNAPSHOT" + verify.RiskDataSignatureSuffix}

// dataKeyFlag is sbom labels' --data-key: the snapshot must carry a
// signature by this key.
var dataKeyFlag = &cli.StringFlag{Name: "data-key", Usage: "require the --data snapshot to be signed by the PEM public key `FILE` (bundle beside it, SNAPSHOT" + verify.RiskDataSignatureSuffix + ")"}

// signSnapshot signs the snapshot written at path when --key is given.
func signSnapshot(c *cli.Context, path string) error {
	keyPath := c.String("key")
	if keyPath == "" {
		return nil
	}
	key, err := readSigningKey(keyPath)
	if err != nil {
		return err
	}
	snapshot, err := os.ReadFile(path)
	if err != nil {
		return reason.Wrap(err, reason.InputUnreadable, "check the snapshot path", "reading %s", path)
	}
	bundle, err := verify.SignRiskData(snapshot, path, key)
	if err != nil {
		return err
	}
	if err := os.WriteFile(path+verify.RiskDataSignatureSuffix, bundle, 0o644); err != nil {
		return reason.Wrap(err, reason.InputUnreadable, "check that the snapshot's directory is writable", "writing %s", path+verify.RiskDataSignatureSuffix)
	}
	return nil
}

// verifyRiskDataFlag checks the snapshot's signature when a key is given.
func verifyRiskDataFlag(keyPath, snapshot string) error {
	if keyPath == "" {
		return nil
	}
	return verify.VerifyRiskDataFile(snapshot, keyPath)
}

func dataSignCommand() *cli.Command {
	return &cli.Command{
		Name:      "sign",
		Usage:     "sign a risk data snapshot with a key; the bundle is written beside it",
		ArgsUsage: "SNAPSHOT",
		Description: `Signs the snapshot as data pull --key and data import --key do: an in-toto statement naming
the file by sha256, in a DSSE envelope, in a Sigstore bundle v0.3 written to
SNAPSHOT` + verify.RiskDataSignatureSuffix + `. The snapshot itself is not changed, so a policy's sha256 pin
still holds. 'sovcheck sbom labels --data-key' and a policy's data entry with key: check it.`,
		CustomHelpTemplate: cli.CommandHelpTemplate + exitStatusHelp,
		Flags:              []cli.Flag{&cli.StringFlag{Name: "key", Usage: "the PEM private key `FILE` (ECDSA or Ed25519)", Required: true}},
		Action: func(c *cli.Context) error {
			if c.NArg() != 1 {
				return &usageError{Err: fmt.Errorf("got %d arguments, want one snapshot", c.NArg()), Hint: "run 'sovcheck data sign --key k.pem risk-data.json'"}
			}
			path := c.Args().First()
			if _, err := sbom.LoadRiskData(path); err != nil {
				return err
			}
			if err := signSnapshot(c, path); err != nil {
				return err
			}
			fmt.Fprintf(c.App.Writer, "%s%s\n", path, verify.RiskDataSignatureSuffix)
			return nil
		},
	}
}
