-- Wicket's schema for SQLite. Times are INTEGER Unix milliseconds (UTC); durations are
-- INTEGER seconds; booleans are 0 or 1. STRICT tables reject a value of the wrong type.

CREATE TABLE requests (
    id            TEXT    NOT NULL PRIMARY KEY,
    requester     TEXT    NOT NULL,
    roles         TEXT    NOT NULL,             -- JSON array of role names
    policy        TEXT    NOT NULL,
    reason        TEXT,
    ticket        TEXT,
    duration_secs INTEGER NOT NULL CHECK (duration_secs > 0),
    start_at      INTEGER,
    break_glass   INTEGER NOT NULL CHECK (break_glass IN (0, 1)),
    action        TEXT,
    resource      TEXT,
    state         TEXT    NOT NULL
        CHECK (state IN ('pending', 'approved', 'denied', 'cancelled', 'expired')),
    step          INTEGER NOT NULL CHECK (step >= 0),
    created_at    INTEGER NOT NULL,
    pending_until INTEGER NOT NULL,
    decided_at    INTEGER,
    version       INTEGER NOT NULL
) STRICT;

CREATE INDEX requests_by_created ON requests (created_at);
CREATE INDEX requests_by_requester ON requests (requester, created_at);
CREATE INDEX requests_by_state ON requests (state, created_at);
-- The expiry sweep: pending requests in the order they fall due.
CREATE INDEX requests_pending_until ON requests (pending_until) WHERE state = 'pending';

CREATE TABLE reviews (
    request_id TEXT    NOT NULL REFERENCES requests (id),
    reviewer   TEXT    NOT NULL,
    step       INTEGER NOT NULL CHECK (step >= 0),
    decision   TEXT    NOT NULL CHECK (decision IN ('approve', 'deny')),
    comment    TEXT,
    at         INTEGER NOT NULL,
    UNIQUE (request_id, reviewer)
) STRICT;

CREATE TABLE grants (
    id                  TEXT    NOT NULL PRIMARY KEY,
    user_name           TEXT    NOT NULL,
    role                TEXT    NOT NULL,
    request_id          TEXT    NOT NULL REFERENCES requests (id),
    starts_at           INTEGER NOT NULL,
    expires_at          INTEGER NOT NULL,
    revoked_at          INTEGER,
    revoked_by          TEXT,
    revoke_reason       TEXT,
    activation_recorded INTEGER NOT NULL DEFAULT 0 CHECK (activation_recorded IN (0, 1)),
    expiry_recorded     INTEGER NOT NULL DEFAULT 0 CHECK (expiry_recorded IN (0, 1))
) STRICT;

CREATE INDEX grants_by_user ON grants (user_name, starts_at);
CREATE INDEX grants_by_request ON grants (request_id);
CREATE INDEX grants_by_start ON grants (starts_at);
-- The decision index loads the live grants at start.
CREATE INDEX grants_live ON grants (expires_at) WHERE revoked_at IS NULL;
-- The sweeps: only rows still to record are indexed, so the indexes stay small.
CREATE INDEX grants_activation_due ON grants (starts_at) WHERE activation_recorded = 0;
CREATE INDEX grants_expiry_due ON grants (expires_at)
    WHERE expiry_recorded = 0 AND revoked_at IS NULL;

CREATE TABLE anomalies (
    id         TEXT    NOT NULL PRIMARY KEY,
    at         INTEGER NOT NULL,
    rule       TEXT    NOT NULL,
    severity   TEXT    NOT NULL CHECK (severity IN ('low', 'medium', 'high')),
    subject    TEXT    NOT NULL,
    request_id TEXT,
    grant_id   TEXT,
    summary    TEXT    NOT NULL
) STRICT;

CREATE INDEX anomalies_by_at ON anomalies (at);
CREATE INDEX anomalies_by_subject ON anomalies (subject, at);
CREATE INDEX anomalies_by_grant ON anomalies (grant_id, at) WHERE grant_id IS NOT NULL;

CREATE TABLE tokens (
    id         TEXT    NOT NULL PRIMARY KEY,
    user_name  TEXT    NOT NULL,
    hash       TEXT    NOT NULL UNIQUE,          -- SHA-256 of the token; the token is never kept
    created_at INTEGER NOT NULL,
    expires_at INTEGER,
    created_by TEXT    NOT NULL,
    revoked_at INTEGER
) STRICT;

-- The hash chain. `seq` is assigned by the store inside the write transaction that appends
-- the event: 1, 2, 3, ... without gaps. Rows are only ever inserted.
CREATE TABLE audit_events (
    seq        INTEGER PRIMARY KEY,
    id         TEXT    NOT NULL UNIQUE,
    at         INTEGER NOT NULL,
    actor      TEXT    NOT NULL,
    kind       TEXT    NOT NULL,
    subject    TEXT,
    action     TEXT,
    resource   TEXT,
    decision   TEXT,
    request_id TEXT,
    grant_id   TEXT,
    details    TEXT    NOT NULL,
    prev_hash  TEXT    NOT NULL,
    hash       TEXT    NOT NULL
) STRICT;

CREATE INDEX audit_by_request ON audit_events (request_id, seq) WHERE request_id IS NOT NULL;
CREATE INDEX audit_by_grant ON audit_events (grant_id, seq) WHERE grant_id IS NOT NULL;
CREATE INDEX audit_by_actor ON audit_events (actor, seq);
CREATE INDEX audit_by_kind ON audit_events (kind, seq);
