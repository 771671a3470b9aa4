package data

import (
	"context"
	"net/http"

	"github.com/sovcheck/sovcheck/internal/reason"
)

// getHTTP reads one registry URL within limit. 404 and 410 mean the
// registry does not know the package (reason.RiskDataNotFound, with notFoundHint);
// any other status but 200 is a failed lookup.
func getHTTP(ctx context.Context, client *http.Client, u string, limit int64, accept, notFoundHint string) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, reason.Wrap(err, reason.RiskDataLookupFailed, "", "requesting %s", u)
	}
	if accept != "" {
		req.Header.Set("Accept", accept)
	}
	resp, err := client.Do(req)
	if err != nil {
		return nil, reason.Wrap(err, reason.RiskDataLookupFailed, "check the network and the registry URL; run the pull again", "requesting %s", u)
	}
	defer resp.Body.Close()
	switch {
	case resp.StatusCode == http.StatusNotFound || resp.StatusCode == http.StatusGone:
		return nil, reason.New(reason.RiskDataNotFound, notFoundHint, "requesting %s: %s", u, resp.Status)
	case resp.StatusCode != http.StatusOK:
		return nil, reason.New(reason.RiskDataLookupFailed, "the registry answered with an error; run the pull again later", "requesting %s: %s", u, resp.Status)
	}
	return readBounded(resp.Body, limit, u)
}
