-- Orchestration: what carries an order from payment to delivery, or to a compensated
-- cancellation (jobs/), and what tells the store's people about it (alerts).

-- +goose Up

-- The payment method an order is charged with (a gateway token such as pm_card_visa).
ALTER TABLE orders ADD COLUMN payment_method text NOT NULL DEFAULT 'pm_card_visa';

-- A payment is charged by the payment_charge job: one idempotency key for all its
-- attempts, a deadline that bounds its retries, the next attempt's time while it
-- retries, and the gateway's PaymentIntent id once captured.
ALTER TABLE payments
  ADD COLUMN payment_method   text NOT NULL DEFAULT 'pm_card_visa',
  ADD COLUMN next_attempt_at  timestamptz,
  ADD COLUMN deadline_at      timestamptz NOT NULL DEFAULT now() + interval '1 hour',
  ADD COLUMN decline_code     text,
  ADD COLUMN refunded_minor   bigint NOT NULL DEFAULT 0 CHECK (refunded_minor >= 0),
  ADD CONSTRAINT payments_refund_at_most_amount CHECK (refunded_minor <= amount_minor),
  DROP CONSTRAINT payments_status_check,
  ADD CONSTRAINT payments_status_check CHECK (status IN (
    'PENDING', 'RETRYING', 'CAPTURED', 'DECLINED', 'FAILED', 'REFUNDED', 'CANCELLED'));
CREATE UNIQUE INDEX payments_one_open_per_order ON payments (store_id, order_id)
  WHERE status IN ('PENDING', 'RETRYING', 'CAPTURED');

CREATE TABLE refunds (
  store_id          uuid NOT NULL,
  id                uuid NOT NULL DEFAULT gen_random_uuid(),
  payment_id        uuid NOT NULL,
  order_id          uuid NOT NULL,
  amount_minor      bigint NOT NULL CHECK (amount_minor > 0),
  currency_code     char(3) NOT NULL,
  status            text NOT NULL DEFAULT 'PENDING' CHECK (status IN ('PENDING', 'RETRYING', 'SUCCEEDED', 'FAILED')),
  reason            text NOT NULL,
  attempts          integer NOT NULL DEFAULT 0,
  last_error        text,
  next_attempt_at   timestamptz,
  idempotency_key   text NOT NULL,
  gateway_refund_id text,
  created_at        timestamptz NOT NULL DEFAULT now(),
  updated_at        timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (store_id, id),
  UNIQUE (store_id, idempotency_key),
  FOREIGN KEY (store_id, payment_id) REFERENCES payments (store_id, id),
  FOREIGN KEY (store_id, order_id) REFERENCES orders (store_id, id)
);
CREATE INDEX refunds_order_idx ON refunds (store_id, order_id, created_at);

-- Invoices are issued on capture with their lines; a cancelled order's invoice is
-- voided (VOID, with when and why), never deleted: its number stays taken.
ALTER TABLE invoices
  ADD COLUMN subtotal_minor bigint NOT NULL DEFAULT 0,
  ADD COLUMN voided_at      timestamptz,
  ADD COLUMN void_reason    text;
CREATE TABLE invoice_lines (
  store_id         uuid NOT NULL,
  invoice_id       uuid NOT NULL,
  line_no          integer NOT NULL,
  sku              text NOT NULL,
  description      text NOT NULL,
  quantity         integer NOT NULL CHECK (quantity > 0),
  unit_price_minor bigint NOT NULL,
  total_minor      bigint NOT NULL,
  PRIMARY KEY (store_id, invoice_id, line_no),
  FOREIGN KEY (store_id, invoice_id) REFERENCES invoices (store_id, id)
);

-- Fulfillment steps, each with its time.
ALTER TABLE fulfillments
  ADD COLUMN picked_at timestamptz,
  ADD COLUMN packed_at timestamptz,
  ADD COLUMN cancelled_at timestamptz,
  DROP CONSTRAINT fulfillments_status_check,
  ADD CONSTRAINT fulfillments_status_check CHECK (status IN (
    'PENDING', 'PICKED', 'PACKED', 'SHIPPED', 'DELIVERED', 'CANCELLED'));

