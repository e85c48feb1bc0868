package store

import (
	"fmt"
	"strings"
)

// Role is a member's or API key's role in a store. Higher roles include lower ones:
// OWNER > ADMIN > STAFF > VIEWER.
type Role string

// The roles, highest first.
const (
	RoleOwner  Role = "OWNER"
	RoleAdmin  Role = "ADMIN"
	RoleStaff  Role = "STAFF"
	RoleViewer Role = "VIEWER"
)

var roleRank = map[Role]int{RoleViewer: 1, RoleStaff: 2, RoleAdmin: 3, RoleOwner: 4}

// ParseRole parses a role name, case-insensitively.
func ParseRole(s string) (Role, error) {
	r := Role(strings.ToUpper(strings.TrimSpace(s)))
	if _, ok := roleRank[r]; !ok {
		return "", fmt.Errorf("unknown role %q: want OWNER, ADMIN, STAFF or VIEWER", s)
	}
	return r, nil
}

// Valid reports whether r is a known role.
func (r Role) Valid() bool { _, ok := roleRank[r]; return ok }

// AtLeast reports whether r includes min's permissions.
func (r Role) AtLeast(min Role) bool { return roleRank[r] >= roleRank[min] && roleRank[min] > 0 }
