package backend

import (
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// Message templates: texts the landlord keeps (per organisation, on the
// server) with merge fields such as {{tenant.first_name}} or {{rent}},
// filled in on the desktop with the values of one conversation and put in
// the message box for the landlord to read, edit and send. A field is
// filled only when it has one value for everyone who will read the
// message; anything else is refused with a sentence, never sent as a gap.

// Limits of templates.
const (
	MaxTemplates         = 50
	MaxTemplateNameRunes = 60
	MaxTemplateRunes     = 5_000
)

// Template is one of an organisation's message templates.
type Template struct {
	ID   int64  `json:"id"`
	Name string `json:"name"`
	Text string `json:"text"`
	// UpdatedAt is when it was created or last changed.
	UpdatedAt time.Time `json:"updated_at"`
}

// TemplateDraft is the body of POST /api/v1/templates and PUT
// /api/v1/templates/{id}: a template's name and text, replaced whole.
type TemplateDraft struct {
	Name string `json:"name"`
	Text string `json:"text"`
}

// fieldScope says what a field's value depends on, which decides whether
// it can be filled in a group chat.
type fieldScope int

const (
	scopeSender fieldScope = iota // the landlord and the day: the same for everyone
	scopeTenant                   // each tenant's own
	scopeUnit                     // the unit's: shared by everyone in a unit's group chat
	scopeLease                    // the lease's: shared only by tenants on one lease
)

// TemplateField is a merge field a template may use.
type TemplateField struct {
	// Name is written in a template between double braces: {{unit}}.
	Name string `json:"name"`
	// Description says what it is filled with.
	Description string `json:"description"`
	scope       fieldScope
}

// The merge fields.
const (
	FieldTenantFirstName = "tenant.first_name"
	FieldTenantName      = "tenant.name"
	FieldUnit            = "unit"
	FieldProperty        = "property"
	FieldAddress         = "address"
	FieldLeaseStart      = "lease.start"
	FieldLeaseEnd        = "lease.end"
	FieldRent            = "rent"
	FieldDeposit         = "deposit"
	FieldLandlordName    = "landlord.name"
	FieldToday           = "today"
)

// TemplateFields are the merge fields, in the order the editor lists them.
var TemplateFields = []TemplateField{
	{FieldTenantFirstName, "The tenant's first name", scopeTenant},
	{FieldTenantName, "The tenant's full name", scopeTenant},
	{FieldUnit, "The unit, such as 1A", scopeUnit},
	{FieldProperty, "The property's name", scopeUnit},
	{FieldAddress, "The property's street address", scopeUnit},
	{FieldLeaseStart, "The day the lease starts", scopeLease},
	{FieldLeaseEnd, "The day the lease ends", scopeLease},
	{FieldRent, "The monthly rent, in your currency", scopeLease},
	{FieldDeposit, "The deposit, in your currency", scopeLease},
	{FieldLandlordName, "Your name", scopeSender},
	{FieldToday, "Today's date", scopeSender},
}

func templateField(name string) (TemplateField, bool) {
	i := slices.IndexFunc(TemplateFields, func(f TemplateField) bool { return f.Name == name })
	if i < 0 {
		return TemplateField{}, false
	}
	return TemplateFields[i], true
}

// TemplateProblem is one mistake in a template's text, as the editor lists
// it: Snippet is the part of the text at fault, Message the sentence.
type TemplateProblem struct {
	Snippet string `json:"snippet"`
	Message string `json:"message"`
}

// templatePart is a piece of a parsed template: text as it is, or a field.
type templatePart struct {
	text  string
	field string // a known field's name; "" for text
}

// CheckTemplate lists the mistakes in a template's text, in the order they
// appear: fields that are not fields (with the field meant, when it can
// tell), a {{ never closed, a }} that closes nothing, an empty {{}}. None
// means the text can be saved. Text outside the braces is never a mistake:
// it is sent as written, HTML and all, and shown as text.
func CheckTemplate(text string) []TemplateProblem {
	_, problems := parseTemplate(text)
	return problems
}

func parseTemplate(text string) ([]templatePart, []TemplateProblem) {
	var parts []templatePart
	var problems []TemplateProblem
	var lit strings.Builder
	flush := func() {
		if lit.Len() > 0 {
			parts = append(parts, templatePart{text: lit.String()})
			lit.Reset()
		}
	}
	for i := 0; i < len(text); {
		open, closing := strings.Index(text[i:], "{{"), strings.Index(text[i:], "}}")
		if open < 0 && closing < 0 {
			lit.WriteString(text[i:])
			break
		}
		if closing >= 0 && (open < 0 || closing < open) {
			at := i + closing
			problems = append(problems, TemplateProblem{Snippet: "}}", Message: strayClose(text[:at])})
			lit.WriteString(text[i : at+2])
			i = at + 2
			continue
		}
		at := i + open
		lit.WriteString(text[i:at])
		rest := text[at+2:]
		end, next := strings.Index(rest, "}}"), strings.Index(rest, "{{")
		if end < 0 || (next >= 0 && next < end) {
			upTo := firstLine(rest)
			if next >= 0 && next < len(upTo) {
				upTo = upTo[:next] // the next field is not part of this one
			}
			snippet := "{{" + clip(strings.TrimRight(upTo, " \t"), 20)
			problems = append(problems, TemplateProblem{Snippet: snippet,
				Message: fmt.Sprintf("%s opens a field that is never closed: end it with }}, or remove the {{.", snippet)})
			lit.WriteString("{{")
			i = at + 2
			continue
		}
		raw := rest[:end]
		i = at + 2 + end + 2
		written := "{{" + clip(raw, 40) + "}}"
		name := strings.TrimSpace(raw)
		if name == "" {
			problems = append(problems, TemplateProblem{Snippet: written,
				Message: fmt.Sprintf("%s is an empty field: write a field's name between the braces, such as {{unit}}.", written)})
			lit.WriteString(text[at:i])
			continue
		}
		if _, ok := templateField(name); !ok {
			msg := fmt.Sprintf("%s is not a field: choose one from the list of fields.", written)
			if meant := suggestField(name); meant != "" {
				msg = fmt.Sprintf("%s is not a field: did you mean {{%s}}?", written, meant)
			}
			problems = append(problems, TemplateProblem{Snippet: written, Message: msg})
			lit.WriteString(text[at:i])
			continue
		}
		flush()
		parts = append(parts, templatePart{field: name})
	}
	flush()
	return parts, problems
}

// strayClose is the sentence for a }} that closes no field; before is the
// text in front of it.
func strayClose(before string) string {
	before = strings.TrimSpace(lastLine(before))
	if before == "" {
		return "A }} at the start of a line closes no field: write a field as {{unit}}, or remove the }}."
	}
	if n := utf8.RuneCountInString(before); n > 20 {
		before = "…" + string([]rune(before)[n-20:])
	}
	return fmt.Sprintf("The }} after “%s” closes no field: write a field as {{unit}}, or remove the }}.", before)
}

func firstLine(s string) string {
	if i := strings.IndexAny(s, "\r\n"); i >= 0 {
		return s[:i]
	}
	return s
}

func lastLine(s string) string {
	if i := strings.LastIndexAny(s, "\r\n"); i >= 0 {
		return s[i+1:]
	}
	return s
}

// clip shortens s to n characters, with an ellipsis when it was longer.
func clip(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	return string([]rune(s)[:n]) + "…"
}

// suggestField names the field a mistyped name most likely meant, or "":
// the same letters and digits in another case or with other separators
// ("Tenant First Name"), the part after the dot alone ("first_name"), or
// a name a few typing slips away ("tenant.frist_name").
func suggestField(name string) string {
	key := fieldKey(name)
	if key == "" {
		return ""
	}
	best, bestDist := "", 4
	for _, f := range TemplateFields {
		full := fieldKey(f.Name)
		short := fieldKey(f.Name[strings.LastIndex(f.Name, ".")+1:])
		if key == full || key == short {
			return f.Name
		}
		limit := max(1, min(3, len([]rune(full))/4))
		if d := editDistance(key, full); d <= limit && d < bestDist {
			best, bestDist = f.Name, d
		}
		if d := editDistance(key, short); d <= 1 && d < bestDist {
			best, bestDist = f.Name, d
		}
	}
	return best
}

// fieldKey is a field name's letters and digits, in lower case.
func fieldKey(s string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(s) {
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			b.WriteRune(r)
		}
	}
	return b.String()
}

