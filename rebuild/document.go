package rebuild

// Document is the JSON of `sovcheck rebuild` (media type
// vocab.MediaTypeRebuild; fields may be added, never repurposed):
// artifact rebuilds, or module zip checks. Package report writes it from
// Results and ModuleZipResults, and reads it back for `sovcheck report`.
type Document struct {
	MediaType string         `json:"mediaType"`
	Results   []ResultRecord `json:"results,omitempty"`
	Modules   []ModuleRecord `json:"modules,omitempty"`
}

// ResultRecord is the rebuild of one artifact in a Document.
type ResultRecord struct {
	Artifact       string            `json:"artifact"`
	ArtifactDigest map[string]string `json:"artifactDigest"`
	Status         Status            `json:"status"`
	Reason         *ReasonRecord     `json:"reason,omitempty"`
	Causes         []Cause           `json:"causes,omitempty"`
	Subject        *SubjectRecord    `json:"subject,omitempty"`
	Recipe         *RecipeRecord     `json:"recipe,omitempty"`
	Toolchain      *Toolchain        `json:"toolchain,omitempty"`
	Sandbox        *SandboxInfo      `json:"sandbox,omitempty"`
	RebuiltDigest  map[string]string `json:"rebuiltDigest,omitempty"`
	Phases         []Phase           `json:"phases"`
	BuildLog       string            `json:"buildLog,omitempty"`
	// SourceMissing: the objects of the commit the source lacked.
	SourceMissing *MissingRecord `json:"sourceMissing,omitempty"`
}

// ReasonRecord is a *reason.Error in a Document: why a rebuild did not
// match or was not tried.
type ReasonRecord struct {
	Code    string `json:"code"`
	Message string `json:"message"`
	Hint    string `json:"hint,omitempty"`
	Got     string `json:"got,omitempty"`
	Want    string `json:"want,omitempty"`
}

// RecipeRecord is the recipe replayed; of a refused recipe, only its build
// type.
type RecipeRecord struct {
	BuildType string  `json:"buildType"`
	Source    *Source `json:"source,omitempty"`
	Toolchain string  `json:"toolchain,omitempty"`
	Steps     []Step  `json:"steps,omitempty"`
	Output    string  `json:"output,omitempty"`
}

// SubjectRecord is the provenance subject a rebuild matched.
type SubjectRecord struct {
	Name   string            `json:"name"`
	Digest map[string]string `json:"digest"`
}

// MissingRecord is what a rebuild's source lacked of the commit's tree.
type MissingRecord struct {
	Count   int      `json:"count"`
	Objects []string `json:"objects"` // at most 10, "type id path"
}

// ModuleRecord is the check of one Go module zip in a Document.
type ModuleRecord struct {
	Module  string        `json:"module"`
	Version string        `json:"version"`
	Commit  string        `json:"commit,omitempty"`
	Status  Status        `json:"status"`
	GotH1   string        `json:"gotH1,omitempty"`
	WantH1  string        `json:"wantH1"`
	Causes  []Cause       `json:"causes,omitempty"`
	Reason  *ReasonRecord `json:"reason,omitempty"`
}
