-- Access reviews: campaigns of a `[[reviews]]`, the items each snapshotted at its start, and
-- the standing bindings a review took away. At most one campaign of a review is open.
CREATE TABLE review_campaigns (
    pos        bigint      GENERATED ALWAYS AS IDENTITY,
    id         text        COLLATE "C" NOT NULL PRIMARY KEY,
    review     text        COLLATE "C" NOT NULL,
    started_at timestamptz NOT NULL,
    started_by text        NOT NULL,
    deadline   timestamptz NOT NULL,
    closed_at  timestamptz
);

CREATE UNIQUE INDEX review_campaigns_one_open ON review_campaigns (review) WHERE closed_at IS NULL;
CREATE INDEX review_campaigns_by_start ON review_campaigns (started_at);

CREATE TABLE review_items (
    id          text        COLLATE "C" NOT NULL PRIMARY KEY,
    campaign_id text        COLLATE "C" NOT NULL REFERENCES review_campaigns (id),
    position    bigint      NOT NULL,
    kind        text        NOT NULL CHECK (kind IN ('binding', 'grant')),
    subject     text        COLLATE "C" NOT NULL,
    role        text        COLLATE "C" NOT NULL,
    grant_id    text        COLLATE "C",
    expires_at  timestamptz,
    reviewers   text[]      NOT NULL,
    decision    text        NOT NULL CHECK (decision IN ('pending', 'certified', 'revoked', 'kept')),
    decided_by  text,
    decided_at  timestamptz,
    comment     text
);

CREATE INDEX review_items_by_campaign ON review_items (campaign_id, position);

-- A standing binding of `role` to `subject` that a review revoked: it gives nothing until
-- the configuration no longer has it.
CREATE TABLE binding_suspensions (
    subject     text        COLLATE "C" NOT NULL,
    role        text        COLLATE "C" NOT NULL,
    campaign_id text        NOT NULL,
    item_id     text        NOT NULL,
    at          timestamptz NOT NULL,
    by_user     text        NOT NULL,
    PRIMARY KEY (subject, role)
);

-- Every server rebuilds its decision index when a suspension comes or goes, as it does when
-- the directory changes (`d:`, see `wicket_store::Change::encode`).
CREATE TRIGGER binding_suspensions_notify AFTER INSERT OR UPDATE OR DELETE ON binding_suspensions
    FOR EACH STATEMENT EXECUTE FUNCTION wicket_notify_directory();