// editDistance counts the insertions, deletions, substitutions and swaps of
// neighbours that turn a into b (optimal string alignment).
func editDistance(a, b string) int {
	x, y := []rune(a), []rune(b)
	if len(x) > 100 || len(y) > 100 {
		return 100 // nothing that long is a field name
	}
	d := make([][]int, len(x)+1)
	for i := range d {
		d[i] = make([]int, len(y)+1)
		d[i][0] = i
	}
	for j := range d[0] {
		d[0][j] = j
	}
	for i := 1; i <= len(x); i++ {
		for j := 1; j <= len(y); j++ {
			cost := 1
			if x[i-1] == y[j-1] {
				cost = 0
			}
			d[i][j] = min(d[i-1][j]+1, d[i][j-1]+1, d[i-1][j-1]+cost)
			if i > 1 && j > 1 && x[i-1] == y[j-2] && x[i-2] == y[j-1] {
				d[i][j] = min(d[i][j], d[i-2][j-2]+1)
			}
		}
	}
	return d[len(x)][len(y)]
}

// Validate checks a template before it is stored and returns it tidied: the
// name trimmed, with its inner spaces collapsed. A text with any mistake
// (CheckTemplate) is refused with the first one's sentence.
func (d TemplateDraft) Validate() (TemplateDraft, error) {
	if len(d.Text) > 4*MaxTemplateRunes || utf8.RuneCountInString(d.Text) > MaxTemplateRunes {
		return d, Errorf(ETOOLARGE, "A template can be at most %s characters.", groupThousands(MaxTemplateRunes))
	}
	if !utf8.ValidString(d.Name) || !utf8.ValidString(d.Text) {
		return d, Errorf(EINVALID, "The template is not valid UTF-8 text.")
	}
	d.Name = strings.Join(strings.Fields(d.Name), " ")
	switch {
	case d.Name == "":
		return d, Errorf(EINVALID, "Give the template a name.")
	case utf8.RuneCountInString(d.Name) > MaxTemplateNameRunes:
		return d, Errorf(EINVALID, "A template's name can be at most %d characters.", MaxTemplateNameRunes)
	case strings.IndexFunc(d.Name, unicode.IsControl) >= 0:
		return d, Errorf(EINVALID, "The template's name holds control characters.")
	case hasControl(d.Text):
		return d, Errorf(EINVALID, "The template's text holds control characters.")
	case isBlank(d.Text):
		return d, Errorf(EINVALID, "Write the template's text.")
	}
	if problems := CheckTemplate(d.Text); len(problems) > 0 {
		msg := problems[0].Message
		if n := len(problems) - 1; n == 1 {
			msg += " (And 1 more mistake.)"
		} else if n > 1 {
			msg += fmt.Sprintf(" (And %d more mistakes.)", n)
		}
		return d, Errorf(EINVALID, "%s", msg)
	}
	return d, nil
}

