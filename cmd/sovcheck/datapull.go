package main

import (
	"cmp"
	"net/http"
	"os"

	"github.com/urfave/cli/v2"

	"github.com/sovcheck/sovcheck/data"
)

// dataPullFlags are data pull's flags beyond the Go proxy and Debian
// indices: more sources, the cache and the signing key.
func dataPullFlags() []cli.Flag {
	return []cli.Flag{
		&cli.StringFlag{Name: "npm-registry", Usage: "npm registry `URL` (default $npm_config_registry, else https://registry.npmjs.org)"},
		dataSignFlag,
	}
}

// npmRegistryURL is the flag, else npm's own setting, else the public
// registry.
func npmRegistryURL(flag string) string {
	return cmp.Or(flag, os.Getenv("npm_config_registry"), "https://registry.npmjs.org")
}

// moreDataSources are the sources data pull asks besides the Go proxy and
// the Debian indices.
func moreDataSources(c *cli.Context, opts []data.Option) ([]data.Source, error) {
	npm, err := data.NewNPMRegistry(npmRegistryURL(c.String("npm-registry")), &http.Client{Timeout: c.Duration("timeout")}, opts...)
	if err != nil {
		return nil, err
	}
	return []data.Source{npm}, nil
}

// dataPullMoreHelp continues data pull's description.
const dataPullMoreHelp = `
The npm registry (--npm-registry) for pkg:npm: maintainers, the latest version's publish time,
deprecation and repository.`
