package backend

import (
	"strings"
	"testing"
	"time"
)

func TestCheckTemplate(t *testing.T) {
	for _, c := range []struct {
		name, text string
		want       []string // the problems' sentences, in order
	}{
		{"EveryField", "{{tenant.first_name}} {{tenant.name}} {{unit}} {{property}} {{address}} {{lease.start}} {{lease.end}} {{rent}} {{deposit}} {{landlord.name}} {{today}}", nil},
		{"SpacesInsideTheBraces", "Hi {{ tenant.first_name }}", nil},
		{"PlainText", "No fields at all, { single braces } included.", nil},
		{"HTMLIsText", `<script>alert("{{unit}}")</script><b onclick="x()">{{rent}}</b>`, nil},
		{"ErrMisspelt", "Hi {{tenant.frist_name}},", []string{"{{tenant.frist_name}} is not a field: did you mean {{tenant.first_name}}?"}},
		{"ErrOtherCase", "{{Tenant.First_Name}}", []string{"{{Tenant.First_Name}} is not a field: did you mean {{tenant.first_name}}?"}},
		{"ErrSpacesForSeparators", "{{tenant first name}}", []string{"{{tenant first name}} is not a field: did you mean {{tenant.first_name}}?"}},
		{"ErrTheShortName", "{{first_name}}", []string{"{{first_name}} is not a field: did you mean {{tenant.first_name}}?"}},
		{"ErrASlipInAShortField", "{{rnet}} and {{adress}}", []string{
			"{{rnet}} is not a field: did you mean {{rent}}?", "{{adress}} is not a field: did you mean {{address}}?"}},
		{"ErrUnknownWithNothingNear", "{{favourite_colour}}", []string{"{{favourite_colour}} is not a field: choose one from the list of fields."}},
		{"ErrEmpty", "Hi {{ }}!", []string{"{{ }} is an empty field: write a field's name between the braces, such as {{unit}}."}},
		{"ErrNeverClosed", "Hi {{tenant.first_name, welcome", []string{"{{tenant.first_name, w… opens a field that is never closed: end it with }}, or remove the {{."}},
		{"ErrNeverClosedAtTheEnd", "Rent: {{", []string{"{{ opens a field that is never closed: end it with }}, or remove the {{."}},
		{"ErrOpenedTwice", "{{ {{unit}}", []string{"{{ opens a field that is never closed: end it with }}, or remove the {{."}},
		{"ErrClosesNothing", "Hi tenant.first_name}} there", []string{"The }} after “Hi tenant.first_name” closes no field: write a field as {{unit}}, or remove the }}."}},
		{"ErrClosesNothingAtTheStart", "}} hello", []string{"A }} at the start of a line closes no field: write a field as {{unit}}, or remove the }}."}},
		{"ErrHTMLInAField", "{{<script>alert(1)</script>}}", []string{"{{<script>alert(1)</script>}} is not a field: choose one from the list of fields."}},
		{"ErrALongNameIsClipped", "{{" + strings.Repeat("x", 100) + "}}", []string{"{{" + strings.Repeat("x", 40) + "…}} is not a field: choose one from the list of fields."}},
	} {
		t.Run(c.name, func(t *testing.T) {
			var got []string
			for _, p := range CheckTemplate(c.text) {
				got = append(got, p.Message)
				if p.Snippet == "" || !strings.HasPrefix(p.Message, p.Snippet) && !strings.Contains(p.Message, p.Snippet) {
					t.Errorf("snippet %q is not in %q", p.Snippet, p.Message)
				}
			}
			if strings.Join(got, "\n") != strings.Join(c.want, "\n") {
				t.Errorf("problems:\n got  %q\n want %q", got, c.want)
			}
		})
	}
}

