-- When the last round of each periodic job that finished began (see
-- jobs.go): a node whose timer fires soon after another node's round
-- skips its own, so a job runs about once per interval however many nodes
-- there are.
CREATE TABLE job_rounds (
    job        text PRIMARY KEY,
    started_at timestamptz NOT NULL
);

-- Which tenants have a websocket open on which store instance (node), as
-- each last reported it (see presence.go), so that the node sending
-- new-message e-mails does not write to a tenant reading on another node.
-- An instance is known by its claim lock (claims.go): the rows of an
-- instance that no longer holds it, a node that died, count for nothing.
CREATE TABLE presence (
    instance  bigint NOT NULL,
    tenant_id bigint NOT NULL,
    PRIMARY KEY (instance, tenant_id)
);
