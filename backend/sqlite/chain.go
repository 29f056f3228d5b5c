package sqlite

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"doorstep/backend"
	"doorstep/backend/migrate"
)

// The hash chain of every conversation (backend/chain.go). A message's hash
// is computed in the transaction that stores it (insertMessage), chained to
// the conversation's chain_head, which that transaction moves on; the
// server signs heads with its key (WithSigningKey) on request and
// periodically, after checking the chain since the last signature.

// WithSigningKey gives the store the server's signing key: without one it
// signs nothing (backend.ErrNoSigningKey).
func WithSigningKey(key ed25519.PrivateKey) Option { return func(db *DB) { db.signingKey = key } }

// fillBatch is how many messages of existing installs get their hash per
// transaction at open: the first open after the upgrade does the whole
// history, without one transaction that large.
const fillBatch = 2000

// fillChains gives every message stored before schema 6 its hash, in seq
// order per conversation, once; later opens read one meta row. It runs
// at open, on the writer, before anything else writes.
func (db *DB) fillChains(ctx context.Context) error {
	var filled string
	if err := db.writer.QueryRowContext(ctx, "SELECT value FROM meta WHERE key = 'chain_filled'").Scan(&filled); err != nil {
		return fmt.Errorf("chain: %w", err)
	}
	if filled == "1" {
		return nil
	}
	convs, err := int64s(ctx, db.writer, "SELECT DISTINCT conversation_id FROM messages WHERE chain_hash IS NULL ORDER BY conversation_id")
	if err != nil {
		return fmt.Errorf("chain: %w", err)
	}
	for _, id := range convs {
		if err := db.fillChain(ctx, id); err != nil {
			return fmt.Errorf("chain of conversation %d: %w", id, err)
		}
	}
	_, err = db.writer.ExecContext(ctx, "UPDATE meta SET value = '1' WHERE key = 'chain_filled'")
	return err
}

// fillChain hashes one conversation's messages that have no hash yet, from
// the first of them on, in batches.
func (db *DB) fillChain(ctx context.Context, convID int64) error {
	var from int64
	if err := db.writer.QueryRowContext(ctx, "SELECT min(seq) FROM messages WHERE conversation_id = ? AND chain_hash IS NULL", convID).Scan(&from); err != nil {
		return err
	}
	var prev []byte
	err := db.writer.QueryRowContext(ctx, "SELECT chain_hash FROM messages WHERE conversation_id = ? AND seq < ? ORDER BY seq DESC LIMIT 1", convID, from).Scan(&prev)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return err
	}
	after := from - 1
	for {
		tx, err := db.writer.BeginTx(ctx, nil)
		if err != nil {
			return err
		}
		msgs, err := chainMessages(ctx, tx, convID, after, fillBatch)
		if err == nil {
			for _, m := range msgs {
				prev = backend.ChainHash(prev, m.Message)
				if _, err = tx.ExecContext(ctx, "UPDATE messages SET chain_hash = ? WHERE conversation_id = ? AND seq = ?", prev, convID, m.Seq); err != nil {
					break
				}
				after = m.Seq
			}
		}
		if err == nil && len(msgs) > 0 {
			_, err = tx.ExecContext(ctx, "UPDATE conversations SET chain_head = ? WHERE id = ?", prev, convID)
		}
		if err != nil {
			tx.Rollback()
			return err
		}
		if err := tx.Commit(); err != nil {
			return err
		}
		if len(msgs) < fillBatch {
			return nil
		}
	}
}

// loadNewestMessage reads the time of the newest message stored, below
// which no new message is dated (messageTime).
func (db *DB) loadNewestMessage(ctx context.Context) error {
	var newest sql.NullString
	if err := db.writer.QueryRowContext(ctx, "SELECT max(created_at) FROM messages").Scan(&newest); err != nil {
		return fmt.Errorf("newest message: %w", err)
	}
	if newest.Valid {
		db.newestMessage = parseTime(newest.String)
	}
	return nil
}

func int64s(ctx context.Context, q queryer, query string, args ...any) ([]int64, error) {
	rows, err := q.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		out = append(out, id)
	}
	return out, rows.Err()
}

// chainMessage is a message as its chain covers it, with where its files
// are kept.
type chainMessage struct {
	backend.Message
	storage []string // each file's storage name, in the order of Files
}

