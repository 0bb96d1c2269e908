/*
 * loadgen: a cheap pipelined load generator for Redis-protocol servers.
 *
 * Built to measure servers whose CPU per request is below redis-benchmark's
 * own: at pipeline 16 redis-benchmark spends more of its core per request
 * than Swiftlet does, so one redis-benchmark process, not the server, sets
 * the rate. loadgen does the same work with a fraction of the CPU: requests
 * are built once per connection and only the key digits are rewritten, each
 * batch is one send(), replies are parsed in place (no allocation), the epoll
 * set is never modified in the steady state, and the clock is read once per
 * batch write and once per recv().
 *
 *   gcc -O2 -pthread -o loadgen Benchmarks/tools/loadgen.c
 *   loadgen -p 6379 -t get -P 16 -c 50 -r 1000000 -n 2000000
 *
 * Options
 *   -h, --host HOST     server address (default 127.0.0.1)
 *   -p, --port PORT     server port (default 6379)
 *   -c N                connections (default 50)
 *   -P N                pipeline: requests per batch (default 16). As in
 *                       redis-benchmark, a connection writes a batch of N
 *                       requests, reads all N replies, then writes the next.
 *   -n N                stop after N requests in total (default 1000000);
 *                       MGET/MSET of 10 keys count as one request each
 *   --seconds S         stop issuing batches after S seconds (with -n too:
 *                       whichever comes first; without -n: no request limit)
 *   -r N                keys drawn uniformly from [0, N) (default 1000000)
 *   -d N                value size in bytes, all 'x' (default 3)
 *   -t WORKLOAD         get | set | incr | mget | mset | mix (default get)
 *                         get   GET key:%012d
 *                         set   SET key:%012d <value>
 *                         incr  INCR counter:%012d (redis-benchmark's key)
 *                         mget  MGET of 10 random key:%012d keys
 *                         mset  MSET of 10 random key:%012d keys and values
 *                         mix   80% GET key, 20% SET key <value> EX <ttl>,
 *                               chosen at random per request
 *                       key:%012d is redis-benchmark's key:__rand_int__, so a
 *                       keyspace filled by `redis-benchmark -t set -r N` is
 *                       the one GET and MGET read.
 *   --ttl S             EX seconds for the SETs of `mix` (default 300)
 *   --threads T         threads, connections spread over them (default 1)
 *   --seed N            random seed (default: from the clock)
 *   -q                  only the machine-readable line
 *
 * Checks: every reply is parsed and its type checked against the command
 * (GET: bulk or null, SET/MSET: +OK, INCR: integer, MGET: array of 10 bulk or
 * null). Error replies (-...) and replies of another type are counted and the
 * first of each printed; a malformed reply (protocol desync) or a closed
 * connection stops the run at once. Exit status: 0 if every reply was as
 * expected, 1 if any error or unexpected reply, 2 on desync or I/O failure,
 * 3 on bad options.
 *
 * Latency, as redis-benchmark measures it: from the write of a request's
 * batch to the parse of its reply, with the clock read once per recv() (all
 * replies parsed from one recv() share that reading). Recorded in a fixed
 * log-linear histogram of nanoseconds (exact below 256 ns, then 128
 * sub-buckets per power of two: under 0.4% error at the bucket midpoint).
 *
 * Output: stdout gets one line
 *   requests N seconds S rps R p50_ms A p99_ms B p999_ms C avg_ms D max_ms E
 *   errors F unexpected G cpu_user_s U cpu_sys_s Y cpu_us_per_req Z busy W
 * where cpu_* is this process's own CPU during the run (getrusage) and busy
 * its CPU seconds over wall seconds; stderr gets a human summary (not with -q).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

enum { EXP_BULK, EXP_OK, EXP_INT, EXP_ARRAY };
enum { W_GET, W_SET, W_INCR, W_MGET, W_MSET, W_MIX };
#define MULTI_KEYS 10
#define KEY_DIGITS 12
#define MAX_KEYS_PER_REQ MULTI_KEYS

/* ---- options ---- */
static const char *opt_host = "127.0.0.1";
static int opt_port = 6379, opt_clients = 50, opt_pipeline = 16, opt_threads = 1, opt_quiet = 0;
static uint64_t opt_requests = 1000000, opt_keyspace = 1000000, opt_seed = 0;
static long opt_value = 3, opt_ttl = 300;
static double opt_seconds = 0;
static int opt_workload = W_GET;
static const char *workload_name = "get";

