-- The user directory: people and groups the identity provider pushed (SCIM) or vouched for
-- at sign-in (OIDC). `attributes` is the rest of the SCIM resource as JSON text;
-- `claim_groups` the groups of the last sign-in's claim, as a JSON list of names.
CREATE TABLE directory_users (
    id           text        COLLATE "C" NOT NULL PRIMARY KEY,
    name         text        COLLATE "C" NOT NULL UNIQUE,
    external_id  text,
    display_name text,
    active       boolean     NOT NULL,
    attributes   text        NOT NULL,
    claim_groups text        NOT NULL,
    created_at   timestamptz NOT NULL,
    updated_at   timestamptz NOT NULL,
    version      bigint      NOT NULL
);

CREATE TABLE directory_groups (
    id           text        COLLATE "C" NOT NULL PRIMARY KEY,
    name         text        COLLATE "C" NOT NULL UNIQUE,
    external_id  text,
    created_at   timestamptz NOT NULL,
    updated_at   timestamptz NOT NULL,
    version      bigint      NOT NULL
);

CREATE TABLE directory_members (
    group_id text COLLATE "C" NOT NULL REFERENCES directory_groups (id) ON DELETE CASCADE,
    user_id  text COLLATE "C" NOT NULL REFERENCES directory_users (id) ON DELETE CASCADE,
    PRIMARY KEY (group_id, user_id)
);

CREATE INDEX directory_members_by_user ON directory_members (user_id);

-- Every server rebuilds its view of the directory when any of it changes: `d:` (see
-- `wicket_store::Change::encode`). One notification per statement is enough.
CREATE FUNCTION wicket_notify_directory() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('wicket_changes', 'd:' || TG_TABLE_NAME);
    RETURN NULL;
END
$$;

CREATE TRIGGER directory_users_notify AFTER INSERT OR UPDATE OR DELETE ON directory_users
    FOR EACH STATEMENT EXECUTE FUNCTION wicket_notify_directory();
CREATE TRIGGER directory_groups_notify AFTER INSERT OR UPDATE OR DELETE ON directory_groups
    FOR EACH STATEMENT EXECUTE FUNCTION wicket_notify_directory();
CREATE TRIGGER directory_members_notify AFTER INSERT OR UPDATE OR DELETE ON directory_members
    FOR EACH STATEMENT EXECUTE FUNCTION wicket_notify_directory();