// chainMessages reads up to limit messages of a conversation after seq
// after, in seq order, with what the chain covers and their recorded
// hashes: leaner than messagesWhere (no names, no uploaders), as a check
// of the whole database reads every message.
func chainMessages(ctx context.Context, q queryer, convID, after int64, limit int) ([]chainMessage, error) {
	rows, err := q.QueryContext(ctx, `
		SELECT m.seq, coalesce(m.sender_user_id, 0), coalesce(m.sender_tenant_id, 0), m.text, m.created_at, m.urgent, m.chain_hash,
		       (SELECT json_group_array(json_object('name', f.name, 'size', f.size, 'sha256', f.sha256, 'storage', f.storage_name) ORDER BY mf.position)
		          FROM message_files mf JOIN files f ON f.id = mf.file_id WHERE mf.message_id = m.id)
		FROM messages m WHERE m.conversation_id = ? AND m.seq > ? ORDER BY m.seq LIMIT ?`, convID, after, limit)
	if err != nil {
		return nil, fmt.Errorf("chain messages: %w", err)
	}
	defer rows.Close()
	var out []chainMessage
	for rows.Next() {
		m := chainMessage{Message: backend.Message{ConversationID: convID}}
		var userID, tenantID int64
		var created, files string
		var hash []byte
		if err := rows.Scan(&m.Seq, &userID, &tenantID, &m.Text, &created, &m.Urgent, &hash, &files); err != nil {
			return nil, fmt.Errorf("chain messages: %w", err)
		}
		if userID != 0 {
			m.Sender = backend.Sender{Kind: backend.KindUser, ID: userID}
		} else {
			m.Sender = backend.Sender{Kind: backend.KindTenant, ID: tenantID}
		}
		m.CreatedAt = parseTime(created)
		if hash != nil {
			m.Hash = hex.EncodeToString(hash)
		}
		var fs []struct {
			Name    string `json:"name"`
			Size    int64  `json:"size"`
			SHA256  string `json:"sha256"`
			Storage string `json:"storage"`
		}
		if err := json.Unmarshal([]byte(files), &fs); err != nil {
			return nil, fmt.Errorf("chain message files: %w", err)
		}
		for _, f := range fs {
			m.Files = append(m.Files, backend.File{Name: f.Name, Size: f.Size, SHA256: f.SHA256})
			m.storage = append(m.storage, f.Storage)
		}
		out = append(out, m)
	}
	return out, rows.Err()
}

func messagesOf(cms []chainMessage) []backend.Message {
	out := make([]backend.Message, len(cms))
	for i, m := range cms {
		out[i] = m.Message
	}
	return out
}

// chainState is what a conversation's row says of its chain.
type chainState struct {
	convID    int64
	lastSeq   int64
	head      []byte // chain_head
	signedSeq int64
}

// allMessages is chainMessages without a limit.
const allMessages = -1

// checkSinceSigned recomputes a conversation's chain after its newest
// signature (which it takes as given, once the hash recorded at its seq is
// still the head it signed) up to its last seq, and returns the head
// recomputed at the last seq and what no longer holds.
func checkSinceSigned(ctx context.Context, q queryer, c chainState) (head []byte, problems []backend.ChainProblem, checked int, err error) {
	var prev []byte
	if c.signedSeq > 0 {
		var signed string
		var recorded []byte
		err := q.QueryRowContext(ctx, `SELECT s.head, (SELECT chain_hash FROM messages WHERE conversation_id = s.conversation_id AND seq = s.seq)
			FROM chain_signatures s WHERE s.conversation_id = ? AND s.seq = ? ORDER BY s.id DESC LIMIT 1`, c.convID, c.signedSeq).Scan(&signed, &recorded)
		problem := func(what string) (head []byte, problems []backend.ChainProblem, checked int, err error) {
			return nil, []backend.ChainProblem{{ConversationID: c.convID, Seq: c.signedSeq, Problem: what}}, 0, nil
		}
		switch {
		case errors.Is(err, sql.ErrNoRows):
			return problem(backend.ChainSignatureGone)
		case err != nil:
			return nil, nil, 0, fmt.Errorf("last signed head of conversation %d: %w", c.convID, err)
		case recorded == nil:
			return problem(backend.ChainMissing(c.signedSeq, c.signedSeq))
		}
		if prev, err = hex.DecodeString(signed); err != nil || !bytes.Equal(prev, recorded) {
			return problem(backend.ChainHeadDiffers)
		}
	}
	msgs, err := chainMessages(ctx, q, c.convID, c.signedSeq, allMessages)
	if err != nil {
		return nil, nil, 0, err
	}
	ms := messagesOf(msgs)
	heads, problems := backend.CheckChainAfter(c.convID, c.signedSeq, prev, ms)
	head = prev
	if n := len(msgs); n > 0 {
		head = heads[msgs[n-1].Seq]
	}
	return head, append(problems, backend.CheckChainTail(c.convID, c.signedSeq, c.lastSeq, c.head, ms)...), len(msgs), nil
}