/* ---- shared run state ---- */
static uint64_t g_issued;          /* requests claimed so far (atomic) */
static uint64_t g_deadline_ns;     /* 0: none */
static uint64_t g_start_ns;

static void die(int status, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    fputs("loadgen: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    exit(status);
}

static inline uint64_t now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* ---- histogram ---- */
#define H_SUB_BITS 7
#define H_SUB (1 << H_SUB_BITS)                /* 128 sub-buckets per octave */
#define H_LINEAR (2 * H_SUB)                   /* exact below 256 ns */
#define H_MAX_MSB 44                           /* ~4.9 hours */
#define H_BUCKETS (H_LINEAR + (H_MAX_MSB - H_SUB_BITS) * H_SUB)

static inline int h_index(uint64_t v) {
    if (v < H_LINEAR) return (int)v;
    int msb = 63 - __builtin_clzll(v);
    if (msb > H_MAX_MSB) return H_BUCKETS - 1;
    int shift = msb - H_SUB_BITS;
    return H_LINEAR + (msb - H_SUB_BITS - 1) * H_SUB + (int)((v >> shift) - H_SUB);
}

/* Lower bound and width of bucket i. */
static void h_bounds(int i, double *lo, double *width) {
    if (i < H_LINEAR) { *lo = i; *width = 1; return; }
    int octave = (i - H_LINEAR) / H_SUB, sub = (i - H_LINEAR) % H_SUB;
    int shift = octave + 1;
    *lo = (double)((uint64_t)(H_SUB + sub) << shift);
    *width = (double)(1ull << shift);
}

/* ---- templates: one request's bytes, with the offsets of its key digits ---- */
struct tmpl {
    char *bytes;
    size_t len;
    int nkeys;
    size_t key_off[MAX_KEYS_PER_REQ];
    unsigned char expect;
};

struct sbuf { char *p; size_t len, cap; };

static void sb_add(struct sbuf *b, const void *data, size_t n) {
    if (b->len + n > b->cap) {
        b->cap = (b->len + n) * 2 + 64;
        b->p = realloc(b->p, b->cap);
        if (!b->p) die(2, "out of memory");
    }
    memcpy(b->p + b->len, data, n);
    b->len += n;
}

static void sb_str(struct sbuf *b, const char *s) { sb_add(b, s, strlen(s)); }

static void sb_fmt(struct sbuf *b, const char *fmt, ...) {
    char tmp[64];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    sb_add(b, tmp, (size_t)n);
}

static void sb_bulk(struct sbuf *b, const char *s, size_t n) {
    sb_fmt(b, "$%zu\r\n", n);
    sb_add(b, s, n);
    sb_add(b, "\r\n", 2);
}

/* Adds a bulk key "<prefix><12 digits>" and records where the digits go. */
static void sb_key(struct sbuf *b, struct tmpl *t, const char *prefix) {
    size_t plen = strlen(prefix);
    sb_fmt(b, "$%zu\r\n", plen + KEY_DIGITS);
    sb_add(b, prefix, plen);
    t->key_off[t->nkeys++] = b->len;
    sb_add(b, "000000000000\r\n", KEY_DIGITS + 2);
}

static char *value_bytes;

static void sb_value(struct sbuf *b) { sb_bulk(b, value_bytes, (size_t)opt_value); }

static struct tmpl make_tmpl(int kind) {
    struct sbuf b = {0};
    struct tmpl t;
    memset(&t, 0, sizeof t);
    switch (kind) {
    case W_GET:
        sb_str(&b, "*2\r\n$3\r\nGET\r\n"); sb_key(&b, &t, "key:"); t.expect = EXP_BULK; break;
    case W_SET:
        sb_str(&b, "*3\r\n$3\r\nSET\r\n"); sb_key(&b, &t, "key:"); sb_value(&b); t.expect = EXP_OK; break;
    case W_INCR:
        sb_str(&b, "*2\r\n$4\r\nINCR\r\n"); sb_key(&b, &t, "counter:"); t.expect = EXP_INT; break;
    case W_MGET:
        sb_fmt(&b, "*%d\r\n$4\r\nMGET\r\n", MULTI_KEYS + 1);
        for (int i = 0; i < MULTI_KEYS; i++) sb_key(&b, &t, "key:");
        t.expect = EXP_ARRAY; break;
    case W_MSET:
        sb_fmt(&b, "*%d\r\n$4\r\nMSET\r\n", 2 * MULTI_KEYS + 1);
        for (int i = 0; i < MULTI_KEYS; i++) { sb_key(&b, &t, "key:"); sb_value(&b); }
        t.expect = EXP_OK; break;
    case W_MIX: { /* the SET EX half of the mix */
        char ttl[24];
        int n = snprintf(ttl, sizeof ttl, "%ld", opt_ttl);
        sb_str(&b, "*5\r\n$3\r\nSET\r\n"); sb_key(&b, &t, "key:"); sb_value(&b);
        sb_bulk(&b, "EX", 2); sb_bulk(&b, ttl, (size_t)n);
        t.expect = EXP_OK; break;
    }
    }
    t.bytes = b.p;
    t.len = b.len;
    return t;
}

static struct tmpl tmpl_main, tmpl_set_ex;   /* tmpl_set_ex: only for mix */

/* ---- key digits ---- */
static const char digit_pairs[201] =
    "00010203040506070809101112131415161718192021222324252627282930313233343536373839"
    "40414243444546474849505152535455565758596061626364656667686970717273747576777879"
    "8081828384858687888990919293949596979899";

static inline void put_digits(char *dst, uint64_t v) {   /* v < 10^12 */
    for (int i = KEY_DIGITS - 2; i >= 0; i -= 2) {
        uint64_t q = v / 100;
        memcpy(dst + i, digit_pairs + 2 * (v - q * 100), 2);
        v = q;
    }
}

/* ---- per-thread random numbers (xorshift64*) ---- */
static inline uint64_t rnd(uint64_t *s) {
    uint64_t x = *s;
    x ^= x >> 12; x ^= x << 25; x ^= x >> 27;
    *s = x;
    return x * 0x2545F4914F6CDD1Dull;
}

static inline uint64_t rnd_key(uint64_t *s) {
    return (uint64_t)(((unsigned __int128)rnd(s) * opt_keyspace) >> 64);
}

/* ---- connections ---- */
struct conn {
    int fd;
    int pending;            /* replies still expected for the current batch */
    int next_reply;         /* index in the batch of the next reply */
    int want_out;           /* EPOLLOUT registered (a partial send is waiting) */
    int done;
    char *obuf;
    size_t olen, osent;
    unsigned char *expect;  /* per request of the batch */
    char *ibuf;
    size_t ilen, icap;
    uint64_t batch_start;
};

struct thread {
    pthread_t tid;
    int epfd;
    struct conn *conns;
    int nconns, active;
    uint64_t rng;
    uint64_t completed, errors, unexpected;
    uint64_t lat_sum_ns, lat_max_ns;
    uint64_t end_ns;
    uint64_t hist[H_BUCKETS];
    char first_error[128], first_unexpected[128];
};

static void note(char *slot, const char *p, size_t n) {
    if (slot[0]) return;
    size_t k = 0;
    for (size_t i = 0; i < n && k < 120 && p[i] != '\r'; i++) slot[k++] = (p[i] >= 32 && p[i] < 127) ? p[i] : '?';
    slot[k] = 0;
    if (!k) strcpy(slot, "(empty)");
}

/* ---- reply parsing ---- */

/* Parses "<digits>\r\n" (optionally negative) starting at p. Returns the
 * position after the CRLF, NULL if incomplete; sets *bad on malformed input. */
static inline const char *parse_num(const char *p, const char *end, long long *out, int *bad) {
    int neg = 0;
    long long v = 0;
    const char *start;
    if (p < end && *p == '-') { neg = 1; p++; }
    start = p;
    while (p < end && (unsigned)(*p - '0') < 10) {
        v = v * 10 + (*p - '0');
        if (v > (1ll << 40)) { *bad = 1; return NULL; }
        p++;
    }
    if (end - p < 2) return NULL;
    if (p == start || p[0] != '\r' || p[1] != '\n') { *bad = 1; return NULL; }
    *out = neg ? -v : v;
    return p + 2;
}

/* What a parsed reply was. */
struct shape {
    char type;          /* + - : $ * */
    long long n;        /* bulk length or array count (-1: null) */
    int all_bulk;       /* array: every element a bulk or null */
    int is_ok;          /* status: exactly OK */
};

/* Parses one RESP2 reply at p. Returns its length, 0 if incomplete, -1 if malformed. */
static long parse_reply(const char *p, const char *end, struct shape *s, int depth) {
    if (p >= end) return 0;
    const char *q;
    int bad = 0;
    s->type = *p;
    switch (*p) {
    case '$':
        q = parse_num(p + 1, end, &s->n, &bad);
        if (!q) return bad ? -1 : 0;
        if (s->n < 0) return s->n == -1 ? q - p : -1;
        if (end - q < s->n + 2) return 0;
        if (q[s->n] != '\r' || q[s->n + 1] != '\n') return -1;
        return q + s->n + 2 - p;
    case '+':
    case '-': {
        const char *nl = memchr(p + 1, '\n', (size_t)(end - p - 1));
        if (!nl) return 0;
        if (nl[-1] != '\r') return -1;
        s->is_ok = (nl - p == 4 && p[1] == 'O' && p[2] == 'K');
        return nl + 1 - p;
    }
    case ':':
        q = parse_num(p + 1, end, &s->n, &bad);
        if (!q) return bad ? -1 : 0;
        return q - p;
    case '*': {
        q = parse_num(p + 1, end, &s->n, &bad);
        if (!q) return bad ? -1 : 0;
        if (s->n < -1 || depth > 8) return -1;
        s->all_bulk = 1;
        for (long long i = 0; i < s->n; i++) {
            struct shape e;
            long m = parse_reply(q, end, &e, depth + 1);
            if (m <= 0) return m;
            if (e.type != '$') s->all_bulk = 0;
            q += m;
        }
        return q - p;
    }
    default:
        return -1;
    }
}

/* ---- batches ---- */

static void send_rest(struct thread *t, struct conn *c) {
    while (c->osent < c->olen) {
        ssize_t w = send(c->fd, c->obuf + c->osent, c->olen - c->osent, MSG_NOSIGNAL);
        if (w < 0) {
            if (errno == EINTR) continue;
            if (errno == EAGAIN || errno == EWOULDBLOCK) break;
            die(2, "send: %s", strerror(errno));
        }
        c->osent += (size_t)w;
    }
    int want = c->osent < c->olen;
    if (want != c->want_out) {
        struct epoll_event ev = {.events = EPOLLIN | (want ? EPOLLOUT : 0), .data.ptr = c};
        if (epoll_ctl(t->epfd, EPOLL_CTL_MOD, c->fd, &ev) < 0) die(2, "epoll_ctl: %s", strerror(errno));
        c->want_out = want;
    }
}

/* Claims up to P requests and writes them as one batch; marks the connection
 * done when the run is over. */
static void start_batch(struct thread *t, struct conn *c) {
    uint64_t now = now_ns();
    int k = 0;
    if (!g_deadline_ns || now < g_deadline_ns) {
        uint64_t claim = __atomic_fetch_add(&g_issued, (uint64_t)opt_pipeline, __ATOMIC_RELAXED);
        if (claim < opt_requests) k = (int)(opt_requests - claim < (uint64_t)opt_pipeline ? opt_requests - claim : (uint64_t)opt_pipeline);
    }
    if (k == 0) {
        c->done = 1;
        t->active--;
        return;
    }
    if (opt_workload == W_MIX) {
        char *o = c->obuf;
        for (int i = 0; i < k; i++) {
            uint64_t r = rnd(&t->rng);
            /* GET when the top 32 bits are below 0.8 * 2^32: 80/20 in expectation. */
            const struct tmpl *tp = (uint32_t)(r >> 32) < 3435973837u ? &tmpl_main : &tmpl_set_ex;
            memcpy(o, tp->bytes, tp->len);
            put_digits(o + tp->key_off[0], rnd_key(&t->rng));
            c->expect[i] = tp->expect;
            o += tp->len;
        }
        c->olen = (size_t)(o - c->obuf);
    } else {
        const struct tmpl *tp = &tmpl_main;
        for (int i = 0; i < k; i++) {
            char *base = c->obuf + (size_t)i * tp->len;
            for (int j = 0; j < tp->nkeys; j++) put_digits(base + tp->key_off[j], rnd_key(&t->rng));
        }
        c->olen = (size_t)k * tp->len;
    }
    c->pending = k;
    c->next_reply = 0;
    c->osent = 0;
    c->batch_start = now;
    send_rest(t, c);
}

static void on_readable(struct thread *t, struct conn *c) {
    if (c->ilen == c->icap) {      /* a reply bigger than the buffer: grow (rare) */
        c->icap *= 2;
        c->ibuf = realloc(c->ibuf, c->icap);
        if (!c->ibuf) die(2, "out of memory");
    }
    ssize_t r = recv(c->fd, c->ibuf + c->ilen, c->icap - c->ilen, 0);
    if (r < 0) {
        if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) return;
        die(2, "recv: %s", strerror(errno));
    }
    if (r == 0) die(2, "the server closed a connection");
    c->ilen += (size_t)r;
    if (c->done || c->pending == 0) die(2, "protocol desync: %zd bytes with no request outstanding", r);
    uint64_t now = now_ns();
    const char *p = c->ibuf, *end = c->ibuf + c->ilen;
    int parsed = 0;
    while (c->pending > 0) {
        struct shape s;
        long m = parse_reply(p, end, &s, 0);
        if (m == 0) break;
        if (m < 0) {
            char text[128] = {0};
            note(text, p, (size_t)(end - p));
            die(2, "protocol desync: malformed reply starting \"%s\"", text);
        }
        int ok;
        switch (c->expect[c->next_reply]) {
        case EXP_BULK: ok = s.type == '$'; break;
        case EXP_OK: ok = s.type == '+' && s.is_ok; break;
        case EXP_INT: ok = s.type == ':'; break;
        default: ok = s.type == '*' && s.n == MULTI_KEYS && s.all_bulk; break;
        }
        if (!ok) {
            if (s.type == '-') { t->errors++; note(t->first_error, p, (size_t)m); }
            else { t->unexpected++; note(t->first_unexpected, p, (size_t)m); }
        }
        p += m;
        parsed++;
        c->pending--;
        c->next_reply++;
    }
    if (parsed) {
        uint64_t lat = now - c->batch_start;
        t->hist[h_index(lat)] += (uint64_t)parsed;
        t->lat_sum_ns += lat * (uint64_t)parsed;
        if (lat > t->lat_max_ns) t->lat_max_ns = lat;
        t->completed += (uint64_t)parsed;
        t->end_ns = now;
    }
    size_t left = (size_t)(end - p);
    if (left && c->pending == 0) die(2, "protocol desync: %zu bytes after the last reply of a batch", left);
    if (left && p != c->ibuf) memmove(c->ibuf, p, left);
    c->ilen = left;
    if (c->pending == 0) start_batch(t, c);
}

