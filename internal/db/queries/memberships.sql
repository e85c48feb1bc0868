-- name: MembershipCreate :one
INSERT INTO memberships (store_id, user_id, role) VALUES ($1, $2, $3)
RETURNING *;

-- name: MembershipGetRole :one
SELECT role FROM memberships WHERE store_id = $1 AND user_id = $2;

-- name: MembershipListByUser :many
SELECT sqlc.embed(m), sqlc.embed(s)
FROM memberships m JOIN stores s ON s.id = m.store_id
WHERE m.user_id = $1
ORDER BY m.created_at, m.store_id;

-- name: MembershipGetMember :one
SELECT sqlc.embed(m), u.email, u.name
FROM memberships m JOIN users u ON u.id = m.user_id
WHERE m.store_id = $1 AND m.user_id = $2;

-- name: MembershipListMembers :many
SELECT sqlc.embed(m), u.email, u.name
FROM memberships m JOIN users u ON u.id = m.user_id
WHERE m.store_id = sqlc.arg(store_id)
  AND (m.created_at, m.user_id) > (sqlc.arg(after_created_at)::timestamptz, sqlc.arg(after_user_id)::uuid)
ORDER BY m.created_at, m.user_id
LIMIT sqlc.arg(max_rows);
