-- The language a tenant reads the portal, the e-mails and the text messages
-- in (backend.Languages); '' while not set: the portal follows the
-- browser's and the e-mails are in English.
ALTER TABLE tenants ADD COLUMN language TEXT NOT NULL DEFAULT '' CHECK (language IN ('', 'en', 'es'));
