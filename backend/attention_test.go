package backend_test

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"doorstep/backend"
)

// weeknights is 21:00–07:30 Monday to Friday nights (Sunday night too, so
// Monday morning is quiet) and all of Saturday, in Chicago.
func weeknights() backend.QuietSchedule {
	s := backend.QuietSchedule{TimeZone: "America/Chicago"}
	for d := range s.Days {
		s.Days[d] = backend.QuietDay{Mode: backend.QuietHours, From: "21:00", To: "07:30"}
	}
	s.Days[time.Saturday] = backend.QuietDay{Mode: backend.QuietAllDay}
	s.Days[time.Friday] = backend.QuietDay{Mode: backend.QuietOff}
	return s
}

func chicago(t *testing.T, s string) time.Time {
	t.Helper()
	loc, err := time.LoadLocation("America/Chicago")
	if err != nil {
		t.Fatal(err)
	}
	at, err := time.ParseInLocation("2006-01-02 15:04", s, loc)
	if err != nil {
		t.Fatal(err)
	}
	return at
}

func TestInQuietHours(t *testing.T) {
	s := weeknights()
	// 2026-06-15 is a Monday.
	for _, c := range []struct {
		at    string
		quiet bool
	}{
		{"2026-06-15 12:00", false}, // Monday noon
		{"2026-06-15 20:59", false},
		{"2026-06-15 21:00", true}, // Monday night begins
		{"2026-06-15 23:59", true},
		{"2026-06-16 00:00", true}, // past midnight: Monday's hours go on
		{"2026-06-16 07:29", true},
		{"2026-06-16 07:30", false}, // over
		{"2026-06-19 23:00", false}, // Friday night is off
		{"2026-06-20 00:00", true},  // Saturday, all day
		{"2026-06-20 23:59", true},
		{"2026-06-21 12:00", false}, // Sunday noon
		{"2026-06-15 07:00", true},  // Monday morning: Sunday night's hours
		{"2026-06-19 07:00", true},  // Friday morning: Thursday night's hours
		{"2026-06-20 07:45", true},  // Saturday morning, all day anyway
	} {
		if got := backend.InQuietHours(s, chicago(t, c.at)); got != c.quiet {
			t.Errorf("%s: quiet = %v, want %v", c.at, got, c.quiet)
		}
	}

	t.Run("ByTheScheduleZoneNotTheCaller", func(t *testing.T) {
		// 03:00 UTC is 22:00 in Chicago on the evening before (CDT).
		at := time.Date(2026, 6, 16, 3, 0, 0, 0, time.UTC)
		if !backend.InQuietHours(s, at) {
			t.Error("22:00 in Chicago is quiet, whatever zone the time is in")
		}
	})

	t.Run("SameDayHours", func(t *testing.T) {
		s := backend.QuietSchedule{TimeZone: "UTC"}
		for d := range s.Days {
			s.Days[d] = backend.QuietDay{Mode: backend.QuietOff}
		}
		s.Days[time.Monday] = backend.QuietDay{Mode: backend.QuietHours, From: "12:00", To: "13:00"}
		monday := time.Date(2026, 6, 15, 0, 0, 0, 0, time.UTC)
		for h, want := range map[int]bool{11: false, 12: true, 13: false, 0: false} {
			if got := backend.InQuietHours(s, monday.Add(time.Duration(h)*time.Hour)); got != want {
				t.Errorf("%02d:00 quiet = %v, want %v", h, got, want)
			}
		}
	})

	t.Run("UnreadableScheduleHasNone", func(t *testing.T) {
		s := weeknights()
		s.TimeZone = "Mars/Olympus"
		if backend.InQuietHours(s, chicago(t, "2026-06-20 12:00")) {
			t.Error("a schedule in an unknown zone is quiet")
		}
	})
}

