package backend_test

import (
	"testing"

	"doorstep/backend"
)

func TestSignInContact(t *testing.T) {
	for in, want := range map[string]string{
		" Erin@Tenant.test ":      "email Erin@Tenant.test",
		"+1 (312) 555-0142":       "sms 13125550142",
		"555.0100":                "sms 5550100",
		"12345":                   "", // too short for a phone number
		"erin":                    "", // neither
		"Erin <erin@tenant.test>": "", // a name is not an address
		"<script>@x.test":         "", // not an address
		"555-0100; DROP TABLE":    "", // not a phone number
		"":                        "",
	} {
		channel, contact, ok := backend.SignInContact(in)
		got := ""
		if ok {
			got = channel + " " + contact
		}
		if got != want {
			t.Errorf("SignInContact(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestSamePhone(t *testing.T) {
	for _, c := range []struct {
		a, b string
		same bool
	}{
		{"13125550142", "3125550142", true}, // with and without the country code
		{"3125550142", "3125550142", true},
		{"5550100", "5550100", true},
		{"15550100", "5550100", false}, // too few digits to take a prefix for a country code
		{"004420795555", "+4420795555", true},
		{"4413125550142", "13125550142", false}, // two country codes
		{"3125550142", "2125550142", false},
		{"999993125550142", "3125550142", false}, // more than a country code in front
		{"550100", "550100", false},              // too short to be a line
	} {
		if got := backend.SamePhone(backend.PhoneDigits(c.a), backend.PhoneDigits(c.b)); got != c.same {
			t.Errorf("SamePhone(%s, %s) = %v", c.a, c.b, got)
		}
	}
}
