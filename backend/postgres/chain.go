package postgres

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io/fs"
	"time"

	"github.com/jackc/pgx/v5"

	"doorstep/backend"
)

// The hash chain of every conversation (backend/chain.go). A message's hash
// is computed in the transaction that stores it (insertMessage), chained to
// the conversation's chain_head, which that transaction moves on under the
// conversation's row lock; the server signs heads with its key
// (WithSigningKey) on request and periodically, after checking the chain
// since the last signature. Every message has its hash from the start: this
// store has no history from before the chain to fill in.

// chainMessage is a message as its chain covers it, with where its files
// are kept.
type chainMessage struct {
	backend.Message
	storage []string // each file's storage name, in the order of Files
}

// allMessages is chainMessages without a limit.
const allMessages = -1

// chainMessages reads up to limit (allMessages: every) messages of a
// conversation after seq after, in seq order, with what the chain covers
// and their recorded hashes: leaner than messagesWhere (no names, no
// uploaders), as a check of the whole database reads every message.
func chainMessages(ctx context.Context, q queryer, convID, after int64, limit int) ([]chainMessage, error) {
	var lim any // NULL: LIMIT ALL
	if limit >= 0 {
		lim = limit
	}
	rows, err := q.Query(ctx, `
		SELECT m.seq, coalesce(m.sender_user_id, 0), coalesce(m.sender_tenant_id, 0), m.text, m.created_at, m.created_ns, m.urgent, m.chain_hash,
		       (SELECT coalesce(json_agg(json_build_object('name', f.name, 'size', f.size, 'sha256', f.sha256, 'storage', f.storage_name)
		                                 ORDER BY mf.position), '[]')
		          FROM message_files mf JOIN files f ON f.id = mf.file_id WHERE mf.message_id = m.id)
		FROM messages m WHERE m.conversation_id = $1 AND m.seq > $2 ORDER BY m.seq LIMIT $3`, convID, after, lim)
	if err != nil {
		return nil, fmt.Errorf("chain messages: %w", err)
	}
	defer rows.Close()
	var out []chainMessage
	for rows.Next() {
		m := chainMessage{Message: backend.Message{ConversationID: convID}}
		var userID, tenantID int64
		var ns int16
		var files, hash []byte
		if err := rows.Scan(&m.Seq, &userID, &tenantID, &m.Text, &m.CreatedAt, &ns, &m.Urgent, &hash, &files); err != nil {
			return nil, fmt.Errorf("chain messages: %w", err)
		}
		m.CreatedAt = m.CreatedAt.Add(time.Duration(ns)) // see migration 0006
		if userID != 0 {
			m.Sender = backend.Sender{Kind: backend.KindUser, ID: userID}
		} else {
			m.Sender = backend.Sender{Kind: backend.KindTenant, ID: tenantID}
		}
		if hash != nil {
			m.Hash = hex.EncodeToString(hash)
		}
		var fs []struct {
			Name    string `json:"name"`
			Size    int64  `json:"size"`
			SHA256  string `json:"sha256"`
			Storage string `json:"storage"`
		}
		if err := json.Unmarshal(files, &fs); err != nil {
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

// checkSinceSigned recomputes a conversation's chain after its newest
// signature (which it takes as given, once the hash recorded at its seq is
// still the head it signed) up to its last seq, and returns the head
// recomputed at the last seq and what no longer holds.
func checkSinceSigned(ctx context.Context, q queryer, c chainState) (head []byte, problems []backend.ChainProblem, checked int, err error) {
	var prev []byte
	if c.signedSeq > 0 {
		var signed string
		var recorded []byte
		err := q.QueryRow(ctx, `SELECT s.head, (SELECT chain_hash FROM messages WHERE conversation_id = s.conversation_id AND seq = s.seq)
			FROM chain_signatures s WHERE s.conversation_id = $1 AND s.seq = $2 ORDER BY s.id DESC LIMIT 1`, c.convID, c.signedSeq).Scan(&signed, &recorded)
		problem := func(what string) (head []byte, problems []backend.ChainProblem, checked int, err error) {
			return nil, []backend.ChainProblem{{ConversationID: c.convID, Seq: c.signedSeq, Problem: what}}, 0, nil
		}
		switch {
		case isNoRows(err):
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
// and signs its head as it is now, in one write under the conversation's
// row lock: no message can come between the check and the signature. A
// history changed anywhere, long signed or not, is not signed again.
func (db *DB) SignChainHead(ctx context.Context, p backend.Principal, convID int64) (backend.SignedHead, error) {
	if err := p.MaySignChainHead(); err != nil {
		return backend.SignedHead{}, err
	}
	if db.signingKey == nil {
		return backend.SignedHead{}, backend.ErrNoSigningKey
	}
	var signed backend.SignedHead
	err := db.Update(ctx, func(tx *Tx) error {
		c, err := openChatLocked(ctx, tx, p, convID)
		if err != nil {
			return err
		}
		var signedSeq int64
		if err := tx.QueryRow(ctx, "SELECT signed_seq FROM conversations WHERE id = $1", c.ID).Scan(&signedSeq); err != nil {
			return fmt.Errorf("signed seq: %w", err)
		}
		stored, err := storedChainOf(ctx, tx, chainState{convID: c.ID, lastSeq: c.LastSeq, head: c.chainHead, signedSeq: signedSeq})
		if err != nil {
			return err
		}
		// Each signature against the key it carries: after
		// -new-signing-key the earlier ones are another key's, and
		// verify-chain, which checks them against this server's, says so.
		head, problems := backend.CheckStoredChain(stored, nil)
		if len(problems) > 0 {
			return backend.ErrChainBroken(problems[0])
		}
		signed, err = db.signHead(ctx, tx, c.ID, c.LastSeq, head)
		return err
	})
	if err != nil {
		return backend.SignedHead{}, err
	}
	return signed, nil
}

// signBudget bounds the messages one periodic signing transaction checks,
// so that a round with much to check does not hold the locks of many
// conversations for long.
const signBudget = 10_000

// SignChangedHeads signs the head of every conversation with messages since
// its last signature, after checking its chain since then, in writes of up
// to signBudget messages each. A conversation whose chain no longer holds is
// not signed; its problems are returned (and it is checked again next
// time). Conversations another server's signer holds at the moment are left
// to it (SKIP LOCKED).
func (db *DB) SignChangedHeads(ctx context.Context) (signed int, problems []backend.ChainProblem, err error) {
	if db.signingKey == nil {
		return 0, nil, backend.ErrNoSigningKey
	}
	var after int64 // conversations up to this id are done
	for more := true; more; {
		var round int
		var found []backend.ChainProblem
		var reached int64
		err := db.Update(ctx, func(tx *Tx) error {
			round, found, more, reached = 0, nil, false, after
			rows, err := tx.Query(ctx, `SELECT id, last_seq, chain_head, signed_seq FROM conversations
				WHERE last_seq > signed_seq AND id > $1 ORDER BY id FOR NO KEY UPDATE SKIP LOCKED`, after)
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
			rows.Close()
			if err := rows.Err(); err != nil {
				return fmt.Errorf("changed conversations: %w", err)
			}
			budget := signBudget
			for _, c := range changed {
				if budget <= 0 {
					more = true
					break
				}
				head, ps, checked, err := checkSinceSigned(ctx, tx, c)
				if err != nil {
					return err
				}
				budget -= checked
				reached = c.convID
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
		after = reached
		signed += round
		problems = append(problems, found...)
	}
	return signed, problems, nil
}

// signHead signs that the chain of convID reached seq with head, records
// the signature and moves the conversation's signed seq to it.
func (db *DB) signHead(ctx context.Context, tx *Tx, convID, seq int64, head []byte) (backend.SignedHead, error) {
	var serverID string
	if err := tx.QueryRow(ctx, "SELECT value FROM meta WHERE key = 'server_id'").Scan(&serverID); err != nil {
		return backend.SignedHead{}, fmt.Errorf("server id: %w", err)
	}
	st := backend.HeadStatement{ServerID: serverID, ConversationID: convID, Seq: seq, Head: hex.EncodeToString(head), SignedAt: tx.Now()}
	s := backend.SignHead(st, db.signingKey)
	if _, err := tx.Exec(ctx, `INSERT INTO chain_signatures (conversation_id, seq, head, signed_at, server_id, key_id, public_key, signature)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`, convID, seq, s.Head, s.SignedAt, serverID,
		backend.KeyFingerprint(db.signingKey.Public().(ed25519.PublicKey)), s.PublicKey, s.Signature); err != nil {
		return backend.SignedHead{}, fmt.Errorf("record signature: %w", err)
	}
	if _, err := tx.Exec(ctx, "UPDATE conversations SET signed_seq = $1 WHERE id = $2", seq, convID); err != nil {
		return backend.SignedHead{}, fmt.Errorf("signed seq: %w", err)
	}
	return s, nil
}

// HoldsSignatures reports whether the database at connString holds head
// signatures (none before its schema is made): a server whose signing key
// is missing must not quietly make another while they are there. It only
// reads, on one connection of its own.
func HoldsSignatures(ctx context.Context, connString string) (bool, error) {
	conn, err := pgx.Connect(ctx, connString)
	if err != nil {
		return false, fmt.Errorf("postgres: %w", storageError(err))
	}
	defer conn.Close(ctx)
	var made bool
	if err := conn.QueryRow(ctx, "SELECT to_regclass('chain_signatures') IS NOT NULL").Scan(&made); err != nil || !made {
		return false, storageError(err)
	}
	var signed bool
	err = conn.QueryRow(ctx, "SELECT EXISTS (SELECT 1 FROM chain_signatures)").Scan(&signed)
	return signed, storageError(err)
}

// VerifyChains checks the chain of every conversation against what is
// stored (backend.ChainAudit): the hashes recorded, each conversation's
// recorded head and last seq, every stored file (its chunks against the
// size and SHA-256 recorded of it, once per file) and every signature the
// server made, which must verify with trusted (the server's key; nil: the
// key it carries). It reads one snapshot (a read-only REPEATABLE READ
// transaction) and writes nothing: the nodes may go on serving meanwhile.
func (db *DB) VerifyChains(ctx context.Context, trusted ed25519.PublicKey) (backend.ChainReport, error) {
	report, err := db.verifyChains(ctx, trusted)
	if err != nil {
		return backend.ChainReport{}, fmt.Errorf("postgres: verify chains: %w", storageError(err))
	}
	return report, nil
}

func (db *DB) verifyChains(ctx context.Context, trusted ed25519.PublicKey) (backend.ChainReport, error) {
	tx, err := db.pool.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly})
	if err != nil {
		return backend.ChainReport{}, err
	}
	defer tx.Rollback(context.WithoutCancel(ctx))
	rows, err := tx.Query(ctx, "SELECT id, last_seq, chain_head, signed_seq FROM conversations ORDER BY id")
	if err != nil {
		return backend.ChainReport{}, fmt.Errorf("conversations: %w", err)
	}
	convs, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (chainState, error) {
		var c chainState
		return c, row.Scan(&c.convID, &c.lastSeq, &c.head, &c.signedSeq)
	})
	if err != nil {
		return backend.ChainReport{}, fmt.Errorf("conversations: %w", err)
	}
	var fileErr error
	audit := backend.NewChainAudit(trusted, storedFileCheck(ctx, tx, &fileErr))
	for _, c := range convs {
		stored, err := storedChainOf(ctx, tx, c)
		if err != nil {
			return backend.ChainReport{}, err
		}
		audit.Check(stored)
		if fileErr != nil {
			return backend.ChainReport{}, fileErr
		}
	}
	return audit.Report(), nil
}

// storedChainOf reads a conversation's whole chain as backend's checks
// take it: every message with its recorded hash and files, and every
// signature.
func storedChainOf(ctx context.Context, q queryer, c chainState) (backend.StoredChain, error) {
	msgs, err := chainMessages(ctx, q, c.convID, 0, allMessages)
	if err != nil {
		return backend.StoredChain{}, err
	}
	signatures, err := signaturesOf(ctx, q, c.convID)
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
// replace, and returns the one recorded. Of nodes starting at once with
// different keys, the first insert wins: the others' wait for it on the
// key's unique index, then find its value.
func (db *DB) RecordSigningKey(ctx context.Context, fingerprint string, replace bool) (string, error) {
	var recorded string
	err := db.Update(ctx, func(tx *Tx) error {
		upsert := "INSERT INTO meta (key, value) VALUES ('signing_key', $1) ON CONFLICT (key) DO NOTHING"
		if replace {
			upsert = "INSERT INTO meta (key, value) VALUES ('signing_key', $1) ON CONFLICT (key) DO UPDATE SET value = excluded.value"
		}
		if _, err := tx.Exec(ctx, upsert, fingerprint); err != nil {
			return err
		}
		return tx.QueryRow(ctx, "SELECT value FROM meta WHERE key = 'signing_key'").Scan(&recorded)
	})
	if err != nil {
		return "", fmt.Errorf("postgres: signing key: %w", storageError(err))
	}
	return recorded, nil
}

// signaturesOf reads every signature of a conversation, oldest seq first.
func signaturesOf(ctx context.Context, q queryer, convID int64) ([]backend.SignedHead, error) {
	rows, err := q.Query(ctx, `SELECT seq, head, signed_at, signed_ns, server_id, public_key, signature FROM chain_signatures
		WHERE conversation_id = $1 ORDER BY seq, id`, convID)
	if err != nil {
		return nil, fmt.Errorf("signatures: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (backend.SignedHead, error) {
		s := backend.SignedHead{HeadStatement: backend.HeadStatement{ConversationID: convID}}
		var ns int16
		err := row.Scan(&s.Seq, &s.Head, &s.SignedAt, &ns, &s.ServerID, &s.PublicKey, &s.Signature)
		s.SignedAt = s.SignedAt.Add(time.Duration(ns)) // see migration 0006
		return s, err
	})
	if err != nil {
		return nil, fmt.Errorf("signatures: %w", err)
	}
	return out, nil
}

// storedFileCheck checks files kept in the database (blobs.go), as q sees
// them. A FileCheck has no error to return: the first failure to read is
// kept in *failed, and the files after it are not checked.
func storedFileCheck(ctx context.Context, q queryer, failed *error) backend.FileCheck {
	return func(storageName string, size int64, sum string) string {
		if *failed != nil {
			return ""
		}
		what, err := checkStoredFile(ctx, q, storageName, size, sum)
		if err != nil {
			*failed = fmt.Errorf("file %s: %w", storageName, err)
		}
		return what
	}
}

// checkStoredFile compares a stored file with what the database recorded
// of the message's file: its row of file_blobs must be there and agree,
// and its chunks, numbered from 0 without a gap (a download reads them by
// number), must hold size bytes with that SHA-256. One chunk at a time is
// in memory.
func checkStoredFile(ctx context.Context, q queryer, storageName string, size int64, sum string) (string, error) {
	var blobSize int64
	var blobSum string
	err := q.QueryRow(ctx, "SELECT size, sha256 FROM file_blobs WHERE storage_name = $1", storageName).Scan(&blobSize, &blobSum)
	if isNoRows(err) {
		return backend.ChainFileMissing, nil
	}
	if err != nil {
		return "", err
	}
	rows, err := q.Query(ctx, "SELECT n, data FROM file_chunks WHERE name = $1 ORDER BY n", storageName)
	if err != nil {
		return "", err
	}
	defer rows.Close()
	h := sha256.New()
	var read, next int64
	gap := false
	var n int64
	var data []byte
	for rows.Next() {
		if err := rows.Scan(&n, &data); err != nil {
			return "", err
		}
		gap = gap || n != next
		next = n + 1
		h.Write(data)
		read += int64(len(data))
	}
	if err := rows.Err(); err != nil {
		return "", err
	}
	if gap || read != size || hex.EncodeToString(h.Sum(nil)) != sum || blobSize != size || blobSum != sum {
		return backend.ChainFileChanged, nil
	}
	return "", nil
}

// SchemaAt reads the schema version of the database at connString (0: it
// holds no Doorstep schema) and the version this program knows, to which
// Open brings it, on one connection of its own and only reading. A command
// that must change nothing (verify-chain) or must not make a schema where
// none was meant (a mistyped URL) checks it before it opens the database.
func SchemaAt(ctx context.Context, connString string) (version, known int, err error) {
	sub, err := fs.Sub(migrationFS, "migrations")
	if err != nil {
		return 0, 0, err
	}
	migrations, err := loadMigrations(sub)
	if err != nil {
		return 0, 0, err
	}
	conn, err := pgx.Connect(ctx, connString)
	if err != nil {
		return 0, 0, fmt.Errorf("postgres: %w", storageError(err))
	}
	defer conn.Close(ctx)
	var made bool
	if err := conn.QueryRow(ctx, "SELECT to_regclass('schema_migrations') IS NOT NULL").Scan(&made); err != nil || !made {
		return 0, len(migrations), storageError(err)
	}
	if err := conn.QueryRow(ctx, "SELECT coalesce(max(version), 0) FROM schema_migrations").Scan(&version); err != nil {
		return 0, 0, fmt.Errorf("postgres: schema version: %w", storageError(err))
	}
	return version, len(migrations), nil
}
