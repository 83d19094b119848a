-- The Slack message posted for a request (its channel and `ts`), so that it can be updated
-- with the outcome however the request is decided.
CREATE TABLE slack_messages (
    request_id TEXT    NOT NULL PRIMARY KEY REFERENCES requests (id),
    channel    TEXT    NOT NULL,
    ts         TEXT    NOT NULL,
    posted_at  INTEGER NOT NULL
) STRICT;
