package db

import (
	"context"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"
)

// Filter builds the WHERE clause of a list query whose conditions depend on the
// caller's filter, with numbered parameters. It exists for the few truly dynamic
// queries (list filters); everything else is static SQL.
type Filter struct {
	conds []string
	Args  []any
}

// Add appends a condition; each ? in cond takes the next argument.
func (f *Filter) Add(cond string, args ...any) {
	var b strings.Builder
	i := 0
	for _, r := range cond {
		if r == '?' && i < len(args) {
			f.Args = append(f.Args, args[i])
			i++
			b.WriteString("$" + strconv.Itoa(len(f.Args)))
			continue
		}
		b.WriteRune(r)
	}
	f.conds = append(f.conds, b.String())
}

// Arg adds a bare argument and returns its placeholder (for LIMIT and the like).
func (f *Filter) Arg(v any) string {
	f.Args = append(f.Args, v)
	return "$" + strconv.Itoa(len(f.Args))
}

// Where returns "cond AND cond ...", or "true" when there are none.
func (f *Filter) Where() string {
	if len(f.conds) == 0 {
		return "true"
	}
	return strings.Join(f.conds, " AND ")
}

// LikePattern escapes s for a LIKE/ILIKE substring match.
func LikePattern(s string) string {
	r := strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`)
	return "%" + r.Replace(s) + "%"
}

// Page runs a list query in a scoped read. The query must fetch first+1 rows (see
// Filter.Arg for its LIMIT); Page returns the first rows and whether more follow.
func Page[T any](ctx context.Context, d *DB, scope Scope, first int, sql string, args []any, scan func(pgx.Rows) ([]T, error)) ([]T, bool, error) {
	var out []T
	err := d.Read(ctx, scope, func(q Querier) error {
		rows, err := q.Query(ctx, sql, args...)
		if err != nil {
			return err
		}
		out, err = scan(rows)
		return err
	})
	if err != nil {
		return nil, false, err
	}
	if len(out) > first {
		return out[:first], true, nil
	}
	return out, false, nil
}

// Count counts the rows of table matching w in a scoped read.
func Count(ctx context.Context, d *DB, scope Scope, table string, w *Filter) (int, error) {
	var n int
	err := d.Read(ctx, scope, func(q Querier) error {
		return q.QueryRow(ctx, `SELECT count(*) FROM `+table+` WHERE `+w.Where(), w.Args...).Scan(&n)
	})
	return n, err
}
