// Package store owns the tenants: stores, their memberships (a user's role in a store)
// and their API keys. It is the only writer of those tables.
package store
