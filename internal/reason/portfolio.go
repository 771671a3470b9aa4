package reason

// Reason codes of the portfolio store.

const (
	// PortfolioStoreUnavailable: the store cannot be opened or reached (a
	// missing directory, a refused PostgreSQL connection).
	PortfolioStoreUnavailable = "PORTFOLIO_STORE_UNAVAILABLE"
	// PortfolioStoreForeign: the file or database is not a sovcheck portfolio
	// store (not SQLite at all, or SQLite holding other tables).
	PortfolioStoreForeign = "PORTFOLIO_STORE_FOREIGN"
	// PortfolioStoreTooNew: the store was written by a newer sovcheck, with a
	// schema this one does not know; it is left untouched.
	PortfolioStoreTooNew = "PORTFOLIO_STORE_TOO_NEW"
	// PortfolioStoreCorrupt: the store is a sovcheck store but a read or write
	// failed inside it (a damaged file, a failed transaction).
	PortfolioStoreCorrupt = "PORTFOLIO_STORE_CORRUPT"
	// PortfolioQueryInvalid: a where or diff question cannot be asked as given
	// (a malformed purl or version range, a date that does not parse).
	PortfolioQueryInvalid = "PORTFOLIO_QUERY_INVALID"
)
