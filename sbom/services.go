package sbom

import (
	"fmt"

	cdx "github.com/CycloneDX/cyclonedx-go"
)

// Service is a CycloneDX service (a SaaSBOM entry): something the product
// calls over the network, run by a provider. Nested services are
// flattened; Parent names the enclosing service's ref.
type Service struct {
	Ref       string   `json:"ref,omitempty"`
	Name      string   `json:"name"`
	Group     string   `json:"group,omitempty"`
	Version   string   `json:"version,omitempty"`
	Provider  string   `json:"provider,omitempty"`
	Endpoints []string `json:"endpoints,omitempty"`
	// Authenticated and CrossesTrustBoundary are nil when the SBOM does
	// not say.
	Authenticated        *bool  `json:"authenticated,omitempty"`
	CrossesTrustBoundary *bool  `json:"crossesTrustBoundary,omitempty"`
	TrustZone            string `json:"trustZone,omitempty"`
	// Data lists the data flows as "flow:classification".
	Data   []string `json:"data,omitempty"`
	Parent string   `json:"parent,omitempty"`
	// Location is the JSON pointer (or XML path) of the service.
	Location string `json:"location"`
}

// readServices flattens the services of a CycloneDX BOM, nested ones
// included, within the component limits. A service without a provider
// has none, nested or not: CycloneDX gives the enclosing service's
// provider no meaning for the services it calls (the SaaSBOM example of
// the CycloneDX bom-examples repository nests an Amazon S3 bucket, with
// no provider, under its own API gateway), so the provider stays unknown
// rather than guessed.
func readServices(list *[]cdx.Service, loc cdxLoc, l Limits) ([]Service, error) {
	var out []Service
	var walk func(ss *[]cdx.Service, parentLoc, parentRef string, depth int) error
	walk = func(ss *[]cdx.Service, parentLoc, parentRef string, depth int) error {
		if ss == nil {
			return nil
		}
		if depth > l.MaxNesting {
			return tooMany("levels of nested services", l.MaxNesting, "flatten the services of the SBOM")
		}
		for i := range *ss {
			s := &(*ss)[i]
			if len(out) >= l.MaxComponents {
				return tooMany("services", l.MaxComponents, "split the SBOM")
			}
			sv := Service{Ref: s.BOMRef, Name: s.Name, Group: s.Group, Version: s.Version,
				Authenticated: s.Authenticated, CrossesTrustBoundary: s.CrossesTrustBoundary, TrustZone: s.TrustZone,
				Parent: parentRef, Location: loc.item(parentLoc, "services", "service", i)}
			if s.Provider != nil && s.Provider.Name != "" {
				sv.Provider = s.Provider.Name
			}
			if s.Endpoints != nil {
				sv.Endpoints = append(sv.Endpoints, *s.Endpoints...)
			}
			if s.Data != nil {
				for _, d := range *s.Data {
					sv.Data = append(sv.Data, fmt.Sprintf("%s:%s", d.Flow, d.Classification))
				}
			}
			out = append(out, sv)
			if err := walk(s.Services, sv.Location, s.BOMRef, depth+1); err != nil {
				return err
			}
		}
		return nil
	}
	if err := walk(list, loc.root(), "", 0); err != nil {
		return nil, err
	}
	return out, nil
}
