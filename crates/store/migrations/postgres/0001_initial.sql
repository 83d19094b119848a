-- Wicket's schema for PostgreSQL. Times are timestamptz (wicket writes whole milliseconds, UTC);
-- durations are bigint seconds. Names and kinds compare byte by byte (COLLATE "C"), as in
-- SQLite, so that prefix filters are plain index ranges. `pos` columns keep insertion order
-- for ties, as SQLite's rowid does.

CREATE TABLE requests (
    pos           bigint      GENERATED ALWAYS AS IDENTITY,
    id            text        COLLATE "C" NOT NULL PRIMARY KEY,
    requester     text        COLLATE "C" NOT NULL,
    roles         text[]      NOT NULL,
    policy        text        NOT NULL,
    reason        text,
    ticket        text,
    duration_secs bigint      NOT NULL CHECK (duration_secs > 0),
    start_at      timestamptz,
    break_glass   boolean     NOT NULL,
    action        text,
    resource      text,
    state         text        NOT NULL
        CHECK (state IN ('pending', 'approved', 'denied', 'cancelled', 'expired')),
    step          bigint      NOT NULL CHECK (step >= 0),
    created_at    timestamptz NOT NULL,
    pending_until timestamptz NOT NULL,
    decided_at    timestamptz,
    version       bigint      NOT NULL
);

CREATE INDEX requests_by_created ON requests (created_at, pos);
CREATE INDEX requests_by_requester ON requests (requester, created_at);
CREATE INDEX requests_by_state ON requests (state, created_at);
-- The expiry sweep: pending requests in the order they fall due.
CREATE INDEX requests_pending_until ON requests (pending_until) WHERE state = 'pending';

CREATE TABLE reviews (
    pos        bigint      GENERATED ALWAYS AS IDENTITY,
    request_id text        COLLATE "C" NOT NULL REFERENCES requests (id),
    reviewer   text        COLLATE "C" NOT NULL,
    step       bigint      NOT NULL CHECK (step >= 0),
    decision   text        NOT NULL CHECK (decision IN ('approve', 'deny')),
    comment    text,
    at         timestamptz NOT NULL,
    UNIQUE (request_id, reviewer)
);

CREATE TABLE grants (
    pos                 bigint      GENERATED ALWAYS AS IDENTITY,
    id                  text        COLLATE "C" NOT NULL PRIMARY KEY,
    user_name           text        COLLATE "C" NOT NULL,
    role                text        COLLATE "C" NOT NULL,
    request_id          text        COLLATE "C" NOT NULL REFERENCES requests (id),
    starts_at           timestamptz NOT NULL,
    expires_at          timestamptz NOT NULL,
    revoked_at          timestamptz,
    revoked_by          text,
    revoke_reason       text,
    activation_recorded boolean     NOT NULL DEFAULT false,
    expiry_recorded     boolean     NOT NULL DEFAULT false
);

CREATE INDEX grants_by_user ON grants (user_name, starts_at);
CREATE INDEX grants_by_request ON grants (request_id);
CREATE INDEX grants_by_start ON grants (starts_at, pos);
-- The decision index loads the live grants at start.
CREATE INDEX grants_live ON grants (expires_at) WHERE revoked_at IS NULL;
-- The sweeps: only rows still to record are indexed, so the indexes stay small.
CREATE INDEX grants_activation_due ON grants (starts_at) WHERE NOT activation_recorded;
CREATE INDEX grants_expiry_due ON grants (expires_at)
    WHERE NOT expiry_recorded AND revoked_at IS NULL;

CREATE TABLE anomalies (
    pos        bigint      GENERATED ALWAYS AS IDENTITY,
    id         text        COLLATE "C" NOT NULL PRIMARY KEY,
    at         timestamptz NOT NULL,
    rule       text        NOT NULL,
    severity   text        NOT NULL CHECK (severity IN ('low', 'medium', 'high')),
    subject    text        COLLATE "C" NOT NULL,
    request_id text        COLLATE "C",
    grant_id   text        COLLATE "C",
    summary    text        NOT NULL
);

