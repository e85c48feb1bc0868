-- The order state machine, enforced by the database as well as by internal/order:
-- an UPDATE that moves an order along an edge not drawn here fails.
--
--   PENDING ─▶ AWAITING_PAYMENT ─▶ PAID ─▶ FULFILLING ─▶ SHIPPED ─▶ DELIVERED
--      │  └─▶ ON_HOLD ─▶ AWAITING_PAYMENT   └─▶ PAYMENT_FAILED ─▶ CANCELLED
--   cancel: from any state before SHIPPED.

-- +goose Up
CREATE TABLE order_transitions (
  from_status text NOT NULL,
  to_status   text NOT NULL,
  PRIMARY KEY (from_status, to_status)
);
INSERT INTO order_transitions (from_status, to_status) VALUES
  ('PENDING', 'AWAITING_PAYMENT'), ('PENDING', 'ON_HOLD'), ('PENDING', 'CANCELLED'),
  ('ON_HOLD', 'AWAITING_PAYMENT'), ('ON_HOLD', 'CANCELLED'),
  ('AWAITING_PAYMENT', 'PAID'), ('AWAITING_PAYMENT', 'PAYMENT_FAILED'), ('AWAITING_PAYMENT', 'CANCELLED'),
  ('PAYMENT_FAILED', 'CANCELLED'),
  ('PAID', 'FULFILLING'), ('PAID', 'CANCELLED'),
  ('FULFILLING', 'SHIPPED'), ('FULFILLING', 'CANCELLED'),
  ('SHIPPED', 'DELIVERED');
GRANT SELECT ON order_transitions TO ordergraph_app;

-- +goose StatementBegin
CREATE FUNCTION orders_check_transition() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF NEW.status IS DISTINCT FROM OLD.status AND NOT EXISTS (
      SELECT FROM order_transitions WHERE from_status = OLD.status AND to_status = NEW.status) THEN
    RAISE EXCEPTION 'illegal order transition % -> %', OLD.status, NEW.status
      USING ERRCODE = 'check_violation', CONSTRAINT = 'orders_status_transition';
  END IF;
  RETURN NEW;
END
$$;
-- +goose StatementEnd

CREATE TRIGGER orders_status_transition BEFORE UPDATE OF status ON orders
  FOR EACH ROW EXECUTE FUNCTION orders_check_transition();

-- +goose Down
DROP TRIGGER orders_status_transition ON orders;
DROP FUNCTION orders_check_transition();
DROP TABLE order_transitions;
