-- The user directory: people and groups the identity provider pushed (SCIM) or vouched for
-- at sign-in (OIDC). `attributes` is the rest of the SCIM resource as JSON text;
-- `claim_groups` the groups of the last sign-in's claim, as a JSON list of names.
CREATE TABLE directory_users (
    id           TEXT    NOT NULL PRIMARY KEY,
    name         TEXT    NOT NULL UNIQUE,
    external_id  TEXT,
    display_name TEXT,
    active       INTEGER NOT NULL CHECK (active IN (0, 1)),
    attributes   TEXT    NOT NULL,
    claim_groups TEXT    NOT NULL,
    created_at   INTEGER NOT NULL,
    updated_at   INTEGER NOT NULL,
    version      INTEGER NOT NULL
) STRICT;

CREATE TABLE directory_groups (
    id           TEXT    NOT NULL PRIMARY KEY,
    name         TEXT    NOT NULL UNIQUE,
    external_id  TEXT,
    created_at   INTEGER NOT NULL,
    updated_at   INTEGER NOT NULL,
    version      INTEGER NOT NULL
) STRICT;

CREATE TABLE directory_members (
    group_id TEXT NOT NULL REFERENCES directory_groups (id) ON DELETE CASCADE,
    user_id  TEXT NOT NULL REFERENCES directory_users (id) ON DELETE CASCADE,
    PRIMARY KEY (group_id, user_id)
) STRICT;

CREATE INDEX directory_members_by_user ON directory_members (user_id);
