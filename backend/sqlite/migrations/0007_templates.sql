-- Message templates: each organisation's texts with merge fields
-- (backend.Template), and the organisation's locale, in which filled
-- templates write dates and money (as its currency came in 0004).
ALTER TABLE orgs ADD COLUMN locale TEXT NOT NULL DEFAULT 'en-US';

-- Set once the organisation has been given the default templates
-- (backend.DefaultTemplates), so that deleting them all leaves none.
ALTER TABLE orgs ADD COLUMN templates_given INTEGER NOT NULL DEFAULT 0 CHECK (templates_given IN (0, 1));

CREATE TABLE templates (
    id         INTEGER PRIMARY KEY,
    org_id     INTEGER NOT NULL REFERENCES orgs (id),
    name       TEXT NOT NULL,
    text       TEXT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
) STRICT;
-- One template of a name per organisation (the store also compares names
-- beyond ASCII case, as backend.SameTemplateName does).
CREATE UNIQUE INDEX templates_org_name ON templates (org_id, name COLLATE NOCASE);
