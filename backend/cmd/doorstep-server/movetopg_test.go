package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"doorstep/backend"
	"doorstep/backend/client"
	"doorstep/backend/filestore"
	"doorstep/backend/postgres"
	"doorstep/backend/signingkey"
	"doorstep/backend/sqlite"
	"doorstep/internal/pgtest"
)

// sqliteServer is a SQLite data directory with activity through the real
// server, and what its clients saw of it before it stopped.
type sqliteServer struct {
	dir      string
	serverID string
	// landlord and maria (a demo tenant) are signed-in clients; their
	// sessions were made on the SQLite server.
	landlord, maria *client.Client
	mariaConv       int64
	convs           []backend.Conversation      // the landlord's
	messages        map[int64][]backend.Message // by conversation
	files           map[int64][]byte            // every file shared, by id
	// resumeAt is the last event a desktop app had read, and after are
	// the landlord's events after it, as the SQLite server replayed them.
	resumeAt int64
	after    []backend.Event
	// highest ids on the SQLite server, which new rows must pass.
	lastMessageID, lastFileID, lastEventID int64
}

// seedSQLiteServer runs the demo server on SQLite and uses it as a
// landlord and a tenant would: messages with files (one of several
// chunks), an urgent one, read positions, a signed head, a template,
// attention settings and a mute, the notifications of a new chat, and an
// upload left unfinished; then stops it.
func seedSQLiteServer(t *testing.T) *sqliteServer {
	t.Helper()
	ctx := context.Background()
	s := &sqliteServer{dir: t.TempDir(), messages: map[int64][]backend.Message{}, files: map[int64][]byte{}}
	url, stop := serveData(t, s.dir, "-demo")
	s.landlord = signInDemo(t, url)
	s.maria = demoTenant(t, s.landlord, "Maria Garcia")
	mariaConvs, err := s.maria.Conversations(ctx)
	if err != nil || len(mariaConvs) != 1 {
		t.Fatalf("Maria's conversations: %v, %v", mariaConvs, err)
	}
	s.mariaConv = mariaConvs[0].ID
	send := func(c *client.Client, text string, urgent bool, files ...[]byte) backend.Message {
		t.Helper()
		req := backend.SendMessage{Key: fmt.Sprintf("k-%d", time.Now().UnixNano()), Text: text, Urgent: urgent}
		for i, b := range files {
			f, err := c.UploadFile(ctx, fmt.Sprintf("file-%d.bin", i), bytes.NewReader(b))
			if err != nil {
				t.Fatal(err)
			}
			req.FileIDs = append(req.FileIDs, f.ID)
		}
		m, err := c.SendMessage(ctx, s.mariaConv, req)
		if err != nil {
			t.Fatal(err)
		}
		return m
	}
	send(s.landlord, "Here is the lease and the photos of the meters.", false, randomBytes(600<<10), randomBytes(3000))
	send(s.maria, "Thanks! The boiler is leaking, photo attached.", true, randomBytes(70<<10))
	if err := s.landlord.MarkRead(ctx, s.mariaConv, 2); err != nil {
		t.Fatal(err)
	}
	if _, err := s.landlord.ChainHead(ctx, s.mariaConv); err != nil {
		t.Fatal(err)
	}
	if _, err := s.landlord.CreateTemplate(ctx, backend.TemplateDraft{Name: "Boiler visit", Text: "The plumber comes on Saturday morning."}); err != nil {
		t.Fatal(err)
	}
	settings, err := s.landlord.AttentionSettings(ctx)
	if err != nil {
		t.Fatal(err)
	}
	settings.QuietHours.TimeZone = "America/Chicago"
	settings.QuietHours.Days[0] = backend.QuietDay{Mode: backend.QuietAllDay}
	if _, err := s.landlord.SaveAttentionSettings(ctx, backend.AttentionUpdate{QuietHours: settings.QuietHours, EmergencyWords: []string{"leak", "no heat"}}); err != nil {
		t.Fatal(err)
	}
	others := writableConversations(t, s.landlord) // a probe message in each
	for _, id := range others {
		if id != s.mariaConv {
			if _, err := s.landlord.MuteConversation(ctx, id, nil); err != nil {
				t.Fatal(err)
			}
			break
		}
	}
	if n, err := s.landlord.ConversationNotifications(ctx, s.mariaConv); err != nil || len(n) == 0 {
		t.Fatalf("notifications of the new chat: %v, %v", n, err)
	}
	// An upload begun and never finished.
	up, err := s.landlord.BeginUpload(ctx, backend.NewUpload{Name: "video.mp4", Size: 1 << 20, SHA256: strings.Repeat("ab", 32)})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.landlord.AppendUpload(ctx, up.ID, 0, bytes.NewReader(randomBytes(1000))); err != nil {
		t.Fatal(err)
	}

	// A desktop app reads its events, then goes offline while more happens.
	_, s.resumeAt = replay(t, s.landlord, client.Live) // where an app that loaded its state starts
	send(s.maria, "Is Saturday morning fine for the plumber?", false)
	send(s.landlord, "Yes, 9 o'clock.", false)
	if err := s.maria.MarkRead(ctx, s.mariaConv, 4); err != nil {
		t.Fatal(err)
	}
	s.after, s.lastEventID = replay(t, s.landlord, s.resumeAt)
	if len(s.after) < 2 {
		t.Fatalf("only %d events after the resume point", len(s.after))
	}

	h, err := s.landlord.Health(ctx)
	if err != nil {
		t.Fatal(err)
	}
	s.serverID = h.ServerID
	s.convs, s.messages, s.files = observe(t, s.landlord)
	for _, msgs := range s.messages {
		for _, m := range msgs {
			s.lastMessageID = max(s.lastMessageID, m.ID)
			for _, f := range m.Files {
				s.lastFileID = max(s.lastFileID, f.ID)
			}
		}
	}
	stop()
	return s
}

