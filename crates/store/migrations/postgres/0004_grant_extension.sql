-- Extensions: a request may ask to move the end of a live grant instead of creating grants.
ALTER TABLE requests ADD COLUMN extends_grant TEXT;

-- A grant whose end moved is announced like any other change to it, so every server's index
-- learns the new end.
DROP TRIGGER grants_notify ON grants;
CREATE TRIGGER grants_notify AFTER INSERT OR UPDATE OF revoked_at, expires_at ON grants
    FOR EACH ROW EXECUTE FUNCTION wicket_notify_grant();
