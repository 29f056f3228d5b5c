// Package backend holds the chat server's domain: the types, wire formats and
// error vocabulary shared by the server, its Go client and the desktop app;
// the chat rules and the sentences that explain them; and the contracts a
// store keeps (store.go).
//
// It has no dependencies beyond the standard library. Adapters live in
// sub-packages named after their technology (sqlite, httpapi) and are wired
// together in cmd/doorstep-server.
package backend

// Version is the server and client version, reported by /healthz.
// Release builds override it with -ldflags "-X doorstep/backend.Version=...".
var Version = "0.1.0-dev"

// ServiceName identifies a Doorstep server in health answers, so a client can
// tell it is talking to Doorstep and not to some other HTTP service.
const ServiceName = "doorstep-server"