CREATE INDEX anomalies_by_at ON anomalies (at, pos);
CREATE INDEX anomalies_by_subject ON anomalies (subject, at);
CREATE INDEX anomalies_by_grant ON anomalies (grant_id, at) WHERE grant_id IS NOT NULL;

CREATE TABLE tokens (
    id         text        COLLATE "C" NOT NULL PRIMARY KEY,
    user_name  text        COLLATE "C" NOT NULL,
    hash       text        COLLATE "C" NOT NULL UNIQUE, -- SHA-256 of the token; the token is never kept
    created_at timestamptz NOT NULL,
    expires_at timestamptz,
    created_by text        NOT NULL,
    revoked_at timestamptz
);

-- The hash chain. `seq` is assigned by the store inside the write transaction that appends
-- the event, under a transaction-scoped advisory lock: 1, 2, 3, ... without gaps, whatever
-- the number of servers. Rows are only ever inserted. `details` is text, not jsonb: the hash
-- covers its exact bytes.
CREATE TABLE audit_events (
    seq        bigint      NOT NULL PRIMARY KEY,
    id         text        COLLATE "C" NOT NULL UNIQUE,
    at         timestamptz NOT NULL,
    actor      text        COLLATE "C" NOT NULL,
    kind       text        COLLATE "C" NOT NULL,
    subject    text,
    action     text,
    resource   text,
    decision   text,
    request_id text        COLLATE "C",
    grant_id   text        COLLATE "C",
    details    text        NOT NULL,
    prev_hash  text        NOT NULL,
    hash       text        NOT NULL
);

CREATE INDEX audit_by_request ON audit_events (request_id, seq) WHERE request_id IS NOT NULL;
CREATE INDEX audit_by_grant ON audit_events (grant_id, seq) WHERE grant_id IS NOT NULL;
CREATE INDEX audit_by_actor ON audit_events (actor, seq);
CREATE INDEX audit_by_kind ON audit_events (kind, seq);

-- The change feed: every server LISTENs on `wicket_changes`. A notification names what
-- changed by id (and version), never the record; it is delivered only if the transaction
-- commits. The forms are those of `wicket_store::Change::encode`.

CREATE FUNCTION wicket_notify_request() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('wicket_changes', 'r:' || NEW.version || ':' || NEW.id);
    RETURN NULL;
END
$$;

CREATE TRIGGER requests_notify AFTER INSERT OR UPDATE ON requests
    FOR EACH ROW EXECUTE FUNCTION wicket_notify_request();

CREATE FUNCTION wicket_notify_grant() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('wicket_changes',
        'g:' || CASE WHEN NEW.revoked_at IS NULL THEN 'live' ELSE 'revoked' END || ':' || NEW.id);
    RETURN NULL;
END
$$;

-- Sweeps only flip the `*_recorded` flags, which change nothing a server keeps.
CREATE TRIGGER grants_notify AFTER INSERT OR UPDATE OF revoked_at ON grants
    FOR EACH ROW EXECUTE FUNCTION wicket_notify_grant();

CREATE FUNCTION wicket_notify_token() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('wicket_changes', 't:' || NEW.id);
    RETURN NULL;
END
$$;

CREATE TRIGGER tokens_notify AFTER UPDATE OF revoked_at ON tokens
    FOR EACH ROW WHEN (NEW.revoked_at IS NOT NULL) EXECUTE FUNCTION wicket_notify_token();

CREATE FUNCTION wicket_notify_policy() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    config_hash text;
BEGIN
    -- Details are JSON written by wicket; should one not be, the event is still appended.
    BEGIN
        config_hash := NEW.details::jsonb ->> 'hash';
    EXCEPTION WHEN others THEN
        config_hash := NULL;
    END;
    PERFORM pg_notify('wicket_changes', 'p:' || COALESCE(config_hash, ''));
    RETURN NULL;
END
$$;

CREATE TRIGGER audit_policy_notify AFTER INSERT ON audit_events
    FOR EACH ROW WHEN (NEW.kind = 'policy.loaded') EXECUTE FUNCTION wicket_notify_policy();
