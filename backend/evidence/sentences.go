package evidence

import (
	"fmt"
	"strings"
	"time"

	"doorstep/backend"
)

// What an export says about itself and what a check finds, in sentences
// for the landlord, their lawyer or a clerk. They are kept here, with the
// format they speak of, and reach the desktop and the command line as
// they are.

// Sentences of a check.
const (
	notAnExport      = "This is not a Doorstep export: it has no manifest.json."
	unreadable       = "This export cannot be read: its manifest.json is damaged."
	newerFormat      = "This export is in a format this version of Doorstep does not know. Use a newer version to check it."
	manifestTooLarge = "This export's manifest.json is far larger than any export's, so it was not read."
	tooManyFiles     = "This export holds far more files than any export, so it was not checked."

	fileChanged       = "This file was changed after the export: its SHA-256 is not the one the manifest records."
	fileMissing       = "This file is listed in the manifest but is not in the export."
	fileAdded         = "This file was added after the export: the manifest does not list it."
	fileIsLink        = "This is a link to somewhere else, not a file; it was not followed."
	fileUnsafeName    = "This name could point outside the export; it was not opened."
	fileTooLarge      = "This file claims a size far beyond any export's; it was not read."
	fileDamaged       = "This file is damaged and could not be read to the end."
	fileTwice         = "This file appears twice in the export."
	sharedMissing     = "Message %d shares this file, but it is not in the export."
	sharedChanged     = "This is not the file message %d shared: its SHA-256 differs from the one the message records."
	sharedUndeclared  = "Message %d shares %s, which is not in the export and not declared missing."
	sharedOutside     = "Message %d places %s outside its conversation's files."
	messagesUnread    = "messages.json cannot be read, so no message could be checked."
	messagesTooLarge  = "messages.json is far larger than any export's, so it was not read."
	messagesOtherConv = "messages.json is for conversation %d, not %d."
	recordBadTime     = "This message's time cannot be read."
	shownTimeDiffers  = "This message's time as shown (%s) is not the time it was sent."
	countDiffers      = "The manifest counts %d messages up to message %d; messages.json holds %d up to message %d."
	docRedrawn        = "This document does not show what messages.json and the manifest hold: it was changed, and the manifest with it."
	headOtherConv     = "The signature is for conversation %d, not this one."
	headOtherServer   = "The signature names server %q; the manifest names %q."
	headOtherKey      = "The signature was made with a key that is not the manifest's server key."
	fingerprintWrong  = "The manifest's fingerprint is not that of its server key."
	headNotRecorded   = "The chain's head in the manifest is not the hash recorded with the last message."
	otherFingerprint  = "This export is signed with the key whose fingerprint is %s, not the one expected (%s)."
	keptDiffers       = "This message is not the one this computer keeps of this conversation, as the server recorded it."
)

// Notes of a check: facts worth knowing that change nothing.
const (
	noteNotCompared   = "conversation.html, conversation.pdf and HOW-TO-VERIFY.txt were made by %s; this is Doorstep %s, which cannot draw them again to compare, so compare them with messages.json by eye."
	noteNoPDF         = "conversation.pdf was not drawn again to compare: this check has no PDF drawing."
	noteSkippedDocs   = "The documents were not drawn again, as messages.json itself does not hold."
	noteOSFile        = "%s was ignored: the operating system makes such files when a folder is opened."
	noteAnotherServer = "This export comes from another server than the one you are signed in to: compare its fingerprint with that server's."
)

// VisibleName is a file name as it must be read: in the order it is
// stored, every direction control shown as U+FFFD, so that no override can
// make "invoice‮gpj.exe" read as "invoiceexe.jpg" (the desktop shows names
// the same way, frontend/src/lib/bidi.ts).
func VisibleName(name string) string { return directionControls.Replace(name) }

// VisibleText is message text with its overrides shown as U+FFFD; right-to-
// left writing is kept (the documents isolate each message).
func VisibleText(text string) string { return overrides.Replace(text) }