// replay reads c's events after since up to the end of the replay, and
// the id the replay ended at.
func replay(t *testing.T, c *client.Client, since int64) ([]backend.Event, int64) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	stream, err := c.Events(ctx, since)
	if err != nil {
		t.Fatal(err)
	}
	defer stream.Close()
	var events []backend.Event
	for {
		ev, err := stream.Next(ctx)
		if err != nil {
			t.Fatalf("events after %d: %v", since, err)
		}
		switch ev.Type {
		case backend.EventReady:
			return events, ev.ID
		case backend.EventResync:
			t.Fatalf("events after %d: told to resync", since)
		}
		events = append(events, ev)
	}
}

// observe reads what the landlord sees: conversations, every message, and
// the bytes of every file shared.
func observe(t *testing.T, landlord *client.Client) ([]backend.Conversation, map[int64][]backend.Message, map[int64][]byte) {
	t.Helper()
	ctx := context.Background()
	convs, err := landlord.Conversations(ctx)
	if err != nil {
		t.Fatal(err)
	}
	messages, files := map[int64][]backend.Message{}, map[int64][]byte{}
	for _, c := range convs {
		messages[c.ID] = allMessages(t, landlord, c.ID)
		for _, m := range messages[c.ID] {
			for _, f := range m.Files {
				var b bytes.Buffer
				if _, _, err := landlord.DownloadFile(ctx, f.ID, &b); err != nil {
					t.Fatalf("file %d: %v", f.ID, err)
				}
				files[f.ID] = b.Bytes()
			}
		}
	}
	return convs, messages, files
}

