-- The Slack message posted for a request (its channel and `ts`), so that it can be updated
-- with the outcome however the request is decided.
CREATE TABLE slack_messages (
    request_id text        COLLATE "C" NOT NULL PRIMARY KEY REFERENCES requests (id),
    channel    text        NOT NULL,
    ts         text        NOT NULL,
    posted_at  timestamptz NOT NULL
);