func TestTemplateDraftValidate(t *testing.T) {
	for _, c := range []struct {
		name      string
		draft     TemplateDraft
		code, msg string
	}{
		{"ErrNoName", TemplateDraft{Name: "  ", Text: "Hi"}, EINVALID, "Give the template a name."},
		{"ErrLongName", TemplateDraft{Name: strings.Repeat("n", 61), Text: "Hi"}, EINVALID, "A template's name can be at most 60 characters."},
		{"ErrControlInName", TemplateDraft{Name: "Rent\x07", Text: "Hi"}, EINVALID, "The template's name holds control characters."},
		{"ErrBlankText", TemplateDraft{Name: "Rent", Text: " \n\t"}, EINVALID, "Write the template's text."},
		{"ErrControlInText", TemplateDraft{Name: "Rent", Text: "Hi\x1b[31m"}, EINVALID, "The template's text holds control characters."},
		{"ErrNotUTF8", TemplateDraft{Name: "Rent", Text: "Hi \xff"}, EINVALID, "The template is not valid UTF-8 text."},
		{"ErrOneCharacterTooMany", TemplateDraft{Name: "Long", Text: strings.Repeat("é", MaxTemplateRunes+1)}, ETOOLARGE, "A template can be at most 5,000 characters."},
		{"Err100KB", TemplateDraft{Name: "Huge", Text: strings.Repeat("{{unit}} ", 100<<10/9)}, ETOOLARGE, "A template can be at most 5,000 characters."},
		{"ErrMistake", TemplateDraft{Name: "Rent", Text: "Hi {{tenant.frist_name}}"}, EINVALID, "{{tenant.frist_name}} is not a field: did you mean {{tenant.first_name}}?"},
		{"ErrMistakes", TemplateDraft{Name: "Rent", Text: "{{a}} {{b}} {{unit"}, EINVALID, "{{a}} is not a field: choose one from the list of fields. (And 2 more mistakes.)"},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := c.draft.Validate()
			if ErrorCode(err) != c.code || ErrorMessage(err) != c.msg {
				t.Errorf("err = %v, want %s: %s", err, c.code, c.msg)
			}
		})
	}
	t.Run("TidiesTheNameKeepsTheText", func(t *testing.T) {
		text := "  <b>Hi</b> {{tenant.first_name}}\n\n"
		d, err := TemplateDraft{Name: "  Rent \t reminder ", Text: text}.Validate()
		if err != nil || d.Name != "Rent reminder" || d.Text != text {
			t.Errorf("got %+v, %v", d, err)
		}
	})
	t.Run("TheDefaultsAreValid", func(t *testing.T) {
		names := map[string]bool{}
		for _, d := range DefaultTemplates() {
			if _, err := d.Validate(); err != nil {
				t.Errorf("%s: %v", d.Name, err)
			}
			names[d.Name] = true
		}
		for _, n := range []string{"Rent reminder", "Maintenance visit", "Lease renewal", "Move-out checklist"} {
			if !names[n] {
				t.Errorf("no default %q", n)
			}
		}
	})
}

// maria is a one-to-one scene: Maria Garcia on an open-ended lease of
// Maple Court 1A, in en-US and dollars.
func maria() TemplateScene {
	return TemplateScene{
		Recipients: []TemplateRecipient{{Name: "Maria Garcia", Lease: &Lease{ID: 7, UnitName: "1A", PropertyName: "Maple Court",
			Address: "114 Maple Street", Start: "2026-03-01", RentCents: 125_000, DepositCents: 250_000}}},
		Landlord: "Pat Morgan", Today: "2027-01-15", Locale: "en-US", Currency: "USD",
	}
}

// unit2B is a group scene of Maple Court 2B; lease gives each member's.
func unit2B(lease func(i int) *Lease) TemplateScene {
	s := TemplateScene{Group: true, Place: "Maple Court · 2B", Landlord: "Pat Morgan", Today: "2027-01-15", Locale: "en-US", Currency: "USD"}
	for i, n := range []string{"Emily Chen", "Daniel Park"} {
		s.Recipients = append(s.Recipients, TemplateRecipient{Name: n, Lease: lease(i)})
	}
	return s
}

