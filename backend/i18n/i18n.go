// Package i18n holds every sentence Doorstep shows or sends a tenant, in
// each language it speaks (backend.Languages): one catalogue per language
// (en.json, es.json, keyed by message id), read into a
// golang.org/x/text/message catalogue. It picks a tenant's language: their
// record's when set, else their browser's (Accept-Language, matched with
// golang.org/x/text/language), else English.
//
// Ids starting "portal." are the portal page's (its script asks for them
// with t('portal.…') and fills {name} placeholders itself); the others are
// the server's, written with Sprintf and printf verbs (%[1]s), so a
// language may put the values in its own order.
package i18n

import (
	"cmp"
	"embed"
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"golang.org/x/text/language"
	"golang.org/x/text/message"
	"golang.org/x/text/message/catalog"

	"doorstep/backend"
)

//go:embed en.json es.json
var files embed.FS

// PortalPrefix starts the ids of the portal page's sentences.
const PortalPrefix = "portal."

// Catalogue is one language's sentences by message id.
type Catalogue map[string]string

// catalogues are the sentences of each language, by language code.
var catalogues = map[string]Catalogue{}

// tags are the languages as x/text names them, in backend.Languages' order
// (English first: the matcher's fallback).
var tags []language.Tag

var (
	builder  = catalog.NewBuilder(catalog.Fallback(language.English))
	matcher  language.Matcher
	printers = map[string]*message.Printer{}
)

func init() {
	for _, code := range backend.Languages {
		data, err := files.ReadFile(code + ".json")
		if err != nil {
			panic(fmt.Sprintf("i18n: no catalogue for %s: %v", code, err))
		}
		var c Catalogue
		if err := json.Unmarshal(data, &c); err != nil {
			panic(fmt.Sprintf("i18n: %s.json: %v", code, err))
		}
		tag := language.MustParse(code)
		for id, text := range c {
			if strings.HasPrefix(id, PortalPrefix) {
				continue // the page fills these itself
			}
			if err := builder.SetString(tag, id, text); err != nil {
				panic(fmt.Sprintf("i18n: %s.json: %s: %v", code, id, err))
			}
		}
		catalogues[code] = c
		tags = append(tags, tag)
		printers[code] = message.NewPrinter(tag, message.Catalog(builder))
	}
	matcher = language.NewMatcher(tags)
}

// Choose is the language a tenant reads: record (their tenant record's,
// "" while not set) when it is one Doorstep speaks, else the best match for
// acceptLanguage (a browser's Accept-Language header), else English.
func Choose(record, acceptLanguage string) string {
	if _, ok := catalogues[record]; ok {
		return record
	}
	wanted, _, err := language.ParseAcceptLanguage(acceptLanguage)
	if err != nil || len(wanted) == 0 {
		return backend.LanguageEnglish
	}
	_, i, confidence := matcher.Match(wanted...)
	if confidence == language.No {
		return backend.LanguageEnglish
	}
	return backend.Languages[i]
}

// Text is the sentence id in lang (English for a language Doorstep does
// not speak), with args in place of its verbs.
func Text(lang, id string, args ...any) string {
	p, ok := printers[lang]
	if !ok {
		p = printers[backend.LanguageEnglish]
	}
	return p.Sprintf(id, args...)
}

// Date is a day as a sentence in lang writes it: "November 28, 2026",
// "28 de noviembre de 2026".
func Date(lang string, t time.Time) string {
	// Strings, not numbers: the printer would group a year's digits (2,026).
	return Text(lang, "date.long", strconv.Itoa(t.Day()), Text(lang, fmt.Sprintf("date.month.%d", int(t.Month()))), strconv.Itoa(t.Year()))
}

// Portal is the portal page's catalogue in lang (English for a language
// Doorstep does not speak): the "portal." sentences, by id.
func Portal(lang string) Catalogue {
	c, ok := catalogues[lang]
	if !ok {
		c = catalogues[backend.LanguageEnglish]
	}
	out := Catalogue{}
	for id, text := range c {
		if strings.HasPrefix(id, PortalPrefix) {
			out[id] = text
		}
	}
	return out
}

