package client_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"

	"doorstep/backend"
)

// rawSend posts body as a message to conv with c's bearer token and returns
// the status and the error code of the answer ("" when it is not an error).
func (w *world) rawSend(t *testing.T, token string, conv int64, body string) (int, string, backend.Message) {
	t.Helper()
	req, _ := http.NewRequest("POST", fmt.Sprintf("%s/api/v1/conversations/%d/messages", w.url, conv), strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	var answer struct {
		backend.Message
		Error *backend.Error `json:"error"`
	}
	if err := json.Unmarshal(raw, &answer); err != nil {
		t.Fatalf("answer %d is not JSON: %s", resp.StatusCode, raw)
	}
	if answer.Error != nil {
		return resp.StatusCode, answer.Error.Code, answer.Message
	}
	return resp.StatusCode, "", answer.Message
}

// TestJSONBodiesAreTakenAsWritten: a body is stored exactly as written or
// refused; nothing in it is replaced, and no field can be given twice.
func TestJSONBodiesAreTakenAsWritten(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	conv := must[backend.Conversation](t)(w.landlord.StartConversation(ctx, backend.StartConversation{TenantID: w.tenant["Erin"]}))
	token := w.landlord.Token()
	t.Run("ErrLoneSurrogate", func(t *testing.T) {
		for _, text := range []string{`\ud800`, `\udc00`, `a\ud800b`, `\ud800\u0041`, `\ud83d`, `\ude00\ud83d`, `\ud800\ud800\udc00`, `\uDBFF\\uDC00`} {
			status, code, _ := w.rawSend(t, token, conv.ID, `{"key":"`+key()+`","text":"`+text+`"}`)
			if status != http.StatusBadRequest || code != backend.EINVALID {
				t.Errorf("text %s: %d %q, want 400 %s", text, status, code, backend.EINVALID)
			}
		}
		// Also where no rule looks at the text afterwards: the key.
		if status, code, _ := w.rawSend(t, token, conv.ID, `{"key":"abcdefgh\udfff","text":"hi"}`); code != backend.EINVALID {
			t.Errorf("key with a lone surrogate: %d %q", status, code)
		}
	})
	t.Run("PairsAndEscapedBackslashesAreKept", func(t *testing.T) {
		for text, want := range map[string]string{
			`\ud83d\ude00`:       "😀",
			`\uD83D\uDE00 ok`:    "😀 ok",
			`\\ud800`:            `\ud800`, // a backslash, then letters
			`\\\ud83d\ude00`:     `\😀`,
			`\u00e9\u4e2d\u0041`: "é中A",
		} {
			status, code, m := w.rawSend(t, token, conv.ID, `{"key":"`+key()+`","text":"`+text+`"}`)
			if status != http.StatusCreated || m.Text != want {
				t.Errorf("text %s: %d %q, stored %q, want %q", text, status, code, m.Text, want)
			}
		}
	})
	t.Run("ErrDuplicateKey", func(t *testing.T) {
		for _, body := range []string{
			`{"key":"` + key() + `","text":"hi","text":"bye"}`,
			`{"key":"` + key() + `","text":"hi","Text":"bye"}`,
			`{"key":"` + key() + `","text":"hi","t\u0065xt":"bye"}`,
			`{"key":"` + key() + `","key":"` + key() + `","text":"hi"}`,
			`{"key":"` + key() + `","file_ids":[],"text":"hi","file_ids":[]}`,
		} {
			if status, code, _ := w.rawSend(t, token, conv.ID, body); status != http.StatusBadRequest || code != backend.EINVALID {
				t.Errorf("%s: %d %q, want 400 %s", body, status, code, backend.EINVALID)
			}
		}
	})
	t.Run("ErrDataAfterTheValue", func(t *testing.T) {
		for _, tail := range []string{"}", "]", " ]\n", "x"} {
			body := `{"key":"` + key() + `","text":"hi"}` + tail
			if status, code, _ := w.rawSend(t, token, conv.ID, body); code != backend.EINVALID {
				t.Errorf("%q: %d %q, want %s", body, status, code, backend.EINVALID)
			}
		}
		if status, _, _ := w.rawSend(t, token, conv.ID, "{\"key\":\""+key()+"\",\"text\":\"hi\"}\r\n\t "); status != http.StatusCreated {
			t.Errorf("trailing white space: %d, want 201", status)
		}
	})
	msgs := must[[]backend.Message](t)(w.landlord.Messages(ctx, conv.ID, backend.MessagePage{}))
	for _, m := range msgs {
		if strings.ContainsRune(m.Text, '\uFFFD') {
			t.Errorf("stored a replacement character: %q", m.Text)
		}
	}
	if len(msgs) != 6 {
		t.Errorf("%d messages stored, want the 6 accepted ones", len(msgs))
	}
}

// TestC1ControlCharactersAreRefused: U+0080–U+009F are control characters
// as much as C0's (U+009B starts a terminal escape sequence on its own), so
// message text refuses them, while tab and line breaks stay.
func TestC1ControlCharactersAreRefused(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	conv := must[backend.Conversation](t)(w.landlord.StartConversation(ctx, backend.StartConversation{TenantID: w.tenant["Erin"]}))
	erin := w.asTenant("Erin")
	for _, text := range []string{"\u009b31mred", "a\u0080b", "a\u009fb", "next\u0085line", "\u008dreverse"} {
		_, err := erin.SendMessage(ctx, conv.ID, backend.SendMessage{Key: key(), Text: text})
		wantCode(t, err, backend.EINVALID)
	}
	ok := "tab\there\r\nand é ü ¡ ¿ (U+00A0 after the C1 range:\u00a0)"
	m := must[backend.Message](t)(erin.SendMessage(ctx, conv.ID, backend.SendMessage{Key: key(), Text: ok}))
	if m.Text != ok {
		t.Errorf("stored %q, want %q", m.Text, ok)
	}
	if msgs := must[[]backend.Message](t)(w.landlord.Messages(ctx, conv.ID, backend.MessagePage{})); len(msgs) != 1 {
		t.Errorf("%d messages stored, want 1", len(msgs))
	}
}