func TestQuietHoursEnd(t *testing.T) {
	s := weeknights()
	for _, c := range []struct {
		at, end string // end "": no end
	}{
		{"2026-06-15 22:00", "2026-06-16 07:30"}, // Monday night
		{"2026-06-16 01:00", "2026-06-16 07:30"},
		{"2026-06-19 06:00", "2026-06-19 07:30"}, // Friday morning; Friday night off
		{"2026-06-20 10:00", "2026-06-21 00:00"}, // Saturday all day ends at midnight (Sunday is hours at night only)
		{"2026-06-15 12:00", ""},                 // not quiet now
	} {
		end, ok := backend.QuietHoursEnd(s, chicago(t, c.at))
		if c.end == "" {
			if ok {
				t.Errorf("%s: end = %v, want none", c.at, end)
			}
			continue
		}
		if !ok || !end.Equal(chicago(t, c.end)) {
			t.Errorf("%s: end = %v, %v; want %s", c.at, end, ok, c.end)
		}
	}

	t.Run("SaturdayRunsIntoSundayNight", func(t *testing.T) {
		s := weeknights()
		s.Days[time.Sunday] = backend.QuietDay{Mode: backend.QuietAllDay}
		end, ok := backend.QuietHoursEnd(s, chicago(t, "2026-06-20 10:00"))
		// Saturday and Sunday all day: over at Monday 00:00, as Monday's
		// hours begin only at night.
		if !ok || !end.Equal(chicago(t, "2026-06-22 00:00")) {
			t.Errorf("end = %v, %v", end, ok)
		}
	})

	t.Run("AlwaysQuietNeverEnds", func(t *testing.T) {
		s := backend.QuietSchedule{TimeZone: "UTC"}
		for d := range s.Days {
			s.Days[d] = backend.QuietDay{Mode: backend.QuietAllDay}
		}
		if end, ok := backend.QuietHoursEnd(s, time.Now()); ok {
			t.Errorf("end = %v", end)
		}
	})
}

func TestQuietScheduleValidate(t *testing.T) {
	ok := weeknights()
	if err := ok.Validate(); err != nil {
		t.Fatalf("a good schedule is refused: %v", err)
	}
	for name, edit := range map[string]func(s *backend.QuietSchedule){
		"ErrNoZone":        func(s *backend.QuietSchedule) { s.TimeZone = "" },
		"ErrUnknownZone":   func(s *backend.QuietSchedule) { s.TimeZone = "Mars/Olympus" },
		"ErrPathZone":      func(s *backend.QuietSchedule) { s.TimeZone = "../../etc/passwd" },
		"ErrUnknownMode":   func(s *backend.QuietSchedule) { s.Days[1].Mode = "sometimes" },
		"ErrEmptyMode":     func(s *backend.QuietSchedule) { s.Days[1].Mode = "" },
		"ErrBadTime":       func(s *backend.QuietSchedule) { s.Days[1].From = "25:00" },
		"ErrShortTime":     func(s *backend.QuietSchedule) { s.Days[1].To = "7:30" },
		"ErrNoEnd":         func(s *backend.QuietSchedule) { s.Days[1].To = "" },
		"ErrSameStartEnd":  func(s *backend.QuietSchedule) { s.Days[1].To = s.Days[1].From },
		"ErrTimeWithWords": func(s *backend.QuietSchedule) { s.Days[1].From = "9pm" },
	} {
		t.Run(name, func(t *testing.T) {
			s := weeknights()
			edit(&s)
			if err := s.Validate(); backend.ErrorCode(err) != backend.EINVALID {
				t.Errorf("err = %v, want invalid", err)
			}
		})
	}
}

func TestMuted(t *testing.T) {
	now := time.Date(2026, 6, 15, 12, 0, 0, 0, time.UTC)
	later := now.Add(time.Hour)
	s := backend.AttentionSettings{Mutes: []backend.Mute{
		{ConversationID: 1, Until: &later},
		{ConversationID: 2, Until: nil},
	}}
	for _, c := range []struct {
		name  string
		conv  int64
		at    time.Time
		muted bool
	}{
		{"ForAnHourWithinIt", 1, now, true},
		{"ForAnHourAtItsEnd", 1, later, false},
		{"ForAnHourAfterIt", 1, later.Add(time.Minute), false},
		{"UntilUnmutedForever", 2, now.AddDate(5, 0, 0), true},
		{"NotMuted", 3, now, false},
	} {
		if got := backend.Muted(s, c.conv, c.at); got != c.muted {
			t.Errorf("%s: muted = %v, want %v", c.name, got, c.muted)
		}
	}
}

