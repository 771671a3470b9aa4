// Package trustdoc holds the documents of trust snapshots that are read
// and rendered below the crypto stack: the TUF metadata and targets a
// snapshot records, and what 'sovcheck trust show' says of one. It has
// types only, so that report renders them without importing attest.
package trustdoc

import "time"

// TUFRole is the version and expiry of one TUF role's metadata at the
// time of a pull.
type TUFRole struct {
	Role    string    `json:"role"`
	Version int64     `json:"version"`
	Expires time.Time `json:"expires"`
}

// SnapshotTarget is a TUF target copied into a snapshot, with the digest
// and length the signed targets metadata gave for it.
type SnapshotTarget struct {
	Name   string `json:"name"`
	SHA256 string `json:"sha256"`
	Length int64  `json:"length"`
}

// RootSummary counts the authorities of a trusted root.
type RootSummary struct {
	CertificateAuthorities  int `json:"certificateAuthorities"`
	TransparencyLogs        int `json:"transparencyLogs"`
	CTLogs                  int `json:"ctLogs"`
	TimestampingAuthorities int `json:"timestampingAuthorities"`
}

// Show is what a trust snapshot holds and the verdict of its check at
// CheckedAt (media type vocab.MediaTypeTrustShow).
type Show struct {
	MediaType   string           `json:"mediaType"`
	File        string           `json:"file"`
	Repository  string           `json:"repository"`
	AsOf        time.Time        `json:"asOf"`
	Expires     time.Time        `json:"expires"`
	ExpiresRole string           `json:"expiresRole"`
	CheckedAt   time.Time        `json:"checkedAt"`
	Status      string           `json:"status"` // PASS or FAIL
	Reason      string           `json:"reason,omitempty"`
	Message     string           `json:"message,omitempty"`
	Metadata    []TUFRole        `json:"tufMetadata"`
	Targets     []SnapshotTarget `json:"targets"`
	TrustedRoot RootSummary      `json:"trustedRoot"`
}