// hasControl reports control characters other than tab and line breaks,
// as a message refuses them (SendMessage.Validate).
func hasControl(s string) bool {
	return strings.IndexFunc(s, func(r rune) bool { return unicode.IsControl(r) && r != '\t' && r != '\n' && r != '\r' }) >= 0
}

// SameTemplateName reports whether two template names are the same to the
// landlord (case aside): an organisation keeps one template of a name.
func SameTemplateName(a, b string) bool { return strings.EqualFold(a, b) }

// Refusals of the template store.
var (
	ErrNoTemplate        = Errorf(ENOTFOUND, "There is no such template; it may have been deleted on another device.")
	ErrTooManyTemplates  = Errorf(ECONFLICT, "You can keep at most %d templates: delete one you no longer use first.", MaxTemplates)
	errTemplateNameTaken = "There is already a template named “%s”: choose another name."
)

// errMembersUnknown refuses a field of a tenant or a lease in a group chat
// when a member's record is not at hand (offline, never fetched here).
func errMembersUnknown(names []string, tag string) error {
	if len(names) == 1 {
		return Errorf(EINVALID, "The record of %s, a member of this group chat, is not available on this computer, so %s cannot be filled in here. Try again once Doorstep is online.", names[0], tag)
	}
	return Errorf(EINVALID, "The records of %s, members of this group chat, are not available on this computer, so %s cannot be filled in here. Try again once Doorstep is online.", JoinNames(names), tag)
}

