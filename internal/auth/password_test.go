package auth

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"golang.org/x/crypto/bcrypt"
)

// The dummy hash an unknown email is checked against has the configured cost, so the
// check costs what checking a real user's password costs.
func TestDummyHashHasTheConfiguredCost(t *testing.T) {
	t.Parallel()
	for _, cost := range []int{bcrypt.MinCost, 6} {
		c, err := bcrypt.Cost(dummyHash(cost))
		assert.NoError(t, err)
		assert.Equal(t, cost, c)
	}
	u := NewUsers(nil, nil, 5)
	c, err := bcrypt.Cost(u.dummyHash)
	assert.NoError(t, err)
	assert.Equal(t, 5, c)
}
