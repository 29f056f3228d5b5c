package backend

import (
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// Attention: when the desktop app interrupts the landlord. A conversation
// can be muted, a weekly schedule of quiet hours holds notifications back,
// and an urgent message (marked so by a tenant, or holding one of the
// landlord's emergency words) breaks through both. The settings live on the
// server, per landlord user, so every device of theirs agrees; the decision
// is made on the desktop, by the functions below.

// Quiet-hours modes of one weekday.
const (
	QuietOff    = "off"     // no quiet hours that day
	QuietAllDay = "all_day" // the whole day, midnight to midnight
	QuietHours  = "hours"   // from From to To; a To not after From ends the next day
)

// QuietDay is one weekday's quiet hours. From and To are "HH:MM" (24-hour)
// in the schedule's time zone, used only in QuietHours mode.
type QuietDay struct {
	Mode string `json:"mode"`
	From string `json:"from,omitempty"`
	To   string `json:"to,omitempty"`
}

// QuietSchedule is the weekly schedule of quiet hours, in the landlord's
// time zone (an IANA name, sent by the desktop). Days is indexed by
// time.Weekday: 0 is Sunday.
type QuietSchedule struct {
	TimeZone string      `json:"time_zone"`
	Days     [7]QuietDay `json:"days"`
}

// Mute silences one conversation's notifications until a time, or until
// unmuted (Until nil).
type Mute struct {
	ConversationID int64      `json:"conversation_id"`
	Until          *time.Time `json:"until"`
}

// AttentionSettings are a landlord user's settings for notifications.
type AttentionSettings struct {
	QuietHours     QuietSchedule `json:"quiet_hours"`
	EmergencyWords []string      `json:"emergency_words"`
	Mutes          []Mute        `json:"mutes"`
	// UpdatedAt is when they were last changed (zero: never; the defaults).
	UpdatedAt time.Time `json:"updated_at"`
}

// AttentionUpdate is the body of PUT /api/v1/settings/attention: the
// schedule and the emergency words, replaced whole. Mutes have endpoints of
// their own, so that muting one conversation on one device never undoes a
// change made to the schedule on another.
type AttentionUpdate struct {
	QuietHours     QuietSchedule `json:"quiet_hours"`
	EmergencyWords []string      `json:"emergency_words"`
}

// MuteRequest is the body of PUT /api/v1/conversations/{id}/mute: until a
// time, or with until null (or absent), until unmuted.
type MuteRequest struct {
	Until *time.Time `json:"until"`
}

// DefaultEmergencyWords are the emergency words of a landlord who has not
// chosen their own: what a tenant writes when something cannot wait, in
// English and in Spanish (the portal's languages). Their last word matches
// its inflections too (see MatchesEmergencyWord): "leak" finds "leaks" and
// "leaking", "no heat" finds "no heating". Only a landlord who never saved
// words gets these: a saved list is theirs, stored as it was saved.
var DefaultEmergencyWords = []string{
	"leak", "flood", "fire", "smoke", "gas", "no heat", "no hot water", "no water",
	"no power", "break-in", "broken into", "burst pipe", "sewage", "carbon monoxide", "emergency",
	"burst", "through the ceiling", "broke in", "broke into",
	"fuga", "gotera", "inundación", "inundado", "inundada", "se inundó", "incendio", "fuego", "humo",
	"olor a gas", "huele a gas", "sin calefacción", "sin agua", "sin luz", "tubería rota", "reventó",
	"aguas negras", "monóxido de carbono", "robo", "robaron", "emergencia",
}

// DefaultAttentionSettings are the settings of a landlord user who never
// saved any: no quiet hours (in UTC until the desktop sends its zone), the
// default emergency words, nothing muted.
func DefaultAttentionSettings() AttentionSettings {
	s := AttentionSettings{QuietHours: QuietSchedule{TimeZone: "UTC"}, EmergencyWords: slices.Clone(DefaultEmergencyWords), Mutes: []Mute{}}
	for d := range s.QuietHours.Days {
		s.QuietHours.Days[d] = QuietDay{Mode: QuietOff}
	}
	return s
}

// Limits of the attention settings.
const (
	MaxEmergencyWords     = 100
	MaxEmergencyWordRunes = 60
)

// Validate checks an update and returns it tidied: words trimmed, blank
// ones dropped. A word repeated (as IsUrgent compares them: case and
// accents do not count) is refused with a sentence saying which.
func (u AttentionUpdate) Validate() (AttentionUpdate, error) {
	if err := u.QuietHours.Validate(); err != nil {
		return u, err
	}
	if len(u.EmergencyWords) > MaxEmergencyWords {
		return u, Errorf(EINVALID, "Keep at most %d emergency words.", MaxEmergencyWords)
	}
	words := []string{}
	seen := map[string]string{} // the words kept, by how IsUrgent compares them
	for _, w := range u.EmergencyWords {
		w = strings.Join(strings.Fields(w), " ")
		if !utf8.ValidString(w) || strings.IndexFunc(w, unicode.IsControl) >= 0 {
			return u, Errorf(EINVALID, "An emergency word holds characters that are not text.")
		}
		if utf8.RuneCountInString(w) > MaxEmergencyWordRunes {
			return u, Errorf(EINVALID, "An emergency word can be at most %d characters.", MaxEmergencyWordRunes)
		}
		key := strings.Join(foldWords(w), " ")
		if key == "" {
			continue
		}
		if first, ok := seen[key]; ok {
			return u, ErrRepeatedEmergencyWord(w, first)
		}
		seen[key] = w
		words = append(words, w)
	}
	u.EmergencyWords = words
	return u, nil
}

// ErrRepeatedEmergencyWord refuses word, the same emergency word as first
// once case and accents are ignored.
func ErrRepeatedEmergencyWord(word, first string) error {
	if word == first {
		return Errorf(EINVALID, "“%s” is in the emergency words twice; remove one.", word)
	}
	return Errorf(EINVALID, "“%s” is the same emergency word as “%s” (case and accents do not count); remove one.", word, first)
}

// Validate checks a schedule: a known time zone, a known mode each day,
// and times "HH:MM" that differ.
func (s QuietSchedule) Validate() error {
	if _, err := s.Location(); err != nil {
		return err
	}
	for d, day := range s.Days {
		switch day.Mode {
		case QuietOff, QuietAllDay:
		case QuietHours:
			from, okFrom := clockMinutes(day.From)
			to, okTo := clockMinutes(day.To)
			if !okFrom || !okTo {
				return Errorf(EINVALID, "Quiet hours on %s need a start and an end, such as 21:00 and 07:30.", time.Weekday(d))
			}
			if from == to {
				return Errorf(EINVALID, "Quiet hours on %s start and end at the same time; choose all day instead.", time.Weekday(d))
			}
		default:
			return Errorf(EINVALID, "Quiet hours on %s must be off, all day, or from one time to another.", time.Weekday(d))
		}
	}
	return nil
}

// Location is the schedule's time zone.
func (s QuietSchedule) Location() (*time.Location, error) {
	// time.LoadLocation also reads a path relative to the zone database;
	// only a plain IANA name is a time zone here.
	if s.TimeZone == "" || strings.Contains(s.TimeZone, "..") || strings.HasPrefix(s.TimeZone, "/") || len(s.TimeZone) > 64 {
		return nil, Errorf(EINVALID, "Choose a time zone for quiet hours.")
	}
	loc, err := time.LoadLocation(s.TimeZone)
	if err != nil {
		return nil, Errorf(EINVALID, "%q is not a time zone this server knows.", s.TimeZone)
	}
	return loc, nil
}

// clockMinutes reads "HH:MM" as minutes after midnight.
func clockMinutes(s string) (int, bool) {
	t, err := time.Parse("15:04", s)
	if err != nil || len(s) != 5 {
		return 0, false
	}
	return t.Hour()*60 + t.Minute(), true
}

// Validate refuses a mute that would already be over at now.
func (m MuteRequest) Validate(now time.Time) error {
	if m.Until != nil && !m.Until.After(now) {
		return Errorf(EINVALID, "A mute must end in the future.")
	}
	return nil
}

// Muted reports whether conversation convID is muted at now.
func Muted(s AttentionSettings, convID int64, now time.Time) bool {
	for _, m := range s.Mutes {
		if m.ConversationID == convID {
			return m.Until == nil || m.Until.After(now)
		}
	}
	return false
}

// MuteState is a mute in force, as the conversation list shows it.
type MuteState struct {
	ConversationID int64      `json:"conversation_id"`
	Until          *time.Time `json:"until"` // nil: until unmuted
	// Label says until when, in the landlord's zone: "Muted until 08:00",
	// "Muted until tomorrow 08:00", "Muted until Mon 30 Nov 08:00",
	// "Muted until unmuted".
	Label string `json:"label"`
}

// MutesInForce are the mutes of s that hold at now (see Muted), labelled
// by the clock of loc.
func MutesInForce(s AttentionSettings, now time.Time, loc *time.Location) []MuteState {
	out := []MuteState{}
	for _, m := range s.Mutes {
		if Muted(s, m.ConversationID, now) {
			out = append(out, MuteState{ConversationID: m.ConversationID, Until: m.Until, Label: MuteLabel(m.Until, now, loc)})
		}
	}
	return out
}

// MuteLabel says until when a conversation is muted.
func MuteLabel(until *time.Time, now time.Time, loc *time.Location) string {
	if until == nil {
		return "Muted until unmuted"
	}
	end, today := until.In(loc), now.In(loc)
	y, m, d := end.Date()
	ty, tm, td := today.Date()
	switch {
	case y == ty && m == tm && d == td:
		return "Muted until " + end.Format("15:04")
	case end.Year() == today.AddDate(0, 0, 1).Year() && end.YearDay() == today.AddDate(0, 0, 1).YearDay():
		return "Muted until tomorrow " + end.Format("15:04")
	}
	return "Muted until " + end.Format("Mon 2 Jan 15:04")
}

// InQuietHours reports whether now falls in the schedule's quiet hours, by
// the clock of its time zone. Hours that end the next day ("21:00"–"07:30")
// belong to the day they start on. A schedule that cannot be read has none.
func InQuietHours(s QuietSchedule, now time.Time) bool {
	loc, err := s.Location()
	if err != nil {
		return false
	}
	local := now.In(loc)
	minute := local.Hour()*60 + local.Minute()
	today := s.Days[local.Weekday()]
	switch today.Mode {
	case QuietAllDay:
		return true
	case QuietHours:
		from, _ := clockMinutes(today.From)
		to, _ := clockMinutes(today.To)
		if from < to && minute >= from && minute < to || from > to && minute >= from {
			return true
		}
	}
	yesterday := s.Days[(local.Weekday()+6)%7]
	if yesterday.Mode == QuietHours {
		from, _ := clockMinutes(yesterday.From)
		to, _ := clockMinutes(yesterday.To)
		return from > to && minute < to
	}
	return false
}

// QuietHoursEnd is when the quiet hours under way at now end: the first
// moment after now outside them (ok false when now is not in quiet hours,
// or they never end: every day all day).
func QuietHoursEnd(s QuietSchedule, now time.Time) (end time.Time, ok bool) {
	if !InQuietHours(s, now) {
		return time.Time{}, false
	}
	loc, _ := s.Location()
	local := now.In(loc)
	// Quiet hours can only end at a day's To or at a midnight: look at
	// those of the next eight days, in order.
	var candidates []time.Time
	for d := -1; d <= 8; d++ {
		day := time.Date(local.Year(), local.Month(), local.Day()+d, 0, 0, 0, 0, loc)
		candidates = append(candidates, day)
		rule := s.Days[day.Weekday()]
		if rule.Mode != QuietHours {
			continue
		}
		from, _ := clockMinutes(rule.From)
		to, _ := clockMinutes(rule.To)
		endDay := day
		if to < from {
			endDay = day.AddDate(0, 0, 1)
		}
		candidates = append(candidates, time.Date(endDay.Year(), endDay.Month(), endDay.Day(), to/60, to%60, 0, 0, loc))
	}
	slices.SortFunc(candidates, func(a, b time.Time) int { return a.Compare(b) })
	for _, c := range candidates {
		if c.After(now) && !InQuietHours(s, c) {
			return c, true
		}
	}
	return time.Time{}, false
}

// MorningHour is the hour "until tomorrow morning" ends at.
const MorningHour = 8

// TomorrowMorning is when a mute "until tomorrow morning" ends: 08:00 on the
// next day in loc. Before 04:00 the night is not over yet, and "tomorrow
// morning" is the coming one, 08:00 the same day.
func TomorrowMorning(now time.Time, loc *time.Location) time.Time {
	local := now.In(loc)
	day := local.Day() + 1
	if local.Hour() < 4 {
		day = local.Day()
	}
	return time.Date(local.Year(), local.Month(), day, MorningHour, 0, 0, 0, loc)
}

// UrgentMark says why a message of a thread is urgent, for the mark the
// thread shows beside it.
type UrgentMark struct {
	Seq    int64  `json:"seq"`
	Reason string `json:"reason"`
}

// UrgentMarks are the urgent messages among msgs, by the rule the
// notifications follow (IsUrgent), each with the sentence saying why.
func UrgentMarks(msgs []Message, words []string) []UrgentMark {
	marks := []UrgentMark{}
	for _, m := range msgs {
		if m.Sender.Kind != KindTenant {
			continue
		}
		if m.Urgent {
			marks = append(marks, UrgentMark{Seq: m.Seq, Reason: "The tenant marked this message urgent."})
		} else if w := MatchesEmergencyWord(m.Text, words); w != "" {
			marks = append(marks, UrgentMark{Seq: m.Seq, Reason: fmt.Sprintf("It holds the emergency word “%s”.", w)})
		}
	}
	return marks
}

// IsUrgent reports whether a message should break through mute and quiet
// hours: its sender marked it urgent, or its text holds one of words. Words
// match whole words (and phrases, whole words in a row), ignoring case and
// accents and the punctuation between them, the last word in any of its
// inflections (see inflections): "fire" matches "Fire!", "FÏRE" and
// "fires" but not "firewood"; "break-in" matches "break in".
func IsUrgent(m Message, words []string) bool {
	if m.Urgent {
		return true
	}
	return MatchesEmergencyWord(m.Text, words) != ""
}

// MatchesEmergencyWord returns the first of words that text holds (see
// IsUrgent), or "".
func MatchesEmergencyWord(text string, words []string) string {
	tokens := foldWords(text)
	for _, w := range words {
		phrase := foldWords(w)
		if len(phrase) == 0 {
			continue
		}
		head, forms := phrase[:len(phrase)-1], inflections(phrase[len(phrase)-1])
		for i := 0; i+len(phrase) <= len(tokens); i++ {
			if slices.Equal(tokens[i:i+len(head)], head) && slices.Contains(forms, tokens[i+len(head)]) {
				return w
			}
		}
	}
	return ""
}

// inflections are word (folded) and the forms a tenant writes it in, so
// that a landlord lists a word once: the usual English endings, which give
// the Spanish plurals too. It is a rule, not a dictionary: "leak" gives
// leaks, leaked, leaking; "smoke" smokes, smoked, smoking; "gas" gases,
// gassed; "emergency" emergencies; "inundacion" inundaciones. Nonsense
// forms it also makes ("leakes") are harmless: nobody writes them. Only
// endings are added, so a word never matches a longer one ("firewood").
func inflections(word string) []string {
	forms := []string{word, word + "s"}
	n := len(word)
	if n < 2 || word[n-1] >= utf8.RuneSelf || word[n-2] >= utf8.RuneSelf { // English endings are for Latin letters
		return forms
	}
	last, before := word[n-1], word[n-2]
	switch {
	case last == 'e':
		forms = append(forms, word+"d", word[:n-1]+"ing")
	case last == 'y' && !isVowel(before):
		forms = append(forms, word[:n-1]+"ies", word[:n-1]+"ied", word+"ing")
	default:
		forms = append(forms, word+"ed", word+"ing")
		if !isVowel(last) {
			forms = append(forms, word+"es")
		}
		// A short vowel before one consonant doubles it: gassed, stopped.
		if !isVowel(last) && isVowel(before) && !strings.ContainsRune("wxy", rune(last)) && (n == 2 || !isVowel(word[n-3])) {
			double := word + string(last)
			forms = append(forms, double+"ed", double+"ing", double+"es")
		}
	}
	return forms
}

func isVowel(c byte) bool { return strings.IndexByte("aeiou", c) >= 0 }

// NameMatches reports whether every word of query begins a word of name
// (case and accents ignored): how a conversation is found by its title,
// as the landlord types "oli bro" for Olivia Brown. An empty query matches
// nothing.
func NameMatches(name, query string) bool {
	want := foldWords(query)
	if len(want) == 0 {
		return false
	}
	have := foldWords(name)
	for _, w := range want {
		if !slices.ContainsFunc(have, func(h string) bool { return strings.HasPrefix(h, w) }) {
			return false
		}
	}
	return true
}

// foldWords splits s into words (runs of letters and digits), each lower
// case and without accents.
func foldWords(s string) []string {
	var words []string
	var b strings.Builder
	flush := func() {
		if b.Len() > 0 {
			words = append(words, b.String())
			b.Reset()
		}
	}
	for _, r := range s {
		switch {
		case unicode.Is(unicode.Mn, r): // a combining accent: part of the letter before it
		case unicode.IsLetter(r) || unicode.IsDigit(r):
			b.WriteString(foldLetter(r))
		default:
			flush()
		}
	}
	flush()
	return words
}

// foldLetter is a letter in lower case without its accent. The standard
// library has no Unicode decomposition, so the Latin letters with accents
// people type are listed; others are compared as they are, in lower case.
func foldLetter(r rune) string {
	r = unicode.ToLower(r)
	if base, ok := unaccented[r]; ok {
		return base
	}
	return string(r)
}

var unaccented = func() map[rune]string {
	m := map[rune]string{'ß': "ss", 'æ': "ae", 'œ': "oe", 'ø': "o", 'đ': "d", 'ł': "l", 'ı': "i"}
	for base, accented := range map[string]string{
		"a": "àáâãäåāăą", "c": "çćĉċč", "d": "ď", "e": "èéêëēĕėęě", "g": "ĝğġģ", "h": "ĥħ",
		"i": "ìíîïĩīĭį", "j": "ĵ", "k": "ķ", "l": "ĺļľŀ", "n": "ñńņňŉ", "o": "òóôõöōŏő",
		"r": "ŕŗř", "s": "śŝşšș", "t": "ţťŧț", "u": "ùúûüũūŭůűų", "w": "ŵ", "y": "ýÿŷ", "z": "źżž",
	} {
		for _, r := range accented {
			if string(r) != base {
				m[r] = base
			}
		}
	}
	return m
}()

// UrgentTitle is the title of an urgent message's notification, so it
// stands apart from the others: "Urgent — Maria Garcia".
func UrgentTitle(title string) string { return "Urgent — " + title }

// QuietHoursSummaryTitle is the title of the notification that sums up what
// quiet hours held back.
const QuietHoursSummaryTitle = "While quiet hours were on"

// HeldSummary is the body of that notification: "5 new messages in 3
// conversations".
func HeldSummary(messages, conversations int) string {
	return fmt.Sprintf("%d new %s in %d %s", messages, plural(messages, "message", "messages"),
		conversations, plural(conversations, "conversation", "conversations"))
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// ErrUrgentFromLandlord refuses the urgent mark on a landlord's message:
// it is how a tenant reaches the landlord in an emergency.
var ErrUrgentFromLandlord = Errorf(EINVALID, "Only tenants can mark a message urgent.")

// MayMarkUrgent refuses the urgent mark to anyone but a tenant.
func (m SendMessage) MayMarkUrgent(p Principal) error {
	if m.Urgent && p.Kind != KindTenant {
		return ErrUrgentFromLandlord
	}
	return nil
}

// How long a conversation is muted, as the desktop's Mute menu offers it.
const (
	MuteForAnHour    = "hour"
	MuteUntilMorning = "morning"
	MuteUntilUnmuted = "unmuted"
)

// MuteEnd is when a mute chosen at now ends, in the landlord's zone loc
// (nil: until unmuted).
func MuteEnd(choice string, now time.Time, loc *time.Location) (*time.Time, error) {
	var end time.Time
	switch choice {
	case MuteForAnHour:
		end = now.Add(time.Hour)
	case MuteUntilMorning:
		end = TomorrowMorning(now, loc)
	case MuteUntilUnmuted:
		return nil, nil
	default:
		return nil, Errorf(EINVALID, "Mute for an hour, until tomorrow morning, or until unmuted.")
	}
	return &end, nil
}
