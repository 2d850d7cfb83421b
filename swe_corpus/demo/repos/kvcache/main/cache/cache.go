// Package cache is an in-memory key-value cache with per-entry TTLs.
package cache

import (
	"sync"
	"time"

	"github.com/gridstack/kvcache/internal/clock"
)

type entry struct {
	value   []byte
	expires time.Time
}

// Cache is safe for concurrent use.
type Cache struct {
	mu      sync.Mutex
	entries map[string]entry
	clock   clock.Clock
}

// New returns an empty cache using the given clock (nil means the system clock).
func New(c clock.Clock) *Cache {
	if c == nil {
		c = clock.System{}
	}
	return &Cache{entries: make(map[string]entry), clock: c}
}

// Set stores value under key for ttl.
func (c *Cache) Set(key string, value []byte, ttl time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.entries[key] = entry{value: value, expires: c.clock.Now().Add(ttl)}
}

// Get returns the value for key and whether it was present and not expired.
func (c *Cache) Get(key string) ([]byte, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.entries[key]
	if !ok {
		return nil, false
	}
	if c.clock.Now().After(e.expires) {
		delete(c.entries, key)
		return nil, false
	}
	return e.value, true
}

// Delete removes key.
func (c *Cache) Delete(key string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.entries, key)
}
