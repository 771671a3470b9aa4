package main

import (
	"bufio"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

type pairKey struct{ eco, name, version, id string }

// unexplained is the cause of a difference no known cause explains.
const unexplained = "unexplained"

// compareResults lists the (component, advisory) pairs each tool found
// and every difference.
func compareResults(dir string) error {
	comps, err := readComponents(filepath.Join(dir, "components.tsv"))
	if err != nil {
		return err
	}
	ours, err := sovcheckPairs(filepath.Join(dir, "sovcheck.json"), comps)
	if err != nil {
		return err
	}
	theirs, err := osvScannerPairs(filepath.Join(dir, "osv-scanner.json"))
	if err != nil {
		return err
	}
	c := comparePairs(ours, theirs)
	c.print()
	if c.causes[unexplained] > 0 {
		return fmt.Errorf("%d differences without a known cause", c.causes[unexplained])
	}
	return nil
}

// readComponents reads components.tsv: purl -> ecosystem, name, version.
func readComponents(path string) (map[string][3]string, error) {
	comps := map[string][3]string{}
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		parts := strings.Split(sc.Text(), "\t")
		comps[parts[0]] = [3]string{parts[1], parts[2], parts[3]}
	}
	return comps, sc.Err()
}

// sovcheckPairs reads the pairs of sovcheck's JSON report.
func sovcheckPairs(path string, comps map[string][3]string) (map[pairKey]bool, error) {
	var sov struct {
		Components []struct {
			PURL            string `json:"purl"`
			Vulnerabilities []struct {
				ID         string `json:"id"`
				Suppressed bool   `json:"suppressed"`
			} `json:"vulnerabilities"`
		} `json:"components"`
	}
	if err := readJSON(path, &sov); err != nil {
		return nil, err
	}
	ours := map[pairKey]bool{}
	for _, c := range sov.Components {
		k, ok := comps[c.PURL]
		if !ok {
			return nil, fmt.Errorf("sovcheck reports unknown purl %q", c.PURL)
		}
		for _, v := range c.Vulnerabilities {
			ours[pairKey{k[0], k[1], k[2], v.ID}] = true
		}
	}
	return ours, nil
}

// osvScannerPairs reads the pairs of osv-scanner's JSON output.
func osvScannerPairs(path string) (map[pairKey]bool, error) {
	var osv struct {
		Results []struct {
			Packages []struct {
				Package struct {
					Name, Version, Ecosystem string
				} `json:"package"`
				Vulnerabilities []struct {
					ID string `json:"id"`
				} `json:"vulnerabilities"`
			} `json:"packages"`
		} `json:"results"`
	}
	if err := readJSON(path, &osv); err != nil {
		return nil, err
	}
	theirs := map[pairKey]bool{}
	for _, res := range osv.Results {
		for _, p := range res.Packages {
			eco, _, _ := strings.Cut(p.Package.Ecosystem, ":")
			for _, v := range p.Vulnerabilities {
				theirs[pairKey{eco, p.Package.Name, p.Package.Version, v.ID}] = true
			}
		}
	}
	return theirs, nil
}

// normKey makes keys compare case-insensitively, PyPI names after PEP 503,
// since osv-scanner reports the name as its purl parser returns it.
func normKey(k pairKey) pairKey {
	k.name = strings.ToLower(k.name)
	if k.eco == "PyPI" {
		k.name = strings.NewReplacer("_", "-", ".", "-").Replace(k.name)
	}
	return k
}

// differenceCause names why only sovcheck found the normalised pair k,
// whose name was orig before normalising.
func differenceCause(k pairKey, orig string) string {
	switch {
	case k.eco == "Go" && orig != strings.ToLower(orig):
		return "Go module path with capitals: osv-scanner's purl parser lowercases it, so the advisory never matches"
	case k.eco == "PyPI" && orig != k.name:
		return "PyPI name not PEP 503-normalised in the advisory: osv-scanner compares it as written"
	}
	return unexplained
}

// comparison is what the two tools found, after normalising.
type comparison struct {
	ours, theirs         int
	both                 int
	onlyOurs, onlyTheirs []string          // sorted, each with its cause
	perEco               map[string][3]int // both, only sovcheck, only osv-scanner
	causes               map[string]int    // cause -> pairs
}

func comparePairs(ours, theirs map[pairKey]bool) comparison {
	on, tn := map[pairKey]string{}, map[pairKey]bool{}
	for k := range ours {
		on[normKey(k)] = k.name
	}
	for k := range theirs {
		tn[normKey(k)] = true
	}
	c := comparison{ours: len(on), theirs: len(tn), onlyOurs: []string{}, onlyTheirs: []string{},
		perEco: map[string][3]int{}, causes: map[string]int{}}
	for k, orig := range on {
		n := c.perEco[k.eco]
		if tn[k] {
			c.both++
			n[0]++
		} else {
			why := differenceCause(k, orig)
			c.onlyOurs = append(c.onlyOurs, fmt.Sprintf("%s %s@%s %s: %s", k.eco, orig, k.version, k.id, why))
			c.causes[why]++
			n[1]++
		}
		c.perEco[k.eco] = n
	}
	for k := range tn {
		if _, ok := on[k]; !ok {
			c.onlyTheirs = append(c.onlyTheirs, fmt.Sprintf("%s %s@%s %s: %s", k.eco, k.name, k.version, k.id, unexplained))
			c.causes[unexplained]++
			n := c.perEco[k.eco]
			n[2]++
			c.perEco[k.eco] = n
		}
	}
	slices.Sort(c.onlyOurs)
	slices.Sort(c.onlyTheirs)
	return c
}

// print writes the totals, the counts per ecosystem and per cause, and the
// first differences.
func (c comparison) print() {
	fmt.Printf("vulnerable (component, advisory) pairs: sovcheck %d, osv-scanner %d, both %d\n", c.ours, c.theirs, c.both)
	for _, e := range slices.Sorted(maps.Keys(c.perEco)) {
		n := c.perEco[e]
		fmt.Printf("  %-10s both %5d  only sovcheck %4d  only osv-scanner %4d\n", e, n[0], n[1], n[2])
	}
	for _, cause := range slices.Sorted(maps.Keys(c.causes)) {
		fmt.Printf("  difference cause: %s: %d pairs\n", cause, c.causes[cause])
	}
	showDifferences("only sovcheck", c.onlyOurs)
	showDifferences("only osv-scanner", c.onlyTheirs)
}

// showDifferences prints the first 20 of xs under title.
func showDifferences(title string, xs []string) {
	if len(xs) == 0 {
		return
	}
	fmt.Printf("%s (%d):\n", title, len(xs))
	for i, x := range xs {
		if i == 20 {
			fmt.Printf("  ... %d more\n", len(xs)-20)
			break
		}
		fmt.Println("  " + x)
	}
}
