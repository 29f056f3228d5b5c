package main

import (
	"errors"
	"flag"
	"fmt"
	"io"

	"doorstep/backend"
	"doorstep/backend/evidence"
	"doorstep/internal/pdf"
)

// verifyExportCmd checks an export the desktop app made of a conversation
// (a folder or a .zip): every file against its manifest, every message
// against its hash chain and the server's signature, every shared file
// against its SHA-256, and the documents drawn again. It prints the
// report and fails (a non-zero exit status) unless the export is intact
// and signed, by the key of -fingerprint when it is given. It reads the
// export alone: no data directory, no server.
func verifyExportCmd(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("doorstep-server verify-export", flag.ContinueOnError)
	fs.SetOutput(stderr)
	want := fs.String("fingerprint", "", "the `fingerprint` of the server key the export must be signed with, as `doorstep-server key` or the desktop's About box shows it")
	usage := errors.New(`usage: doorstep-server verify-export [-fingerprint "XXXX XXXX …"] PATH (a folder or .zip made by Doorstep's Export)`)
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return usage
	}
	path := fs.Arg(0)
	r, err := evidence.Verifier{PDF: pdf.Render}.Verify(path)
	if err != nil {
		return fmt.Errorf("%s: %s", path, backend.ErrorMessage(err))
	}
	r.ExpectFingerprint(*want)
	fmt.Fprintln(stdout, r.Summary)
	if len(r.Problems) > 0 {
		fmt.Fprintln(stdout, "\nWhat does not hold:")
		for _, p := range r.Problems {
			fmt.Fprintln(stdout, "  -", p)
		}
	}
	if len(r.Notes) > 0 {
		fmt.Fprintln(stdout, "\nNotes:")
		for _, n := range r.Notes {
			fmt.Fprintln(stdout, "  -", n)
		}
	}
	if *want == "" && r.Fingerprint != "" {
		fmt.Fprintf(stdout, "\nCompare the fingerprint %s with the one the server shows (doorstep-server key, or the About box of the landlord's Doorstep); -fingerprint does it for you.\n", r.Fingerprint)
	}
	switch {
	case !r.Intact:
		return fmt.Errorf("%s: not intact (%d problems, listed above)", path, len(r.Problems))
	case !r.Signed:
		return fmt.Errorf("%s: intact, but not all of it is signed by the server (see the notes)", path)
	}
	return nil
}