func TestFillTemplate(t *testing.T) {
	shared := &Lease{ID: 9, UnitName: "2B", PropertyName: "Maple Court", Address: "114 Maple Street", Start: "2026-09-01", End: "2027-08-31", RentCents: 130_000, DepositCents: 130_000}
	own := func(i int) *Lease { l := *shared; l.ID, l.RentCents = int64(20+i), int64(100_000+i*5_000); return &l }
	for _, c := range []struct {
		name      string
		scene     TemplateScene
		text      string
		want      string
		code, msg string
	}{
		{name: "EveryFieldOneToOne", scene: maria(),
			text: "{{tenant.first_name}}|{{tenant.name}}|{{unit}}|{{property}}|{{address}}|{{lease.start}}|{{rent}}|{{deposit}}|{{landlord.name}}|{{today}}",
			want: "Maria|Maria Garcia|1A|Maple Court|114 Maple Street|March 1, 2026|$1,250.00|$2,500.00|Pat Morgan|January 15, 2027"},
		{name: "HTMLStaysText", scene: maria(), text: `<script>alert("{{tenant.first_name}}")</script>`, want: `<script>alert("Maria")</script>`},
		{name: "ValuesAreNotReadAsFields", scene: func() TemplateScene {
			s := maria()
			s.Recipients[0].Name = "{{rent}} <img src=x onerror=alert(1)>"
			return s
		}(), text: "Dear {{tenant.name}}", want: "Dear {{rent}} <img src=x onerror=alert(1)>"},
		{name: "InTheOrganisationsLocale", scene: func() TemplateScene { s := maria(); s.Locale, s.Currency = "fr-CA", "CAD"; return s }(),
			text: "{{rent}} le {{lease.start}}", want: "1\u00a0250,00\u00a0$ le 1 mars 2026"},
		{name: "ErrOpenEnded", scene: maria(), text: "Your lease ends on {{lease.end}}.", code: EINVALID,
			msg: "Maria Garcia's lease is open-ended (month to month), so {{lease.end}} has no value: remove it, or write the date in yourself."},
		{name: "ErrNoRent", scene: func() TemplateScene { s := maria(); s.Recipients[0].Lease.RentCents = 0; return s }(), text: "{{rent}}", code: EINVALID,
			msg: "No rent is recorded on Maria Garcia's lease, so {{rent}} has no value: remove it, or write the amount in yourself."},
		{name: "ErrNoAddress", scene: func() TemplateScene { s := maria(); s.Recipients[0].Lease.Address = " "; return s }(), text: "{{address}}", code: EINVALID,
			msg: "No street address is recorded for Maple Court, so {{address}} has no value: remove it, or write the address in yourself."},
		{name: "ErrNoActiveLease", scene: func() TemplateScene { s := maria(); s.Recipients[0].Lease = nil; return s }(), text: "Hi {{tenant.first_name}}, {{unit}}", code: EINVALID,
			msg: "Maria Garcia has no active lease, so {{unit}} has no value."},
		{name: "ErrMistakeInTheTemplate", scene: maria(), text: "{{rnet}}", code: EINVALID,
			msg: "This template has a mistake; correct it in Templates first. {{rnet}} is not a field: did you mean {{rent}}?"},
		{name: "ErrTooLongOnceFilled", scene: func() TemplateScene { s := maria(); s.Recipients[0].Name = strings.Repeat("M", 5_000); return s }(),
			text: "{{tenant.name}}{{tenant.name}}{{tenant.name}}", code: ETOOLARGE, msg: "Filled in, this template is longer than a message can be (10,000 characters)."},
		{name: "GroupSharesTheUnitAndTheLease", scene: unit2B(func(int) *Lease { return shared }),
			text: "Hello {{property}} {{unit}} at {{address}}: rent {{rent}} until {{lease.end}}. {{landlord.name}}",
			want: "Hello Maple Court 2B at 114 Maple Street: rent $1,300.00 until August 31, 2027. Pat Morgan"},
		{name: "ErrGroupFirstName", scene: unit2B(func(int) *Lease { return shared }), text: "Hi {{tenant.first_name}}", code: EINVALID,
			msg: "{{tenant.first_name}} differs between the members of this group chat (Emily Chen and Daniel Park), so it cannot be filled in here: remove it, or write to each of them in a one-to-one chat."},
		{name: "GroupOnTwoLeasesSharesTheUnit", scene: unit2B(own), text: "{{unit}}, {{property}}", want: "2B, Maple Court"},
		{name: "ErrGroupOnTwoLeasesRent", scene: unit2B(own), text: "{{unit}}: {{rent}}", code: EINVALID,
			msg: "{{rent}} differs between the members of this group chat (Emily Chen and Daniel Park, who are not on one lease), so it cannot be filled in here: remove it, or write to each of them in a one-to-one chat."},
		{name: "ErrGroupOnTwoLeasesEvenAtTheSameDates", scene: unit2B(own), text: "{{lease.start}}", code: EINVALID,
			msg: "{{lease.start}} differs between the members of this group chat (Emily Chen and Daniel Park, who are not on one lease), so it cannot be filled in here: remove it, or write to each of them in a one-to-one chat."},
		{name: "ErrGroupOpenEnded", scene: unit2B(func(int) *Lease { l := *shared; l.End = ""; return &l }), text: "{{lease.end}}", code: EINVALID,
			msg: "The lease of Maple Court · 2B is open-ended (month to month), so {{lease.end}} has no value: remove it, or write the date in yourself."},
		{name: "ErrGroupWithNobodyActive", scene: TemplateScene{Group: true, Place: "Maple Court · 2B", Locale: "en-US"}, text: "{{unit}}", code: EINVALID,
			msg: "No member of this group chat is on an active lease of Maple Court · 2B, so {{unit}} has no value here."},
		{name: "GroupWithNobodyActiveStillHasTheSender", scene: TemplateScene{Group: true, Landlord: "Pat", Today: "2027-01-15"}, text: "{{landlord.name}}, {{today}}", want: "Pat, January 15, 2027"},
	} {
		t.Run(c.name, func(t *testing.T) {
			got, err := FillTemplate(c.text, c.scene)
			if c.code != "" {
				if ErrorCode(err) != c.code || ErrorMessage(err) != c.msg || got != "" {
					t.Errorf("got %q, %v\nwant %s: %s", got, err, c.code, c.msg)
				}
				return
			}
			if err != nil || got != c.want {
				t.Errorf("got %q, %v\nwant %q", got, err, c.want)
			}
		})
	}
}

