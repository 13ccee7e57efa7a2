-- Queues: the two unrelated ids, the keys, the state, and the balance in the metering plugin's unit.
CREATE TABLE queues (
    recipient_id  BLOB PRIMARY KEY,
    sender_id     BLOB NOT NULL UNIQUE,
    recipient_key BLOB NOT NULL,
    sender_key    BLOB,
    suspended     INTEGER NOT NULL DEFAULT 0,
    balance       INTEGER NOT NULL DEFAULT 0
) WITHOUT ROWID;

-- Undelivered (and delivered but not yet acknowledged) messages, in acceptance order.
CREATE TABLE messages (
    seq           INTEGER PRIMARY KEY,
    recipient_id  BLOB NOT NULL,
    message_id    BLOB NOT NULL,
    accepted_at   INTEGER NOT NULL,
    body          BLOB NOT NULL,
    quota_notice  INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX messages_by_queue ON messages (recipient_id, seq);

-- Each metering plugin's own durable state (spent-set, outbox), written in the same transactions.
CREATE TABLE metering_store (
    plugin TEXT NOT NULL,
    key    TEXT NOT NULL,
    value  BLOB NOT NULL,
    PRIMARY KEY (plugin, key)
) WITHOUT ROWID;
