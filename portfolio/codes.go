package portfolio

import "github.com/sovcheck/sovcheck/internal/reason"

// Package portfolio's names for its reason codes, defined in internal/reason
// (write reason.X in new code); shared codes (INPUT_UNREADABLE,
// INPUT_TOO_LARGE) come from internal/reason.
const (
	// CodeStoreUnavailable: the store cannot be opened or reached (a
	// missing directory, a refused PostgreSQL connection).
	CodeStoreUnavailable = reason.PortfolioStoreUnavailable
	// CodeStoreForeign: the file or database is not a sovcheck portfolio
	// store (not SQLite at all, or SQLite holding other tables).
	CodeStoreForeign = reason.PortfolioStoreForeign
	// CodeStoreTooNew: the store was written by a newer sovcheck, with a
	// schema this one does not know; it is left untouched.
	CodeStoreTooNew = reason.PortfolioStoreTooNew
	// CodeStoreCorrupt: the store is a sovcheck store but a read or write
	// failed inside it (a damaged file, a failed transaction).
	CodeStoreCorrupt = reason.PortfolioStoreCorrupt
	// CodeQueryInvalid: a where or diff question cannot be asked as given
	// (a malformed purl or version range, a date that does not parse).
	CodeQueryInvalid = reason.PortfolioQueryInvalid
)