func TestTemplateSceneFor(t *testing.T) {
	me := Me{Principal: Principal{Name: "Pat Morgan"}, TimeZone: "America/Chicago", Locale: "en-GB", Currency: "GBP"}
	// 2027-01-01 03:00 UTC is still 31 December in Chicago.
	now := time.Date(2027, 1, 1, 3, 0, 0, 0, time.UTC)
	lease := func(id, unit int64, start, end string, tenants ...TenantRef) Lease {
		return Lease{ID: id, UnitID: unit, UnitName: "U" + string(rune('0'+unit)), Start: start, End: end, Tenants: tenants}
	}
	ana, ben, cy := TenantRef{ID: 1, Name: "Ana"}, TenantRef{ID: 2, Name: "Ben"}, TenantRef{ID: 3, Name: "Cy"}
	records := []TenantRecord{
		{ID: 1, Name: "Ana", Leases: []Lease{
			lease(12, 2, "2027-01-01", "", ana),                // starts tomorrow in Chicago
			lease(11, 1, "2026-01-01", "2026-12-31", ana, ben), // today's
			lease(10, 3, "2025-01-01", "2026-12-31", ana),      // older, elsewhere
		}},
		{ID: 2, Name: "Ben", Leases: []Lease{lease(11, 1, "2026-01-01", "2026-12-31", ana, ben)}},
		{ID: 3, Name: "Cy", Leases: []Lease{lease(13, 1, "2024-01-01", "2025-12-31", cy)}}, // ended: not reached
	}

	direct := TemplateSceneFor(Conversation{Kind: ConversationDirect, TenantID: 1, Title: "Ana"}, records, me, now)
	if direct.Group || direct.Today != "2026-12-31" || direct.Landlord != "Pat Morgan" || direct.Locale != "en-GB" || direct.Currency != "GBP" ||
		len(direct.Recipients) != 1 || direct.Recipients[0].Lease == nil || direct.Recipients[0].Lease.ID != 11 {
		t.Errorf("one-to-one: %+v", direct)
	}

	group := TemplateSceneFor(Conversation{Kind: ConversationGroup, UnitID: 1, Title: "Elm · U1", Members: []TenantRef{ana, ben, cy}}, records, me, now)
	if !group.Group || group.Place != "Elm · U1" || len(group.Recipients) != 2 || group.Recipients[0].Name != "Ana" || group.Recipients[1].Name != "Ben" {
		t.Fatalf("group: %+v", group)
	}
	if got, err := FillTemplate("{{unit}} {{lease.end}} {{today}}", group); err != nil || got != "U1 31 December 2026 31 December 2026" {
		t.Errorf("filled: %q, %v", got, err)
	}

	if missing := TemplateSceneFor(Conversation{Kind: ConversationDirect, TenantID: 4, Title: "Dee"}, records, me, now); len(missing.Recipients) != 0 {
		t.Errorf("a tenant with no record: %+v", missing)
	} else if _, err := FillTemplate("{{tenant.name}}", missing); ErrorCode(err) != EINVALID ||
		ErrorMessage(err) != "This conversation's tenant is not known here yet, so {{tenant.name}} cannot be filled in. Try again once Doorstep is online." {
		t.Errorf("filled with no record: %v", err)
	}
}