// Sentence is an English sentence of the server's (an API error's) in
// lang, when the catalogue has it; any other is returned as it is. A
// sentence with values ("A message can be at most 4000 characters.") is
// found by its pattern, and its values keep their place; a wait in words
// ("30 seconds") is put in lang too.
func Sentence(lang, english string) string {
	if lang == backend.LanguageEnglish || english == "" {
		return english
	}
	if _, ok := printers[lang]; !ok {
		return english
	}
	if id, ok := exactErrors[english]; ok {
		return Text(lang, id)
	}
	for _, p := range errorPatterns {
		if args, ok := p.match(english); ok {
			for i, a := range args {
				args[i] = wait(lang, a.(string))
			}
			return Text(lang, p.id, args...)
		}
	}
	return english
}

// wait is a wait in words ("1 minute", "30 seconds") in lang; any other
// value is returned as it is.
func wait(lang, value string) string {
	for _, p := range unitPatterns {
		if args, ok := p.match(value); ok {
			return Text(lang, p.id, args...)
		}
	}
	return value
}

// pattern is an English sentence with values, as a regular expression
// whose groups are the values in the order the sentence's verbs number
// them.
type pattern struct {
	id    string
	re    *regexp.Regexp
	order []int // order[i] is the verb number (from 0) of group i+1
}

func (p pattern) match(s string) ([]any, bool) {
	m := p.re.FindStringSubmatch(s)
	if m == nil {
		return nil, false
	}
	args := make([]any, len(p.order))
	for i, n := range p.order {
		if n >= len(args) {
			return nil, false
		}
		args[n] = m[i+1]
	}
	return args, true
}

// verb is a printf verb of a catalogue sentence: %s, or %[2]s.
var verb = regexp.MustCompile(`%(?:\[(\d+)\])?[a-z]`)

// newPattern makes the pattern of an English sentence with verbs.
func newPattern(id, english string) pattern {
	var b strings.Builder
	b.WriteString("^")
	var order []int
	last, next := 0, 0
	for _, loc := range verb.FindAllStringSubmatchIndex(english, -1) {
		b.WriteString(regexp.QuoteMeta(english[last:loc[0]]))
		b.WriteString("(.+?)")
		n := next
		if loc[2] >= 0 {
			n, _ = strconv.Atoi(english[loc[2]:loc[3]])
			n--
		}
		order = append(order, n)
		next, last = n+1, loc[1]
	}
	b.WriteString(regexp.QuoteMeta(english[last:]))
	b.WriteString("$")
	return pattern{id: id, re: regexp.MustCompile(b.String()), order: order}
}

// exactErrors are the English "error." sentences without values, by
// their text; errorPatterns those with values, and unitPatterns the waits
// in words ("unit.").
var (
	exactErrors   = map[string]string{}
	errorPatterns []pattern
	unitPatterns  []pattern
)

func init() {
	for id, text := range catalogues[backend.LanguageEnglish] {
		switch {
		case strings.HasPrefix(id, "error.") && !verb.MatchString(text):
			exactErrors[text] = id
		case strings.HasPrefix(id, "error."):
			errorPatterns = append(errorPatterns, newPattern(id, text))
		case strings.HasPrefix(id, "unit."):
			unitPatterns = append(unitPatterns, newPattern(id, text))
		}
	}
	// The longest first, so a sentence is never taken for a shorter one
	// that its values could fill; then by id, so the order is always the
	// same.
	for _, ps := range [][]pattern{errorPatterns, unitPatterns} {
		slices.SortFunc(ps, func(a, b pattern) int {
			if c := cmp.Compare(len(b.re.String()), len(a.re.String())); c != 0 {
				return c
			}
			return cmp.Compare(a.id, b.id)
		})
	}
}

// All returns every language's catalogue, by language code, for tests
// that hold the languages to the same ids and placeholders.
func All() map[string]Catalogue {
	out := map[string]Catalogue{}
	for code, c := range catalogues {
		cp := Catalogue{}
		for id, text := range c {
			cp[id] = text
		}
		out[code] = cp
	}
	return out
}
