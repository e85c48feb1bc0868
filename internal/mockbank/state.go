package mockbank

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
)

// journal is the state file: one JSON line per commit, appended as the bank works
// and replayed in order at start. Appending keeps each commit's cost constant
// however long the ledger grows; the line is written whole in one write, so a
// bank killed mid-write loses at most that last, unanswered commit.
type journal struct {
	f *os.File
}

// journalLine is one commit as stored.
type journalLine struct {
	Intents []*PaymentIntent `json:"intents,omitempty"`
	Entries []LedgerEntry    `json:"entries,omitempty"`
	Saved   *savedResult     `json:"saved,omitempty"`
}

func openJournal(path string, apply func(commit)) (*journal, error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("open state file: %w", err)
	}
	good, err := replayJournal(f, apply)
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("read state file %s: %w", path, err)
	}
	// Cut a torn last line, so the next append starts on a line of its own.
	if err := f.Truncate(good); err != nil {
		f.Close()
		return nil, fmt.Errorf("truncate state file: %w", err)
	}
	if _, err := f.Seek(good, io.SeekStart); err != nil {
		f.Close()
		return nil, err
	}
	return &journal{f: f}, nil
}

// replayJournal applies every whole line and returns the offset after the last
// one. Only the final line may be torn; damage anywhere else is an error.
func replayJournal(r io.Reader, apply func(commit)) (int64, error) {
	br := bufio.NewReader(r)
	var off int64
	for {
		line, err := br.ReadBytes('\n')
		if errors.Is(err, io.EOF) {
			return off, nil // a line without its newline was never fully written
		}
		if err != nil {
			return 0, err
		}
		var jl journalLine
		if err := json.Unmarshal(bytes.TrimSpace(line), &jl); err != nil {
			return 0, fmt.Errorf("offset %d: %w", off, err)
		}
		apply(commit{intents: jl.Intents, entries: jl.Entries, saved: jl.Saved})
		off += int64(len(line))
	}
}

func (j *journal) append(c commit) error {
	b, err := json.Marshal(journalLine{Intents: c.intents, Entries: c.entries, Saved: c.saved})
	if err != nil {
		return err
	}
	if _, err := j.f.Write(append(b, '\n')); err != nil {
		return fmt.Errorf("append to state file: %w", err)
	}
	return nil
}

func (j *journal) close() error { return j.f.Close() }
