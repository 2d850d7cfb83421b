package cache

import (
	"testing"
	"time"

	"github.com/gridstack/kvcache/internal/clock"
)

func TestSetGet(t *testing.T) {
	c := New(nil)
	c.Set("k", []byte("v"), time.Minute)
	if v, ok := c.Get("k"); !ok || string(v) != "v" {
		t.Fatalf("Get = %q, %v", v, ok)
	}
}

func TestExpired(t *testing.T) {
	fake := &clock.Fake{T: time.Unix(0, 0)}
	c := New(fake)
	c.Set("k", []byte("v"), time.Second)
	fake.Advance(2 * time.Second)
	if _, ok := c.Get("k"); ok {
		t.Fatal("expected k to be expired")
	}
}