// ServerKey is the server's public signing key and its id.
func (db *DB) ServerKey(ctx context.Context) (backend.ServerKey, error) {
	if db.signingKey == nil {
		return backend.ServerKey{}, backend.ErrNoSigningKey
	}
	id, err := db.ServerID(ctx)
	if err != nil {
		return backend.ServerKey{}, err
	}
	return backend.NewServerKey(id, db.signingKey.Public().(ed25519.PublicKey)), nil
}

// SignChainHead checks a conversation's whole chain, from its first
// message on and against every earlier signature (backend.CheckStoredChain),
// and signs its head as it is now. A history changed anywhere, long signed
// or not, is not signed again. The whole history is checked in a snapshot,
// beside the writer, so a long one holds up no one's message; the write
// that signs checks only what came after the snapshot, chained to the
// head found there: no message can come between the check and the
// signature.
func (db *DB) SignChainHead(ctx context.Context, p backend.Principal, convID int64) (backend.SignedHead, error) {
	if err := p.MaySignChainHead(); err != nil {
		return backend.SignedHead{}, err
	}
	if db.signingKey == nil {
		return backend.SignedHead{}, backend.ErrNoSigningKey
	}
	checkedSeq, checkedHead, err := db.checkWholeChain(ctx, p, convID)
	if err != nil {
		return backend.SignedHead{}, err
	}
	var signed backend.SignedHead
	err = db.Update(ctx, func(tx *Tx) error {
		c, err := openChat(ctx, tx, p, convID)
		if err != nil {
			return err
		}
		msgs, err := chainMessages(ctx, tx, c.ID, checkedSeq, allMessages)
		if err != nil {
			return err
		}
		ms := messagesOf(msgs)
		heads, problems := backend.CheckChainAfter(c.ID, checkedSeq, checkedHead, ms)
		problems = append(problems, backend.CheckChainTail(c.ID, checkedSeq, c.LastSeq, c.chainHead, ms)...)
		if len(problems) > 0 {
			return backend.ErrChainBroken(problems[0])
		}
		head := checkedHead
		if n := len(msgs); n > 0 {
			head = heads[msgs[n-1].Seq]
		}
		signed, err = db.signHead(ctx, tx, c.ID, c.LastSeq, head)
		return err
	})
	if err != nil {
		return backend.SignedHead{}, err
	}
	return signed, nil
}

// checkWholeChain checks a conversation's whole chain in a snapshot of the
// database, and returns the last seq it holds there and that message's
// hash (nil for a conversation without messages).
func (db *DB) checkWholeChain(ctx context.Context, p backend.Principal, convID int64) (int64, []byte, error) {
	tx, err := db.db.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return 0, nil, storageError(err)
	}
	defer tx.Rollback()
	c, err := openChat(ctx, tx, p, convID)
	if err != nil {
		return 0, nil, err
	}
	var signedSeq int64
	if err := tx.QueryRowContext(ctx, "SELECT signed_seq FROM conversations WHERE id = ?", c.ID).Scan(&signedSeq); err != nil {
		return 0, nil, fmt.Errorf("signed seq: %w", storageError(err))
	}
	stored, err := db.storedChainOf(ctx, tx, chainState{convID: c.ID, lastSeq: c.LastSeq, head: c.chainHead, signedSeq: signedSeq})
	if err != nil {
		return 0, nil, err
	}
	// Each signature against the key it carries: after -new-signing-key
	// the earlier ones are another key's, and verify-chain, which checks
	// them against this server's, says so.
	head, problems := backend.CheckStoredChain(stored, nil)
	if len(problems) > 0 {
		return 0, nil, backend.ErrChainBroken(problems[0])
	}
	return c.LastSeq, head, nil
}

// signBudget bounds the messages one periodic signing transaction checks,
// so that the first round after an upgrade (every conversation unsigned)
// does not hold up every write for the whole history at once.
const signBudget = 10_000