static int connect_one(void) {
    struct addrinfo hints = {0}, *res, *ai;
    char port[16];
    snprintf(port, sizeof port, "%d", opt_port);
    hints.ai_socktype = SOCK_STREAM;
    int rc = getaddrinfo(opt_host, port, &hints, &res);
    if (rc) die(2, "%s: %s", opt_host, gai_strerror(rc));
    int fd = -1;
    for (ai = res; ai; ai = ai->ai_next) {
        fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, ai->ai_protocol);
        if (fd < 0) continue;
        if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0) break;
        close(fd);
        fd = -1;
    }
    freeaddrinfo(res);
    if (fd < 0) die(2, "cannot connect to %s:%d: %s", opt_host, opt_port, strerror(errno));
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    int fl = fcntl(fd, F_GETFL);
    if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0) die(2, "fcntl: %s", strerror(errno));
    return fd;
}

static void *thread_main(void *arg) {
    struct thread *t = arg;
    struct epoll_event events[64];
    for (int i = 0; i < t->nconns; i++) start_batch(t, &t->conns[i]);
    while (t->active > 0) {
        int n = epoll_wait(t->epfd, events, 64, 1000);
        if (n < 0) {
            if (errno == EINTR) continue;
            die(2, "epoll_wait: %s", strerror(errno));
        }
        for (int i = 0; i < n; i++) {
            struct conn *c = events[i].data.ptr;
            if (events[i].events & EPOLLOUT) send_rest(t, c);
            if (events[i].events & (EPOLLIN | EPOLLERR | EPOLLHUP)) on_readable(t, c);
        }
    }
    return NULL;
}

