-- The verified start of the audit chain once older events have been archived: the seq and
-- hash of the last archived event. Verification resumes from it instead of from genesis.
CREATE TABLE audit_anchor (
    id SMALLINT PRIMARY KEY CHECK (id = 1),
    seq BIGINT NOT NULL,
    hash TEXT NOT NULL,
    archived_at TIMESTAMPTZ NOT NULL
);
