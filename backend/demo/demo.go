// Package demo seeds a believable landlord for trying Doorstep: three
// properties, a dozen units, about 25 tenants whose leases are Active,
// Expired or Future relative to today, and a few past conversations, one of
// them with a tenant who has since moved out.
package demo

import (
	"context"
	"fmt"
	"strings"
	"time"

	"doorstep/backend"
)

// Store is what seeding needs of a server store; backend/sqlite and
// backend/postgres both keep it.
type Store interface {
	backend.SessionStore
	backend.ChatStore
	backend.Accounts
	// HasOrgs reports whether the store holds any organisation yet.
	HasOrgs(ctx context.Context) (bool, error)
	// ImportDirectory adds properties, units, tenants and leases to an
	// organisation, all or nothing.
	ImportDirectory(ctx context.Context, orgID int64, rows []backend.DirectoryRow) (backend.ImportResult, error)
	// SetClock and Clock replace the store's clock for a while, and give
	// back the one in use.
	SetClock(now func() time.Time)
	Clock() func() time.Time
}

// The demo accounts. Password is shared by both; it is a demo.
const (
	LandlordEmail = "landlord@demo.doorstep"
	SubUserEmail  = "assistant@demo.doorstep"
	Password      = "doorstep-demo"
	OrgName       = "Maple Street Rentals"
	TimeZone      = "America/Chicago"
)

// Credentials says how to sign in to the seeded demo.
type Credentials struct {
	Email, SubUserEmail, Password string
	Seeded                        bool // false when the database already had data and nothing was added
}

// lease is one demo lease: months relative to today for start and end (end
// 0 = open-ended), and its tenants.
type lease struct {
	property, unit string
	startM, endM   int
	rent           int64
	tenants        []string
}

var properties = map[string]string{
	"Maple Court":     "114 Maple Street, Springfield",
	"Riverside Lofts": "9 River Road, Springfield",
	"Oak Terrace":     "52 Oak Avenue, Springfield",
}

var leases = []lease{
	{"Maple Court", "1A", -14, 10, 1250, []string{"Maria Garcia", "Luis Garcia"}},
	{"Maple Court", "1B", -6, 6, 1180, []string{"James Okafor"}},
	{"Maple Court", "2A", -30, -2, 1200, []string{"Hannah Becker"}}, // expired
	{"Maple Court", "2A", 1, 13, 1275, []string{"Samir Haddad"}},    // future
	{"Maple Court", "2B", -3, 0, 1300, []string{"Emily Chen", "Daniel Park", "Sofia Rossi"}},
	{"Riverside Lofts", "101", -20, 4, 1650, []string{"Olivia Brown"}},
	{"Riverside Lofts", "102", -9, 3, 1600, []string{"Noah Wilson", "Ava Wilson"}},
	{"Riverside Lofts", "201", -25, -1, 1700, []string{"Liam Murphy"}},  // expired
	{"Riverside Lofts", "201", -1, 11, 1725, []string{"Hannah Becker"}}, // moved here: active again
	{"Riverside Lofts", "202", -12, 12, 1690, []string{"Chloe Martin"}},
	{"Oak Terrace", "A", -18, 6, 980, []string{"Ethan Nguyen", "Grace Nguyen"}},
	{"Oak Terrace", "B", -7, 5, 950, []string{"Isabella Lopez"}},
	{"Oak Terrace", "C", -40, -8, 900, []string{"William Scott"}},                // expired
	{"Oak Terrace", "C", 2, 14, 990, []string{"Mia Thompson", "Lucas Thompson"}}, // future
	{"Oak Terrace", "D", -5, 7, 960, []string{"Zoe Adams"}},
	{"Oak Terrace", "E", -2, 10, 1010, []string{"Benjamin Lee", "Amelia Clark"}},
	{"Maple Court", "3A", -11, 1, 1220, []string{"Priya Shah"}},
	{"Riverside Lofts", "301", -4, 8, 1750, []string{"Jack Turner", "Ella Turner"}},
	{"Oak Terrace", "F", -15, -3, 940, []string{"Henry Walker"}}, // expired
}

// languages are the demo tenants whose language is set; the others
// follow their browser.
var languages = map[string]string{"Ella Turner": backend.LanguageSpanish}

// Seed fills an empty database with the demo landlord; on a database that
// already has an organisation it does nothing (Seeded false).
//
// Seed sets the database's clock back for a while to write a conversation
// from months ago (and then restores it), so it must run before the database
// serves anyone.
func Seed(ctx context.Context, db Store, today time.Time) (Credentials, error) {
	creds := Credentials{Email: LandlordEmail, SubUserEmail: SubUserEmail, Password: Password}
	if has, err := db.HasOrgs(ctx); err != nil || has {
		return creds, err
	}
	org, err := db.CreateOrg(ctx, OrgName, TimeZone)
	if err != nil {
		return creds, fmt.Errorf("demo org: %w", err)
	}
	if _, err := db.CreateUser(ctx, org, LandlordEmail, "Pat Morgan", Password, true); err != nil {
		return creds, fmt.Errorf("demo landlord: %w", err)
	}
	if _, err := db.CreateUser(ctx, org, SubUserEmail, "Alex Rivera", Password, false); err != nil {
		return creds, fmt.Errorf("demo sub-user: %w", err)
	}

	loc, _ := time.LoadLocation(TimeZone)
	base := today.In(loc)
	month := func(m int) string { return base.AddDate(0, m, 0).Format(backend.DateLayout) }
	var rows []backend.DirectoryRow
	for i, l := range leases {
		end := ""
		if l.endM != 0 {
			end = month(l.endM)
		}
		for j, name := range l.tenants {
			first := strings.ToLower(strings.Fields(name)[0])
			last := strings.ToLower(strings.Fields(name)[1])
			rows = append(rows, backend.DirectoryRow{
				Line: fmt.Sprintf("demo %d.%d", i, j), Property: l.property, Address: properties[l.property], Unit: l.unit,
				TenantName: name, TenantEmail: first + "." + last + "@example.com", TenantPhone: fmt.Sprintf("(312) 555-01%02d", len(rows)),
				LeaseStart: month(l.startM), LeaseEnd: end, RentCents: l.rent * 100, DepositCents: l.rent * 100,
				LeaseRef: fmt.Sprint("demo-", i), TenantLanguage: languages[name],
			})
		}
	}
	if _, err := db.ImportDirectory(ctx, org, rows); err != nil {
		return creds, fmt.Errorf("demo directory: %w", err)
	}
	if err := seedConversations(ctx, db); err != nil {
		return creds, err
	}
	creds.Seeded = true
	return creds, nil
}

