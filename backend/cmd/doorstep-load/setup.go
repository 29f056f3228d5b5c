package main

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"doorstep/backend"
	"doorstep/backend/client"
)

// The load's people and places, as `csv` writes them for `doorstep-server
// import`: tenant i is "Load 00042" (no e-mail or phone, so no notification
// ever leaves the server), on the lease of unit "L0004" (group i/size) of
// the property "Load Court".
const (
	loadProperty = "Load Court"
	tenantPrefix = "Load "
	unitPrefix   = "L"
	leaseStart   = "2025-01-01"
)

func tenantName(i int) string { return fmt.Sprintf("%s%05d", tenantPrefix, i) }
func unitName(g int) string   { return fmt.Sprintf("%s%04d", unitPrefix, g) }

// csvCmd writes the load's directory as a CSV for `doorstep-server import`.
func csvCmd(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("doorstep-load csv", flag.ContinueOnError)
	fs.SetOutput(stderr)
	groups := fs.Int("groups", 1000, "units, each a group of -size tenants on one lease")
	size := fs.Int("size", 10, "tenants per unit")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *groups < 1 || *size < 1 || *groups**size > 50_000 {
		return errors.New("-groups and -size: at least 1 each, at most 50,000 tenants in all")
	}
	return writeCSV(stdout, *groups, *size)
}

func writeCSV(w io.Writer, groups, size int) error {
	cw := csv.NewWriter(w)
	cw.Write([]string{"property", "unit", "tenant_name", "lease_start", "lease_ref"})
	for g := range groups {
		for m := range size {
			cw.Write([]string{loadProperty, unitName(g), tenantName(g*size + m), leaseStart, unitName(g)})
		}
	}
	cw.Flush()
	return cw.Error()
}

// state is what setup leaves for run: sessions and conversations, by index.
type state struct {
	// Landlord is the landlord's session token.
	Landlord string `json:"landlord"`
	// Size is the number of tenants per unit: tenant i is in group i/Size.
	Size int `json:"size"`
	// Tenants are the tenants' session tokens, tenant i at i.
	Tenants []string `json:"tenants"`
	// Groups are the group conversations of the first units, unit g at g.
	Groups []int64 `json:"groups"`
	// Directs are one-to-one conversations, with the first tenant of unit
	// g at g.
	Directs []int64 `json:"directs"`
}

func readState(path string) (state, error) {
	var st state
	b, err := os.ReadFile(path)
	if err != nil {
		return st, err
	}
	if err := json.Unmarshal(b, &st); err != nil {
		return st, fmt.Errorf("%s: %w", path, err)
	}
	if st.Size < 1 || len(st.Tenants) < st.Size || st.Landlord == "" {
		return st, fmt.Errorf("%s: not a state written by setup", path)
	}
	return st, nil
}

