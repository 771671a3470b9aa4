package verify

import (
	"context"
	"crypto"

	"github.com/sovcheck/sovcheck/attest"
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

// SignRecipeBundle signs a recipe (or any in-toto statement) with key as a
// Sigstore bundle v0.3 whose verification material is the key's id: what
// 'sovcheck attest recipe --bundle-out' writes beside the artifact, and
// what verify reads there with --key (and --insecure-ignore-tlog, since
// the bundle has no transparency log entry).
func SignRecipeBundle(statement []byte, key crypto.Signer) ([]byte, error) {
	_, bundle, err := attest.SignStatementWithKey(statement, key)
	return bundle, err
}
