package main

import (
	"cmp"
	"fmt"
	"maps"
	"net/http"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/sovcheck/sovcheck/data"
	"github.com/sovcheck/sovcheck/sbom"
)

// dataPullFlags are data pull's flags beyond the Go proxy and Debian
// indices: more sources, the cache and the signing key.
func dataPullFlags() []cli.Flag {
	return []cli.Flag{
		&cli.StringFlag{Name: "npm-registry", Usage: "npm registry `URL` (default $npm_config_registry, else https://registry.npmjs.org)"},
		dataSignFlag,
		&cli.StringFlag{Name: "cache", Usage: "keep registry responses in `DIR`: a rerun reuses them, an interrupted run resumes"},
		&cli.DurationFlag{Name: "cache-max-age", Value: 24 * time.Hour, Usage: "read a cached response again when it is older than `DURATION`"},
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

// withDataCache adds the response cache when --cache is given.
func withDataCache(c *cli.Context, opts []data.Option) ([]data.Option, *data.Cache, error) {
	dir := c.String("cache")
	if dir == "" {
		return opts, nil, nil
	}
	if c.Duration("cache-max-age") <= 0 {
		return nil, nil, &usageError{Err: fmt.Errorf("--cache-max-age %v is not positive", c.Duration("cache-max-age")), Hint: "give how long a cached response stays fresh, e.g. 24h"}
	}
	cache, err := data.OpenCache(dir, c.Duration("cache-max-age"))
	if err != nil {
		return nil, nil, err
	}
	return append(opts, data.WithCache(cache)), cache, nil
}

// printCacheStats says how much of the pull the cache answered.
func printCacheStats(c *cli.Context, cache *data.Cache) {
	if cache == nil {
		return
	}
	hits, fetched := cache.Stats()
	fmt.Fprintf(c.App.Writer, "cache: %d responses reused, %d fetched\n", hits, fetched)
}

// maxFailuresShown is the most failed lookups data pull lists; the
// snapshot records them all.
const maxFailuresShown = 20

// printFailures lists the failed lookups, each with its code, under the
// count.
func printFailures(c *cli.Context, rd *sbom.RiskData) {
	for i, f := range rd.Failures {
		if i == maxFailuresShown {
			fmt.Fprintf(c.App.Writer, "  and %d more failed lookups: see \"failures\" in the snapshot\n", len(rd.Failures)-i)
			break
		}
		fmt.Fprintf(c.App.Writer, "  %s %s: %s\n", f.Code, f.Key, f.Message)
	}
}

// printUnsourced gives the unknown count its reason: the packages no
// source looks up, by purl type. A Debian index answers pkg:deb/debian/
// only: a pkg:deb purl of another vendor, or of none (pkg:deb/NAME, as
// some generators write for an installed system), is not taken for
// Debian's.
func printUnsourced(c *cli.Context, keys []string, sources []data.Source) {
	byType := map[string]int{}
	total := 0
	for _, k := range slices.Compact(slices.Sorted(slices.Values(keys))) {
		if slices.ContainsFunc(sources, func(s data.Source) bool { return s.Handles(k) }) {
			continue
		}
		typ, _, _ := strings.Cut(k, "/")
		byType[typ]++
		total++
	}
	if total == 0 {
		return
	}
	types := slices.SortedFunc(maps.Keys(byType), func(a, b string) int { return cmp.Or(cmp.Compare(byType[b], byType[a]), cmp.Compare(a, b)) })
	parts := make([]string, len(types))
	for i, t := range types {
		parts[i] = fmt.Sprintf("%d %s", byType[t], t)
	}
	fmt.Fprintf(c.App.Writer, "  no source for %d packages: %s\n", total, strings.Join(parts, ", "))
	if byType["pkg:deb"] > 0 {
		fmt.Fprintln(c.App.Writer, "  (--debian-index answers pkg:deb/debian/NAME only: a pkg:deb purl of another vendor, or of none, is not looked up)")
	}
}