// TestTemplateSceneForMemberUnknown: in a group chat, a member whose
// record is not at hand makes fields of a tenant or a lease refuse, naming
// them, rather than fill with the other members' values; the unit's
// fields still fill.
func TestTemplateSceneForMemberUnknown(t *testing.T) {
	me := Me{Principal: Principal{Name: "Pat Morgan"}, TimeZone: "UTC", Locale: "en-US", Currency: "USD"}
	now := time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)
	ana, ben, cy := TenantRef{ID: 1, Name: "Ana Lima"}, TenantRef{ID: 2, Name: "Ben Cole"}, TenantRef{ID: 3, Name: "Cy Dunn"}
	shared := Lease{ID: 11, UnitID: 1, UnitName: "2B", PropertyName: "Maple Court", Address: "114 Maple Street",
		Start: "2026-01-01", End: "2026-12-31", RentCents: 120000, DepositCents: 50000, Tenants: []TenantRef{ana, ben}}
	anaOnly := []TenantRecord{{ID: 1, Name: "Ana Lima", Leases: []Lease{shared}}}
	group := func(members ...TenantRef) Conversation {
		return Conversation{Kind: ConversationGroup, UnitID: 1, Title: "Maple Court · 2B", Members: members}
	}
	const one = "The record of Ben Cole, a member of this group chat, is not available on this computer, so %s cannot be filled in here. Try again once Doorstep is online."
	const two = "The records of Ben Cole and Cy Dunn, members of this group chat, are not available on this computer, so %s cannot be filled in here. Try again once Doorstep is online."
	for _, c := range []struct {
		name    string
		conv    Conversation
		text    string
		want    string // filled
		wantErr string // a refusal, %s the field
	}{
		{"ErrFirstName", group(ana, ben), "{{tenant.first_name}}", "", one},
		{"ErrName", group(ana, ben), "{{tenant.name}}", "", one},
		{"ErrLeaseEnd", group(ana, ben), "{{lease.end}}", "", one},
		{"ErrLeaseStart", group(ana, ben), "{{lease.start}}", "", one},
		{"ErrRent", group(ana, ben), "{{rent}}", "", one},
		{"ErrDeposit", group(ana, ben), "{{deposit}}", "", one},
		{"ErrTwoUnknown", group(ana, ben, cy), "{{tenant.first_name}}", "", two},
		{"ErrNoneKnownUnit", group(ben), "{{unit}}", "", "The record of Ben Cole, a member of this group chat, is not available on this computer, so %s cannot be filled in here. Try again once Doorstep is online."},
		{"UnitFills", group(ana, ben), "{{property}} {{unit}}, {{address}}", "Maple Court 2B, 114 Maple Street", ""},
		{"SenderFills", group(ana, ben), "{{landlord.name}} {{today}}", "Pat Morgan June 1, 2026", ""},
		{"AllKnownFills", group(ana), "{{tenant.first_name}} {{lease.end}}", "Ana December 31, 2026", ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			scene := TemplateSceneFor(c.conv, anaOnly, me, now)
			got, err := FillTemplate(c.text, scene)
			if c.wantErr == "" {
				if err != nil || got != c.want {
					t.Errorf("filled %q, %v; want %q", got, err, c.want)
				}
				return
			}
			want := strings.Replace(c.wantErr, "%s", c.text, 1)
			if ErrorCode(err) != EINVALID || ErrorMessage(err) != want {
				t.Errorf("filled %q, err %v\nwant %s", got, err, want)
			}
		})
	}
}