/* ---- options ---- */
static void usage(int status) {
    fprintf(status ? stderr : stdout,
            "usage: loadgen [-h HOST] [-p PORT] [-c CLIENTS] [-P PIPELINE] [-n REQUESTS] [--seconds S]\n"
            "               [-r KEYSPACE] [-d VALUE_BYTES] [-t get|set|incr|mget|mset|mix] [--ttl S]\n"
            "               [--threads T] [--seed N] [-q]\n"
            "(see the comment at the top of Benchmarks/tools/loadgen.c)\n");
    exit(status);
}

static uint64_t num_arg(const char *name, const char *v, uint64_t min, uint64_t max) {
    char *e;
    if (!v) die(3, "%s needs a value", name);
    errno = 0;
    unsigned long long x = strtoull(v, &e, 10);
    if (errno || *e || e == v || x < min || x > max || v[0] == '-') die(3, "bad value for %s: %s", name, v);
    return x;
}

int main(int argc, char **argv) {
    int n_given = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "--help")) usage(0);
        else if (!strcmp(a, "-q")) { opt_quiet = 1; continue; }
        else if (!strcmp(a, "-h") || !strcmp(a, "--host")) { if (!v) die(3, "%s needs a value", a); opt_host = v; }
        else if (!strcmp(a, "-p") || !strcmp(a, "--port")) opt_port = (int)num_arg(a, v, 1, 65535);
        else if (!strcmp(a, "-c")) opt_clients = (int)num_arg(a, v, 1, 100000);
        else if (!strcmp(a, "-P")) opt_pipeline = (int)num_arg(a, v, 1, 100000);
        else if (!strcmp(a, "-n")) { opt_requests = num_arg(a, v, 1, UINT64_MAX / 2); n_given = 1; }
        else if (!strcmp(a, "-r")) opt_keyspace = num_arg(a, v, 1, 1000000000000ull);
        else if (!strcmp(a, "-d")) opt_value = (long)num_arg(a, v, 0, 512ull << 20);
        else if (!strcmp(a, "--ttl")) opt_ttl = (long)num_arg(a, v, 1, 1ull << 40);
        else if (!strcmp(a, "--threads")) opt_threads = (int)num_arg(a, v, 1, 1024);
        else if (!strcmp(a, "--seed")) opt_seed = num_arg(a, v, 0, UINT64_MAX);
        else if (!strcmp(a, "--seconds")) {
            char *e;
            if (!v) die(3, "--seconds needs a value");
            opt_seconds = strtod(v, &e);
            if (*e || e == v || !(opt_seconds > 0)) die(3, "bad value for --seconds: %s", v);
        } else if (!strcmp(a, "-t")) {
            static const char *names[] = {"get", "set", "incr", "mget", "mset", "mix"};
            if (!v) die(3, "-t needs a value");
            opt_workload = -1;
            for (int w = 0; w < 6; w++) if (!strcasecmp(v, names[w])) { opt_workload = w; workload_name = names[w]; }
            if (opt_workload < 0) die(3, "unknown workload %s (get, set, incr, mget, mset, mix)", v);
        } else {
            fprintf(stderr, "loadgen: unknown option %s\n", a);
            usage(3);
        }
        i++;
    }
    if (opt_seconds > 0 && !n_given) opt_requests = UINT64_MAX / 2;
    if (opt_threads > opt_clients) opt_threads = opt_clients;
    if (!opt_seed) opt_seed = now_ns() ^ ((uint64_t)getpid() << 32);
    signal(SIGPIPE, SIG_IGN);

    value_bytes = malloc((size_t)opt_value + 1);
    if (!value_bytes) die(2, "out of memory");
    memset(value_bytes, 'x', (size_t)opt_value);
    if (opt_workload == W_MIX) {
        tmpl_main = make_tmpl(W_GET);
        tmpl_set_ex = make_tmpl(W_MIX);
    } else {
        tmpl_main = make_tmpl(opt_workload);
    }
    size_t max_req = tmpl_main.len > tmpl_set_ex.len ? tmpl_main.len : tmpl_set_ex.len;
    /* Enough for a batch of replies in one recv() in the common cases. */
    size_t reply_guess = (opt_workload == W_MGET ? MULTI_KEYS : 1) * ((size_t)opt_value + 16) + 16;
    size_t icap = reply_guess * (size_t)opt_pipeline;
    if (icap < 16384) icap = 16384;
    if (icap > (1u << 20)) icap = 1u << 20;

    struct thread *threads = calloc((size_t)opt_threads, sizeof *threads);
    struct conn *conns = calloc((size_t)opt_clients, sizeof *conns);
    if (!threads || !conns) die(2, "out of memory");
    for (int ti = 0; ti < opt_threads; ti++) {
        struct thread *t = &threads[ti];
        t->epfd = epoll_create1(EPOLL_CLOEXEC);
        if (t->epfd < 0) die(2, "epoll_create1: %s", strerror(errno));
        t->rng = opt_seed * 0x9E3779B97F4A7C15ull + (uint64_t)ti * 0xD1B54A32D192ED03ull + 1;
        for (int w = 0; w < 8; w++) rnd(&t->rng);
        if (!t->rng) t->rng = 1;
    }
    /* Connection i belongs to thread i % T; each thread's connections are contiguous. */
    int at = 0;
    for (int ti = 0; ti < opt_threads; ti++) {
        struct thread *t = &threads[ti];
        t->conns = conns + at;
        t->nconns = opt_clients / opt_threads + (ti < opt_clients % opt_threads);
        t->active = t->nconns;
        at += t->nconns;
        for (int i = 0; i < t->nconns; i++) {
            struct conn *c = &t->conns[i];
            c->fd = connect_one();
            c->obuf = malloc(max_req * (size_t)opt_pipeline);
            c->expect = malloc((size_t)opt_pipeline);
            c->icap = icap;
            c->ibuf = malloc(icap);
            if (!c->obuf || !c->expect || !c->ibuf) die(2, "out of memory");
            if (opt_workload != W_MIX) {
                for (int k = 0; k < opt_pipeline; k++) memcpy(c->obuf + (size_t)k * tmpl_main.len, tmpl_main.bytes, tmpl_main.len);
                memset(c->expect, tmpl_main.expect, (size_t)opt_pipeline);
            }
            struct epoll_event ev = {.events = EPOLLIN, .data.ptr = c};
            if (epoll_ctl(t->epfd, EPOLL_CTL_ADD, c->fd, &ev) < 0) die(2, "epoll_ctl: %s", strerror(errno));
        }
    }

    struct rusage ru0, ru1;
    getrusage(RUSAGE_SELF, &ru0);
    g_start_ns = now_ns();
    if (opt_seconds > 0) g_deadline_ns = g_start_ns + (uint64_t)(opt_seconds * 1e9);
    if (opt_threads == 1) {
        thread_main(&threads[0]);
    } else {
        for (int ti = 0; ti < opt_threads; ti++)
            if (pthread_create(&threads[ti].tid, NULL, thread_main, &threads[ti])) die(2, "pthread_create failed");
        for (int ti = 0; ti < opt_threads; ti++) pthread_join(threads[ti].tid, NULL);
    }
    getrusage(RUSAGE_SELF, &ru1);

    /* Merge. */
    static uint64_t hist[H_BUCKETS];
    uint64_t completed = 0, errors = 0, unexpected = 0, lat_sum = 0, lat_max = 0, last = g_start_ns;
    const char *first_error = "", *first_unexpected = "";
    for (int ti = 0; ti < opt_threads; ti++) {
        struct thread *t = &threads[ti];
        completed += t->completed; errors += t->errors; unexpected += t->unexpected;
        lat_sum += t->lat_sum_ns;
        if (t->lat_max_ns > lat_max) lat_max = t->lat_max_ns;
        if (t->end_ns > last) last = t->end_ns;
        if (!*first_error && t->first_error[0]) first_error = t->first_error;
        if (!*first_unexpected && t->first_unexpected[0]) first_unexpected = t->first_unexpected;
        for (int i = 0; i < H_BUCKETS; i++) hist[i] += t->hist[i];
    }
    double seconds = (double)(last - g_start_ns) / 1e9;
    double pct[3] = {0.50, 0.99, 0.999}, val[3] = {0, 0, 0};
    for (int q = 0; q < 3; q++) {
        uint64_t rank = (uint64_t)(pct[q] * (double)completed + 0.999999);
        if (rank < 1) rank = 1;
        uint64_t cum = 0;
        for (int i = 0; i < H_BUCKETS; i++) {
            cum += hist[i];
            if (cum >= rank) {
                double lo, w;
                h_bounds(i, &lo, &w);
                val[q] = (lo + (w - 1) / 2) / 1e6;   /* midpoint, ms */
                break;
            }
        }
    }
    double user = (double)(ru1.ru_utime.tv_sec - ru0.ru_utime.tv_sec) + (double)(ru1.ru_utime.tv_usec - ru0.ru_utime.tv_usec) / 1e6;
    double sys = (double)(ru1.ru_stime.tv_sec - ru0.ru_stime.tv_sec) + (double)(ru1.ru_stime.tv_usec - ru0.ru_stime.tv_usec) / 1e6;
    double rps = seconds > 0 ? (double)completed / seconds : 0;
    double avg = completed ? (double)lat_sum / (double)completed / 1e6 : 0;
    double cpu_us = completed ? (user + sys) * 1e6 / (double)completed : 0;
    double busy = seconds > 0 ? (user + sys) / seconds : 0;
    printf("requests %llu seconds %.3f rps %.0f p50_ms %.3f p99_ms %.3f p999_ms %.3f avg_ms %.3f max_ms %.3f "
           "errors %llu unexpected %llu cpu_user_s %.3f cpu_sys_s %.3f cpu_us_per_req %.3f busy %.3f\n",
           (unsigned long long)completed, seconds, rps, val[0], val[1], val[2], avg, (double)lat_max / 1e6,
           (unsigned long long)errors, (unsigned long long)unexpected, user, sys, cpu_us, busy);
    fflush(stdout);
    if (!opt_quiet)
        fprintf(stderr, "loadgen: %s, %d clients, P%d, %ld-byte values, %llu keys: %llu requests in %.3f s, %.0f req/s, "
                        "p50 %.3f ms, p99 %.3f ms, p99.9 %.3f ms; own CPU %.3f s (%.3f us/req, %.0f%% of a core)\n",
                workload_name, opt_clients, opt_pipeline, opt_value, (unsigned long long)opt_keyspace,
                (unsigned long long)completed, seconds, rps, val[0], val[1], val[2], user + sys, cpu_us, 100 * busy);
    if (errors) fprintf(stderr, "loadgen: %llu error replies, the first: %s\n", (unsigned long long)errors, first_error);
    if (unexpected)
        fprintf(stderr, "loadgen: %llu replies of an unexpected type, the first: %s\n", (unsigned long long)unexpected, first_unexpected);
    return errors || unexpected ? 1 : 0;
}
