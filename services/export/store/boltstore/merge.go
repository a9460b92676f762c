package boltstore

import (
	"bytes"

	bolt "go.etcd.io/bbolt"
)

// head is a category cursor and the record it stands on.
type head struct {
	cursor     *bolt.Cursor
	key, value []byte
}

// merger is a min-heap of category cursors ordered by their current key:
// the k-way merge that yields a device's records in time order across
// categories. At most 24 heads, so a hand-rolled heap of values beats
// container/heap's interface calls.
type merger struct{ heads []head }

func (m *merger) add(c *bolt.Cursor, key, value []byte) {
	m.heads = append(m.heads, head{cursor: c, key: key, value: value})
}

func (m *merger) len() int { return len(m.heads) }

// min returns the head with the smallest key; after moving it, call fix
// (still in range) or pop (exhausted).
func (m *merger) min() *head { return &m.heads[0] }

func (m *merger) init() {
	for i := len(m.heads)/2 - 1; i >= 0; i-- {
		m.down(i)
	}
}

func (m *merger) fix() { m.down(0) }

func (m *merger) pop() {
	last := len(m.heads) - 1
	m.heads[0] = m.heads[last]
	m.heads = m.heads[:last]
	m.down(0)
}

func (m *merger) less(i, j int) bool { return bytes.Compare(m.heads[i].key, m.heads[j].key) < 0 }

func (m *merger) down(i int) {
	n := len(m.heads)
	for {
		smallest := i
		if l := 2*i + 1; l < n && m.less(l, smallest) {
			smallest = l
		}
		if r := 2*i + 2; r < n && m.less(r, smallest) {
			smallest = r
		}
		if smallest == i {
			return
		}
		m.heads[i], m.heads[smallest] = m.heads[smallest], m.heads[i]
		i = smallest
	}
}
