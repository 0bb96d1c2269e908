/*
 * floor: a Redis-protocol responder that does no work, as a yardstick for
 * server CPU per request at pipeline 1.
 *
 * At pipeline 1 most of a server's CPU goes to the kernel: receiving the
 * request, sending the reply over loopback (which, on Linux, also runs the
 * client's side of TCP and wakes the client), and epoll. This program pays
 * exactly that and nothing else: one epoll loop, one recv per readable
 * socket, one send per batch of replies, all as raw system calls, the same socket options as
 * Swiftlet and Redis (TCP_NODELAY). It parses just enough RESP to answer
 * every request once: "+OK" to SET, "$3 xxx" to anything else. There is no
 * keyspace. Benchmarks/report.py runs it next to both servers, so the
 * report shows how far above this floor each server's CPU per request is.
 *
 *   gcc -O2 -o floor Benchmarks/tools/floor.c
 *   floor --port 6379        (other arguments are accepted and ignored, so
 *                             the benchmark scripts can start it as they
 *                             start a server)
 */
#define _GNU_SOURCE
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

/* Raw system calls: glibc's recv, send and epoll_wait are pthread
 * cancellation points, which add two atomic operations per call. */
#define RECV(fd, p, n) syscall(SYS_recvfrom, fd, p, n, 0, NULL, NULL)
#define SEND(fd, p, n) syscall(SYS_sendto, fd, p, n, 0, NULL, 0)
#define WAIT(ep, evs, max) (int)syscall(SYS_epoll_pwait, ep, evs, max, -1, NULL, (size_t)8)

enum { INPUT_CAPACITY = 1 << 20, OUTPUT_CAPACITY = 1 << 20 };

struct client {
    char *input;
    size_t used;
    char *output;
    size_t pending;
};

static struct client *clients[65536];

static const char ok_reply[] = "+OK\r\n";
static const char bulk_reply[] = "$3\r\nxxx\r\n";

/* Reads a "<prefix><digits>\r\n" header at p; returns its value and sets
 * *next past it, or returns -1 when the buffer ends first. */
static long header(const char *p, const char *end, char prefix, const char **next) {
    if (p >= end) return -1;
    if (*p != prefix) { fprintf(stderr, "floor: unexpected input\n"); exit(1); }
    long value = 0;
    for (p++; p < end && *p != '\r'; p++) value = value * 10 + (*p - '0');
    if (p + 1 >= end) return -1;
    *next = p + 2;
    return value;
}

/* Length of the first complete request in [p, end), or 0 if incomplete;
 * *is_set says whether its command is SET. */
static size_t request_length(const char *p, const char *end, int *is_set) {
    const char *q;
    long count = header(p, end, '*', &q);
    if (count < 0) return 0;
    for (long i = 0; i < count; i++) {
        long length = header(q, end, '$', &q);
        if (length < 0 || q + length + 2 > end) return 0;
        if (i == 0) *is_set = length == 3 && (q[0] | 32) == 's' && (q[1] | 32) == 'e' && (q[2] | 32) == 't';
        q += length + 2;
    }
    return (size_t)(q - p);
}

static void answer(struct client *c) {
    size_t offset = 0;
    for (;;) {
        int is_set = 0;
        size_t n = request_length(c->input + offset, c->input + c->used, &is_set);
        if (n == 0) break;
        const char *reply = is_set ? ok_reply : bulk_reply;
        size_t length = is_set ? sizeof ok_reply - 1 : sizeof bulk_reply - 1;
        if (c->pending + length > OUTPUT_CAPACITY) break;
        memcpy(c->output + c->pending, reply, length);
        c->pending += length;
        offset += n;
    }
    memmove(c->input, c->input + offset, c->used - offset);
    c->used -= offset;
}

static void drop(int epoll, int fd) {
    epoll_ctl(epoll, EPOLL_CTL_DEL, fd, NULL);
    close(fd);
    free(clients[fd]->input);
    free(clients[fd]->output);
    free(clients[fd]);
    clients[fd] = NULL;
}

int main(int argc, char **argv) {
    int port = 6379;
    for (int i = 1; i + 1 < argc; i++)
        if (!strcmp(argv[i], "--port")) port = atoi(argv[i + 1]);
    int listener = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
    int one = 1;
    setsockopt(listener, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    struct sockaddr_in address = {.sin_family = AF_INET, .sin_port = htons(port),
                                  .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    if (bind(listener, (struct sockaddr *)&address, sizeof address) || listen(listener, 511)) {
        perror("floor");
        return 1;
    }
    int epoll = epoll_create1(0);
    struct epoll_event event = {.events = EPOLLIN, .data.fd = listener};
    epoll_ctl(epoll, EPOLL_CTL_ADD, listener, &event);
    struct epoll_event events[256];
    for (;;) {
        int ready = WAIT(epoll, events, 256);
        for (int i = 0; i < ready; i++) {
            int fd = events[i].data.fd;
            if (fd == listener) {
                int c;
                while ((c = accept4(listener, NULL, NULL, SOCK_NONBLOCK)) >= 0) {
                    if (c >= 65536) { close(c); continue; }
                    setsockopt(c, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
                    clients[c] = calloc(1, sizeof(struct client));
                    clients[c]->input = malloc(INPUT_CAPACITY);
                    clients[c]->output = malloc(OUTPUT_CAPACITY);
                    struct epoll_event e = {.events = EPOLLIN, .data.fd = c};
                    epoll_ctl(epoll, EPOLL_CTL_ADD, c, &e);
                }
                continue;
            }
            struct client *c = clients[fd];
            if (c->used == INPUT_CAPACITY) { drop(epoll, fd); continue; }
            ssize_t n = RECV(fd, c->input + c->used, INPUT_CAPACITY - c->used);
            if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) { drop(epoll, fd); continue; }
            if (n < 0) continue;
            c->used += (size_t)n;
            answer(c);
            /* Spins while the socket buffer is full: fine for a benchmark
             * client, which reads its replies, and whose pipeline of
             * replies fits in the buffer anyway. */
            size_t sent = 0;
            while (sent < c->pending) {
                ssize_t w = SEND(fd, c->output + sent, c->pending - sent);
                if (w < 0 && errno != EAGAIN && errno != EINTR) break;
                if (w > 0) sent += (size_t)w;
            }
            c->pending = 0;
        }
    }
}
