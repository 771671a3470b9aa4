package portfolio

import (
	"context"
	"database/sql/driver"
	"errors"
	"fmt"
	"io"
)

// eachRow runs query with args on a connection of its own and calls fn
// with each row's values as the driver returns them: int64 for an integer
// column, string (or []byte) for a text one. A where answer reads hundreds
// of thousands of rows; database/sql's locking and conversion of each
// value into a Scan destination were a twentieth of its time. fn must not
// keep row, which the next row overwrites.
func (s *Store) eachRow(ctx context.Context, query string, args []any, fn func(row []driver.Value) error) error {
	named := make([]driver.NamedValue, len(args))
	for i, a := range args {
		v, err := driver.DefaultParameterConverter.ConvertValue(a)
		if err != nil {
			return err
		}
		named[i] = driver.NamedValue{Ordinal: i + 1, Value: v}
	}
	// A connection the driver finds broken before any row was read is
	// replaced once, as database/sql does for its own queries.
	for attempt := 0; ; attempt++ {
		delivered, err := s.eachRowOnce(ctx, query, named, fn)
		if errors.Is(err, driver.ErrBadConn) && !delivered && attempt == 0 {
			continue
		}
		return err
	}
}

// eachRowOnce is one attempt of eachRow; delivered says whether fn saw a
// row.
func (s *Store) eachRowOnce(ctx context.Context, query string, named []driver.NamedValue, fn func(row []driver.Value) error) (delivered bool, err error) {
	conn, err := s.db.Conn(ctx)
	if err != nil {
		return false, err
	}
	defer conn.Close()
	err = conn.Raw(func(dc any) error {
		qc, ok := dc.(driver.QueryerContext)
		if !ok {
			return fmt.Errorf("the %s driver cannot run a query on a connection", s.d.name)
		}
		rows, err := qc.QueryContext(ctx, query, named)
		if err != nil {
			return err
		}
		defer rows.Close()
		row := make([]driver.Value, len(rows.Columns()))
		for n := 0; ; n++ {
			// The driver watches the context only while it waits for a
			// lock: a cancelled question stops here.
			if n%1024 == 0 {
				if err := ctx.Err(); err != nil {
					return err
				}
			}
			if err := rows.Next(row); err != nil {
				if errors.Is(err, io.EOF) {
					return nil
				}
				return err
			}
			delivered = true
			if err := fn(row); err != nil {
				return err
			}
		}
	})
	return delivered, err
}

// errColumnType says a column held a value of another type than the
// schema gives it: the store is not one sovcheck wrote.
var errColumnType = errors.New("a column holds a value of the wrong type")

// intValue is an integer column's value.
func intValue(v driver.Value) (int64, error) {
	if i, ok := v.(int64); ok {
		return i, nil
	}
	return 0, fmt.Errorf("%w: %T where an integer belongs", errColumnType, v)
}

// textValue is a text column's value.
func textValue(v driver.Value) (string, error) {
	switch t := v.(type) {
	case string:
		return t, nil
	case []byte:
		return string(t), nil
	}
	return "", fmt.Errorf("%w: %T where text belongs", errColumnType, v)
}

// scanRow reads row into the pointers into (*int64, *int, *string), in
// order, as Scan does.
func scanRow(row []driver.Value, into ...any) error {
	if len(row) != len(into) {
		return fmt.Errorf("%d columns, want %d", len(row), len(into))
	}
	for i, p := range into {
		var err error
		switch d := p.(type) {
		case *int64:
			*d, err = intValue(row[i])
		case *int:
			var v int64
			v, err = intValue(row[i])
			*d = int(v)
		case *string:
			*d, err = textValue(row[i])
		default:
			err = fmt.Errorf("cannot read a column into %T", p)
		}
		if err != nil {
			return fmt.Errorf("column %d: %w", i+1, err)
		}
	}
	return nil
}
