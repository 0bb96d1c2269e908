// The cache-tier scenario (see README.md here) through go-redis v5
// (gopkg.in/redis.v5, as Debian packages it: golang-gopkg-redis.v5-dev).
// Usage: GOPATH=/usr/share/gocode GO111MODULE=off go run go-redis.go PORT
package main

import (
	"bytes"
	"fmt"
	"os"
	"sort"
	"strings"
	"time"

	"gopkg.in/redis.v5"
)

func out(step string, value interface{}, err error) {
	if err == redis.Nil {
		fmt.Printf("%s: nil\n", step)
	} else if err != nil {
		fmt.Printf("%s: error %s\n", step, err.Error())
	} else {
		fmt.Printf("%s: %v\n", step, value)
	}
}

func main() {
	addr := "127.0.0.1:" + os.Args[1]
	// One connection, so CLIENT SETNAME and GETNAME meet on the same one.
	c := redis.NewClient(&redis.Options{Addr: addr, PoolSize: 1})
	other := redis.NewClient(&redis.Options{Addr: addr})

	// Read path: miss, fill with a TTL, hit.
	v, err := c.Get("cache:item:42").Result()
	out("get miss", v, err)
	s, err := c.Set("cache:item:42", `{"id":42,"name":"widget"}`, 300*time.Second).Result()
	out("set ex", s, err)
	v, err = c.Get("cache:item:42").Result()
	out("get hit", v, err)
	ttl, err := c.TTL("cache:item:42").Result()
	out("ttl in range", ttl > 0 && ttl <= 300*time.Second, err)
	// Stampede lock.
	b, err := c.SetNX("lock:item:42", "1", 60*time.Second).Result()
	out("lock first", b, err)
	b, err = c.SetNX("lock:item:42", "1", 60*time.Second).Result()
	out("lock second", b, err)
	// Write path: invalidate.
	n, err := c.Unlink("cache:item:42").Result()
	out("unlink", n, err)
	n, err = c.Del("cache:item:42").Result()
	out("del missing", n, err)
	n, err = c.ExistsMulti("cache:item:42", "lock:item:42").Result()
	out("exists", n, err)

	// Counters.
	n, err = c.Incr("hits").Result()
	out("incr", n, err)
	n, err = c.IncrBy("hits", 10).Result()
	out("incrby", n, err)
	n, err = c.Decr("hits").Result()
	out("decr", n, err)
	f, err := c.IncrByFloat("ratio", 0.25).Result()
	out("incrbyfloat", f, err)

	// Pipelined batch.
	cmds, err := c.Pipelined(func(p *redis.Pipeline) error {
		for i := 0; i < 200; i++ {
			p.Set(fmt.Sprintf("batch:%d", i), fmt.Sprintf("v%d", i), 0)
		}
		for i := 0; i < 200; i++ {
			p.Get(fmt.Sprintf("batch:%d", i))
		}
		return nil
	})
	match := err == nil
	for i, cmd := range cmds[200:] {
		if cmd.(*redis.StringCmd).Val() != fmt.Sprintf("v%d", i) {
			match = false
		}
	}
	out("pipelined sets and gets", match, err)
	vals, err := c.MGet("batch:0", "batch:199", "batch:missing").Result()
	out("mget", vals, err)

	// Transaction (MULTI/EXEC) and optimistic locking.
	cmds, err = c.TxPipelined(func(p *redis.Pipeline) error {
		p.Incr("tx:n")
		p.Set("tx:s", "x", 0)
		p.Get("tx:s")
		return nil
	})
	results := []string{}
	for _, cmd := range cmds {
		results = append(results, fmt.Sprint(cmd))
	}
	out("multi exec", strings.Join(results, " | "), err)
	err = c.Watch(func(tx *redis.Tx) error {
		other.Set("tx:watched", "changed", 0)
		_, err := tx.Pipelined(func(p *redis.Pipeline) error {
			p.Set("tx:watched", "mine", 0)
			return nil
		})
		return err
	}, "tx:watched")
	out("watch abort", "", err)
	v, err = c.Get("tx:watched").Result()
	out("watched value", v, err)

	// Types.
	s, err = c.HMSet("user:1", map[string]string{"name": "ann", "age": "30"}).Result()
	out("hmset", s, err)
	m, err := c.HGetAll("user:1").Result()
	out("hgetall", m, err)
	n, err = c.HIncrBy("user:1", "age", 1).Result()
	out("hincrby", n, err)
	n, err = c.RPush("queue", "a", "b", "c").Result()
	out("rpush", n, err)
	l, err := c.LRange("queue", 0, -1).Result()
	out("lrange", l, err)
	v, err = c.LPop("queue").Result()
	out("lpop", v, err)
	n, err = c.SAdd("tags", "x", "y", "z", "x").Result()
	out("sadd", n, err)
	l, err = c.SMembers("tags").Result()
	sort.Strings(l)
	out("smembers sorted", l, err)
	b, err = c.SIsMember("tags", "y").Result()
	out("sismember", b, err)
	n, err = c.ZAdd("board", redis.Z{Score: 3, Member: "c"}, redis.Z{Score: 1, Member: "a"}, redis.Z{Score: 2, Member: "b"}).Result()
	out("zadd", n, err)
	z, err := c.ZRangeWithScores("board", 0, -1).Result()
	out("zrange withscores", z, err)
	f, err = c.ZScore("board", "b").Result()
	out("zscore", f, err)
	s, err = c.Type("board").Result()
	out("type", s, err)

	// Errors reach the caller with Redis's text.
	v, err = c.Get("user:1").Result()
	out("wrongtype", v, err)
	c.Set("cache:text", "abc", 0)
	n, err = c.Incr("cache:text").Result()
	out("not integer", n, err)
	cmd := redis.NewCmd("NOSUCHCOMMAND", "x")
	c.Process(cmd)
	out("unknown command", cmd.Val(), cmd.Err())
	cmd = redis.NewCmd("GET")
	c.Process(cmd)
	out("arity", cmd.Val(), cmd.Err())

	// Binary-safe and large values.
	binary := []byte{0, 1, 13, 10, 255, 0, 36, 42}
	s, err = c.Set("bin", binary, 0).Result()
	out("set binary", s, err)
	raw, err := c.Get("bin").Bytes()
	out("binary roundtrip", bytes.Equal(raw, binary), err)
	large := strings.Repeat("x", 1024*1024) + "end"
	s, err = c.Set("large", large, 0).Result()
	out("set 1MiB", s, err)
	n, err = c.StrLen("large").Result()
	out("strlen", n, err)
	v, err = c.Get("large").Result()
	out("large roundtrip", v == large, err)

	// Expiry controls.
	b, err = c.Expire("hits", 100*time.Second).Result()
	out("expire", b, err)
	b, err = c.Persist("hits").Result()
	out("persist", b, err)
	d, err := c.PTTL("hits").Result()
	out("pttl after persist", d, err)
	s, err = c.Set("short", "v", 50*time.Millisecond).Result()
	out("set px", s, err)
	time.Sleep(120 * time.Millisecond)
	v, err = c.Get("short").Result()
	out("expired", v, err)

	// SCAN over a pattern.
	seen := map[string]bool{}
	it := c.Scan(0, "batch:1*", 20).Iterator()
	for it.Next() {
		seen[it.Val()] = true
	}
	out("scan match count", len(seen), it.Err())

	// Invalidation by pub/sub: a subscriber deletes what the message names.
	sub, err := other.Subscribe("invalidate")
	out("subscribe", err == nil, err)
	confirmation, err := sub.ReceiveTimeout(5 * time.Second)
	out("subscribed", confirmation, err)
	n, err = c.Publish("invalidate", "cache:item:7").Result()
	out("publish receivers", n, err)
	received, err := sub.ReceiveTimeout(5 * time.Second)
	out("message", received, err)
	psub, err := other.PSubscribe("inv:*")
	out("psubscribe", err == nil, err)
	confirmation, err = psub.ReceiveTimeout(5 * time.Second)
	out("psubscribed", confirmation, err)
	n, err = c.Publish("inv:users", "user:1").Result()
	out("publish pattern receivers", n, err)
	received, err = psub.ReceiveTimeout(5 * time.Second)
	out("pmessage", received, err)
	sub.Close()
	psub.Close()

	setname := redis.NewStatusCmd("CLIENT", "SETNAME", "worker-1")
	c.Process(setname)
	out("client setname", setname.Val(), setname.Err())
	getname := redis.NewStringCmd("CLIENT", "GETNAME")
	c.Process(getname)
	out("client getname", getname.Val(), getname.Err())
	n, err = c.DbSize().Result()
	out("dbsize", n, err)
	s, err = c.Ping().Result()
	out("ping", s, err)
	other.Close()
	c.Close()
}
