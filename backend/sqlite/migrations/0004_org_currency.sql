-- The currency an organisation's rents and deposits are in (ISO 4217), so
-- that clients show money in it rather than assume one.
ALTER TABLE orgs ADD COLUMN currency TEXT NOT NULL DEFAULT 'USD';