// TemplatesNeedTheServer is the desktop's sentence for a template change
// made while the server cannot be reached: filling works offline, editing
// does not.
const TemplatesNeedTheServer = "Templates can be changed only while Doorstep is connected to the server. Your text is still here: save it again once you are back online."

// ErrTemplateNameTaken refuses a second template of a name.
func ErrTemplateNameTaken(name string) error { return Errorf(ECONFLICT, errTemplateNameTaken, name) }

// DefaultTemplates are the templates a new organisation starts with.
func DefaultTemplates() []TemplateDraft {
	return []TemplateDraft{
		{Name: "Rent reminder", Text: "Hi {{tenant.first_name}},\n\n" +
			"A friendly reminder that your rent of {{rent}} for {{property}}, unit {{unit}}, is due at the start of next month. " +
			"If you have already paid, thank you, and please ignore this message. " +
			"If anything makes it hard to pay on time, tell me now and we will work something out.\n\n" +
			"Thanks,\n{{landlord.name}}"},
		{Name: "Maintenance visit", Text: "Hello,\n\n" +
			"A maintenance visit is planned at {{property}}, unit {{unit}} ({{address}}), on [day] between [time] and [time], to [what will be done]. " +
			"Please reply to say whether someone will be home to let the technician in, or whether I may let them in with my key. " +
			"If that time does not suit you, suggest another and I will rearrange it.\n\n" +
			"Thanks,\n{{landlord.name}}"},
		{Name: "Lease renewal", Text: "Hi {{tenant.first_name}},\n\n" +
			"Your lease for {{property}}, unit {{unit}}, ends on {{lease.end}}, and I would be glad to have you stay. " +
			"Please let me know by [date] whether you would like to renew; I will then send you the new lease to read through before you sign.\n\n" +
			"Best regards,\n{{landlord.name}}"},
		{Name: "Move-out checklist", Text: "Hi {{tenant.first_name}},\n\n" +
			"As your lease at {{address}} ends on {{lease.end}}, here is what to do before you move out:\n\n" +
			"- Send me your forwarding address, for the return of your deposit of {{deposit}}.\n" +
			"- Empty the unit, including cupboards, the fridge and any storage space.\n" +
			"- Clean the kitchen, the bathroom and the floors, and take all rubbish away.\n" +
			"- Book the final walk-through with me.\n" +
			"- Hand back every key and fob on the day you leave.\n\n" +
			"The deposit, less any deductions we agree on at the walk-through, is returned within the time the law allows. " +
			"Ask me if anything is unclear.\n\n" +
			"{{landlord.name}}"},
	}
}

// TemplateScene is what one conversation gives a template's fields: whom
// the message will reach, on which lease, and who sends it when.
type TemplateScene struct {
	// Group is set in a unit's group chat; Place names the unit then
	// ("Property · Unit").
	Group bool
	Place string
	// Recipients are who will read the message: the tenant of a
	// one-to-one chat; the members of a group chat on an active lease of
	// its unit.
	Recipients []TemplateRecipient
	// Unknown names the members of a group chat whose record is not at
	// hand: whether they are on a lease of the unit, and what theirs
	// says, cannot be known, so fields of a tenant or a lease refuse.
	Unknown []string
	// Landlord is the sender's name; Today the date (YYYY-MM-DD) in the
	// organisation's time zone.
	Landlord string
	Today    string
	// Locale and Currency are the organisation's: dates and money are
	// written in them.
	Locale   string
	Currency string
}

