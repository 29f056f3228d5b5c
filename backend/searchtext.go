package backend

import "fmt"

// The sentences of the desktop's search: it runs on the desktop, over its
// cache, but what the landlord reads is worded here, with the rest.

// HistoryLabel is what the search shows while the desktop loads the
// history it searches: "Loading history for search: 45%" (rounded down,
// so 100% shows only when done), or "" once it is all here or there is
// none to load.
func HistoryLabel(loaded, total int64, done bool) string {
	if done || total <= 0 {
		return ""
	}
	return fmt.Sprintf("Loading history for search: %d%%", min(max(loaded, 0), total)*100/total)
}

// SearchCountLabel is the line above a search's messages: "No message
// matches.", "1 message", "12 messages", or, when the limit cut the list,
// "100+ messages (the newest shown)".
func SearchCountLabel(count int, more bool) string {
	switch {
	case count == 0 && !more:
		return "No message matches."
	case more:
		return fmt.Sprintf("%d+ messages (the newest shown)", count) // more than count: always many
	}
	return fmt.Sprintf("%d %s", count, plural(count, "message", "messages"))
}

// Refusals of a search's date range (days chosen in the calendar).
var (
	ErrSearchDay       = Errorf(EINVALID, "Choose the dates of the range from the calendar.")
	ErrSearchDaysOrder = Errorf(EINVALID, "The date range ends before it starts.")
)
