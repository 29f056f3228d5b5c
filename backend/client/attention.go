package client

import (
	"context"
	"fmt"
	"net/http"
	"time"

	"doorstep/backend"
)

// AttentionSettings returns the landlord user's attention settings.
func (c *Client) AttentionSettings(ctx context.Context) (backend.AttentionSettings, error) {
	var s backend.AttentionSettings
	err := c.do(ctx, http.MethodGet, "/api/v1/settings/attention", &s)
	return s, err
}

// SaveAttentionSettings replaces the quiet-hours schedule and the emergency
// words, and returns the settings as stored.
func (c *Client) SaveAttentionSettings(ctx context.Context, u backend.AttentionUpdate) (backend.AttentionSettings, error) {
	var s backend.AttentionSettings
	err := c.doJSON(ctx, http.MethodPut, "/api/v1/settings/attention", u, &s)
	return s, err
}

// MuteConversation mutes a conversation until a time (nil: until unmuted).
func (c *Client) MuteConversation(ctx context.Context, convID int64, until *time.Time) (backend.AttentionSettings, error) {
	var s backend.AttentionSettings
	err := c.doJSON(ctx, http.MethodPut, fmt.Sprintf("/api/v1/conversations/%d/mute", convID), backend.MuteRequest{Until: until}, &s)
	return s, err
}

// UnmuteConversation ends a conversation's mute.
func (c *Client) UnmuteConversation(ctx context.Context, convID int64) (backend.AttentionSettings, error) {
	var s backend.AttentionSettings
	err := c.doJSON(ctx, http.MethodDelete, fmt.Sprintf("/api/v1/conversations/%d/mute", convID), nil, &s)
	return s, err
}