// setupCmd signs the landlord in, gives every imported tenant a session
// (a portal link, redeemed, as a tenant's browser does), starts the rooms'
// conversations and writes it all to the state file. The server must let
// it make links and redeem them quickly: -create-rate off -redeem-rate off.
func setupCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("doorstep-load setup", flag.ContinueOnError)
	fs.SetOutput(stderr)
	base := fs.String("url", "", "the server's `URL`")
	email := fs.String("email", "", "the landlord's e-mail (the import's -landlord)")
	password := fs.String("password", "", "the landlord's password")
	statePath := fs.String("state", "", "where to write the sessions and conversations (JSON)")
	rooms := fs.Int("rooms", 100, "group and one-to-one conversations to start")
	workers := fs.Int("workers", 32, "requests in flight")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *base == "" || *email == "" || *statePath == "" {
		return errors.New("setup needs -url, -email, -password and -state")
	}
	hc := &http.Client{Timeout: 30 * time.Second, Transport: transport(*workers)}
	anon, err := client.New(*base, client.WithHTTPClient(hc), client.WithUserAgent("doorstep-load"))
	if err != nil {
		return err
	}
	s, err := anon.SignIn(ctx, *email, *password)
	if err != nil {
		return fmt.Errorf("sign in: %w", err)
	}
	landlord := anon.WithSession(s.Token)
	dir, err := landlord.Directory(ctx, loadProperty)
	if err != nil {
		return fmt.Errorf("directory: %w", err)
	}
	tenantIDs, unitIDs, size, err := loadDirectory(dir)
	if err != nil {
		return err
	}
	st := state{Landlord: s.Token, Size: size, Tenants: make([]string, len(tenantIDs))}
	start := time.Now()
	var next, failed atomic.Int64
	var firstErr error
	var mu sync.Mutex
	var wg sync.WaitGroup
	for range *workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1)) - 1
				if i >= len(tenantIDs) || ctx.Err() != nil {
					return
				}
				token, err := tenantSession(ctx, landlord, anon, tenantIDs[i])
				if err != nil {
					failed.Add(1)
					mu.Lock()
					firstErr = cmpErr(firstErr, err)
					mu.Unlock()
					continue
				}
				st.Tenants[i] = token
			}
		}()
	}
	wg.Wait()
	if firstErr != nil {
		return fmt.Errorf("%d tenant sessions failed (is the server running with -create-rate off -redeem-rate off?): %w", failed.Load(), firstErr)
	}
	for g := range min(*rooms, len(unitIDs)) {
		group, err := landlord.StartConversation(ctx, backend.StartConversation{UnitID: unitIDs[g]})
		if err != nil {
			return fmt.Errorf("group conversation %s: %w", unitName(g), err)
		}
		direct, err := landlord.StartConversation(ctx, backend.StartConversation{TenantID: tenantIDs[g*size]})
		if err != nil {
			return fmt.Errorf("conversation with %s: %w", tenantName(g*size), err)
		}
		st.Groups = append(st.Groups, group.ID)
		st.Directs = append(st.Directs, direct.ID)
	}
	b, err := json.Marshal(st)
	if err != nil {
		return err
	}
	if err := os.WriteFile(*statePath, b, 0o600); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "setup: %d tenant sessions, %d group and %d one-to-one conversations in %.1f s\n",
		len(st.Tenants), len(st.Groups), len(st.Directs), time.Since(start).Seconds())
	return nil
}

func cmpErr(first, err error) error {
	if first != nil {
		return first
	}
	return err
}

// tenantSession makes a portal link for the tenant and redeems it.
func tenantSession(ctx context.Context, landlord, anon *client.Client, tenantID int64) (string, error) {
	invite, err := landlord.CreateTenantInvite(ctx, tenantID)
	if err != nil {
		return "", fmt.Errorf("portal link: %w", err)
	}
	s, err := anon.RedeemInvite(ctx, invite)
	if err != nil {
		return "", fmt.Errorf("redeem: %w", err)
	}
	return s.Token, nil
}

// loadDirectory finds the imported tenants and units by their names, and
// how many tenants a unit holds.
func loadDirectory(dir backend.Directory) (tenants, units []int64, size int, err error) {
	for _, t := range dir.Tenants {
		i, err := strconv.Atoi(strings.TrimPrefix(t.Name, tenantPrefix))
		if !strings.HasPrefix(t.Name, tenantPrefix) || err != nil {
			continue
		}
		tenants = grow(tenants, i)
		tenants[i] = t.ID
	}
	for _, u := range dir.Units {
		g, err := strconv.Atoi(strings.TrimPrefix(u.Name, unitPrefix))
		if u.PropertyName != loadProperty || err != nil {
			continue
		}
		units = grow(units, g)
		units[g] = u.ID
		size = max(size, len(u.ActiveTenants))
	}
	if len(tenants) == 0 || len(units) == 0 || size == 0 {
		return nil, nil, 0, fmt.Errorf("no tenants of %q: import `doorstep-load csv` first", loadProperty)
	}
	for i, id := range tenants {
		if id == 0 {
			return nil, nil, 0, fmt.Errorf("tenant %q is missing", tenantName(i))
		}
	}
	if len(tenants) != len(units)*size {
		return nil, nil, 0, fmt.Errorf("%d tenants in %d units of %d: not the import's shape", len(tenants), len(units), size)
	}
	return tenants, units, size, nil
}

func grow(s []int64, i int) []int64 {
	for len(s) <= i {
		s = append(s, 0)
	}
	return s
}