// SignChangedHeads signs the head of every conversation with messages since
// its last signature, after checking its chain since then: normally in one
// write for all of them. A conversation whose chain no longer holds is not
// signed; its problems are returned (and it is checked again next time).
func (db *DB) SignChangedHeads(ctx context.Context) (signed int, problems []backend.ChainProblem, err error) {
	if db.signingKey == nil {
		return 0, nil, backend.ErrNoSigningKey
	}
	var after int64 // conversations up to this id are done
	for more := true; more; {
		more = false
		var round int
		var found []backend.ChainProblem
		err := db.Update(ctx, func(tx *Tx) error {
			round, found, more = 0, nil, false
			rows, err := tx.QueryContext(ctx, `SELECT id, last_seq, chain_head, signed_seq FROM conversations
				WHERE last_seq > signed_seq AND id > ? ORDER BY id`, after)
			if err != nil {
				return fmt.Errorf("changed conversations: %w", err)
			}
			var changed []chainState
			for rows.Next() {
				var c chainState
				if err := rows.Scan(&c.convID, &c.lastSeq, &c.head, &c.signedSeq); err != nil {
					rows.Close()
					return fmt.Errorf("changed conversations: %w", err)
				}
				changed = append(changed, c)
			}
			if err := rows.Close(); err != nil {
				return fmt.Errorf("changed conversations: %w", err)
			}
			budget := signBudget
			for i, c := range changed {
				if budget <= 0 {
					more = true
					break
				}
				head, ps, checked, err := checkSinceSigned(ctx, tx, c)
				if err != nil {
					return err
				}
				budget -= checked
				after = changed[i].convID
				if len(ps) > 0 {
					found = append(found, ps...)
					continue
				}
				if _, err := db.signHead(ctx, tx, c.convID, c.lastSeq, head); err != nil {
					return err
				}
				round++
			}
			return nil
		})
		if err != nil {
			return signed, problems, err
		}
		signed += round
		problems = append(problems, found...)
	}
	return signed, problems, nil
}

// signHead signs that the chain of convID reached seq with head, records
// the signature and moves the conversation's signed seq to it.
func (db *DB) signHead(ctx context.Context, tx *Tx, convID, seq int64, head []byte) (backend.SignedHead, error) {
	var serverID string
	if err := tx.QueryRowContext(ctx, "SELECT value FROM meta WHERE key = 'server_id'").Scan(&serverID); err != nil {
		return backend.SignedHead{}, fmt.Errorf("server id: %w", err)
	}
	st := backend.HeadStatement{ServerID: serverID, ConversationID: convID, Seq: seq, Head: hex.EncodeToString(head),
		SignedAt: parseTime(formatTime(tx.Now()))}
	s := backend.SignHead(st, db.signingKey)
	if _, err := tx.ExecContext(ctx, `INSERT INTO chain_signatures (conversation_id, seq, head, signed_at, server_id, key_id, public_key, signature)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?)`, convID, seq, s.Head, s.SignedAt.UTC().Format(backend.ChainTimeLayout), serverID,
		backend.KeyFingerprint(db.signingKey.Public().(ed25519.PublicKey)), s.PublicKey, s.Signature); err != nil {
		return backend.SignedHead{}, fmt.Errorf("record signature: %w", err)
	}
	if _, err := tx.ExecContext(ctx, "UPDATE conversations SET signed_seq = ? WHERE id = ?", seq, convID); err != nil {
		return backend.SignedHead{}, fmt.Errorf("signed seq: %w", err)
	}
	return s, nil
}

// VerifyChains checks the chain of every conversation against what is
// stored (backend.ChainAudit): the hashes recorded, each conversation's
// recorded head and last seq, the stored files (checkFile, once per file;
// nil: not checked) and every signature the server made, which must
// verify with trusted (the server's key; nil: the key it carries). It
// reads a snapshot of the database; a server may go on writing.
func (db *DB) VerifyChains(ctx context.Context, trusted ed25519.PublicKey, checkFile backend.FileCheck) (backend.ChainReport, error) {
	tx, err := db.db.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return backend.ChainReport{}, storageError(err)
	}
	defer tx.Rollback()
	rows, err := tx.QueryContext(ctx, "SELECT id, last_seq, chain_head, signed_seq FROM conversations ORDER BY id")
	if err != nil {
		return backend.ChainReport{}, fmt.Errorf("conversations: %w", storageError(err))
	}
	var convs []chainState
	for rows.Next() {
		var c chainState
		if err := rows.Scan(&c.convID, &c.lastSeq, &c.head, &c.signedSeq); err != nil {
			rows.Close()
			return backend.ChainReport{}, fmt.Errorf("conversations: %w", err)
		}
		convs = append(convs, c)
	}
	if err := rows.Close(); err != nil {
		return backend.ChainReport{}, fmt.Errorf("conversations: %w", err)
	}
	audit := backend.NewChainAudit(trusted, checkFile)
	for _, c := range convs {
		stored, err := db.storedChainOf(ctx, tx, c)
		if err != nil {
			return backend.ChainReport{}, err
		}
		audit.Check(stored)
	}
	return audit.Report(), nil
}

