/* The cache-tier scenario (see README.md here) through hiredis, the C
 * client most other language bindings wrap (Debian: libhiredis-dev).
 *   gcc -O1 -o hiredis-client hiredis.c -lhiredis && ./hiredis-client PORT
 * Prints every reply with its type, so a difference in type (status
 * against bulk, integer against string) shows as well as one in content. */
#include <hiredis/hiredis.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void print_reply(const redisReply *r) {
    switch (r->type) {
    case REDIS_REPLY_STATUS: printf("+%s", r->str); break;
    case REDIS_REPLY_ERROR: printf("-%s", r->str); break;
    case REDIS_REPLY_INTEGER: printf(":%lld", r->integer); break;
    case REDIS_REPLY_NIL: printf("(nil)"); break;
    case REDIS_REPLY_STRING:
        putchar('"');
        for (size_t i = 0; i < r->len; i++) {
            unsigned char c = (unsigned char)r->str[i];
            if (c >= 32 && c < 127 && c != '"' && c != '\\') putchar(c); else printf("\\x%02x", c);
        }
        putchar('"');
        break;
    case REDIS_REPLY_ARRAY:
        printf("[");
        for (size_t i = 0; i < r->elements; i++) { if (i) printf(", "); print_reply(r->element[i]); }
        printf("]");
        break;
    default: printf("?type %d", r->type);
    }
}

static redisContext *connect_to(int port) {
    redisContext *c = redisConnect("127.0.0.1", port);
    if (!c || c->err) { printf("connect failed: %s\n", c ? c->errstr : "no memory"); exit(1); }
    return c;
}

/* Prints `step: reply` and frees it; a lost connection ends the run. */
static void show(redisContext *c, const char *step, redisReply *r) {
    if (!r) { printf("%s: connection error %s\n", step, c->errstr); exit(1); }
    printf("%s: ", step);
    print_reply(r);
    printf("\n");
    freeReplyObject(r);
}