// moveToPostgres runs the command with the URL in DOORSTEP_STORE, as an
// operator keeps it, and returns what it printed (never the URL).
func moveToPostgres(t *testing.T, dir, dsn string) (string, error) {
	t.Helper()
	var out bytes.Buffer
	err := run(context.Background(), []string{"move-to-postgres", "-data", dir}, env(map[string]string{"DOORSTEP_STORE": dsn}), &out, &out)
	if strings.Contains(out.String(), dsn) || (err != nil && strings.Contains(err.Error(), dsn)) {
		t.Errorf("move-to-postgres printed the URL:\n%s\n%v", out.String(), err)
	}
	return out.String(), err
}

// TestMoveToPostgres: a SQLite server with history is moved into an empty
// PostgreSQL database, and a node started on it continues the same
// server: the same sign-ins and sessions, conversations, messages with
// their seqs, times and hashes, byte-identical files; a desktop app that
// had read up to an event resumes with `since` and gets exactly the events
// after it; new messages continue the seq and the chain, new rows take
// new ids, and verify-chain holds.
func TestMoveToPostgres(t *testing.T) {
	ctx := context.Background()
	before := seedSQLiteServer(t)
	dsn := pgtest.NewDatabase(t)
	out, err := moveToPostgres(t, before.dir, dsn)
	if err != nil {
		t.Fatalf("move: %v\n%s", err, out)
	}
	for _, want := range []string{"in one transaction", "messages", "1 unfinished uploads", "3 files", "checked as verify-chain does: every conversation's history matches",
		"copy " + signingkey.Path(before.dir)} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	checkEveryTableMoved(t, filepath.Join(before.dir, databaseFile), dsn)

	// A node has the signing key and nothing else of the data directory.
	node := t.TempDir()
	key, err := os.ReadFile(signingkey.Path(before.dir))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(signingkey.Path(node), key, 0o600); err != nil {
		t.Fatal(err)
	}
	url, _, _ := startServe(t, node, "-store", dsn)
	on := func(c *client.Client) *client.Client {
		moved, err := client.New(url)
		if err != nil {
			t.Fatal(err)
		}
		return moved.WithSession(c.Token())
	}
	landlord, maria := on(before.landlord), on(before.maria)

	t.Run("SameServer", func(t *testing.T) {
		h, err := landlord.Health(ctx)
		if err != nil || h.ServerID != before.serverID {
			t.Errorf("server id %q (%v); want the SQLite server's %q", h.ServerID, err, before.serverID)
		}
		signInDemo(t, url) // the same password
		if me, err := maria.Me(ctx); err != nil || me.Kind != backend.KindTenant {
			t.Errorf("Maria's session from the SQLite server: %+v, %v", me, err)
		}
	})

	t.Run("SameHistory", func(t *testing.T) {
		convs, messages, files := observe(t, landlord)
		if len(convs) != len(before.convs) {
			t.Fatalf("%d conversations; want %d", len(convs), len(before.convs))
		}
		for i, c := range convs {
			was := before.convs[i]
			if c.ID != was.ID || c.Title != was.Title || c.LastSeq != was.LastSeq || c.ReadSeq != was.ReadSeq || c.Unread != was.Unread ||
				!c.CreatedAt.Equal(was.CreatedAt.Truncate(time.Microsecond)) || !slices.Equal(c.Members, was.Members) {
				t.Errorf("conversation %d:\n got %+v\nwant %+v", was.ID, c, was)
			}
		}
		for id, was := range before.messages {
			got := messages[id]
			if len(got) != len(was) {
				t.Errorf("conversation %d: %d messages; want %d", id, len(got), len(was))
				continue
			}
			for i, m := range got {
				w := was[i]
				// Times exactly, to the nanosecond: the chain hash covers them.
				if m.ID != w.ID || m.Seq != w.Seq || m.Text != w.Text || m.Hash != w.Hash || !m.CreatedAt.Equal(w.CreatedAt) ||
					m.Sender != w.Sender || m.Urgent != w.Urgent || len(m.Files) != len(w.Files) {
					t.Errorf("conversation %d, message %d:\n got %+v\nwant %+v", id, w.Seq, m, w)
					continue
				}
				for j, f := range m.Files {
					wf := w.Files[j]
					if f.ID != wf.ID || f.Name != wf.Name || f.Size != wf.Size || f.SHA256 != wf.SHA256 || f.ContentType != wf.ContentType {
						t.Errorf("message %d, file %d: got %+v, want %+v", w.ID, j, f, wf)
					}
				}
			}
		}
		if len(files) != len(before.files) {
			t.Errorf("%d files; want %d", len(files), len(before.files))
		}
		for id, b := range before.files {
			if !bytes.Equal(files[id], b) {
				t.Errorf("file %d: %d bytes downloaded, not the %d bytes of the SQLite server", id, len(files[id]), len(b))
			}
		}
		if notes, err := landlord.ConversationNotifications(ctx, before.mariaConv); err != nil || len(notes) == 0 {
			t.Errorf("notifications of Maria's chat: %v, %v", notes, err)
		}
		if tpl, err := landlord.Templates(ctx); err != nil || !slices.ContainsFunc(tpl, func(x backend.Template) bool { return x.Name == "Boiler visit" }) {
			t.Errorf("templates: %v, %v", tpl, err)
		}
		if s, err := landlord.AttentionSettings(ctx); err != nil || !slices.Equal(s.EmergencyWords, []string{"leak", "no heat"}) || len(s.Mutes) != 1 ||
			s.QuietHours.TimeZone != "America/Chicago" {
			t.Errorf("attention settings: %+v, %v", s, err)
		}
	})

	t.Run("ResumesWithSince", func(t *testing.T) {
		got, last := replay(t, landlord, before.resumeAt)
		if last != before.lastEventID {
			t.Errorf("replay ended at %d; want %d", last, before.lastEventID)
		}
		gotJSON, _ := json.Marshal(got)
		wantJSON, _ := json.Marshal(before.after)
		if !bytes.Equal(gotJSON, wantJSON) {
			t.Errorf("events after %d:\n got %s\nwant %s", before.resumeAt, gotJSON, wantJSON)
		}
	})

	t.Run("ContinuesSeqChainAndIDs", func(t *testing.T) {
		was := before.messages[before.mariaConv]
		last := was[len(was)-1]
		f, err := maria.UploadFile(ctx, "meter.jpg", bytes.NewReader(randomBytes(5000)))
		if err != nil {
			t.Fatal(err)
		}
		if f.ID <= before.lastFileID {
			t.Errorf("new file id %d; want one past the SQLite server's %d", f.ID, before.lastFileID)
		}
		m, err := maria.SendMessage(ctx, before.mariaConv, backend.SendMessage{Key: "after-the-move", Text: "The meter reads 4711.", FileIDs: []int64{f.ID}})
		if err != nil {
			t.Fatal(err)
		}
		if m.Seq != last.Seq+1 || m.ID <= before.lastMessageID {
			t.Errorf("new message seq %d, id %d; want seq %d and an id past %d", m.Seq, m.ID, last.Seq+1, before.lastMessageID)
		}
		prev, _ := hex.DecodeString(last.Hash)
		if want := hex.EncodeToString(backend.ChainHash(prev, m)); m.Hash != want {
			t.Errorf("new message's hash %s; want %s, chained to the moved head", m.Hash, want)
		}
		evs, _ := replay(t, landlord, before.lastEventID)
		if len(evs) == 0 || evs[0].ID <= before.lastEventID {
			t.Errorf("events after the move: %+v; want new ids past %d", evs, before.lastEventID)
		}
		// Signing now checks the chain since the signature made on SQLite.
		if _, err := landlord.ChainHead(ctx, before.mariaConv); err != nil {
			t.Errorf("signing the head after the move: %v", err)
		}
		var out bytes.Buffer
		if err := run(ctx, []string{"verify-chain", "-data", node, "-store", dsn}, env(nil), &out, &out); err != nil {
			t.Errorf("verify-chain: %v\n%s", err, out.String())
		}
	})
}

