-- Catalog, inventory, customers and orders. Money is stored in integer minor units
-- (cents) next to the currency code; quantities are integers.

-- +goose Up
CREATE TABLE products (
  store_id            uuid NOT NULL REFERENCES stores (id),
  id                  uuid NOT NULL DEFAULT gen_random_uuid(),
  sku                 text NOT NULL,
  name                text NOT NULL,
  price_minor         bigint NOT NULL CHECK (price_minor >= 0),
  currency_code       char(3) NOT NULL,
  stock_on_hand       integer NOT NULL CHECK (stock_on_hand >= 0),
  stock_reserved      integer NOT NULL DEFAULT 0 CHECK (stock_reserved >= 0),
  low_stock_threshold integer NOT NULL DEFAULT 0 CHECK (low_stock_threshold >= 0),
  created_at          timestamptz NOT NULL DEFAULT now(),
  updated_at          timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (store_id, id),
  UNIQUE (store_id, sku),
  -- Reservations never exceed what is on hand: the database refuses an oversell even
  -- if the code forgot to check.
  CHECK (stock_reserved <= stock_on_hand)
);
CREATE INDEX products_store_created_idx ON products (store_id, created_at DESC, id DESC);

CREATE TABLE stock_movements (
  store_id   uuid NOT NULL,
  id         bigint GENERATED ALWAYS AS IDENTITY,
  product_id uuid NOT NULL,
  delta      integer NOT NULL,
  reason     text NOT NULL,
  order_id   uuid,
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (store_id, id),
  FOREIGN KEY (store_id, product_id) REFERENCES products (store_id, id)
);
CREATE INDEX stock_movements_product_idx ON stock_movements (store_id, product_id, id);

CREATE TABLE customers (
  store_id   uuid NOT NULL REFERENCES stores (id),
  id         uuid NOT NULL DEFAULT gen_random_uuid(),
  email      text NOT NULL CHECK (email = lower(email)),
  name       text,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (store_id, id),
  UNIQUE (store_id, email)
);
CREATE INDEX customers_store_created_idx ON customers (store_id, created_at DESC, id DESC);

CREATE TABLE orders (
  store_id         uuid NOT NULL REFERENCES stores (id),
  id               uuid NOT NULL DEFAULT gen_random_uuid(),
  number           bigint NOT NULL,
  status           text NOT NULL DEFAULT 'PENDING' CHECK (status IN (
                     'PENDING', 'ON_HOLD', 'AWAITING_PAYMENT', 'PAID', 'FULFILLING',
                     'SHIPPED', 'DELIVERED', 'PAYMENT_FAILED', 'CANCELLED')),
  customer_id      uuid NOT NULL,
  currency_code    char(3) NOT NULL,
  subtotal_minor   bigint NOT NULL CHECK (subtotal_minor >= 0),
  total_minor      bigint NOT NULL CHECK (total_minor >= 0),
  shipping_address jsonb NOT NULL,
  note             text,
  idempotency_key  text NOT NULL,
  request_hash     bytea NOT NULL,
  created_at       timestamptz NOT NULL DEFAULT now(),
  updated_at       timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (store_id, id),
  UNIQUE (store_id, number),
  UNIQUE (store_id, idempotency_key),
  FOREIGN KEY (store_id, customer_id) REFERENCES customers (store_id, id)
);
CREATE INDEX orders_store_created_idx ON orders (store_id, created_at DESC, id DESC);
CREATE INDEX orders_store_status_created_idx ON orders (store_id, status, created_at DESC, id DESC);
CREATE INDEX orders_store_total_idx ON orders (store_id, total_minor, id);
CREATE INDEX orders_store_customer_idx ON orders (store_id, customer_id, created_at DESC);

