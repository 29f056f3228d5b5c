package backend_test

import (
	"testing"
	"time"

	"doorstep/backend"
)

func TestPrincipalRules(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		name                  string
		p                     backend.Principal
		start, log, landlordy string // codes of MayStartConversation, MayReadDeliveryLog, CanChatAsLandlord
	}{
		{"MainUser", landlord, "", "", ""},
		{"SubUser", subUser, backend.EMAINUSERONLY, backend.EMAINUSERONLY, backend.EMAINUSERONLY},
		{"Tenant", tenant(alice), backend.ETENANTCANNOTINITIATE, backend.EFORBIDDEN, backend.EFORBIDDEN},
	} {
		t.Run(c.name, func(t *testing.T) {
			if got := backend.ErrorCode(c.p.MayStartConversation()); got != c.start {
				t.Errorf("MayStartConversation: %q, want %q", got, c.start)
			}
			if got := backend.ErrorCode(c.p.MayReadDeliveryLog()); got != c.log {
				t.Errorf("MayReadDeliveryLog: %q, want %q", got, c.log)
			}
			if got := backend.ErrorCode(c.p.CanChatAsLandlord()); got != c.landlordy {
				t.Errorf("CanChatAsLandlord: %q, want %q", got, c.landlordy)
			}
		})
	}
}

func TestMayUpload(t *testing.T) {
	t.Parallel()
	const noFiles = "Your lease is no longer active, so you cannot share files."
	for _, c := range []struct {
		name  string
		p     backend.Principal
		chats []backend.Chat
		want  string // the refusal's sentence, "" for allowed
	}{
		{"MainUser", landlord, nil, ""},
		{"SubUser", subUser, nil, "Chat is available to the main account only."},
		{"TenantActiveInAChat", tenant(alice), []backend.Chat{group1A}, ""},
		{"TenantActiveInOneOfTwo", tenant(bob), []backend.Chat{group1A, directBob}, ""},
		{"TenantActiveInNone", tenant(bob), []backend.Chat{group1A}, noFiles},
		{"TenantInNoChat", tenant(alice), nil, noFiles},
	} {
		t.Run(c.name, func(t *testing.T) {
			if got := backend.ErrorMessage(backend.MayUpload(c.p, c.chats, today)); got != c.want {
				t.Errorf("= %q, want %q", got, c.want)
			}
		})
	}
}

func TestMayFetchFile(t *testing.T) {
	t.Parallel()
	chicago, _ := time.LoadLocation("America/Chicago")
	march := time.Date(2026, 3, 20, 12, 0, 0, 0, chicago) // during Bob's lease of 1A
	may := time.Date(2026, 5, 20, 12, 0, 0, 0, chicago)   // after it
	byAlice := backend.File{ID: 1, Uploader: backend.Sender{Kind: backend.KindTenant, ID: alice.ID}}
	byLandlord := backend.File{ID: 2, Uploader: backend.Sender{Kind: backend.KindUser, ID: landlord.ID}}
	erin := backend.TenantRef{ID: 5, Name: "Erin"}
	for _, c := range []struct {
		name   string
		p      backend.Principal
		f      backend.File
		shares []backend.FileShare
		want   bool
	}{
		{"TheLandlordAnyFile", landlord, byAlice, nil, true},
		{"ASubUserNone", subUser, byLandlord, nil, false},
		{"ItsUploaderUnshared", tenant(alice), byAlice, nil, true},
		{"AnotherTenantUnshared", tenant(bob), byAlice, nil, false},
		{"AMemberOfAChatItWasSharedIn", tenant(alice), byLandlord, []backend.FileShare{{Chat: group1A, At: may}}, true},
		{"AFormerTenantWhatWasSharedDuringTheirLease", tenant(bob), byLandlord, []backend.FileShare{{Chat: group1A, At: march}}, true},
		{"AFormerTenantNotWhatCameAfter", tenant(bob), byLandlord, []backend.FileShare{{Chat: group1A, At: may}}, false},
		{"OneVisibleShareIsEnough", tenant(bob), byLandlord, []backend.FileShare{{Chat: group1A, At: may}, {Chat: directBob, At: may}}, true},
		{"NotAMember", tenant(erin), byLandlord, []backend.FileShare{{Chat: group1A, At: may}}, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			got, err := backend.MayFetchFile(c.p, c.f, c.shares, today, chicago)
			if err != nil || got != c.want {
				t.Errorf("= %v, %v; want %v", got, err, c.want)
			}
		})
	}
}

func TestResends(t *testing.T) {
	t.Parallel()
	req := backend.SendMessage{Key: "key-00000001", Text: "hello"}
	for _, c := range []struct {
		name       string
		conv       int64
		storedText string
		code       string
	}{
		{"SameMessage", 7, "hello", ""},
		{"OtherText", 7, "hello!", backend.ECONFLICT},
		{"OtherConversation", 8, "hello", backend.ECONFLICT},
	} {
		if got := backend.ErrorCode(req.Resends(c.conv, c.storedText, 7)); got != c.code {
			t.Errorf("%s: %q, want %q", c.name, got, c.code)
		}
	}
}
