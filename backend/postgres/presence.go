package postgres

import (
	"context"
	"fmt"
)

// Presence across nodes. A node knows which tenants have a websocket open
// on it; the new-message e-mail sweep, which runs on one node at a time,
// must know whether a tenant is reading anywhere. Each node reports its
// set now and then under its instance id (the claim lock of claims.go),
// replacing its previous report; a report counts only while its instance
// holds that lock, so a node that dies is out at once, with no expiry to
// wait for.

// ReportOnline records tenants as the tenants with a websocket open on
// this node now, replacing what this instance reported before (nil: none),
// and drops the reports of instances no longer alive.
func (db *DB) ReportOnline(ctx context.Context, tenants []int64) error {
	me, err := db.claimerID(ctx)
	if err != nil {
		return fmt.Errorf("presence: %w", err)
	}
	if tenants == nil {
		tenants = []int64{}
	}
	err = db.Update(ctx, func(tx *Tx) error {
		if _, err := tx.Exec(ctx, `DELETE FROM presence WHERE instance = $1 OR instance NOT IN (`+liveClaimers+`)`, me); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, `INSERT INTO presence (instance, tenant_id)
			SELECT $1, t FROM unnest($2::bigint[]) AS t ON CONFLICT DO NOTHING`, me, tenants)
		return err
	})
	if err != nil {
		return fmt.Errorf("presence: %w", err)
	}
	return nil
}

// OnlineTenants returns the tenants that a live instance last reported as
// having a websocket open on it.
func (db *DB) OnlineTenants(ctx context.Context) (map[int64]bool, error) {
	rows, err := db.r.Query(ctx, `SELECT DISTINCT tenant_id FROM presence WHERE instance IN (`+liveClaimers+`)`)
	if err != nil {
		return nil, fmt.Errorf("presence: %w", err)
	}
	defer rows.Close()
	online := map[int64]bool{}
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, fmt.Errorf("presence: %w", err)
		}
		online[id] = true
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("presence: %w", err)
	}
	return online, nil
}
