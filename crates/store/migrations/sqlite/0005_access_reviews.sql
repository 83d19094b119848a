-- Access reviews: campaigns of a `[[reviews]]`, the items each snapshotted at its start, and
-- the standing bindings a review took away. At most one campaign of a review is open.
CREATE TABLE review_campaigns (
    id         TEXT    NOT NULL PRIMARY KEY,
    review     TEXT    NOT NULL,
    started_at INTEGER NOT NULL,
    started_by TEXT    NOT NULL,
    deadline   INTEGER NOT NULL,
    closed_at  INTEGER
) STRICT;

CREATE UNIQUE INDEX review_campaigns_one_open ON review_campaigns (review) WHERE closed_at IS NULL;
CREATE INDEX review_campaigns_by_start ON review_campaigns (started_at);

CREATE TABLE review_items (
    id          TEXT    NOT NULL PRIMARY KEY,
    campaign_id TEXT    NOT NULL REFERENCES review_campaigns (id),
    position    INTEGER NOT NULL,
    kind        TEXT    NOT NULL CHECK (kind IN ('binding', 'grant')),
    subject     TEXT    NOT NULL,
    role        TEXT    NOT NULL,
    grant_id    TEXT,
    expires_at  INTEGER,
    reviewers   TEXT    NOT NULL,             -- JSON array of subjects
    decision    TEXT    NOT NULL CHECK (decision IN ('pending', 'certified', 'revoked', 'kept')),
    decided_by  TEXT,
    decided_at  INTEGER,
    comment     TEXT
) STRICT;

CREATE INDEX review_items_by_campaign ON review_items (campaign_id, position);

-- A standing binding of `role` to `subject` that a review revoked: it gives nothing until
-- the configuration no longer has it.
CREATE TABLE binding_suspensions (
    subject     TEXT    NOT NULL,
    role        TEXT    NOT NULL,
    campaign_id TEXT    NOT NULL,
    item_id     TEXT    NOT NULL,
    at          INTEGER NOT NULL,
    by_user     TEXT    NOT NULL,
    PRIMARY KEY (subject, role)
) STRICT;
