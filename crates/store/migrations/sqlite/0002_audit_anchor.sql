-- The verified start of the audit chain once older events have been archived: the seq and
-- hash of the last archived event. Verification resumes from it instead of from genesis.
CREATE TABLE audit_anchor (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    seq INTEGER NOT NULL,
    hash TEXT NOT NULL,
    archived_at INTEGER NOT NULL
);
