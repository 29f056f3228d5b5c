package evidence

import (
	"fmt"
	"io"
	"strings"

	"doorstep/backend"
)

// writeHowTo writes HOW-TO-VERIFY.txt: what the files are and how to check
// them, with Doorstep or by hand, in plain words. It is made from the
// manifest (all but its list of files), so a check can make it again.
func writeHowTo(w io.Writer, m *Manifest) error {
	var b strings.Builder
	line := func(format string, args ...any) { fmt.Fprintf(&b, format+"\n", args...) }
	line("HOW TO CHECK THIS EXPORT")
	line("========================")
	line("")
	line("This is a record of conversations kept by Doorstep, the chat between a landlord")
	line("and their tenants. It was exported by %s (%s) on %s,", m.Exporter, m.Organisation, m.ExportedAt.UTC().Format("2006-01-02 15:04:05 UTC"))
	line("with Doorstep %s.", m.AppVersion)
	line("")
	line("WHAT THE FILES ARE")
	line("")
	line("  conversation.html  the conversation, to read or print in any web browser;")
	line("                     it runs no program and needs no connection")
	line("  conversation.pdf   the same, as a PDF with page numbers")
	line("  messages.json      every message exactly as stored: text, time, sender,")
	line("                     urgent mark, files shared, and the message's hash")
	line("  files/             the photos and documents shared, as they were sent")
	line("  manifest.json      the SHA-256 checksum of every other file, and the")
	line("                     server's signature of each conversation")
	line("  HOW-TO-VERIFY.txt  this text")
	if len(m.Conversations) > 1 || len(m.Conversations) == 1 && m.Conversations[0].Folder != "" {
		line("")
		line("Each conversation has a folder of its own with the first four:")
		for _, c := range m.Conversations {
			line("  %s/", c.Folder)
		}
	}
	line("")
	line("WHAT IS SIGNED")
	line("")
	line("The Doorstep server links every message to the one before it when it stores")
	line("it: each message's hash is the SHA-256 of the hash before it followed by the")
	line("message (a hash chain). It signs the newest hash, the chain's head, with its")
	line("own key. A message changed, removed, added or moved afterwards no longer leads")
	line("to the signed head. The chain covers each message's text, time, sender (as a")
	line("kind and a number), urgent mark, and each shared file's name, size and SHA-256.")
	line("It does not cover the names shown for people, the lease details at the top of")
	line("the documents, or how the documents are laid out.")
	line("")
	for _, c := range m.Conversations {
		line("%s (conversation %d): %s; last message %d.", c.Title, c.ID, plural(c.Messages, "message"), c.LastSeq)
		line("  Chain head: %s", orNone(c.Head))
		line("  %s", signatureSentence(&c))
		for _, n := range conversationNotes(&c) {
			line("  %s", n)
		}
	}
	if len(m.Missing) > 0 {
		line("")
		line("NOT IN THIS EXPORT")
		line("")
		for _, s := range m.Missing {
			line("  %s", s)
		}
		line("A check reports these as missing, not as changed.")
	}
	line("")
	line("THE SERVER'S KEY")
	line("")
	line("  Server:               %s", m.Server.ID)
	line("  Key fingerprint:      %s", orNone(m.Server.Fingerprint))
	line("  Public key (base64):  %s", orNone(m.Server.PublicKey))
	line("")
	line("A signature proves something only if the key is the server's. Compare this")
	line("fingerprint with the one the landlord's Doorstep shows in its About box, or")
	line("that the server's operator reads from the server. If they differ, this export")
	line("was signed by someone else.")
	line("")
	line("HOW TO CHECK IT WITH DOORSTEP")
	line("")
	line("  doorstep-server verify-export -fingerprint \"%s\" PATH", orNone(m.Server.Fingerprint))
	line("")
	line("where PATH is this folder or the .zip, and the fingerprint is the one you")
	line("expect (see above; without it, the export's own key is used). It says")
	line("\"Intact: ...\" and exits with status 0 when everything holds and is signed by")
	line("that key; otherwise it says exactly what does not hold, which message by its")
	line("number and which file by its name, and exits with another status. In the")
	line("Doorstep desktop app: \"Verify an export...\" in a conversation's menu, or drop")
	line("the folder or the .zip on the window.")
	line("")
	line("HOW TO CHECK IT BY HAND")
	line("")
	line("1. Checksums. manifest.json lists every file with its SHA-256 (\"files\").")
	line("   Compute each with:  sha256sum FILE  (Linux),  shasum -a 256 FILE  (macOS),")
	line("   certutil -hashfile FILE SHA256  (Windows). Each must be the one listed.")
	line("")
	line("2. Files shared. Each message in messages.json lists its files with their")
	line("   SHA-256; the file at \"path\" must have exactly that SHA-256.")
	line("")
	line("3. The chain. Take the messages in the order of \"seq\" and start from 32 zero")
	line("   bytes. For each message, its hash is SHA-256 of the previous hash (32 bytes)")
	line("   followed by this UTF-8 text, every line ending in a line feed (0x0A):")
	line("")
	line("     %s", backend.ChainVersion)
	line("     conversation <conversation_id>")
	line("     seq <seq>")
	line("     sender <sender.kind> <sender.id>")
	line("     time <time>")
	line("     urgent <1 if urgent, else 0>")
	line("     text <length of the text in bytes>")
	line("     <the text, which may span lines>")
	line("     files <number of files>")
	line("     and for each file, two lines:")
	line("     file <sha256> <size> <length of the name in bytes>")
	line("     <the name>")
	line("")
	line("   Written in hexadecimal, it must equal the message's \"hash\"; the last one")
	line("   is the chain head above. This Python 3 program does it (standard library):")
	line("")
	for _, l := range strings.Split(strings.TrimSpace(chainScript), "\n") {
		line("     %s", l)
	}
	line("")
	line("   Run it as: python3 check.py messages.json. The first message it says")
	line("   DIFFERS at is the one changed; every one after it differs too.")
	line("")
	line("4. The signature. In manifest.json each conversation's \"signed_head\" holds a")
	line("   statement, the server's public key and an ed25519 signature (base64). The")
	line("   bytes signed are these lines, each ending in a line feed:")
	line("")
	line("     %s head", backend.ChainVersion)
	line("     server <server_id>")
	line("     conversation <conversation_id>")
	line("     seq <seq>")
	line("     head <head>")
	line("     signed_at <signed_at, as YYYY-MM-DDTHH:MM:SS.nnnnnnnnnZ in UTC>")
	line("")
	line("   \"head\" must be the hash of message <seq>, and the signature must verify")
	line("   with the public key (any ed25519 tool; in Python, the \"cryptography\"")
	line("   package's Ed25519PublicKey.from_public_bytes(key).verify(signature, bytes)).")
	line("   The key's fingerprint is the first 16 bytes of its SHA-256, in hexadecimal.")
	_, err := io.WriteString(w, strings.ReplaceAll(b.String(), "\n", "\r\n"))
	return err
}

func orNone(s string) string {
	if s == "" {
		return "none"
	}
	return s
}

// chainScript checks messages.json's chain with Python's standard library:
// the by-hand check of HOW-TO-VERIFY.txt (and a test runs it).
const chainScript = `
import hashlib, json, sys
doc = json.load(open(sys.argv[1], encoding="utf-8"))
prev = bytes(32)
for m in sorted(doc["messages"], key=lambda m: m["seq"]):
    text = m["text"].encode("utf-8")
    b = ("doorstep.chain.v1\nconversation %d\nseq %d\nsender %s %d\ntime %s\n"
         "urgent %d\ntext %d\n" % (m["conversation_id"], m["seq"],
         m["sender"]["kind"], m["sender"]["id"], m["time"],
         1 if m["urgent"] else 0, len(text))).encode("utf-8")
    b += text + b"\nfiles %d\n" % len(m["files"])
    for f in m["files"]:
        name = f["name"].encode("utf-8")
        b += b"file %s %d %d\n" % (f["sha256"].lower().encode(), f["size"],
                                  len(name)) + name + b"\n"
    prev = hashlib.sha256(prev + b).digest()
    print(m["seq"], "ok" if prev.hex() == m["hash"] else "DIFFERS")
`
