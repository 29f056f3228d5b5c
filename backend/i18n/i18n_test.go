package i18n_test

import (
	"fmt"
	"io/fs"
	"maps"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"doorstep/backend"
	"doorstep/backend/i18n"
	"doorstep/backend/portal"
)

// placeholders are the values a sentence takes: printf verbs (%[1]s, %s)
// in the server's, {name} in the portal's.
var placeholders = regexp.MustCompile(`%(\[\d+\])?[a-z]|\{[a-zA-Z]+\}`)

func placeholderSet(s string) []string {
	set := placeholders.FindAllString(s, -1)
	slices.Sort(set)
	return slices.Compact(set)
}

// TestEveryLanguageHasEveryMessage fails when an id is in one language and
// not another, or when a sentence takes other values in another language.
func TestEveryLanguageHasEveryMessage(t *testing.T) {
	all := i18n.All()
	if len(all) != len(backend.Languages) {
		t.Fatalf("catalogues for %v, want one for each of %v", slices.Sorted(maps.Keys(all)), backend.Languages)
	}
	english := all[backend.LanguageEnglish]
	for _, lang := range backend.Languages {
		c := all[lang]
		for id, text := range english {
			other, ok := c[id]
			switch {
			case !ok:
				t.Errorf("%s has no %q (English: %q)", lang, id, text)
			case strings.TrimSpace(other) == "":
				t.Errorf("%s's %q is empty", lang, id)
			case !slices.Equal(placeholderSet(other), placeholderSet(text)):
				t.Errorf("%s's %q takes %v, English's %v", lang, id, placeholderSet(other), placeholderSet(text))
			}
		}
		for id := range c {
			if _, ok := english[id]; !ok {
				t.Errorf("%s has %q, which English has not", lang, id)
			}
		}
	}
}

// portalCall is a t('id') call in the portal's script.
var portalCall = regexp.MustCompile(`\bt\(\s*'([^']*)'`)

