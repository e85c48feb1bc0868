package db

import (
	"strconv"
	"strings"
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
