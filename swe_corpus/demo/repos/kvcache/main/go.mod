module github.com/gridstack/kvcache

go 1.21

require golang.org/x/sync v0.6.0