func TestMuteRequestValidate(t *testing.T) {
	now := time.Now()
	past, future := now.Add(-time.Second), now.Add(time.Hour)
	if err := (backend.MuteRequest{Until: &past}).Validate(now); backend.ErrorCode(err) != backend.EINVALID {
		t.Errorf("a mute ending in the past: err = %v", err)
	}
	if err := (backend.MuteRequest{Until: &now}).Validate(now); backend.ErrorCode(err) != backend.EINVALID {
		t.Errorf("a mute ending now: err = %v", err)
	}
	if err := (backend.MuteRequest{Until: &future}).Validate(now); err != nil {
		t.Errorf("a mute for an hour: err = %v", err)
	}
	if err := (backend.MuteRequest{}).Validate(now); err != nil {
		t.Errorf("a mute until unmuted: err = %v", err)
	}
}

func TestTomorrowMorning(t *testing.T) {
	loc, _ := time.LoadLocation("America/Chicago")
	for _, c := range []struct{ now, want string }{
		{"2026-06-15 22:00", "2026-06-16 08:00"}, // evening: the next day
		{"2026-06-15 09:00", "2026-06-16 08:00"}, // morning already: the next day's
		{"2026-06-15 03:59", "2026-06-15 08:00"}, // still night: this morning
		{"2026-06-15 04:00", "2026-06-16 08:00"},
		{"2026-06-30 23:00", "2026-07-01 08:00"}, // across a month
		{"2026-03-07 22:00", "2026-03-08 08:00"}, // the night clocks go forward: 08:00 by the wall clock
	} {
		got := backend.TomorrowMorning(chicago(t, c.now), loc)
		if !got.Equal(chicago(t, c.want)) {
			t.Errorf("from %s: %v, want %s", c.now, got, c.want)
		}
	}
}

func TestIsUrgent(t *testing.T) {
	words := backend.DefaultEmergencyWords
	for _, c := range []struct {
		text   string
		urgent bool
	}{
		{"There's a leak under the sink", true},
		{"FIRE!", true},
		{"Fire in the hallway", true},
		{"I bought firewood", false},
		{"The gasket is worn", false},
		{"I smell gas.", true},
		{"We have no heat since yesterday", true},
		{"No   heat", true}, // spaces between the words
		{"no-heat", true},   // punctuation between the words
		{"heat is on, no problem", false},
		{"Somebody tried a break-in last night", true},
		{"break in", true}, // the phrase without its hyphen
		{"breaking in the new shoes", false},
		{"the basement is FLOODING", true},
		{"Smoke detector beeps", true},
		{"a smoky bacon for the party", false},
		{"Carbon   Monoxide alarm", true},
		{"carbon fibre bike", false},
		{"", false},
		{"Thanks for the quick fix", false},
		// The usual ways of saying it: the last word inflected, and the
		// defaults that say what the others miss.
		{"The roof leaks into the bedroom", true},
		{"it leaked all night", true},
		{"the basement flooded", true},
		{"it's flooding", true},
		{"pipe burst in the kitchen", true},
		{"two burst pipes", true},
		{"there is no heating", true},
		{"water is coming through the ceiling", true},
		{"someone broke in", true},
		{"they broke into the shed", true},
		{"the smoke alarm is going off", true},
		{"the oven is smoking", true},
		{"the wires are sparking and firing", true},
		{"we were gassed by the fumes", true},
		{"two emergencies this week", true},
		{"the ceiling fan is broken", false},
		{"the fireplace needs cleaning", false},
		{"gasoline smell from the garage", false},
		{"a floodlight is out", false},
		{"the heater makes a noise", false},
		{"a leaky faucet", false},
		// Spanish, accents typed or not.
		{"Hay una fuga en el baño", true},
		{"hay fugas de agua", true},
		{"una gotera en el techo", true},
		{"el sótano está inundado", true},
		{"la cocina esta inundada", true},
		{"el baño se inundó", true},
		{"hubo inundaciones", true},
		{"¡INCENDIO!", true},
		{"hay fuego en la cocina", true},
		{"sale humo del enchufe", true},
		{"hay olor a gas", true},
		{"huele a gas en la escalera", true},
		{"estamos sin calefaccion", true},
		{"seguimos sin agua caliente", true},
		{"nos quedamos sin luz", true},
		{"una tubería rota", true},
		{"se reventó un tubo", true},
		{"salen aguas negras del desagüe", true},
		{"la alarma de monóxido de carbono", true},
		{"me robaron la bicicleta", true},
		{"hubo un robo", true},
		{"es una emergencia", true},
		{"qué buen humor tiene", false},
		{"el robot aspirador", false},
		{"una gaseosa fría", false},
		{"ensalada sin aguacate", false},
		{"la luz del pasillo parpadea", false},
		{"gracias por arreglarlo", false},
	} {
		if got := backend.IsUrgent(backend.Message{Text: c.text}, words); got != c.urgent {
			t.Errorf("%q: urgent = %v, want %v", c.text, got, c.urgent)
		}
	}

	t.Run("AccentsAndCaseIgnored", func(t *testing.T) {
		words := []string{"fuga", "incendio", "Überschwemmung", "dégât des eaux"}
		for _, text := range []string{"¡INCENDIO!", "incéndio", "hay una FÚGA", "überschwemmung im Keller", "Uberschwemmung", "un degat des eaux"} {
			if !backend.IsUrgent(backend.Message{Text: text}, words) {
				t.Errorf("%q is not urgent", text)
			}
		}
		// A combining accent (e + U+0301) is the same letter as é.
		if !backend.IsUrgent(backend.Message{Text: "de\u0301ga\u0302t des eaux"}, words) {
			t.Error("combining accents are not ignored")
		}
		if backend.IsUrgent(backend.Message{Text: "fugaz"}, []string{"fuga"}) {
			t.Error("a longer word matched")
		}
	})

	t.Run("LastWordInflected", func(t *testing.T) {
		// The rule holds for a landlord's own words too, on the last word
		// of a phrase only.
		for _, c := range []struct {
			word, text string
			urgent     bool
		}{
			{"mold", "it is molding", true},
			{"mould", "moulds everywhere", true},
			{"stop", "the lift stopped", true},
			{"wire", "badly wired", true},
			{"wire", "the wiring", true},
			{"fly", "flies in the kitchen", true},
			{"explosión", "dos explosiones", true},
			{"burst pipe", "bursting pipes", false}, // the first word stays as written
			{"mold", "moldy bread", false},
			{"stop", "a stopwatch", false},
		} {
			if got := backend.IsUrgent(backend.Message{Text: c.text}, []string{c.word}); got != c.urgent {
				t.Errorf("%q with the word %q: urgent = %v, want %v", c.text, c.word, got, c.urgent)
			}
		}
	})

	t.Run("FlagAlone", func(t *testing.T) {
		if !backend.IsUrgent(backend.Message{Text: "please call me", Urgent: true}, nil) {
			t.Error("a message marked urgent is not urgent")
		}
	})

	t.Run("NoWords", func(t *testing.T) {
		if backend.IsUrgent(backend.Message{Text: "fire"}, nil) || backend.IsUrgent(backend.Message{Text: "fire"}, []string{"", "  "}) {
			t.Error("urgent with no emergency words")
		}
	})
}

