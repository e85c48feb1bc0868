package main

import (
	"context"

	"github.com/ordergraph/ordergraph/internal/db"
	"github.com/ordergraph/ordergraph/internal/store"
)

// seedCatalog creates the demo products (with the catalog domain).
func seedCatalog(ctx context.Context, d *db.DB, st store.Store) error { return nil }
