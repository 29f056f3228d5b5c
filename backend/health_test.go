package backend

import "testing"

func TestLimitsWithDefaults(t *testing.T) {
	t.Parallel()
	defaults := Limits{MaxUploadBytes: DefaultMaxUploadBytes, MaxFilesPerMessage: MaxFilesPerMessage, MaxMessageRunes: MaxMessageRunes}
	for name, c := range map[string]struct{ said, want Limits }{
		"NothingSaid":      {Limits{}, defaults},
		"AllSaid":          {Limits{MaxUploadBytes: 1 << 20, MaxFilesPerMessage: 3, MaxMessageRunes: 500}, Limits{MaxUploadBytes: 1 << 20, MaxFilesPerMessage: 3, MaxMessageRunes: 500}},
		"NoFilesKept":      {Limits{MaxFilesPerMessage: 3, MaxMessageRunes: 500}, Limits{MaxUploadBytes: DefaultMaxUploadBytes, MaxFilesPerMessage: 3, MaxMessageRunes: 500}},
		"NegativeIsUnsaid": {Limits{MaxUploadBytes: -1, MaxFilesPerMessage: -1, MaxMessageRunes: -1}, defaults},
	} {
		if got := c.said.WithDefaults(); got != c.want {
			t.Errorf("%s: %+v.WithDefaults() = %+v, want %+v", name, c.said, got, c.want)
		}
	}
}