func TestAttentionUpdateValidate(t *testing.T) {
	u := backend.AttentionUpdate{QuietHours: weeknights(), EmergencyWords: []string{" leak ", "no   heat", "", "burst pipe", "leaks"}}
	got, err := u.Validate()
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"leak", "no heat", "burst pipe", "leaks"}; !slices.Equal(got.EmergencyWords, want) {
		t.Errorf("words = %q, want %q", got.EmergencyWords, want)
	}
	// A repeat is refused with a sentence naming it, whatever its case
	// and accents: the desktop shows it as it is.
	for _, c := range []struct {
		words []string
		want  string
	}{
		{[]string{"leak", "no heat", " leak"}, "“leak” is in the emergency words twice; remove one."},
		{[]string{"leak", "LÉAK"}, "“LÉAK” is the same emergency word as “leak” (case and accents do not count); remove one."},
		{[]string{"no heat", "No  Heat"}, "“No Heat” is the same emergency word as “no heat” (case and accents do not count); remove one."},
		{[]string{"inundación", "inundacion"}, "“inundacion” is the same emergency word as “inundación” (case and accents do not count); remove one."},
	} {
		_, err := (backend.AttentionUpdate{QuietHours: weeknights(), EmergencyWords: c.words}).Validate()
		if backend.ErrorCode(err) != backend.EINVALID || backend.ErrorMessage(err) != c.want {
			t.Errorf("%q: err = %v, want %q", c.words, err, c.want)
		}
	}
	long := string(slices.Repeat([]rune{'é'}, backend.MaxEmergencyWordRunes))
	if _, err := (backend.AttentionUpdate{QuietHours: weeknights(), EmergencyWords: []string{long}}).Validate(); err != nil {
		t.Errorf("a word of %d accented letters (more bytes) is refused: %v", backend.MaxEmergencyWordRunes, err)
	}
	if _, err := (backend.AttentionUpdate{QuietHours: weeknights(), EmergencyWords: []string{long + "é"}}).Validate(); backend.ErrorMessage(err) != fmt.Sprintf("An emergency word can be at most %d characters.", backend.MaxEmergencyWordRunes) {
		t.Errorf("an over-long word: err = %v", err)
	}
	for name, words := range map[string][]string{
		"ErrTooMany":  make([]string, backend.MaxEmergencyWords+1),
		"ErrTooLong":  {string(make([]rune, backend.MaxEmergencyWordRunes+1))},
		"ErrControls": {"leak\x1b[31m"},
	} {
		if name == "ErrTooLong" {
			words = []string{string(slices.Repeat([]rune{'a'}, backend.MaxEmergencyWordRunes+1))}
		}
		if _, err := (backend.AttentionUpdate{QuietHours: weeknights(), EmergencyWords: words}).Validate(); backend.ErrorCode(err) != backend.EINVALID {
			t.Errorf("%s: err = %v", name, err)
		}
	}
	if _, err := (backend.AttentionUpdate{QuietHours: backend.QuietSchedule{}}).Validate(); backend.ErrorCode(err) != backend.EINVALID {
		t.Errorf("no schedule: err = %v", err)
	}
}