// TestMoveToPostgresKeepsEventIDsAfterPruning: a server whose every event
// was pruned (idle longer than the retention) still knows the newest id
// it gave; after the move an app that read up to it resumes without a
// resync, and new events take ids past it.
func TestMoveToPostgresKeepsEventIDsAfterPruning(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	url, stop := serveData(t, dir, "-demo")
	landlord := signInDemo(t, url)
	maria := demoTenant(t, landlord, "Maria Garcia")
	convs, err := maria.Conversations(ctx)
	if err != nil || len(convs) != 1 {
		t.Fatalf("Maria's conversations: %v, %v", convs, err)
	}
	if _, err := maria.SendMessage(ctx, convs[0].ID, backend.SendMessage{Key: "before-the-move", Text: "Hello"}); err != nil {
		t.Fatal(err)
	}
	stop()
	db, err := sqlite.Open(ctx, filepath.Join(dir, databaseFile), fastHashes())
	if err != nil {
		t.Fatal(err)
	}
	if n, err := db.PruneEvents(ctx, time.Now().Add(time.Hour)); err != nil || n == 0 {
		t.Fatalf("pruned %d events: %v", n, err)
	}
	db.Close()
	// An app that had read everything is at the newest id ever given,
	// which pruning made the floor.
	var last int64
	lite, err := sql.Open("sqlite3", "file:"+filepath.Join(dir, databaseFile)+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	err = lite.QueryRow("SELECT CAST(value AS INTEGER) FROM meta WHERE key = 'events_floor'").Scan(&last)
	lite.Close()
	if err != nil || last == 0 {
		t.Fatalf("events floor %d: %v", last, err)
	}

	dsn := pgtest.NewDatabase(t)
	if out, err := moveToPostgres(t, dir, dsn); err != nil {
		t.Fatalf("move: %v\n%s", err, out)
	}
	url, _, _ = startServe(t, dir, "-store", dsn)
	moved, _ := client.New(url)
	landlord, maria = moved.WithSession(landlord.Token()), moved.WithSession(maria.Token())
	if evs, at := replay(t, landlord, last); len(evs) != 0 || at != last {
		t.Errorf("events after %d: %+v, ending at %d; want none, and no resync", last, evs, at)
	}
	if _, err := maria.SendMessage(ctx, convs[0].ID, backend.SendMessage{Key: "after-the-move", Text: "Still there?"}); err != nil {
		t.Fatal(err)
	}
	if evs, _ := replay(t, landlord, last); len(evs) == 0 || evs[0].ID <= last {
		t.Errorf("events after the move: %+v; want new ids past %d", evs, last)
	}
}

// checkEveryTableMoved compares every table of the PostgreSQL schema with
// SQLite's after a move: each holds as many rows as SQLite's table of its
// name (and the seed put some in each), or is one the move leaves alone,
// with its reason. A migration adding a table to either store fails here
// (and the move refuses) until the move knows what to do with it.
func checkEveryTableMoved(t *testing.T, sqlitePath, dsn string) {
	t.Helper()
	ctx := context.Background()
	lite, err := sql.Open("sqlite3", "file:"+sqlitePath+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer lite.Close()
	pg, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer pg.Close(ctx)
	rows, err := pg.Query(ctx, "SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'")
	if err != nil {
		t.Fatal(err)
	}
	tables, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		t.Fatal(err)
	}
	count := func(table string) (sqliteRows, pgRows int64) {
		lite.QueryRow("SELECT count(*) FROM " + table).Scan(&sqliteRows)
		if err := pg.QueryRow(ctx, "SELECT count(*) FROM "+table).Scan(&pgRows); err != nil {
			t.Fatal(err)
		}
		return sqliteRows, pgRows
	}
	var files int64
	lite.QueryRow("SELECT count(*) FROM files").Scan(&files)
	for _, table := range tables {
		lt, pt := count(table)
		switch {
		case postgres.TableNotMoved(table) != "":
			if table != "schema_migrations" && pt != 0 {
				t.Errorf("%s: %d rows after the move; it is one the move leaves empty", table, pt)
			}
		case table == "file_blobs":
			if pt != files || pt == 0 {
				t.Errorf("file_blobs: %d rows; want one per file, %d", pt, files)
			}
		case table == "file_chunks":
			if pt <= files {
				t.Errorf("file_chunks: %d rows for %d files, one of them of several chunks", pt, files)
			}
		case table == "meta":
			var lid, pid string
			lite.QueryRow("SELECT value FROM meta WHERE key = 'server_id'").Scan(&lid)
			pg.QueryRow(ctx, "SELECT value FROM meta WHERE key = 'server_id'").Scan(&pid)
			if lid == "" || pid != lid {
				t.Errorf("server id %q after the move; want SQLite's %q", pid, lid)
			}
		case lt == 0:
			t.Errorf("%s: the seed left SQLite's table empty (or it has none): the test would not see it moved", table)
		case pt != lt:
			t.Errorf("%s: %d rows on PostgreSQL, %d on SQLite", table, pt, lt)
		}
	}
}

// TestMoveToPostgresRefuses: what the move refuses, each time saying why
// and leaving the PostgreSQL database with nothing of it.
func TestMoveToPostgresRefuses(t *testing.T) {
	if inChild(t) {
		return
	}
	ctx := context.Background()
	src := seedSQLiteServer(t)
	orgs := func(t *testing.T, dsn string) int {
		t.Helper()
		conn, err := pgx.Connect(ctx, dsn)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close(ctx)
		var n int
		if err := conn.QueryRow(ctx, "SELECT count(*) FROM orgs").Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}

	t.Run("ErrNoDataDirectory", func(t *testing.T) {
		dsn := pgtest.NewDatabase(t)
		missing := filepath.Join(t.TempDir(), "nothing-here")
		out, err := moveToPostgres(t, missing, dsn)
		if err == nil || !strings.Contains(err.Error(), "no SQLite database at "+filepath.Join(missing, databaseFile)) {
			t.Errorf("err = %v (%s); want the missing database named", err, out)
		}
		if _, err := os.Stat(missing); err == nil {
			t.Error("the move made the missing data directory")
		}
		if v, _, err := postgres.SchemaAt(ctx, dsn); err != nil || v != 0 {
			t.Errorf("schema %d (%v) after the refusal; want the database untouched", v, err)
		}
	})

	t.Run("ErrServerRunning", func(t *testing.T) {
		dir := t.TempDir()
		copyTree(t, src.dir, dir)
		dsn := pgtest.NewDatabase(t)
		_, stop := serveData(t, dir)
		// The operator's command is another process than the server.
		out, err := runBackupChild(t, t.Name(), "move-to-postgres", "-data", dir, "-store", dsn)
		if err == nil || !strings.Contains(out, "is in use: stop the doorstep-server running on it first") {
			t.Errorf("move beside a running server: %v\n%s", err, out)
		}
		if v, _, err := postgres.SchemaAt(ctx, dsn); err != nil || v != 0 {
			t.Errorf("schema %d (%v) after the refusal; want the database untouched", v, err)
		}
		stop()
		if out, err := moveToPostgres(t, dir, dsn); err != nil {
			t.Errorf("move once the server stopped: %v\n%s", err, out)
		}
	})

	t.Run("ErrNotEmpty", func(t *testing.T) {
		dsn := pgtest.NewDatabase(t)
		if out, err := moveToPostgres(t, src.dir, dsn); err != nil {
			t.Fatalf("first move: %v\n%s", err, out)
		}
		n := orgs(t, dsn)
		out, err := moveToPostgres(t, src.dir, dsn)
		if err == nil || !strings.Contains(err.Error(), "already holds Doorstep data") || !strings.Contains(err.Error(), "nothing was moved") {
			t.Errorf("second move: %v\n%s; want it refused", err, out)
		}
		if orgs(t, dsn) != n {
			t.Errorf("the refused move changed the database")
		}
	})

	t.Run("ErrSchemaUnknown", func(t *testing.T) {
		// A table or column that neither the move nor its rules account
		// for stops it before it writes: a new migration must teach it.
		dsn := pgtest.NewDatabase(t)
		db, err := postgres.Open(ctx, dsn)
		if err != nil {
			t.Fatal(err)
		}
		db.Close()
		conn, err := pgx.Connect(ctx, dsn)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close(ctx)
		if _, err := conn.Exec(ctx, "CREATE TABLE reminders (id bigint PRIMARY KEY)"); err != nil {
			t.Fatal(err)
		}
		out, err := moveToPostgres(t, src.dir, dsn)
		if err == nil || !strings.Contains(err.Error(), "table reminders of PostgreSQL's schema is one the move does not know") {
			t.Errorf("move into a schema with an unknown table: %v\n%s", err, out)
		}
		if _, err := conn.Exec(ctx, "DROP TABLE reminders"); err != nil {
			t.Fatal(err)
		}
		dir := t.TempDir()
		copyTree(t, src.dir, dir)
		lite, err := sql.Open("sqlite3", "file:"+filepath.Join(dir, databaseFile))
		if err != nil {
			t.Fatal(err)
		}
		_, err = lite.Exec("ALTER TABLE messages ADD COLUMN mood TEXT")
		lite.Close()
		if err != nil {
			t.Fatal(err)
		}
		out, err = moveToPostgres(t, dir, dsn)
		if err == nil || !strings.Contains(err.Error(), "column messages.mood of SQLite's schema has no counterpart in PostgreSQL's") {
			t.Errorf("move of a SQLite column the move does not know: %v\n%s", err, out)
		}
		if n := orgs(t, dsn); n != 0 {
			t.Errorf("%d organisations after the refused moves; want none", n)
		}
	})

	t.Run("ErrFileTampered", func(t *testing.T) {
		dir := t.TempDir()
		copyTree(t, src.dir, dir)
		dsn := pgtest.NewDatabase(t)
		entries, err := os.ReadDir(filepath.Join(dir, filesDirName))
		if err != nil {
			t.Fatal(err)
		}
		var name string
		for _, e := range entries {
			if e.Type().IsRegular() && filestore.ValidName(e.Name()) {
				name = e.Name()
				break
			}
		}
		path := filepath.Join(dir, filesDirName, name)
		good, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		bad := bytes.Clone(good)
		bad[len(bad)/2] ^= 0x20
		if err := os.WriteFile(path, bad, 0o600); err != nil {
			t.Fatal(err)
		}
		out, err := moveToPostgres(t, dir, dsn)
		sum := sha256.Sum256(bad)
		if err == nil || !strings.Contains(err.Error(), "1 uploaded files") || !strings.Contains(err.Error(), "nothing was moved") ||
			!strings.Contains(out, filesDirName+"/"+name) || !strings.Contains(out, hex.EncodeToString(sum[:])) {
			t.Errorf("move with a tampered file: %v\n%s; want it refused, naming the file", err, out)
		}
		// Every table was copied before the files: all of it is undone.
		if n := orgs(t, dsn); n != 0 {
			t.Errorf("%d organisations after the refused move; want none", n)
		}
		// Once the file is back, the same database takes the move.
		if err := os.WriteFile(path, good, 0o600); err != nil {
			t.Fatal(err)
		}
		if out, err := moveToPostgres(t, dir, dsn); err != nil {
			t.Errorf("move once the file is back: %v\n%s", err, out)
		}
	})
}
