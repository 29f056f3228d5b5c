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
	t.Parallel()
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
	t.Parallel()
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

// TestPagingFromTheStart: after=0 is the start of a conversation, not the
// newest page that no after at all gives; before=0 is refused.
func TestPagingFromTheStart(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	ctx := context.Background()
	conv := must[backend.Conversation](t)(w.landlord.StartConversation(ctx, backend.StartConversation{TenantID: w.tenant["Erin"]}))
	for i := 1; i <= 150; i++ {
		must[backend.Message](t)(w.landlord.SendMessage(ctx, conv.ID, backend.SendMessage{Key: key(), Text: fmt.Sprint(i)}))
	}
	seqs := func(msgs []backend.Message) string {
		if len(msgs) == 0 {
			return "none"
		}
		return fmt.Sprintf("%d messages, %d..%d", len(msgs), msgs[0].Seq, msgs[len(msgs)-1].Seq)
	}
	t.Run("Client", func(t *testing.T) {
		first := must[[]backend.Message](t)(w.landlord.Messages(ctx, conv.ID, backend.MessagePage{After: new(int64(0))}))
		if got := seqs(first); got != "100 messages, 1..100" {
			t.Errorf("after 0: %s, want 1..100", got)
		}
		newest := must[[]backend.Message](t)(w.landlord.Messages(ctx, conv.ID, backend.MessagePage{}))
		if got := seqs(newest); got != "100 messages, 51..150" {
			t.Errorf("no after: %s, want 51..150", got)
		}
		// Reading everything from the start, page by page, as catching up does.
		var all []backend.Message
		for after := int64(0); ; {
			page := must[[]backend.Message](t)(w.landlord.Messages(ctx, conv.ID, backend.MessagePage{After: &after, Limit: 40}))
			if len(page) == 0 {
				break
			}
			all = append(all, page...)
			after = page[len(page)-1].Seq
		}
		for i, m := range all {
			if m.Seq != int64(i+1) {
				t.Fatalf("read from the start: message %d has seq %d (%s)", i, m.Seq, seqs(all))
			}
		}
		if len(all) != 150 {
			t.Errorf("read from the start: %s, want all 150", seqs(all))
		}
	})
	t.Run("Wire", func(t *testing.T) {
		get := func(query string) (int, []backend.Message, string) {
			t.Helper()
			req, _ := http.NewRequest("GET", fmt.Sprintf("%s/api/v1/conversations/%d/messages?%s", w.url, conv.ID, query), nil)
			req.Header.Set("Authorization", "Bearer "+w.landlord.Token())
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			raw, _ := io.ReadAll(resp.Body)
			var msgs []backend.Message
			if resp.StatusCode != http.StatusOK {
				var e struct{ Error backend.Error }
				json.Unmarshal(raw, &e)
				return resp.StatusCode, nil, e.Error.Code
			}
			if err := json.Unmarshal(raw, &msgs); err != nil {
				t.Fatalf("%s: %s", query, raw)
			}
			return resp.StatusCode, msgs, ""
		}
		for query, want := range map[string]string{
			"after=0":           "100 messages, 1..100",
			"after=0&limit=10":  "10 messages, 1..10",
			"after=00&limit=3":  "3 messages, 1..3",
			"after=148":         "2 messages, 149..150",
			"after=150":         "none",
			"":                  "100 messages, 51..150",
			"limit=5":           "5 messages, 146..150",
			"before=1":          "none",
			"before=4&limit=10": "3 messages, 1..3",
		} {
			if status, msgs, code := get(query); status != http.StatusOK || seqs(msgs) != want {
				t.Errorf("?%s: %d %s %s, want %s", query, status, code, seqs(msgs), want)
			}
		}
		for _, query := range []string{"before=0", "before=0&limit=5", "after=-1", "after=0&before=5", "after=x", "after=0&limit=101"} {
			if status, _, code := get(query); status != http.StatusBadRequest || code != backend.EINVALID {
				t.Errorf("?%s: %d %q, want 400 %s", query, status, code, backend.EINVALID)
			}
		}
	})
}