// TemplateRecipient is one tenant a filled template will reach, with the
// lease the conversation is about for them (nil: none).
type TemplateRecipient struct {
	Name  string
	Lease *Lease
}

// TemplateSceneFor builds the scene of a conversation from its members'
// records (records holds at least the tenant of a one-to-one chat, or the
// members of a group chat; others are ignored), as the landlord me sees it
// at now. The lease a tenant's fields come from is their newest lease
// Active today: of the chat's unit in a group chat, any in a one-to-one
// chat. In a group chat, members with none are left out: new messages do
// not reach them; members with no record are named in Unknown.
func TemplateSceneFor(conv Conversation, records []TenantRecord, me Me, now time.Time) TemplateScene {
	loc, err := time.LoadLocation(me.TimeZone)
	if err != nil || me.TimeZone == "" {
		loc = time.UTC
	}
	today := Today(now, loc)
	scene := TemplateScene{Group: conv.Kind == ConversationGroup, Landlord: me.Name, Today: today, Locale: me.Locale, Currency: me.Currency}
	if scene.Group {
		scene.Place = conv.Title
	}
	byID := map[int64]TenantRecord{}
	for _, r := range records {
		byID[r.ID] = r
	}
	who := conv.Members
	if !scene.Group {
		who = []TenantRef{{ID: conv.TenantID, Name: conv.Title}}
	}
	for _, m := range who {
		r, ok := byID[m.ID]
		if !ok {
			if scene.Group {
				scene.Unknown = append(scene.Unknown, m.Name)
			}
			continue
		}
		var lease *Lease
		for i, l := range r.Leases {
			if l.ActiveOn(today) && (!scene.Group || l.UnitID == conv.UnitID) && (lease == nil || l.Start > lease.Start) {
				lease = &r.Leases[i]
			}
		}
		if scene.Group && lease == nil {
			continue
		}
		scene.Recipients = append(scene.Recipients, TemplateRecipient{Name: r.Name, Lease: lease})
	}
	return scene
}

// FillTemplate fills a template's fields with the scene's values. It
// refuses, with a sentence naming the field: a field whose value differs
// between the members of a group chat (a first name; lease fields when
// they are not on one lease), and a field with no value (no end on an
// open-ended lease, no rent recorded). Values are put in as they are and
// never read as fields in turn.
func FillTemplate(text string, scene TemplateScene) (string, error) {
	parts, problems := parseTemplate(text)
	if len(problems) > 0 {
		return "", Errorf(EINVALID, "This template has a mistake; correct it in Templates first. %s", problems[0].Message)
	}
	var out strings.Builder
	for _, p := range parts {
		if p.field == "" {
			out.WriteString(p.text)
			continue
		}
		v, err := scene.value(p.field)
		if err != nil {
			return "", err
		}
		out.WriteString(v)
	}
	filled := out.String()
	if utf8.RuneCountInString(filled) > MaxMessageRunes {
		return "", Errorf(ETOOLARGE, "Filled in, this template is longer than a message can be (%s characters).", groupThousands(MaxMessageRunes))
	}
	return filled, nil
}

// fieldValue is a field's value for one recipient, or why it has none
// (a missing* kind).
type fieldValue struct {
	value   string
	missing string
	leaseID int64
}

const (
	missingLease   = "lease"
	missingEnd     = "end"
	missingRent    = "rent"
	missingDeposit = "deposit"
	missingAddress = "address"
)