// storedChainOf reads a conversation's whole chain as backend's checks
// take it: every message with its recorded hash and files, and every
// signature.
func (db *DB) storedChainOf(ctx context.Context, q queryer, c chainState) (backend.StoredChain, error) {
	msgs, err := chainMessages(ctx, q, c.convID, 0, allMessages)
	if err != nil {
		return backend.StoredChain{}, err
	}
	signatures, err := db.signaturesOf(ctx, q, c.convID)
	if err != nil {
		return backend.StoredChain{}, err
	}
	storage := make([][]string, len(msgs))
	for i, m := range msgs {
		storage[i] = m.storage
	}
	return backend.StoredChain{ConversationID: c.convID, LastSeq: c.lastSeq, Head: c.head, SignedSeq: c.signedSeq,
		Messages: messagesOf(msgs), Storage: storage, Signatures: signatures}, nil
}

// RecordSigningKey records the fingerprint of the server's signing key in
// meta when none is recorded, or in place of the one that is with
// replace, and returns the one recorded.
func (db *DB) RecordSigningKey(ctx context.Context, fingerprint string, replace bool) (string, error) {
	var recorded string
	err := db.Update(ctx, func(tx *Tx) error {
		upsert := "INSERT INTO meta (key, value) VALUES ('signing_key', ?) ON CONFLICT (key) DO NOTHING"
		if replace {
			upsert = "INSERT INTO meta (key, value) VALUES ('signing_key', ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value"
		}
		if _, err := tx.ExecContext(ctx, upsert, fingerprint); err != nil {
			return err
		}
		return tx.QueryRowContext(ctx, "SELECT value FROM meta WHERE key = 'signing_key'").Scan(&recorded)
	})
	if err != nil {
		return "", fmt.Errorf("sqlite: signing key: %w", storageError(err))
	}
	return recorded, nil
}

// signaturesOf reads every signature of a conversation, oldest seq first.
func (db *DB) signaturesOf(ctx context.Context, q queryer, convID int64) ([]backend.SignedHead, error) {
	rows, err := q.QueryContext(ctx, `SELECT seq, head, signed_at, server_id, public_key, signature FROM chain_signatures
		WHERE conversation_id = ? ORDER BY seq, id`, convID)
	if err != nil {
		return nil, fmt.Errorf("signatures: %w", storageError(err))
	}
	defer rows.Close()
	var out []backend.SignedHead
	for rows.Next() {
		s := backend.SignedHead{HeadStatement: backend.HeadStatement{ConversationID: convID}}
		var at string
		if err := rows.Scan(&s.Seq, &s.Head, &at, &s.ServerID, &s.PublicKey, &s.Signature); err != nil {
			return nil, fmt.Errorf("signatures: %w", err)
		}
		s.SignedAt = parseTime(at)
		out = append(out, s)
	}
	return out, rows.Err()
}

// Schema is the database's schema version.
func (db *DB) Schema(ctx context.Context) (int, error) {
	v, err := migrate.Current(ctx, db.db)
	if err != nil {
		return 0, fmt.Errorf("sqlite: schema: %w", storageError(err))
	}
	return v, nil
}

// HoldsSignatures reports whether the database at path (if there is one)
// holds head signatures: a server whose signing key is missing must not
// quietly make another while they are there. It only reads.
func HoldsSignatures(ctx context.Context, path string) (bool, error) {
	if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	conn, err := sql.Open(driverName, "file:"+filepath.ToSlash(path)+"?mode=ro&_busy_timeout=5000")
	if err != nil {
		return false, err
	}
	defer conn.Close()
	var tables int
	if err := conn.QueryRowContext(ctx, "SELECT count(*) FROM sqlite_schema WHERE type = 'table' AND name = 'chain_signatures'").Scan(&tables); err != nil {
		return false, storageError(err)
	}
	if tables == 0 {
		return false, nil // from before the chain
	}
	var any bool
	if err := conn.QueryRowContext(ctx, "SELECT EXISTS (SELECT 1 FROM chain_signatures)").Scan(&any); err != nil {
		return false, storageError(err)
	}
	return any, nil
}
