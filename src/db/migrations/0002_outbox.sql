-- The transactional outbox: events written in the same transaction as the job
-- status they announce, published to Kafka by the relay (messaging/outbox_relay),
-- so that every finished job is announced exactly once even across crashes.

-- What the upload event carried that its answer must carry back (MassTransit
-- correlation, W3C trace context).
ALTER TABLE jobs
    ADD COLUMN message_id      text,
    ADD COLUMN correlation_id  text,
    ADD COLUMN conversation_id text,
    ADD COLUMN traceparent     text;

CREATE TABLE outbox (
    -- Publication order: the relay sends in this order, so the events of one video stay ordered.
    seq          bigserial   PRIMARY KEY,
    -- Sent as the MessageId header: a consumer that sees it twice knows it is the same event.
    message_id   uuid        NOT NULL UNIQUE DEFAULT gen_random_uuid(),
    topic        text        NOT NULL,
    message_key  text        NOT NULL,
    payload      text        NOT NULL,
    -- A JSON object of header name to value.
    headers      jsonb       NOT NULL DEFAULT '{}',
    job_id       uuid        REFERENCES jobs (id) ON DELETE SET NULL,
    created_at   timestamptz NOT NULL DEFAULT now(),
    sent_at      timestamptz,
    attempts     integer     NOT NULL DEFAULT 0,
    last_error   text
);

CREATE INDEX outbox_unsent ON outbox (seq) WHERE sent_at IS NULL;
