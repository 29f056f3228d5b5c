package backend

import (
	"strings"
	"time"
)

// SessionInfo is one live session as the person holding it sees it in the
// list of where they are signed in.
type SessionInfo struct {
	StartedAt time.Time `json:"started_at"`
	// Device says in a few words what signed in ("Chrome on Android"),
	// from the User-Agent it signed in with (DeviceDescription).
	Device string `json:"device"`
	// Current marks the session the request came with.
	Current bool `json:"current"`
	// ID is the store's key for the session: never sent.
	ID string `json:"-"`
}

// MaxUserAgent is how much of a User-Agent a store keeps: enough to tell
// the device, never a client's whole header.
const MaxUserAgent = 300

// UnknownDevice describes a session whose User-Agent says nothing known.
const UnknownDevice = "An unknown device"

// DeviceDescription says in a few words what a User-Agent is: the browser
// and the system ("Firefox on Windows"), either alone when the other is
// unknown, or UnknownDevice. It is a hint for the person reading it, not
// proof: anyone can send any User-Agent.
func DeviceDescription(ua string) string {
	browser := ""
	for _, b := range []struct{ token, name string }{
		{"Edg/", "Edge"}, {"EdgA/", "Edge"}, {"EdgiOS/", "Edge"}, {"OPR/", "Opera"}, {"SamsungBrowser/", "Samsung Internet"},
		{"Firefox/", "Firefox"}, {"FxiOS/", "Firefox"}, {"CriOS/", "Chrome"}, {"Chrome/", "Chrome"}, {"Safari/", "Safari"},
	} {
		if strings.Contains(ua, b.token) {
			browser = b.name
			break
		}
	}
	system := ""
	for _, s := range []struct{ token, name string }{
		{"Android", "Android"}, {"iPhone", "iPhone"}, {"iPad", "iPad"}, {"CrOS", "ChromeOS"}, {"Windows", "Windows"},
		{"Mac OS X", "macOS"}, {"Macintosh", "macOS"}, {"Linux", "Linux"},
	} {
		if strings.Contains(ua, s.token) {
			system = s.name
			break
		}
	}
	switch {
	case browser != "" && system != "":
		return browser + " on " + system
	case browser != "":
		return browser
	case system != "":
		return system
	}
	return UnknownDevice
}

// TrimUserAgent is the part of a User-Agent a store keeps.
func TrimUserAgent(ua string) string {
	if len(ua) > MaxUserAgent {
		ua = ua[:MaxUserAgent]
	}
	return strings.ToValidUTF8(ua, "")
}
