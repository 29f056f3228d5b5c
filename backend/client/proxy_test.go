package client_test

import (
	"bytes"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"testing"
	"time"

	"doorstep/backend"
	"doorstep/backend/client"
	"doorstep/backend/demo"
)

// TestBehindReverseProxy talks to a real doorstep-server (started with
// -demo) through a real reverse proxy at DOORSTEP_PROXY_URL, over HTTPS:
// what the client does that a proxy can break. scripts/test-proxy.sh runs it
// through the nginx and Caddy configurations of docs/deploy.md, with the
// proxy's throwaway certificate in SSL_CERT_FILE; without the variable
// there is no proxy to test, and it skips.
func TestBehindReverseProxy(t *testing.T) {
	base := os.Getenv("DOORSTEP_PROXY_URL")
	if base == "" {
		t.Skip("DOORSTEP_PROXY_URL is not set; scripts/test-proxy.sh sets it")
	}
	ctx := t.Context()
	anon, err := client.New(base)
	if err != nil {
		t.Fatal(err)
	}
	sess := must[backend.Session](t)(anon.SignIn(ctx, demo.LandlordEmail, demo.Password))
	landlord := anon.WithSession(sess.Token)

	// The websocket is upgraded through the proxy and carries a live event:
	// the landlord's own message comes back on the stream.
	t.Run("LiveEventOverWebsocket", func(t *testing.T) {
		events := stream(t, landlord, client.Live)
		convs := must[[]backend.Conversation](t)(landlord.Conversations(ctx))
		if len(convs) == 0 {
			t.Fatal("the demo landlord has no conversation")
		}
		sent := must[backend.Message](t)(landlord.SendMessage(ctx, convs[0].ID, backend.SendMessage{
			Key: fmt.Sprintf("proxy-%d", time.Now().UnixNano()), Text: "through the proxy"}))
		ev := next(t, events)
		if ev.Type != backend.EventMessage || ev.Message == nil || ev.Message.ID != sent.ID {
			t.Fatalf("want the message event of %d, got %+v", sent.ID, ev)
		}
	})

	// A resumable upload goes in chunks of client.UploadChunkSize (4 MB),
	// each of a length the request does not announce (ContinueUpload sends
	// an io.LimitReader, so the body is chunked): a full chunk and a short
	// last one must both pass the proxy and arrive whole.
	t.Run("ResumableUploadChunks", func(t *testing.T) {
		data := make([]byte, client.UploadChunkSize+1<<20)
		rand.Read(data)
		sum := sha256.Sum256(data)
		up := must[backend.Upload](t)(landlord.BeginUpload(ctx, backend.NewUpload{
			Name: "chunks.bin", Size: int64(len(data)), SHA256: hex.EncodeToString(sum[:])}))
		first := must[backend.Upload](t)(landlord.AppendUpload(ctx, up.ID, 0, io.LimitReader(bytes.NewReader(data), client.UploadChunkSize)))
		if first.Offset != client.UploadChunkSize || first.File != nil {
			t.Fatalf("after the first chunk the server holds %d bytes (file %v), want %d", first.Offset, first.File, client.UploadChunkSize)
		}
		last := must[backend.Upload](t)(landlord.AppendUpload(ctx, up.ID, first.Offset, io.LimitReader(bytes.NewReader(data[first.Offset:]), 1<<20)))
		if last.File == nil || last.File.Size != int64(len(data)) || last.File.SHA256 != hex.EncodeToString(sum[:]) {
			t.Fatalf("after the last chunk: %+v, want the whole file of %d bytes", last, len(data))
		}
	})
}
