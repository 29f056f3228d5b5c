package httpapi

import (
	"net/http/httptest"
	"strings"
	"testing"
	"unicode/utf8"

	"doorstep/backend"
)

// FuzzDecodeSendMessage feeds arbitrary bodies through the request decoding
// and validation of a send. Whatever comes in: no panic, every refusal is a
// coded error, and whatever is accepted is valid UTF-8 within the limits.
func FuzzDecodeSendMessage(f *testing.F) {
	for _, seed := range []string{
		`{"key":"abcdefgh","text":"hello"}`,
		`{"key":"abcdefgh","text":"hi","file_ids":[1,2,3]}`,
		`{"key":"abcdefgh","text":"` + strings.Repeat("é", 100) + `"}`,
		"{\"key\":\"abcdefgh\",\"text\":\"\xff\"}",
		`{"key":"abcdefgh","text":"\u0000"}`,
		`[]`, `null`, `{"key":1}`, `{"key":"abcdefgh","text":"a"} {}`, ``,
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, body string) {
		r := httptest.NewRequest("POST", "/api/v1/conversations/1/messages", strings.NewReader(body))
		r.Header.Set("Content-Type", "application/json")
		var req backend.SendMessage
		err := decodeJSON(r, &req)
		if err == nil {
			err = req.Validate()
		}
		if err != nil {
			if code := backend.ErrorCode(err); code != backend.EINVALID && code != backend.ETOOLARGE {
				t.Fatalf("refusal with code %q: %v", code, err)
			}
			return
		}
		if !utf8.ValidString(req.Text) || utf8.RuneCountInString(req.Text) > backend.MaxMessageRunes {
			t.Fatalf("accepted text breaks the limits: %q", req.Text)
		}
		if len(req.Key) < 8 || len(req.Key) > 128 {
			t.Fatalf("accepted key %q", req.Key)
		}
	})
}

// FuzzDecodeStartConversation does the same for starting a chat.
func FuzzDecodeStartConversation(f *testing.F) {
	for _, seed := range []string{`{"tenant_id":1}`, `{"unit_id":2}`, `{"tenant_id":1,"unit_id":2}`, `{"tenant_id":-1}`, `{"tenant_id":1e400}`, `{}`} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, body string) {
		r := httptest.NewRequest("POST", "/api/v1/conversations", strings.NewReader(body))
		var req backend.StartConversation
		err := decodeJSON(r, &req)
		if err == nil {
			err = req.Validate()
		}
		if err != nil {
			if code := backend.ErrorCode(err); code != backend.EINVALID && code != backend.ETOOLARGE {
				t.Fatalf("refusal with code %q: %v", code, err)
			}
			return
		}
		if (req.TenantID > 0) == (req.UnitID > 0) {
			t.Fatalf("accepted %+v", req)
		}
	})
}
