package verify

import (
	"context"

	"github.com/sovcheck/sovcheck/rebuild"
)

// RecipeBuild is a local Go build for which `sovcheck attest recipe`
// writes a replayable recipe.
type RecipeBuild = rebuild.LocalBuild

// BuildRecipe runs the build in the checkout and returns sovcheck's
// replayable recipe for what it built, as an unsigned in-toto statement;
// package rebuild runs and records the build (rebuild.RecordRecipe).
func BuildRecipe(ctx context.Context, b RecipeBuild) ([]byte, error) {
	return rebuild.RecordRecipe(ctx, b)
}
