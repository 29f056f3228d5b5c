package backend

// Resends checks a message sent with a key its sender already used: the
// stored message (in storedConv, with storedText) is what a resend to
// convID gets back, but the same key for another text or conversation is a
// conflict, never a second message.
func (m SendMessage) Resends(storedConv int64, storedText string, convID int64) error {
	if storedConv != convID || storedText != m.Text {
		return Errorf(ECONFLICT, "This message key was already used for a different message.")
	}
	return nil
}
