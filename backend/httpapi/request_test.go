package httpapi

import (
	"net/http/httptest"
	"strings"
	"testing"
	"unicode"
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
		`{"key":"abcdefgh","text":"\ud800"}`, `{"key":"abcdefgh","text":"\udc00\ud800"}`,
		`{"key":"abcdefgh","text":"\ud83d\ude00"}`, `{"key":"abcdefgh","text":"\\ud800"}`, `{"key":"abcdefgh","text":"\ud83d\`,
		`{"key":"abcdefgh","text":"a","text":"b"}`, `{"key":"abcdefgh","text":"a","TEXT":"b"}`,
		`{"key":"abcdefgh","text":"a"}]`, `{"key":"abcdefgh","text":"\u009b"}`,
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
		// Nothing was replaced on the way in, and no control character
		// but tab and line breaks was let through.
		if strings.ContainsRune(req.Text, utf8.RuneError) && !strings.Contains(body, "\ufffd") && !strings.Contains(body, "\uFFFD") && !strings.ContainsRune(body, utf8.RuneError) {
			t.Fatalf("accepted %q as %q", body, req.Text)
		}
		for _, r := range req.Text {
			if unicode.IsControl(r) && r != '\t' && r != '\n' && r != '\r' {
				t.Fatalf("accepted control character %U in %q", r, req.Text)
			}
		}
	})
}

// FuzzDecodeStartConversation does the same for starting a chat.
func FuzzDecodeStartConversation(f *testing.F) {
	for _, seed := range []string{`{"tenant_id":1}`, `{"unit_id":2}`, `{"tenant_id":1,"unit_id":2}`, `{"tenant_id":-1}`, `{"tenant_id":1e400}`, `{}`,
		`{"tenant_id":1,"tenant_id":2}`, `{"unit_id":2,"UNIT_ID":3}`, `{"tenant_id":1}}`} {
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

// TestDecodeJSONRefusesDuplicateKeysAtAnyDepth: a key given twice is refused
// in any object of the body, compared as encoding/json matches fields; the
// same key in different objects, or a key's text inside a string, is fine.
func TestDecodeJSONRefusesDuplicateKeysAtAnyDepth(t *testing.T) {
	t.Parallel()
	for body, wantErr := range map[string]bool{
		`{"a":1,"a":1}`:                         true,
		`{"a":{"b":1,"b":2}}`:                   true,
		`{"a":[1,{"b":1,"B":2}]}`:               true,
		`[[{"x":1,"y":{"z":[{"k":1,"k":2}]}}]]`: true,
		`{"\u212a":1,"k":2}`:                    true, // the Kelvin sign folds to k
		`{"a":{"a":1},"b":{"a":1}}`:             false,
		`[{"x":1},{"x":1}]`:                     false,
		`{"a":"\"a\":1","b":"a"}`:               false,
		`{"a":[],"b":{},"c":[{}],"d":null}`:     false,
		`"a"`:                                   false,
		`{}`:                                    false,
	} {
		r := httptest.NewRequest("POST", "/", strings.NewReader(body))
		var v any
		err := decodeJSON(r, &v)
		if wantErr && backend.ErrorCode(err) != backend.EINVALID || !wantErr && err != nil {
			t.Errorf("decodeJSON(%s) = %v, want refused: %v", body, err, wantErr)
		}
	}
}
