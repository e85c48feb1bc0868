// Package model holds the GraphQL types that have no domain type of their own
// (connections, payloads, inputs). Objects with a domain type bind to it directly.
package model

// Node is any object with a global id. Domain types cannot implement gqlgen's
// generated marker method, so the interface is bound to this open one.
type Node any
