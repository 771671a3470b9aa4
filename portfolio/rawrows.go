package portfolio

import (
	"context"
	"database/sql/driver"
	"errors"
	"fmt"
	"io"
)

// rowValues is the current row of a query eachRow runs: fn reads its
// columns by index (from 0) as an integer or as text. A value of another
// type is errColumnType.
type rowValues interface {
	columns() int
	integer(i int) (int64, error)
	text(i int) (string, error)
}

// eachRow runs query with args on a connection of its own and calls fn
// with each row. A where answer reads hundreds of thousands of rows;
// database/sql's locking and conversion of each value into a Scan
// destination were a twentieth of its time, and on SQLite the driver's
// per-value locking a sixth (readConn). fn must not keep row, which the
// next row overwrites.
func (s *Store) eachRow(ctx context.Context, query string, args []any, fn func(row rowValues) error) error {
	if s.d.name == "sqlite" {
		c, err := s.reads.get(ctx)
		if err != nil {
			return err
		}
		reuse := false
		defer func() {
			// A connection that failed (or whose fn panicked) is not
			// used again; a cancelled question leaves it sound.
			if reuse {
				s.reads.put(c)
			} else {
				c.close()
			}
		}()
		err = c.each(ctx, query, args, fn)
		reuse = err == nil || ctx.Err() != nil
		return err
	}
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
func (s *Store) eachRowOnce(ctx context.Context, query string, named []driver.NamedValue, fn func(row rowValues) error) (delivered bool, err error) {
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
		row := make(driverRow, len(rows.Columns()))
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

// driverRow is a row as a database/sql driver returns it: int64 for an
// integer column, string (or []byte) for a text one.
type driverRow []driver.Value

func (r driverRow) columns() int                 { return len(r) }
func (r driverRow) integer(i int) (int64, error) { return intValue(r[i]) }
func (r driverRow) text(i int) (string, error)   { return textValue(r[i]) }

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
func scanRow(row rowValues, into ...any) error {
	if n := row.columns(); n != len(into) {
		return fmt.Errorf("%d columns, want %d", n, len(into))
	}
	for i, p := range into {
		var err error
		switch d := p.(type) {
		case *int64:
			*d, err = row.integer(i)
		case *int:
			var v int64
			v, err = row.integer(i)
			*d = int(v)
		case *string:
			*d, err = row.text(i)
		default:
			err = fmt.Errorf("cannot read a column into %T", p)
		}
		if err != nil {
			return fmt.Errorf("column %d: %w", i+1, err)
		}
	}
	return nil
}