// TestPortalUsesOnlyKnownIds scans the portal's script for t('id') calls
// and data-i18n="id" attributes in its page: each must be in the portal's
// catalogue, and the catalogue must hold nothing the page never asks for.
func TestPortalUsesOnlyKnownIds(t *testing.T) {
	known := i18n.Portal(backend.LanguageEnglish)
	used := map[string]bool{}
	dataI18n := regexp.MustCompile(`data-i18n="([^"]*)"`)
	err := fs.WalkDir(portal.Assets, "assets", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := fs.ReadFile(portal.Assets, path)
		if err != nil {
			return err
		}
		var found [][]string
		switch {
		case strings.HasSuffix(path, ".js"):
			found = portalCall.FindAllStringSubmatch(string(data), -1)
		case strings.HasSuffix(path, ".html"):
			found = dataI18n.FindAllStringSubmatch(string(data), -1)
		}
		for _, m := range found {
			used[m[1]] = true
			if _, ok := known[m[1]]; !ok {
				t.Errorf("%s asks for %q, which the catalogue has not", path, m[1])
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(used) < 40 {
		t.Errorf("found only %d ids in the portal: is the scan still finding t('…') calls?", len(used))
	}
	for id := range known {
		if !used[id] {
			t.Errorf("the catalogue has %q, which the portal never asks for", id)
		}
	}
}

func TestChoose(t *testing.T) {
	for _, c := range []struct{ record, accept, want string }{
		{"es", "en-US,en;q=0.9", "es"},        // the record wins
		{"en", "es-MX,es;q=0.9", "en"},        // even over a Spanish browser
		{"", "es-MX,es;q=0.9,en;q=0.5", "es"}, // not set: the browser decides
		{"", "fr-FR,es;q=0.8,en;q=0.5", "es"},
		{"", "fr-FR", "en"},
		{"", "", "en"},
		{"", "not a header;;", "en"},
		{"xx", "es", "es"},
	} {
		if got := i18n.Choose(c.record, c.accept); got != c.want {
			t.Errorf("Choose(%q, %q) = %q, want %q", c.record, c.accept, got, c.want)
		}
	}
}

func TestTextAndDate(t *testing.T) {
	day := time.Date(2026, time.November, 28, 12, 0, 0, 0, time.UTC)
	if got := i18n.Date("en", day); got != "November 28, 2026" {
		t.Errorf("English date = %q", got)
	}
	if got := i18n.Date("es", day); got != "28 de noviembre de 2026" {
		t.Errorf("Spanish date = %q", got)
	}
	if got := i18n.Text("es", "mail.newChat.subject", "Pat Morgan"); got != "Pat Morgan inició un chat con usted" {
		t.Errorf("Spanish subject = %q", got)
	}
	if got := i18n.Text("fr", "mail.newChat.subject", "Pat Morgan"); got != "Pat Morgan started a chat with you" {
		t.Errorf("a language Doorstep does not speak gives %q, want English", got)
	}
}

// TestEnglishIsThePackageSentences holds the English catalogue to the
// sentences package backend gives in English, so the two never drift.
func TestEnglishIsThePackageSentences(t *testing.T) {
	en := i18n.All()[backend.LanguageEnglish]
	for id, want := range map[string]string{
		"page.link.title": backend.SignInLinkTitle, "page.link.prompt": backend.SignInLinkPrompt,
		"page.link.label": backend.SignInLinkLabel, "page.link.button": backend.SignInLinkButton,
		"page.link.answer": backend.SignInLinkAnswer, "page.link.formExpired": backend.SignInLinkFormExpired,
		"error.inviteUsed": backend.ErrorMessage(backend.ErrInviteUsed), "error.notSignedIn": backend.ErrorMessage(backend.ErrNotSignedIn),
		"error.noConversation": backend.ErrorMessage(backend.ErrNoConversation), "error.noFile": backend.ErrorMessage(backend.ErrNoFile),
		"error.notAMember":         backend.ErrorMessage(backend.ErrNotAMember),
		"error.leaseEndedReadOnly": backend.TenantReadOnlyReason, "portal.readOnlyLeaseEnded": backend.TenantReadOnlyReason,
	} {
		if en[id] != want {
			t.Errorf("en.json %q = %q, package backend says %q", id, en[id], want)
		}
	}
	if got := i18n.Sentence("es", backend.ErrorMessage(backend.ErrNoConversation)); got != "Esa conversación no existe." {
		t.Errorf("Sentence in Spanish = %q", got)
	}
	if got := i18n.Sentence("es", "A sentence no catalogue has."); got != "A sentence no catalogue has." {
		t.Errorf("an unknown sentence became %q", got)
	}
}

// TestSentencesWithValues: the server's sentences that carry values (a
// limit, a wait in words) reach a Spanish tenant in Spanish, the values in
// place; the sentences are made by package backend itself, so a change of
// wording there fails here rather than fall back to English unnoticed.
func TestSentencesWithValues(t *testing.T) {
	long := backend.SendMessage{Key: "key-00001", Text: strings.Repeat("a", backend.MaxMessageRunes+1)}
	many := backend.SendMessage{Key: "key-00001", Text: "x", FileIDs: make([]int64, backend.MaxFilesPerMessage+1)}
	for i := range many.FileIDs {
		many.FileIDs[i] = int64(i + 1)
	}
	for english, want := range map[string]string{
		backend.ErrorMessage(long.Validate()):                                  fmt.Sprintf("Un mensaje puede tener como máximo %d caracteres.", backend.MaxMessageRunes),
		backend.ErrorMessage(many.Validate()):                                  fmt.Sprintf("Un mensaje puede llevar como máximo %d archivos.", backend.MaxFilesPerMessage),
		backend.ErrorMessage(backend.SendMessage{Key: "key-00001"}.Validate()): "El mensaje está vacío.",
		backend.UploadsTooFast(30 * time.Second).Message:                       "Se enviaron demasiados archivos en poco tiempo. Vuelva a intentarlo en 30 segundos.",
		backend.UploadsTooFast(time.Second).Message:                            "Se enviaron demasiados archivos en poco tiempo. Vuelva a intentarlo en 1 segundo.",
		backend.LinksTooFast(2 * time.Minute).Message:                          "Se probaron demasiados enlaces de inicio de sesión desde su red. Vuelva a intentarlo en 2 minutos.",
		backend.EventsTooFast(90 * time.Minute).Message:                        "La conexión en vivo se abrió demasiadas veces en poco tiempo. Vuelva a intentarlo en 2 horas.",
		backend.SessionEndedMessage:                                            "Su sesión terminó. Vuelva a iniciar sesión.",
		"Files can be at most 25 MB.":                                          "Los archivos pueden ocupar como máximo 25 MB.",
	} {
		if got := i18n.Sentence("es", english); got != want {
			t.Errorf("%q in Spanish = %q, want %q", english, got, want)
		}
		if got := i18n.Sentence("en", english); got != english {
			t.Errorf("%q in English became %q", english, got)
		}
	}
	// Every storage trouble a tenant's request may meet.
	for _, trouble := range []backend.StorageTrouble{backend.StorageFull, backend.StorageReadOnly, backend.StorageDenied, backend.StorageIOError,
		backend.StorageBusy, backend.StorageCannotOpen, backend.StorageUnreachable, backend.StorageCorrupt, backend.StorageFailed} {
		english := (&backend.StorageError{Trouble: trouble}).Coded().Message
		if got := i18n.Sentence("es", english); got == english || !strings.Contains(got, "servidor") {
			t.Errorf("%s: %q in Spanish = %q", trouble, english, got)
		}
	}
	// Values that do not fit a sentence leave it as it is.
	for _, s := range []string{"A message can be at most characters.", "Files can be at most 25 GB.", "Too many files were sent in a short time."} {
		if got := i18n.Sentence("es", s); got != s {
			t.Errorf("%q became %q", s, got)
		}
	}
}
