package backend

import (
	"strconv"
	"strings"
	"time"
)

// Dates and money as a filled template writes them, in the organisation's
// locale and currency. A small table of the locales Doorstep's landlords
// use is enough, and keeps the domain free of an i18n library; it follows
// CLDR's long date and currency formats (what Intl gives in a browser).

// DefaultLocale is the locale of an organisation that has not chosen one.
const DefaultLocale = "en-US"

// TemplateLocales are the locales dates and money can be written in.
var TemplateLocales = []string{"en-US", "en-GB", "es-US", "es-ES", "fr-CA"}

// localeFormat is how one locale writes a long date and an amount.
type localeFormat struct {
	months [12]string
	// date writes a day: d the day of the month, m the month's name.
	date func(d int, m string, y int) string
	// decimal and group separate the fraction and the thousands; minGroup
	// is the fewest digits before the group separator is used (2 in
	// Spanish: 1250 but 12.500).
	decimal, group string
	minGroup       int
	// after puts the currency after the amount, with a no-break space.
	after bool
	// symbols are the currencies this locale writes with a symbol; any
	// other is written with its ISO code.
	symbols map[string]string
}

const nbsp = "\u00a0"

var (
	englishMonths = [12]string{"January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"}
	spanishMonths = [12]string{"enero", "febrero", "marzo", "abril", "mayo", "junio", "julio", "agosto", "septiembre", "octubre", "noviembre", "diciembre"}
	frenchMonths  = [12]string{"janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre", "octobre", "novembre", "décembre"}
	spanishDate   = func(d int, m string, y int) string { return strconv.Itoa(d) + " de " + m + " de " + strconv.Itoa(y) }
	dayMonthYear  = func(d int, m string, y int) string { return strconv.Itoa(d) + " " + m + " " + strconv.Itoa(y) }
)

var localeFormats = map[string]localeFormat{
	"en-US": {months: englishMonths, decimal: ".", group: ",", minGroup: 1,
		date:    func(d int, m string, y int) string { return m + " " + strconv.Itoa(d) + ", " + strconv.Itoa(y) },
		symbols: map[string]string{"USD": "$", "EUR": "€", "GBP": "£", "CAD": "CA$", "JPY": "¥", "MXN": "MX$"}},
	"en-GB": {months: englishMonths, decimal: ".", group: ",", minGroup: 1, date: dayMonthYear,
		symbols: map[string]string{"USD": "US$", "EUR": "€", "GBP": "£", "CAD": "CA$", "JPY": "JP¥", "MXN": "MX$"}},
	"es-US": {months: spanishMonths, decimal: ".", group: ",", minGroup: 1, date: spanishDate,
		symbols: map[string]string{"USD": "$", "JPY": "¥"}},
	"es-ES": {months: spanishMonths, decimal: ",", group: ".", minGroup: 2, after: true, date: spanishDate,
		symbols: map[string]string{"USD": "US$", "EUR": "€"}},
	"fr-CA": {months: frenchMonths, decimal: ",", group: nbsp, minGroup: 1, after: true, date: dayMonthYear,
		symbols: map[string]string{"USD": "$" + nbsp + "US", "EUR": "€", "GBP": "£", "CAD": "$", "JPY": "¥"}},
}

// zeroDecimalCurrencies have no minor unit worth writing.
var zeroDecimalCurrencies = map[string]bool{"JPY": true, "KRW": true}

// ResolveLocale is the supported locale nearest to tag (a BCP 47 tag such
// as "en-US", any case, "_" or "-"): the same, else the one of its
// language, else DefaultLocale.
func ResolveLocale(tag string) string {
	tag = strings.ReplaceAll(strings.TrimSpace(tag), "_", "-")
	for _, l := range TemplateLocales {
		if strings.EqualFold(l, tag) {
			return l
		}
	}
	lang, _, _ := strings.Cut(strings.ToLower(tag), "-")
	switch lang {
	case "en":
		return "en-US"
	case "es":
		return "es-ES"
	case "fr":
		return "fr-CA"
	}
	return DefaultLocale
}

// FormatDate writes a date (YYYY-MM-DD) as people read it in locale:
// "March 1, 2027" in en-US, "1 March 2027" in en-GB. A date that cannot be
// read is written as it is.
func FormatDate(date, locale string) string {
	t, err := time.Parse(DateLayout, date)
	if err != nil {
		return date
	}
	f := localeFormats[ResolveLocale(locale)]
	return f.date(t.Day(), f.months[t.Month()-1], t.Year())
}

// FormatMoney writes an amount in cents of currency (ISO 4217) as people
// read it in locale: "$1,250.00" in en-US, "1250,00 €" in es-ES. A
// currency the locale has no symbol for is written with its code ("CHF
// 1,250.00"); with no currency, the plain amount ("1,250.00").
func FormatMoney(cents int64, currency, locale string) string {
	f := localeFormats[ResolveLocale(locale)]
	currency = strings.ToUpper(strings.TrimSpace(currency))
	sign := ""
	if cents < 0 {
		sign, cents = "-", -cents
	}
	whole, frac := cents/100, cents%100
	if zeroDecimalCurrencies[currency] {
		whole, frac = (cents+50)/100, -1
	}
	digits := strconv.FormatInt(whole, 10)
	if len(digits) >= 4 && len(digits)-3 >= f.minGroup {
		var b strings.Builder
		for i, r := range digits {
			if i > 0 && (len(digits)-i)%3 == 0 {
				b.WriteString(f.group)
			}
			b.WriteRune(r)
		}
		digits = b.String()
	}
	amount := digits
	if frac >= 0 {
		amount += f.decimal + strconv.FormatInt(100+frac, 10)[1:]
	}
	if currency == "" {
		return sign + amount
	}
	symbol, ok := f.symbols[currency]
	if !ok {
		symbol = currency
	}
	if f.after {
		return sign + amount + nbsp + symbol
	}
	if !ok { // a code stands apart from the digits: "CHF 1,250.00"
		return sign + symbol + nbsp + amount
	}
	return sign + symbol + amount
}
