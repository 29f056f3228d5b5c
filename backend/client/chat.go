package client

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strconv"

	"doorstep/backend"
)

// SignIn opens a landlord session and returns it; use WithSession(s.Token)
// for the calls that follow.
func (c *Client) SignIn(ctx context.Context, email, password string) (backend.Session, error) {
	var s backend.Session
	err := c.doJSON(ctx, http.MethodPost, "/api/v1/auth/signin", map[string]string{"email": email, "password": password}, &s)
	return s, err
}

// RedeemInvite turns a tenant's single-use invite token into a session.
func (c *Client) RedeemInvite(ctx context.Context, token string) (backend.Session, error) {
	var s backend.Session
	err := c.doJSON(ctx, http.MethodPost, "/api/v1/auth/invite", map[string]string{"token": token}, &s)
	return s, err
}

// SignOut ends the client's session on the server.
func (c *Client) SignOut(ctx context.Context) error {
	return c.doJSON(ctx, http.MethodPost, "/api/v1/auth/signout", nil, nil)
}

// Me describes the signed-in user or tenant.
func (c *Client) Me(ctx context.Context) (backend.Me, error) {
	var me backend.Me
	err := c.do(ctx, http.MethodGet, "/api/v1/me", &me)
	return me, err
}

// CreateTenantInvite makes a single-use portal token for a tenant (landlord only).
func (c *Client) CreateTenantInvite(ctx context.Context, tenantID int64) (string, error) {
	var inv struct {
		Token string `json:"token"`
	}
	err := c.doJSON(ctx, http.MethodPost, fmt.Sprintf("/api/v1/tenants/%d/invites", tenantID), nil, &inv)
	return inv.Token, err
}

// Directory lists the tenants and units matching query (empty: all).
func (c *Client) Directory(ctx context.Context, query string) (backend.Directory, error) {
	var d backend.Directory
	err := c.do(ctx, http.MethodGet, "/api/v1/directory?q="+url.QueryEscape(query), &d)
	return d, err
}

// TenantRecord returns a tenant's full record.
func (c *Client) TenantRecord(ctx context.Context, tenantID int64) (backend.TenantRecord, error) {
	var r backend.TenantRecord
	err := c.do(ctx, http.MethodGet, fmt.Sprintf("/api/v1/tenants/%d", tenantID), &r)
	return r, err
}

// Conversations lists the caller's conversations, most recent first.
func (c *Client) Conversations(ctx context.Context) ([]backend.Conversation, error) {
	var list []backend.Conversation
	err := c.do(ctx, http.MethodGet, "/api/v1/conversations", &list)
	return list, err
}

// Conversation returns one conversation.
func (c *Client) Conversation(ctx context.Context, id int64) (backend.Conversation, error) {
	var conv backend.Conversation
	err := c.do(ctx, http.MethodGet, fmt.Sprintf("/api/v1/conversations/%d", id), &conv)
	return conv, err
}

// StartConversation starts (or reopens) a chat with a tenant or a unit.
func (c *Client) StartConversation(ctx context.Context, req backend.StartConversation) (backend.Conversation, error) {
	var conv backend.Conversation
	err := c.doJSON(ctx, http.MethodPost, "/api/v1/conversations", req, &conv)
	return conv, err
}

// Messages returns a page of messages (see backend.MessagePage).
func (c *Client) Messages(ctx context.Context, convID int64, page backend.MessagePage) ([]backend.Message, error) {
	q := url.Values{}
	if page.Before != 0 {
		q.Set("before", strconv.FormatInt(page.Before, 10))
	}
	if page.After != nil { // after=0 is the start, not "not asked"
		q.Set("after", strconv.FormatInt(*page.After, 10))
	}
	if page.Limit != 0 {
		q.Set("limit", strconv.Itoa(page.Limit))
	}
	var msgs []backend.Message
	err := c.do(ctx, http.MethodGet, fmt.Sprintf("/api/v1/conversations/%d/messages?%s", convID, q.Encode()), &msgs)
	return msgs, err
}

// SendMessage sends a message; it returns once the server stored it durably.
// Retrying with the same req.Key never creates a second message.
func (c *Client) SendMessage(ctx context.Context, convID int64, req backend.SendMessage) (backend.Message, error) {
	var m backend.Message
	err := c.doJSON(ctx, http.MethodPost, fmt.Sprintf("/api/v1/conversations/%d/messages", convID), req, &m)
	return m, err
}

// MarkRead moves the caller's read position in a conversation to seq.
func (c *Client) MarkRead(ctx context.Context, convID, seq int64) error {
	return c.doJSON(ctx, http.MethodPost, fmt.Sprintf("/api/v1/conversations/%d/read", convID), map[string]int64{"seq": seq}, nil)
}

// MarkUnread moves the caller's read position back so that the newest
// message from a tenant shows unread, and returns the conversation then
// (landlord only).
func (c *Client) MarkUnread(ctx context.Context, convID int64) (backend.Conversation, error) {
	var conv backend.Conversation
	err := c.doJSON(ctx, http.MethodPost, fmt.Sprintf("/api/v1/conversations/%d/unread", convID), struct{}{}, &conv)
	return conv, err
}

// ConversationNotifications is a conversation's delivery log: every e-mail
// and text message to its tenants, newest first (main landlord user only).
func (c *Client) ConversationNotifications(ctx context.Context, convID int64) ([]backend.Notification, error) {
	var list []backend.Notification
	err := c.do(ctx, http.MethodGet, fmt.Sprintf("/api/v1/conversations/%d/notifications", convID), &list)
	return list, err
}