func TestDefaultAttentionSettings(t *testing.T) {
	d := backend.DefaultAttentionSettings()
	if err := d.QuietHours.Validate(); err != nil {
		t.Errorf("the default schedule is refused: %v", err)
	}
	if backend.InQuietHours(d.QuietHours, time.Now()) || len(d.Mutes) != 0 || d.Mutes == nil {
		t.Errorf("defaults = %+v", d)
	}
	for _, w := range []string{"leak", "flood", "fire", "smoke", "gas", "no heat", "break-in", "burst pipe", "sewage", "carbon monoxide",
		"fuga", "incendio", "humo", "sin calefacción", "monóxido de carbono"} {
		if !slices.Contains(d.EmergencyWords, w) {
			t.Errorf("%q is not an emergency word by default", w)
		}
	}
	if _, err := (backend.AttentionUpdate{QuietHours: d.QuietHours, EmergencyWords: d.EmergencyWords}).Validate(); err != nil {
		t.Errorf("the default words are refused: %v", err)
	}
	d.EmergencyWords[0] = "changed"
	if backend.DefaultEmergencyWords[0] == "changed" {
		t.Error("the defaults share their words")
	}
}

func TestHeldSummary(t *testing.T) {
	for _, c := range []struct {
		msgs, convs int
		want        string
	}{
		{5, 3, "5 new messages in 3 conversations"},
		{1, 1, "1 new message in 1 conversation"},
		{2, 1, "2 new messages in 1 conversation"},
	} {
		if got := backend.HeldSummary(c.msgs, c.convs); got != c.want {
			t.Errorf("HeldSummary(%d, %d) = %q, want %q", c.msgs, c.convs, got, c.want)
		}
	}
	if got := backend.UrgentTitle("Maria Garcia"); got != "Urgent — Maria Garcia" {
		t.Errorf("UrgentTitle = %q", got)
	}
}

func TestMayMarkUrgent(t *testing.T) {
	tenant := backend.Principal{Kind: backend.KindTenant, ID: 1}
	landlord := backend.Principal{Kind: backend.KindUser, ID: 1, IsMain: true}
	urgent := backend.SendMessage{Key: "k1234567", Text: "fire", Urgent: true}
	if err := urgent.MayMarkUrgent(tenant); err != nil {
		t.Errorf("a tenant: %v", err)
	}
	if err := urgent.MayMarkUrgent(landlord); backend.ErrorCode(err) != backend.EINVALID {
		t.Errorf("the landlord: err = %v", err)
	}
	if err := (backend.SendMessage{Text: "hi"}).MayMarkUrgent(landlord); err != nil {
		t.Errorf("an ordinary landlord message: %v", err)
	}
}