-- Alerts: at most one open alert per kind and subject (a product, a payment, an order).
CREATE TABLE alerts (
  store_id    uuid NOT NULL REFERENCES stores (id),
  id          uuid NOT NULL DEFAULT gen_random_uuid(),
  kind        text NOT NULL CHECK (kind IN ('LOW_STOCK', 'PAYMENT_RETRYING', 'PAYMENT_FAILED', 'ORDER_ON_HOLD', 'WEBHOOK_FAILING')),
  status      text NOT NULL DEFAULT 'OPEN' CHECK (status IN ('OPEN', 'RESOLVED')),
  subject_id  uuid NOT NULL,
  order_id    uuid,
  message     text NOT NULL,
  data        jsonb NOT NULL DEFAULT '{}',
  created_at  timestamptz NOT NULL DEFAULT now(),
  resolved_at timestamptz,
  resolved_by text,
  PRIMARY KEY (store_id, id),
  CHECK ((status = 'RESOLVED') = (resolved_at IS NOT NULL))
);
CREATE UNIQUE INDEX alerts_one_open ON alerts (store_id, kind, subject_id) WHERE status = 'OPEN';
CREATE INDEX alerts_store_created_idx ON alerts (store_id, created_at DESC, id DESC);

-- Per-store rules of the fraud check. A store without a row uses the defaults.
CREATE TABLE store_settings (
  store_id                   uuid PRIMARY KEY REFERENCES stores (id),
  review_total_minor         bigint NOT NULL DEFAULT 500000 CHECK (review_total_minor >= 0),
  review_line_quantity       integer NOT NULL DEFAULT 100 CHECK (review_line_quantity > 0),
  max_orders_per_email_hour  integer NOT NULL DEFAULT 20 CHECK (max_orders_per_email_hour > 0),
  allowed_countries          text[] NOT NULL DEFAULT '{}',
  updated_at                 timestamptz NOT NULL DEFAULT now()
);

-- +goose StatementBegin
DO $$
DECLARE t text;
BEGIN
  FOREACH t IN ARRAY ARRAY['refunds', 'invoice_lines', 'alerts', 'store_settings'] LOOP
    EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
    EXECUTE format('ALTER TABLE %I FORCE ROW LEVEL SECURITY', t);
    EXECUTE format('CREATE POLICY tenant ON %I USING (store_id = app_store_id()) '
                   'WITH CHECK (store_id = app_store_id())', t);
    EXECUTE format('GRANT SELECT, INSERT, UPDATE ON %I TO ordergraph_app', t);
  END LOOP;
END
$$;
-- +goose StatementEnd

-- +goose Down
DROP TABLE store_settings, alerts, invoice_lines, refunds;
ALTER TABLE fulfillments DROP COLUMN picked_at, DROP COLUMN packed_at, DROP COLUMN cancelled_at,
  DROP CONSTRAINT fulfillments_status_check,
  ADD CONSTRAINT fulfillments_status_check CHECK (status IN ('PENDING', 'SHIPPED', 'DELIVERED', 'CANCELLED'));
ALTER TABLE invoices DROP COLUMN subtotal_minor, DROP COLUMN voided_at, DROP COLUMN void_reason;
DROP INDEX payments_one_open_per_order;
ALTER TABLE payments DROP COLUMN payment_method, DROP COLUMN next_attempt_at, DROP COLUMN deadline_at,
  DROP COLUMN decline_code, DROP COLUMN refunded_minor,
  DROP CONSTRAINT payments_status_check,
  ADD CONSTRAINT payments_status_check CHECK (status IN (
    'PENDING', 'RETRYING', 'CAPTURED', 'DECLINED', 'FAILED', 'REFUNDED'));
ALTER TABLE orders DROP COLUMN payment_method;
