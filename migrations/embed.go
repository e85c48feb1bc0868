// Package migrations holds the SQL migrations, embedded into the binary. They run as
// the schema owner (DATABASE_URL); River's own tables migrate right after them.
package migrations

import "embed"

// FS holds the numbered goose migrations.
//
//go:embed *.sql
var FS embed.FS
