package backend

import "strings"

// The languages a tenant reads the portal, the e-mails and the text
// messages in. A tenant whose language is not set ("") reads the portal in
// their browser's language and their e-mails in English.
const (
	LanguageEnglish = "en"
	LanguageSpanish = "es"
)

// Languages lists the languages Doorstep speaks to tenants, English first
// (the one used when nothing else decides).
var Languages = []string{LanguageEnglish, LanguageSpanish}

// languageNames are the ways a language may be written in an imported
// file, lower case.
var languageNames = map[string]string{
	"en": LanguageEnglish, "english": LanguageEnglish, "inglés": LanguageEnglish, "ingles": LanguageEnglish,
	"es": LanguageSpanish, "spanish": LanguageSpanish, "español": LanguageSpanish, "espanol": LanguageSpanish,
}

// ParseLanguage reads a tenant's language as a landlord writes it ("es",
// "Spanish", "Español", any case, spaces around ignored) into its code;
// empty stays empty (not set). Anything else is EINVALID.
func ParseLanguage(s string) (string, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return "", nil
	}
	if code, ok := languageNames[strings.ToLower(s)]; ok {
		return code, nil
	}
	return "", Errorf(EINVALID, "The %s.", LanguageProblem(s))
}

// ChooseOwnLanguage checks the language a person picks for themselves in
// the portal and returns its code: only a tenant picks their own (the
// landlord sets a tenant's through the directory file), and only a
// language Doorstep speaks, or none (""), which goes back to following the
// browser.
func ChooseOwnLanguage(p Principal, language string) (string, error) {
	if p.Kind != KindTenant {
		return "", Errorf(EFORBIDDEN, "Only a tenant picks their own language here; a tenant's language is set in the directory file.")
	}
	return ParseLanguage(language)
}

// LanguageProblem is the sentence for a language Doorstep does not speak.
func LanguageProblem(s string) string {
	return "language " + quoteShort(s) + " is not one Doorstep speaks: write en (English) or es (Spanish), or leave it empty"
}

// quoteShort quotes s for a sentence, cut to a length a sentence can hold.
func quoteShort(s string) string {
	if r := []rune(s); len(r) > 40 {
		s = string(r[:40]) + "…"
	}
	return `"` + s + `"`
}
