package postgres_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"doorstep/backend"
	"doorstep/backend/httpapi"
	"doorstep/backend/postgres"
	"doorstep/backend/storetest"
	"doorstep/internal/pgtest"
)

// TestReadOnlyDatabase: a database that refuses writes (as a standby does,
// or one an operator set read-only) answers every write as unavailable
// with a sentence, through the real HTTP server, and /healthz says why
// after one probe; reads go on.
func TestReadOnlyDatabase(t *testing.T) {
	ctx := context.Background()
	dsn := pgtest.NewDatabase(t)
	setup := mustOpenAt(t, dsn)
	org, err := setup.CreateOrg(ctx, "Read Only Rentals", "UTC")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := setup.CreateUser(ctx, org, "landlord@ro.test", "Landlord", "correct horse battery", true); err != nil {
		t.Fatal(err)
	}
	// From now on, new connections to the database only read.
	if err := setup.Update(ctx, func(tx *postgres.Tx) error {
		var name string
		if err := tx.QueryRow(ctx, "SELECT current_database()").Scan(&name); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, "ALTER DATABASE "+name+" SET default_transaction_read_only = on")
		return err
	}); err != nil {
		t.Fatal(err)
	}
	db := mustOpenAt(t, dsn) // an up-to-date database that only reads still opens

	srv := httpapi.NewServer(db, slog.New(slog.NewTextHandler(io.Discard, nil)))
	ts := httptest.NewServer(srv.Handler())
	t.Cleanup(ts.Close)
	resp, err := http.Post(ts.URL+"/api/v1/auth/signin", "application/json",
		strings.NewReader(`{"email":"landlord@ro.test","password":"correct horse battery"}`))
	if err != nil {
		t.Fatal(err)
	}
	var body struct {
		Error backend.Error `json:"error"`
	}
	json.NewDecoder(resp.Body).Decode(&body)
	resp.Body.Close()
	if e := body.Error; resp.StatusCode != http.StatusServiceUnavailable || e.Code != backend.EUNAVAILABLE ||
		resp.Header.Get("Retry-After") == "" || !strings.Contains(e.Message, "does not accept writes") {
		t.Errorf("sign-in on a read-only database: HTTP %d, Retry-After %q, %+v; want 503 unavailable saying so",
			resp.StatusCode, resp.Header.Get("Retry-After"), e)
	}
	if err := srv.ProbeStorage(ctx); err == nil {
		t.Error("the probe found nothing wrong")
	}
	hresp, err := http.Get(ts.URL + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	var h backend.Health
	json.NewDecoder(hresp.Body).Decode(&h)
	hresp.Body.Close()
	if hresp.StatusCode != http.StatusServiceUnavailable || h.Database != "the database cannot write: the storage is read-only" {
		t.Errorf("/healthz: HTTP %d %+v; want 503 saying the database cannot write: the storage is read-only", hresp.StatusCode, h)
	}
	if id, err := db.ServerID(ctx); err != nil || id != h.ServerID {
		t.Errorf("reads stopped too: %q, %v", id, err)
	}
}

// TestServerOutOfReach: a database server that does not answer is storage
// trouble (unavailable, with a sentence and a wait), not a bug.
func TestServerOutOfReach(t *testing.T) {
	dsn := fmt.Sprintf("host=%s port=5432 user=postgres dbname=nothing sslmode=disable connect_timeout=5", t.TempDir())
	_, err := postgres.Open(context.Background(), dsn)
	var se *backend.StorageError
	if !errors.As(err, &se) || se.Trouble != backend.StorageUnreachable || backend.ErrorCode(err) != backend.EUNAVAILABLE ||
		backend.RetryAfter(err) < 1 || backend.ErrorMessage(err) == "" {
		t.Errorf("open with no server: %v; want unavailable: %s", err, backend.StorageUnreachable)
	}
}

// TestEventsReachTheSinkInIdOrder: senders racing in several conversations
// of one landlord, each event reaches the live side once, and each
// recipient's events in the order of their ids, the order `since` replays
// them in. (SQLite's one writer gives that order; here it is the
// per-recipient locks.)
func TestEventsReachTheSinkInIdOrder(t *testing.T) {
	ctx := context.Background()
	db := contractStore{MustOpenDB(t)}
	org, err := db.CreateLandlord(ctx, "Order Rentals", "UTC", "landlord@order.test", "Pat", "correct horse battery")
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	delivered := map[backend.Recipient][]int64{}
	db.SetEventSink(func(ds []backend.Delivery) {
		mu.Lock()
		defer mu.Unlock()
		for _, d := range ds {
			delivered[d.To] = append(delivered[d.To], d.Event.ID)
		}
	})
	landlord := must(db.SignIn(ctx, "landlord@order.test", "correct horse battery")).Me.Principal
	const convs, each = 4, 25
	var ids []int64
	for i := range convs {
		_, tenants, err := db.AddLease(ctx, org, storetest.Lease{Property: "Row", Unit: fmt.Sprint(i), Start: "2020-01-01",
			Tenants: []storetest.Tenant{{Name: fmt.Sprint("Tenant ", i), Email: fmt.Sprintf("t%d@order.test", i)}}})
		if err != nil {
			t.Fatal(err)
		}
		c, _, err := db.StartConversation(ctx, landlord, backend.StartConversation{TenantID: tenants[0]})
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, c.ID)
	}
	var wg sync.WaitGroup
	for _, conv := range ids {
		for j := range each {
			wg.Go(func() {
				if _, err := db.SendMessage(ctx, landlord, conv, backend.SendMessage{Key: fmt.Sprintf("order-key-%03d-%03d", conv, j), Text: "hi"}); err != nil {
					t.Error(err)
				}
			})
		}
	}
	wg.Wait()
	stored := must(db.Events(ctx, landlord, 0, 1000))
	mu.Lock()
	defer mu.Unlock()
	got := delivered[landlord.Recipient()]
	if len(stored) != convs+convs*each || len(got) != len(stored) {
		t.Fatalf("stored %d events for the landlord, delivered %d; want %d", len(stored), len(got), convs+convs*each)
	}
	for i := range got {
		if got[i] != stored[i].ID {
			t.Fatalf("delivery %d was event %d, the log's is %d: delivered out of order %v", i, got[i], stored[i].ID, got)
		}
	}
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}
