-- name: UserCreate :one
INSERT INTO users (email, name, password_hash) VALUES ($1, $2, $3)
RETURNING *;

-- name: UserGetByEmail :one
SELECT * FROM users WHERE email = $1;

-- name: UserGetByID :one
SELECT * FROM users WHERE id = $1;
