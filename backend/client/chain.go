package client

import (
	"context"
	"fmt"
	"net/http"

	"doorstep/backend"
)

// ChainHead has the server sign a conversation's head as it is now (main
// landlord user only) and returns the signed head. A history the server
// finds changed is refused with a conflict error saying from which message.
func (c *Client) ChainHead(ctx context.Context, convID int64) (backend.SignedHead, error) {
	var s backend.SignedHead
	err := c.doJSON(ctx, http.MethodPost, fmt.Sprintf("/api/v1/conversations/%d/chain-head", convID), nil, &s)
	return s, err
}

// ServerKey returns the server's public signing key and its fingerprint; it
// needs no session.
func (c *Client) ServerKey(ctx context.Context) (backend.ServerKey, error) {
	var k backend.ServerKey
	err := c.do(ctx, http.MethodGet, "/api/v1/server-key", &k)
	return k, err
}