// seedConversations starts a few chats as the landlord and fills them with a
// short history from both sides. Most happen now; Henry Walker's move-out
// chat happened two weeks before his lease (Oak Terrace F, ended three
// months before today) ended, so he can read it but no longer write in it.
func seedConversations(ctx context.Context, db Store) error {
	landlord, err := db.SignIn(ctx, LandlordEmail, Password)
	if err != nil {
		return fmt.Errorf("demo sign-in: %w", err)
	}
	defer db.SignOut(ctx, landlord.Token)
	dir, err := db.Directory(ctx, landlord.Me.Principal, "")
	if err != nil {
		return err
	}
	loc, err := time.LoadLocation(TimeZone)
	if err != nil {
		return err
	}
	tenant := map[string]int64{}
	var moveOut time.Time // the end of Henry Walker's lease
	for _, t := range dir.Tenants {
		tenant[t.Name] = t.ID
		if t.Name == "Henry Walker" && len(t.Leases) == 1 {
			moveOut, _ = time.ParseInLocation(backend.DateLayout, t.Leases[0].End, loc)
		}
	}
	if moveOut.IsZero() {
		return fmt.Errorf("demo: Henry Walker's lease has no end")
	}
	walkThrough := moveOut.Add(10 * time.Hour)
	unit := map[string]int64{}
	for _, u := range dir.Units {
		unit[u.PropertyName+" "+u.Name] = u.ID
	}
	chats := []struct {
		start backend.StartConversation
		at    time.Time // when it happened; zero: now
		lines []chatLine
	}{
		// A morning two weeks before his lease ended, while it was Active;
		// first, as the server dates no message before one it already has.
		{backend.StartConversation{TenantID: tenant["Henry Walker"]}, moveOut.AddDate(0, 0, -14).Add(9*time.Hour + 40*time.Minute), []chatLine{
			{"", "Hi Henry, the final walk-through for Oak Terrace F is booked for " + walkThrough.Format("Monday, January 2, at 3pm") +
				". Please leave the keys on the kitchen counter."},
			{"Henry Walker", "Will do. Where should the deposit go?"},
			{"", "To the account on file — you'll have it within 14 days of move-out."},
		}},
		{backend.StartConversation{TenantID: tenant["James Okafor"]}, time.Time{}, []chatLine{
			{"", "Hi James, the plumber can come Thursday between 9 and 11 to look at the kitchen sink. Does that work?"},
			{"James Okafor", "Thursday morning is fine, I'll be home. Thanks!"},
			{"", "Great, I've confirmed it. He'll call when he's on his way."},
		}},
		{backend.StartConversation{UnitID: unit["Maple Court 2B"]}, time.Time{}, []chatLine{
			{"", "Hello all, the building's water will be off on Saturday from 8am to noon for the boiler service."},
			{"Emily Chen", "Thanks for the heads-up!"},
			{"Daniel Park", "Will the heating be back on by the evening?"},
			{"", "Yes, it should be back well before then."},
		}},
		{backend.StartConversation{TenantID: tenant["Olivia Brown"]}, time.Time{}, []chatLine{
			{"", "Hi Olivia, your lease is up in a few months. Would you like to renew?"},
			{"Olivia Brown", "Yes please! Same terms if possible."},
		}},
	}
	for i, chat := range chats {
		if err := seedChat(ctx, db, landlord.Me.Principal, tenant, i, chat.start, chat.at, chat.lines); err != nil {
			return err
		}
	}
	return nil
}

// chatLine is one message of a demo chat; from "" is the landlord.
type chatLine struct{ from, text string }

// seedChat starts one chat and sends its lines. A chat with a time happens
// then: the database's clock is set to it, a minute or two later for each
// message, and restored afterwards.
func seedChat(ctx context.Context, db Store, landlord backend.Principal, tenant map[string]int64, i int,
	start backend.StartConversation, at time.Time, lines []chatLine) error {
	if !at.IsZero() {
		defer db.SetClock(db.Clock())
		db.SetClock(func() time.Time { return at })
	}
	conv, _, err := db.StartConversation(ctx, landlord, start)
	if err != nil {
		return fmt.Errorf("demo chat %d: %w", i, err)
	}
	for j, l := range lines {
		if !at.IsZero() {
			at = at.Add(time.Minute + time.Duration(j)*17*time.Second)
		}
		p := landlord
		if l.from != "" {
			p = backend.Principal{Kind: backend.KindTenant, ID: tenant[l.from], OrgID: p.OrgID, Name: l.from}
		}
		if _, err := db.SendMessage(ctx, p, conv.ID, backend.SendMessage{Key: fmt.Sprintf("demo-%d-%d", i, j), Text: l.text}); err != nil {
			return fmt.Errorf("demo message %d.%d: %w", i, j, err)
		}
	}
	return nil
}
