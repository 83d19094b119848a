-- Extensions: a request may ask to move the end of a live grant instead of creating grants.
ALTER TABLE requests ADD COLUMN extends_grant TEXT;