func TestMuteEnd(t *testing.T) {
	loc, _ := time.LoadLocation("America/Chicago")
	now := chicago(t, "2026-06-15 22:10")
	for choice, want := range map[string]string{backend.MuteForAnHour: "2026-06-15 23:10", backend.MuteUntilMorning: "2026-06-16 08:00"} {
		got, err := backend.MuteEnd(choice, now, loc)
		if err != nil || got == nil || !got.Equal(chicago(t, want)) {
			t.Errorf("%s: %v, %v; want %s", choice, got, err, want)
		}
	}
	if got, err := backend.MuteEnd(backend.MuteUntilUnmuted, now, loc); got != nil || err != nil {
		t.Errorf("until unmuted: %v, %v", got, err)
	}
	if _, err := backend.MuteEnd("week", now, loc); backend.ErrorCode(err) != backend.EINVALID {
		t.Errorf("unknown choice: %v", err)
	}
}

func TestUrgentMarks(t *testing.T) {
	tenant := backend.Sender{Kind: backend.KindTenant, ID: 3, Name: "Maria Garcia"}
	landlord := backend.Sender{Kind: backend.KindUser, ID: 1, Name: "Pat Morgan"}
	msgs := []backend.Message{
		{Seq: 1, Sender: tenant, Text: "Thanks!"},
		{Seq: 2, Sender: tenant, Text: "Water is coming through the ceiling, a leak upstairs"},
		{Seq: 3, Sender: tenant, Text: "Please come when you can", Urgent: true},
		{Seq: 4, Sender: landlord, Text: "Is there a leak?"},
		{Seq: 5, Sender: tenant, Text: "The firewood is stacked"},
	}
	got := backend.UrgentMarks(msgs, backend.DefaultEmergencyWords)
	want := []backend.UrgentMark{
		{Seq: 2, Reason: "It holds the emergency word \u201cleak\u201d."},
		{Seq: 3, Reason: "The tenant marked this message urgent."},
	}
	if !slices.Equal(got, want) {
		t.Errorf("backend.UrgentMarks = %+v, want %+v (the landlord's own words and firewood are not urgent)", got, want)
	}
	if got := backend.UrgentMarks(nil, backend.DefaultEmergencyWords); got == nil || len(got) != 0 {
		t.Errorf("backend.UrgentMarks(nil) = %#v, want an empty list", got)
	}
}

func TestMutesInForceAndTheirLabels(t *testing.T) {
	ny, _ := time.LoadLocation("America/New_York")
	now := time.Date(2026, 11, 28, 22, 0, 0, 0, ny) // Saturday evening
	at := func(d, h, m int) *time.Time { v := time.Date(2026, 11, d, h, m, 0, 0, ny); return &v }
	s := backend.AttentionSettings{Mutes: []backend.Mute{
		{ConversationID: 1, Until: at(28, 23, 0)},
		{ConversationID: 2, Until: at(29, 8, 0)},
		{ConversationID: 3, Until: nil},
		{ConversationID: 4, Until: at(28, 21, 59)}, // over
		{ConversationID: 5, Until: at(30, 8, 0)},
	}}
	got := backend.MutesInForce(s, now, ny)
	want := map[int64]string{1: "Muted until 23:00", 2: "Muted until tomorrow 08:00", 3: "Muted until unmuted", 5: "Muted until Mon 30 Nov 08:00"}
	if len(got) != len(want) {
		t.Fatalf("in force: %+v", got)
	}
	for _, m := range got {
		if want[m.ConversationID] != m.Label {
			t.Errorf("conversation %d: %q, want %q", m.ConversationID, m.Label, want[m.ConversationID])
		}
	}
	// The same instant read in another zone is another day.
	if l := backend.MuteLabel(at(29, 8, 0), now, time.UTC); l != "Muted until 13:00" {
		t.Errorf("in UTC (already the 29th there): %q", l)
	}
}

func TestNameMatches(t *testing.T) {
	for _, tc := range []struct {
		name, query string
		want        bool
	}{
		{"Olivia Brown", "oli bro", true},
		{"Olivia Brown", "brown", true},
		{"José Álvarez", "jose alv", true},
		{"Riverside Lofts · 101", "101", true},
		{"Riverside Lofts · 101", "lofts river", true},
		{"Olivia Brown", "livia", false}, // words begin where the name's do
		{"Olivia Brown", "olivia green", false},
		{"Olivia Brown", "", false},
		{"Olivia Brown", "  · ", false},
	} {
		if got := backend.NameMatches(tc.name, tc.query); got != tc.want {
			t.Errorf("NameMatches(%q, %q) = %v", tc.name, tc.query, got)
		}
	}
}
