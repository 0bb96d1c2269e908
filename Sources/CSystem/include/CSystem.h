// CSystem: the few Linux calls Glibc's Swift overlay does not export
// cleanly (epoll, eventfd, accept4, malloc_usable_size, prefetch).
// Kept tiny on purpose: every function is a thin, inline pass-through.
#ifndef SWIFTLET_CSYSTEM_H
#define SWIFTLET_CSYSTEM_H

#include <stdint.h>
#include <stdio.h>
#include <stddef.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/resource.h>
#include <malloc.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>
#include <malloc.h>
#include <signal.h>
#include <unistd.h>
#include <errno.h>
#include <time.h>
#include <pthread.h>
#include <sys/random.h>
#include <sys/syscall.h>
#include <linux/futex.h>
#include "CSUring.h"

/// The shard locks this thread holds for a whole group of commands (EXEC,
/// FLUSHALL): bit i for shard i (shard i >= 64 shares bit i % 64, and such
/// keyspaces only ever hold all of them, as all ones). Lock and unlock of
/// a held shard are no-ops on this thread, so the commands of a
/// transaction use the normal locking paths. Thread-local, so other
/// threads never see it.
extern __thread uint64_t cs_held_shards __attribute__((tls_model("initial-exec")));
static inline uint64_t cs_thread_held_shards(void) { return cs_held_shards; }
static inline void cs_set_thread_held_shards(uint64_t held) { cs_held_shards = held; }

/// The event loop this thread runs (-1: not a loop thread), so code far
/// from the loop can tell whether a client lives on the current thread.
extern __thread int cs_loop_index __attribute__((tls_model("initial-exec")));
static inline int cs_current_loop(void) { return cs_loop_index; }
static inline void cs_set_current_loop(int index) { cs_loop_index = index; }

/// The id of the client whose command this thread is running (0: none).
extern __thread long cs_client_id __attribute__((tls_model("initial-exec")));
static inline long cs_current_client(void) { return cs_client_id; }
static inline void cs_set_current_client(long id) { cs_client_id = id; }

static inline void cs_random_bytes(void *p, size_t n) { (void)getrandom(p, n, 0); }

static inline int cs_epoll_create(void) { return epoll_create1(EPOLL_CLOEXEC); }

static inline int cs_epoll_ctl(int epfd, int op, int fd, uint32_t events, uint64_t data) {
    struct epoll_event ev;
    ev.events = events;
    ev.data.u64 = data;
    return epoll_ctl(epfd, op, fd, &ev);
}

/// Waits for events and unpacks them into two parallel arrays so Swift never
/// touches the packed `struct epoll_event` layout.
static inline int cs_epoll_wait(int epfd, uint32_t *events, uint64_t *data, int max, int timeout_ms) {
    struct epoll_event evs[256];
    if (max > 256) max = 256;
    // The raw call, not glibc's cancellation point (see cs_recv).
    int n = (int)syscall(SYS_epoll_pwait, epfd, evs, max, timeout_ms, NULL, (size_t)8);
    for (int i = 0; i < n; i++) { events[i] = evs[i].events; data[i] = evs[i].data.u64; }
    return n;
}

static inline int cs_eventfd(void) { return eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC); }

extern int accept4(int, struct sockaddr *, socklen_t *, int);

static inline int cs_accept(int fd, struct sockaddr_storage *addr, socklen_t *len) {
    return accept4(fd, (struct sockaddr *)addr, len, SOCK_NONBLOCK | SOCK_CLOEXEC);
}

static inline int cs_errno(void) { return errno; }

// recv/send on a non-blocking socket, as raw system calls. glibc's
// wrappers are pthread cancellation points: each call switches the
// thread's cancel state on and off around the system call, two locked
// compare-and-swaps that showed up as 2-3% of server CPU at pipeline 1.
// Swiftlet never cancels threads. Same results and errno as recv/send.
static inline ssize_t cs_recv(int fd, void *buffer, size_t length) {
    return syscall(SYS_recvfrom, fd, buffer, length, 0, NULL, NULL);
}
static inline ssize_t cs_send(int fd, const void *buffer, size_t length, int flags) {
    return syscall(SYS_sendto, fd, buffer, length, flags, NULL, 0);
}

