package sbom

import (
	"slices"
	"testing"

	"github.com/sovcheck/sovcheck/internal/vocab"
)

// TestLabelsAreTheVocabulary keeps the labels the assessment can fire and
// the vocabulary's lists the same sets: policies validate label names
// against the vocabulary, so a label missing there could not be forbidden,
// and a label only there would be accepted and never fire.
func TestLabelsAreTheVocabulary(t *testing.T) {
	var fired []string
	for _, info := range labelCatalogue {
		fired = append(fired, string(info.label))
	}
	want := vocab.LabelNames(vocab.Labels)
	slices.Sort(fired)
	slices.Sort(want)
	if !slices.Equal(fired, want) {
		t.Errorf("component labels:\nsbom  %v\nvocab %v", fired, want)
	}
	var services []string
	for _, h := range hostingLabels {
		services = append(services, string(h.label))
	}
	if want := vocab.LabelNames(vocab.ServiceLabels); !slices.Equal(services, want) {
		t.Errorf("service labels:\nsbom  %v\nvocab %v", services, want)
	}
}
