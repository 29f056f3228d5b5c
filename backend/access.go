package backend

// Who may do what. Each rule is a function of the principal and of what a
// store found; stores and handlers ask these instead of deciding.

// MayStartConversation refuses whoever may not start a chat: tenants answer
// chats but never start them, and only the main landlord user chats.
func (p Principal) MayStartConversation() error {
	if p.Kind == KindTenant {
		return Errorf(ETENANTCANNOTINITIATE, "Tenants can answer chats but not start them; your landlord starts the conversation.")
	}
	return p.CanChatAsLandlord()
}
