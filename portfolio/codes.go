package portfolio

// Reason codes owned by package portfolio; shared codes (INPUT_UNREADABLE,
// INPUT_TOO_LARGE) come from internal/reason.
const (
	// CodeStoreUnavailable: the store cannot be opened or reached (a
	// missing directory, a refused PostgreSQL connection).
	CodeStoreUnavailable = "PORTFOLIO_STORE_UNAVAILABLE"
	// CodeStoreForeign: the file or database is not a sovcheck portfolio
	// store (not SQLite at all, or SQLite holding other tables).
	CodeStoreForeign = "PORTFOLIO_STORE_FOREIGN"
	// CodeStoreTooNew: the store was written by a newer sovcheck, with a
	// schema this one does not know; it is left untouched.
	CodeStoreTooNew = "PORTFOLIO_STORE_TOO_NEW"
	// CodeStoreCorrupt: the store is a sovcheck store but a read or write
	// failed inside it (a damaged file, a failed transaction).
	CodeStoreCorrupt = "PORTFOLIO_STORE_CORRUPT"
	// CodeQueryInvalid: a where or diff question cannot be asked as given
	// (a malformed purl or version range, a date that does not parse).
	CodeQueryInvalid = "PORTFOLIO_QUERY_INVALID"
)
