package keychain

import (
	"errors"
	"strings"
	"testing"
)

// TestAnUnforeseenRefusalIsExplainedWithoutItsText: what the keyring said
// is kept for the log, never put in the sentence the landlord reads.
func TestAnUnforeseenRefusalIsExplainedWithoutItsText(t *testing.T) {
	t.Parallel()
	raw := errors.New("keyring: write /home/landlord/.local/share/keyrings/login.keyring: input/output error")
	var unavailable *UnavailableError
	if err := translate(raw); !errors.As(err, &unavailable) || !errors.Is(err, raw) {
		t.Fatalf("translate = %v", err)
	}
	if strings.Contains(unavailable.Reason, "/home") || strings.Contains(unavailable.Reason, "input/output") {
		t.Errorf("the keyring's text reached the sentence: %q", unavailable.Reason)
	}
}