int main(int argc, char **argv) {
    int port = atoi(argv[1]);
    setvbuf(stdout, NULL, _IOLBF, 0);  /* a run that hangs still shows how far it got */
    redisContext *c = connect_to(port);

    /* Read path: miss, fill with a TTL, hit; stampede lock; invalidation. */
    show(c, "get miss", redisCommand(c, "GET cache:item:42"));
    show(c, "set ex", redisCommand(c, "SET cache:item:42 %s EX 300", "{\"id\":42,\"name\":\"widget\"}"));
    show(c, "get hit", redisCommand(c, "GET cache:item:42"));
    redisReply *ttl = redisCommand(c, "TTL cache:item:42");
    printf("ttl in range: %d\n", ttl && ttl->type == REDIS_REPLY_INTEGER && ttl->integer > 0 && ttl->integer <= 300);
    freeReplyObject(ttl);
    show(c, "lock first", redisCommand(c, "SET lock:item:42 1 NX EX 60"));
    show(c, "lock second", redisCommand(c, "SET lock:item:42 1 NX EX 60"));
    show(c, "unlink", redisCommand(c, "UNLINK cache:item:42"));
    show(c, "del missing", redisCommand(c, "DEL cache:item:42"));
    show(c, "exists", redisCommand(c, "EXISTS cache:item:42 lock:item:42"));

    /* Counters. */
    show(c, "incr", redisCommand(c, "INCR hits"));
    show(c, "incrby", redisCommand(c, "INCRBY hits 10"));
    show(c, "decr", redisCommand(c, "DECR hits"));
    show(c, "incrbyfloat", redisCommand(c, "INCRBYFLOAT ratio 0.25"));

    /* Pipelining: 200 SETs and 200 GETs written before any reply is read. */
    for (int i = 0; i < 200; i++) redisAppendCommand(c, "SET batch:%d v%d", i, i);
    for (int i = 0; i < 200; i++) redisAppendCommand(c, "GET batch:%d", i);
    int ok = 1;
    for (int i = 0; i < 400; i++) {
        redisReply *r;
        if (redisGetReply(c, (void **)&r) != REDIS_OK) { printf("pipeline: connection error\n"); return 1; }
        char expected[32];
        snprintf(expected, sizeof expected, "v%d", i - 200);
        if (i < 200) ok &= r->type == REDIS_REPLY_STATUS && strcmp(r->str, "OK") == 0;
        else ok &= r->type == REDIS_REPLY_STRING && strcmp(r->str, expected) == 0;
        freeReplyObject(r);
    }
    printf("pipelined sets and gets: %d\n", ok);
    show(c, "mget", redisCommand(c, "MGET batch:0 batch:199 batch:missing"));

    /* Transactions, and WATCH seeing another client's write. */
    show(c, "multi", redisCommand(c, "MULTI"));
    show(c, "queued incr", redisCommand(c, "INCR tx:n"));
    show(c, "queued set", redisCommand(c, "SET tx:s x"));
    show(c, "queued get", redisCommand(c, "GET tx:s"));
    show(c, "exec", redisCommand(c, "EXEC"));
    redisContext *other = connect_to(port);
    show(c, "watch", redisCommand(c, "WATCH tx:watched"));
    show(other, "other set", redisCommand(other, "SET tx:watched changed"));
    show(c, "multi", redisCommand(c, "MULTI"));
    show(c, "queued set", redisCommand(c, "SET tx:watched mine"));
    show(c, "exec after change", redisCommand(c, "EXEC"));
    show(c, "watched value", redisCommand(c, "GET tx:watched"));
    show(c, "queued error", redisCommand(c, "MULTI"));
    show(c, "queued unknown", redisCommand(c, "NOSUCHCOMMAND"));
    show(c, "execabort", redisCommand(c, "EXEC"));

    /* Types. */
    show(c, "hset", redisCommand(c, "HSET user:1 name ann age 30"));
    show(c, "hgetall", redisCommand(c, "HGETALL user:1"));
    show(c, "hincrby", redisCommand(c, "HINCRBY user:1 age 1"));
    show(c, "rpush", redisCommand(c, "RPUSH queue a b c"));
    show(c, "lrange", redisCommand(c, "LRANGE queue 0 -1"));
    show(c, "lpop", redisCommand(c, "LPOP queue"));
    show(c, "sadd", redisCommand(c, "SADD tags x y z x"));
    show(c, "sismember", redisCommand(c, "SISMEMBER tags y"));
    show(c, "scard", redisCommand(c, "SCARD tags"));
    show(c, "zadd", redisCommand(c, "ZADD board 3 c 1 a 2 b"));
    show(c, "zrange withscores", redisCommand(c, "ZRANGE board 0 -1 WITHSCORES"));
    show(c, "zscore", redisCommand(c, "ZSCORE board b"));
    show(c, "type", redisCommand(c, "TYPE board"));

    /* Errors. */
    show(c, "wrongtype", redisCommand(c, "GET user:1"));
    show(c, "set text", redisCommand(c, "SET cache:text abc"));
    show(c, "not integer", redisCommand(c, "INCR cache:text"));
    show(c, "unknown command", redisCommand(c, "NOSUCHCOMMAND x"));
    show(c, "arity", redisCommand(c, "GET"));

    /* Binary-safe keys and values, and a large value. */
    const char binary[] = {0, 1, 13, 10, (char)255, 0, 36, 42};
    show(c, "set binary", redisCommand(c, "SET %b %b", "bin\0key", (size_t)7, binary, sizeof binary));
    show(c, "get binary", redisCommand(c, "GET %b", "bin\0key", (size_t)7));
    size_t large_length = 1024 * 1024 + 3;
    char *large = malloc(large_length);
    memset(large, 'x', large_length - 3);
    memcpy(large + large_length - 3, "end", 3);
    show(c, "set 1MiB", redisCommand(c, "SET large %b", large, large_length));
    show(c, "strlen", redisCommand(c, "STRLEN large"));
    redisReply *back = redisCommand(c, "GET large");
    printf("large roundtrip: %d\n", back && back->type == REDIS_REPLY_STRING && back->len == large_length &&
                                    memcmp(back->str, large, large_length) == 0);
    freeReplyObject(back);
    free(large);

    /* Expiry controls. */
    show(c, "expire", redisCommand(c, "EXPIRE hits 100"));
    show(c, "persist", redisCommand(c, "PERSIST hits"));
    show(c, "pttl after persist", redisCommand(c, "PTTL hits"));
    show(c, "set px", redisCommand(c, "SET short v PX 50"));
    usleep(120 * 1000);
    show(c, "expired", redisCommand(c, "GET short"));

    /* SCAN with MATCH until the cursor comes back to 0. */
    long long cursor = 0, seen = 0;
    do {
        redisReply *r = redisCommand(c, "SCAN %lld MATCH batch:1* COUNT 20", cursor);
        if (!r || r->type != REDIS_REPLY_ARRAY || r->elements != 2) { printf("scan: bad reply\n"); return 1; }
        cursor = strtoll(r->element[0]->str, NULL, 10);
        seen += (long long)r->element[1]->elements;
        freeReplyObject(r);
    } while (cursor != 0);
    printf("scan match count: %lld\n", seen);  /* SCAN may repeat a key; Redis and Swiftlet both return each once here */

    /* Invalidation by pub/sub. */
    show(other, "subscribe", redisCommand(other, "SUBSCRIBE invalidate"));
    show(other, "psubscribe", redisCommand(other, "PSUBSCRIBE inv:*"));
    show(c, "publish", redisCommand(c, "PUBLISH invalidate cache:item:7"));
    show(c, "publish pattern", redisCommand(c, "PUBLISH inv:users user:1"));
    redisReply *m;
    if (redisGetReply(other, (void **)&m) != REDIS_OK) { printf("message: connection error\n"); return 1; }
    show(other, "message", m);
    if (redisGetReply(other, (void **)&m) != REDIS_OK) { printf("pmessage: connection error\n"); return 1; }
    show(other, "pmessage", m);
    show(other, "command while subscribed", redisCommand(other, "GET x"));
    show(other, "ping while subscribed", redisCommand(other, "PING"));

    show(c, "client setname", redisCommand(c, "CLIENT SETNAME worker-1"));
    show(c, "client getname", redisCommand(c, "CLIENT GETNAME"));
    show(c, "dbsize", redisCommand(c, "DBSIZE"));
    show(c, "ping", redisCommand(c, "PING"));
    redisFree(other);
    redisFree(c);
    return 0;
}