func TestFormatDate(t *testing.T) {
	for _, c := range []struct{ locale, want string }{
		{"en-US", "March 1, 2027"},
		{"en-GB", "1 March 2027"},
		{"es-US", "1 de marzo de 2027"},
		{"es-ES", "1 de marzo de 2027"},
		{"fr-CA", "1 mars 2027"},
		{"EN_us", "March 1, 2027"},
		{"fr-FR", "1 mars 2027"}, // the language's
		{"de-DE", "March 1, 2027"},
		{"", "March 1, 2027"},
	} {
		if got := FormatDate("2027-03-01", c.locale); got != c.want {
			t.Errorf("%q: %q, want %q", c.locale, got, c.want)
		}
	}
	if got := FormatDate("not a date", "en-US"); got != "not a date" {
		t.Errorf("an unreadable date: %q", got)
	}
}

func TestFormatMoney(t *testing.T) {
	const sp = "\u00a0"
	for _, c := range []struct {
		cents            int64
		currency, locale string
		want             string
	}{
		{125_000, "USD", "en-US", "$1,250.00"},
		{1_250_050, "USD", "en-US", "$12,500.50"},
		{99, "usd", "en-US", "$0.99"},
		{125_000, "EUR", "en-US", "€1,250.00"},
		{125_000, "CAD", "en-US", "CA$1,250.00"},
		{125_000, "CHF", "en-US", "CHF" + sp + "1,250.00"},
		{125_000, "USD", "en-GB", "US$1,250.00"},
		{125_000, "GBP", "en-GB", "£1,250.00"},
		{125_000, "USD", "es-US", "$1,250.00"},
		{125_000, "EUR", "es-US", "EUR" + sp + "1,250.00"},
		{125_000, "EUR", "es-ES", "1250,00" + sp + "€"},
		{1_250_050, "USD", "es-ES", "12.500,50" + sp + "US$"},
		{123_456_789, "EUR", "es-ES", "1.234.567,89" + sp + "€"},
		{125_000, "CAD", "fr-CA", "1" + sp + "250,00" + sp + "$"},
		{125_000, "USD", "fr-CA", "1" + sp + "250,00" + sp + "$" + sp + "US"},
		{125_000, "JPY", "en-US", "¥1,250"},
		{125_000, "", "en-US", "1,250.00"},
		{-125_000, "USD", "en-US", "-$1,250.00"},
		{0, "USD", "en-US", "$0.00"},
	} {
		if got := FormatMoney(c.cents, c.currency, c.locale); got != c.want {
			t.Errorf("%d %s %s: %q, want %q", c.cents, c.currency, c.locale, got, c.want)
		}
	}
}

func TestJoinNames(t *testing.T) {
	for names, want := range map[string]string{"": "", "Ana": "Ana", "Ana,Ben": "Ana and Ben", "Ana,Ben,Cy": "Ana, Ben and Cy"} {
		var list []string
		if names != "" {
			list = strings.Split(names, ",")
		}
		if got := JoinNames(list); got != want {
			t.Errorf("%q: %q, want %q", names, got, want)
		}
	}
}