var (
	directionControls = strings.NewReplacer("\u061C", "\uFFFD", "\u200E", "\uFFFD", "\u200F", "\uFFFD",
		"\u202A", "\uFFFD", "\u202B", "\uFFFD", "\u202C", "\uFFFD", "\u202D", "\uFFFD", "\u202E", "\uFFFD",
		"\u2066", "\uFFFD", "\u2067", "\uFFFD", "\u2068", "\uFFFD", "\u2069", "\uFFFD")
	overrides = strings.NewReplacer("\u202D", "\uFFFD", "\u202E", "\uFFFD")
)

// utc is how the documents and reports write a moment: to the minute, in
// UTC, which reads the same everywhere.
func utc(t time.Time) string { return t.UTC().Format("2006-01-02 15:04 UTC") }

// SaveAsTitle is the title of the dialog that asks where to export: what
// is exported, and how to have a folder rather than a .zip (Write makes a
// folder of any name not ending in .zip, which a name field alone does
// not tell).
func SaveAsTitle(what string) string {
	return what + ` (for a folder instead of a .zip, remove ".zip" from the name)`
}

// MissingFilesSentence says which files an export lacks, for one reason:
// "3 files were not on this computer and the server could not be reached:
// a.jpg, b.pdf and c.png."
func MissingFilesSentence(reason MissingReason, names []string) string {
	if len(names) == 0 {
		return ""
	}
	were := "were"
	if len(names) == 1 {
		were = "was"
	}
	list := listNames(names, 10)
	if reason == MissingRefused {
		return fmt.Sprintf("%s could not be had from the server: %s.", capital(plural(len(names), "file")), list)
	}
	return fmt.Sprintf("%s %s not on this computer and the server could not be reached: %s.", capital(plural(len(names), "file")), were, list)
}

// missingMessagesSentence says which messages of a conversation an export lacks.
func missingMessagesSentence(title string, r SeqRange) string {
	if r.From == r.To {
		return fmt.Sprintf("%s: message %d was not on this computer and the server could not be reached.", title, r.From)
	}
	return fmt.Sprintf("%s: messages %d to %d were not on this computer and the server could not be reached.", title, r.From, r.To)
}

// missingTenantsSentence says whose tenant record an exported
// conversation lacks, so that its documents show none of their leases.
func missingTenantsSentence(title string, members []backend.TenantRef) string {
	names := make([]string, len(members))
	for i, m := range members {
		names[i] = VisibleName(m.Name)
	}
	if len(names) == 1 {
		return fmt.Sprintf("%s: the tenant record of %s was not on this computer and could not be had from the server, so the documents do not show their property, unit and lease.", title, names[0])
	}
	return fmt.Sprintf("%s: the tenant records of %s were not on this computer and could not be had from the server, so the documents do not show their properties, units and leases.", title, backend.JoinNames(names))
}

// signatureSentence says how a conversation's history is signed.
func signatureSentence(c *ConversationEntry) string {
	h := c.SignedHead
	switch {
	case h == nil || c.Signature == NotSigned:
		return "Not signed: the server could not be reached and this computer had no signature of this conversation."
	case c.Signature == SignedEarlier:
		return fmt.Sprintf("The server could not be reached: this is the newest signature this computer had, made on %s, covering messages 1 to %d.",
			utc(h.SignedAt), h.Seq)
	case h.Seq == 0:
		return fmt.Sprintf("Signed by the server for this export on %s, before the conversation had any message.", utc(h.SignedAt))
	default:
		return fmt.Sprintf("Signed by the server for this export on %s, covering messages 1 to %d.", utc(h.SignedAt), h.Seq)
	}
}

// unsignedTail says that the messages after a signed head are not covered by it.
func unsignedTail(signed, last int64) string {
	if signed+1 == last {
		return fmt.Sprintf("Message %d came after the newest signature: it is checked against the one before it, not against the server's signature.", last)
	}
	return fmt.Sprintf("Messages %d to %d came after the newest signature: they are checked one against the next, not against the server's signature.", signed+1, last)
}

func capital(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}