static inline size_t cs_malloc_size(void *p) { return malloc_usable_size(p); }

static inline void cs_prefetch(const void *p) { __builtin_prefetch(p, 0, 3); }

static inline uint32_t cs_EPOLLIN_(void) { return EPOLLIN; }
static inline uint32_t cs_EPOLLOUT_(void) { return EPOLLOUT; }
static inline uint32_t cs_EPOLLERR_(void) { return EPOLLERR; }
static inline uint32_t cs_EPOLLHUP_(void) { return EPOLLHUP; }

/// Ignore SIGPIPE process-wide: a peer that vanished must turn into EPIPE, never a kill.
static inline void cs_ignore_sigpipe(void) { signal(SIGPIPE, SIG_IGN); }

/// Process CPU time (user, system) in microseconds, for INFO cpu.
static inline void cs_cpu_usage(int64_t *user_us, int64_t *sys_us) {
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    *user_us = (int64_t)ru.ru_utime.tv_sec * 1000000 + ru.ru_utime.tv_usec;
    *sys_us = (int64_t)ru.ru_stime.tv_sec * 1000000 + ru.ru_stime.tv_usec;
}

static inline int64_t cs_thread_cpu_us(void) {
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/// Formats `value` with "%.17g" (Redis's double replies) into `buffer`;
/// returns the length. A C helper because Swift reaches printf only through
/// a boxed va_list.
static inline int cs_format_g17(char *buffer, int size, double value) {
    return snprintf(buffer, (size_t)size, "%.17g", value);
}

/// `%.2f`, as INFO and MEMORY DOCTOR print ratios and human-readable sizes.
static inline int cs_format_fixed2(char *buffer, int size, double value) {
    return snprintf(buffer, (size_t)size, "%.2f", value);
}

/// INCRBYFLOAT's "%.17Lf" (Redis formats long doubles this way); Swift
/// cannot pass a Float80 through a C variadic call without boxing it.
#if defined(__x86_64__) || defined(__i386__)
static inline int cs_format_Lf17(char *buffer, int size, long double value) {
    return snprintf(buffer, (size_t)size, "%.17Lf", value);
}
#endif
static inline int cs_format_f17(char *buffer, int size, double value) {
    return snprintf(buffer, (size_t)size, "%.17f", value);
}

/// Limits glibc malloc to its main arena (see swiftlet-server's main.swift).
static inline void cs_use_one_malloc_arena(void) { mallopt(M_ARENA_MAX, 1); }

static inline int64_t cs_monotonic_us(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static inline int64_t cs_wall_us(void) {
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/// A cheap timestamp for measuring command durations: the TSC on x86-64
/// (a few ns), the monotonic clock elsewhere. Convert with a calibrated rate.
#if defined(__x86_64__)
#include <x86intrin.h>
static inline uint64_t cs_cycles(void) { return __rdtsc(); }
#else
static inline uint64_t cs_cycles(void) { return (uint64_t)cs_monotonic_us() * 1000; }
#endif

/// Sleeps while the 32-bit word at `address` still holds `expected` (or
/// until woken): the slow path of `FutexLock`. Spurious returns are fine,
/// the caller re-checks.
static inline void cs_futex_wait(void *address, uint32_t expected) {
    syscall(SYS_futex, address, FUTEX_WAIT_PRIVATE, expected, NULL, NULL, 0);
}

/// Wakes up to `count` threads sleeping on `address`.
static inline void cs_futex_wake(void *address, int count) {
    syscall(SYS_futex, address, FUTEX_WAKE_PRIVATE, count, NULL, NULL, 0);
}

#endif