func (s TemplateScene) value(name string) (string, error) {
	f, _ := templateField(name)
	tag := "{{" + name + "}}"
	switch name {
	case FieldLandlordName:
		return s.Landlord, nil
	case FieldToday:
		return FormatDate(s.Today, s.Locale), nil
	}
	if len(s.Unknown) > 0 && (f.scope != scopeUnit || len(s.Recipients) == 0) {
		// Leaving them out would fill the others' values in their place.
		return "", errMembersUnknown(s.Unknown, tag)
	}
	if len(s.Recipients) == 0 {
		if s.Group {
			return "", Errorf(EINVALID, "No member of this group chat is on an active lease of %s, so %s has no value here.", s.Place, tag)
		}
		return "", Errorf(EINVALID, "This conversation's tenant is not known here yet, so %s cannot be filled in. Try again once Doorstep is online.", tag)
	}
	values := make([]fieldValue, len(s.Recipients))
	for i, r := range s.Recipients {
		values[i] = s.recipientValue(name, r)
	}
	first := values[0]
	for _, v := range values[1:] {
		differs := v.value != first.value || v.missing != first.missing
		if f.scope == scopeLease {
			differs = v.leaseID != first.leaseID
		}
		if !differs {
			continue
		}
		names := make([]string, len(s.Recipients))
		for i, r := range s.Recipients {
			names[i] = r.Name
		}
		why := ""
		if f.scope == scopeLease {
			why = ", who are not on one lease"
		}
		return "", Errorf(EINVALID, "%s differs between the members of this group chat (%s%s), so it cannot be filled in here: remove it, or write to each of them in a one-to-one chat.",
			tag, JoinNames(names), why)
	}
	if first.missing == "" {
		return first.value, nil
	}
	whose := s.Recipients[0].Name + "'s lease"
	if s.Group {
		whose = "the lease of " + s.Place
	}
	switch first.missing {
	case missingLease:
		return "", Errorf(EINVALID, "%s has no active lease, so %s has no value.", s.Recipients[0].Name, tag)
	case missingEnd:
		return "", Errorf(EINVALID, "%s is open-ended (month to month), so %s has no value: remove it, or write the date in yourself.", upperFirst(whose), tag)
	case missingRent, missingDeposit:
		return "", Errorf(EINVALID, "No %s is recorded on %s, so %s has no value: remove it, or write the amount in yourself.", first.missing, whose, tag)
	default: // missingAddress
		lease := s.Recipients[0].Lease
		return "", Errorf(EINVALID, "No street address is recorded for %s, so %s has no value: remove it, or write the address in yourself.", lease.PropertyName, tag)
	}
}

func (s TemplateScene) recipientValue(name string, r TemplateRecipient) fieldValue {
	switch name {
	case FieldTenantName:
		return fieldValue{value: r.Name}
	case FieldTenantFirstName:
		return fieldValue{value: FirstName(r.Name)}
	}
	l := r.Lease
	if l == nil {
		return fieldValue{missing: missingLease}
	}
	v := fieldValue{leaseID: l.ID}
	switch name {
	case FieldUnit:
		v.value = l.UnitName
	case FieldProperty:
		v.value = l.PropertyName
	case FieldAddress:
		if v.value = strings.TrimSpace(l.Address); v.value == "" {
			v.missing = missingAddress
		}
	case FieldLeaseStart:
		v.value = FormatDate(l.Start, s.Locale)
	case FieldLeaseEnd:
		if l.End == "" {
			v.missing = missingEnd
		} else {
			v.value = FormatDate(l.End, s.Locale)
		}
	case FieldRent:
		if l.RentCents <= 0 {
			v.missing = missingRent
		} else {
			v.value = FormatMoney(l.RentCents, s.Currency, s.Locale)
		}
	case FieldDeposit:
		if l.DepositCents <= 0 {
			v.missing = missingDeposit
		} else {
			v.value = FormatMoney(l.DepositCents, s.Currency, s.Locale)
		}
	}
	return v
}

// FirstName is the first word of a name ("Maria" of "Maria Garcia").
func FirstName(name string) string {
	if f := strings.Fields(name); len(f) > 0 {
		return f[0]
	}
	return name
}

// JoinNames lists names as a sentence does: "Ana", "Ana and Ben", "Ana,
// Ben and Cy".
func JoinNames(names []string) string {
	switch len(names) {
	case 0:
		return ""
	case 1:
		return names[0]
	}
	return strings.Join(names[:len(names)-1], ", ") + " and " + names[len(names)-1]
}

func upperFirst(s string) string {
	r, n := utf8.DecodeRuneInString(s)
	return string(unicode.ToUpper(r)) + s[n:]
}

// groupThousands writes n with commas between thousands, for the sentences
// (which are English): 10000 → "10,000".
func groupThousands(n int) string {
	s := fmt.Sprint(n)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}