CREATE TABLE order_lines (
  store_id         uuid NOT NULL,
  order_id         uuid NOT NULL,
  line_no          integer NOT NULL,
  product_id       uuid NOT NULL,
  sku              text NOT NULL,
  name             text NOT NULL,
  quantity         integer NOT NULL CHECK (quantity > 0),
  unit_price_minor bigint NOT NULL CHECK (unit_price_minor >= 0),
  total_minor      bigint NOT NULL CHECK (total_minor >= 0),
  currency_code    char(3) NOT NULL,
  PRIMARY KEY (store_id, order_id, line_no),
  FOREIGN KEY (store_id, order_id) REFERENCES orders (store_id, id),
  FOREIGN KEY (store_id, product_id) REFERENCES products (store_id, id)
);

-- The timeline: one row per step an order takes, appended in the transaction that takes it.
CREATE TABLE order_events (
  store_id   uuid NOT NULL,
  id         bigint GENERATED ALWAYS AS IDENTITY,
  order_id   uuid NOT NULL,
  type       text NOT NULL,
  message    text NOT NULL,
  data       jsonb NOT NULL DEFAULT '{}',
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (store_id, id),
  FOREIGN KEY (store_id, order_id) REFERENCES orders (store_id, id)
);
CREATE INDEX order_events_order_idx ON order_events (store_id, order_id, id);

CREATE TABLE payments (
  store_id          uuid NOT NULL,
  id                uuid NOT NULL DEFAULT gen_random_uuid(),
  order_id          uuid NOT NULL,
  status            text NOT NULL CHECK (status IN (
                      'PENDING', 'RETRYING', 'CAPTURED', 'DECLINED', 'FAILED', 'REFUNDED')),
  amount_minor      bigint NOT NULL CHECK (amount_minor >= 0),
  currency_code     char(3) NOT NULL,
  attempts          integer NOT NULL DEFAULT 0,
  last_error        text,
  idempotency_key   text NOT NULL,
  gateway_charge_id text,
  created_at        timestamptz NOT NULL DEFAULT now(),
  updated_at        timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (store_id, id),
  UNIQUE (store_id, idempotency_key),
  FOREIGN KEY (store_id, order_id) REFERENCES orders (store_id, id)
);
CREATE INDEX payments_order_idx ON payments (store_id, order_id, created_at);

CREATE TABLE invoices (
  store_id      uuid NOT NULL,
  id            uuid NOT NULL DEFAULT gen_random_uuid(),
  order_id      uuid NOT NULL,
  number        bigint NOT NULL,
  status        text NOT NULL CHECK (status IN ('ISSUED', 'VOID', 'CREDITED')),
  total_minor   bigint NOT NULL,
  currency_code char(3) NOT NULL,
  issued_at     timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (store_id, id),
  UNIQUE (store_id, number),
  UNIQUE (store_id, order_id),
  FOREIGN KEY (store_id, order_id) REFERENCES orders (store_id, id)
);
CREATE INDEX invoices_store_issued_idx ON invoices (store_id, issued_at DESC, id DESC);

CREATE TABLE fulfillments (
  store_id        uuid NOT NULL,
  id              uuid NOT NULL DEFAULT gen_random_uuid(),
  order_id        uuid NOT NULL,
  status          text NOT NULL CHECK (status IN ('PENDING', 'SHIPPED', 'DELIVERED', 'CANCELLED')),
  carrier         text,
  tracking_number text,
  shipped_at      timestamptz,
  delivered_at    timestamptz,
  created_at      timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (store_id, id),
  UNIQUE (store_id, order_id),
  FOREIGN KEY (store_id, order_id) REFERENCES orders (store_id, id)
);

-- +goose StatementBegin
DO $$
DECLARE t text;
BEGIN
  FOREACH t IN ARRAY ARRAY['products', 'stock_movements', 'customers', 'orders', 'order_lines',
                           'order_events', 'payments', 'invoices', 'fulfillments'] LOOP
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
DROP TABLE fulfillments, invoices, payments, order_events, order_lines, orders, customers,
  stock_movements, products;
