package app

import (
	"context"
	"log/slog"
	"time"

	"doorstep/backend"
	"doorstep/backend/client"
)

// Connection states shown by the UI.
const (
	StateConnected   = "connected"   // the server answered and is healthy
	StateUnreachable = "unreachable" // nothing answered at the address
	StateUnavailable = "unavailable" // a Doorstep server answered but cannot serve
	StateInvalid     = "invalid"     // the address is wrong, or it is not a Doorstep server
)

// statusTimeout bounds one health check so the UI never waits on a server
// that accepted the connection but does not answer.
const statusTimeout = 5 * time.Second

// ConnectionStatus is what the UI shows about the server connection.
type ConnectionStatus struct {
	State    string `json:"state"`
	Server   string `json:"server"` // the server address, canonical when it parsed
	Version  string `json:"version,omitempty"`
	ServerID string `json:"serverId,omitempty"`
	Code     string `json:"code,omitempty"`    // backend error code when not connected
	Message  string `json:"message,omitempty"` // a sentence for the landlord when not connected
}

// ConnectionService tells the UI whether the configured server is there.
// It is bound to the frontend as window.go.app.ConnectionService.
type ConnectionService struct {
	serverURL string
	client    *client.Client // nil when serverURL does not parse
	parseErr  error
	logger    *slog.Logger
	life      *Lifecycle
	timeout   time.Duration
}

// NewConnectionService returns the service for cfg.ServerURL; its checks end
// when life's context does.
func NewConnectionService(cfg Config, life *Lifecycle, logger *slog.Logger) *ConnectionService {
	s := &ConnectionService{serverURL: cfg.ServerURL, logger: logger, life: life, timeout: statusTimeout}
	s.client, s.parseErr = client.New(cfg.ServerURL, client.WithUserAgent(UserAgent))
	return s
}

// UserAgent names the desktop app in the server's request log.
var UserAgent = "doorstep-desktop/" + backend.Version

// Status checks the server now and reports the outcome. Not being connected
// is a state, not an error: the error result is reserved for failures of the
// check itself.
func (s *ConnectionService) Status() (ConnectionStatus, error) {
	if s.parseErr != nil {
		return ConnectionStatus{State: StateInvalid, Server: s.serverURL,
			Code: backend.ErrorCode(s.parseErr), Message: backend.ErrorMessage(s.parseErr)}, nil
	}
	st := ConnectionStatus{Server: s.client.BaseURL()}
	ctx, cancel := context.WithTimeout(s.life.Context(), s.timeout)
	defer cancel()
	h, err := s.client.Health(ctx)
	if err != nil {
		code := backend.ErrorCode(err)
		st.Code, st.Message = code, backend.ErrorMessage(err)
		switch code {
		case backend.EUNREACHABLE:
			st.State = StateUnreachable
		case backend.EUNAVAILABLE:
			st.State = StateUnavailable
		case backend.EINVALID, backend.ETOOLARGE:
			st.State = StateInvalid
		default:
			if ctx.Err() != nil {
				st.State, st.Code = StateUnreachable, backend.EUNREACHABLE
				st.Message = "The server at " + st.Server + " did not answer in time."
			} else {
				s.logger.Error("connection status", "server", st.Server, "err", err)
				return ConnectionStatus{}, err
			}
		}
		s.logger.Info("server not connected", "server", st.Server, "state", st.State, "err", err)
		return st, nil
	}
	st.State, st.Version, st.ServerID = StateConnected, h.Version, h.ServerID
	return st, nil
}

// About is what the About box shows: this app's version and the server's.
type About struct {
	AppVersion string `json:"appVersion"`
	Server     string `json:"server"`
	// ServerVersion is empty when the server did not answer.
	ServerVersion string `json:"serverVersion,omitempty"`
}

// About reports the app's version and asks the server for its own.
func (s *ConnectionService) About() (About, error) {
	st, err := s.Status()
	if err != nil {
		return About{}, err
	}
	return About{AppVersion: backend.Version, Server: st.Server, ServerVersion: st.Version}, nil
}
