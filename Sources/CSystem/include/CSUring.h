// CSUring: a minimal io_uring driver for the event loop, written against
// the kernel's UAPI header (no liburing). The loop uses it as a completion
// queue for accepts, reads and readiness: one system call per loop turn
// submits what the turn queued and collects what the kernel completed.
//
// Every function is for the one thread that created the ring (the ring is
// set up with SINGLE_ISSUER and DEFER_TASKRUN: the kernel runs the
// completions' work only when that thread enters the ring).
#ifndef SWIFTLET_CSURING_H
#define SWIFTLET_CSURING_H

#include <stdint.h>
#include <stddef.h>

typedef struct cs_uring cs_uring;

/// A ring with `entries` submission slots and a pool of `buffers` receive
/// buffers of `buffer_size` bytes each (a power of two count). NULL, with
/// errno set, when this kernel or its sandbox has no usable io_uring.
cs_uring *cs_uring_create(unsigned entries, unsigned buffers, unsigned buffer_size);
void cs_uring_destroy(cs_uring *ring);

/// Queue one request (sent at the next cs_uring_enter). `tag` comes back
/// with each of its completions. Returns 0, or -1 when the submission queue
/// stayed full after submitting what it held.
int cs_uring_accept_multishot(cs_uring *ring, int listener, uint64_t tag);
/// Receives into the buffer pool, one completion per arrival, until it
/// fails or the pool runs dry (a completion without CS_URING_MORE).
int cs_uring_recv_multishot(cs_uring *ring, int fd, uint64_t tag);
int cs_uring_poll(cs_uring *ring, int fd, uint32_t events, int multishot, uint64_t tag);
/// Cancels every queued request tagged `target`.
int cs_uring_cancel(cs_uring *ring, uint64_t target, uint64_t tag);

/// Submits what is queued, then waits until at least one completion is
/// ready or `timeout_ms` passes (0: do not wait; negative: no limit).
/// Returns 0 or a negative errno (-EINTR and -ETIME are normal).
int cs_uring_enter(cs_uring *ring, int timeout_ms);
/// Moves up to `max` completions out of the ring: their tags, results
/// (bytes, a new fd, or a negative errno) and flags.
int cs_uring_reap(cs_uring *ring, uint64_t *tags, int32_t *results, uint32_t *flags, int max);
/// Completions waiting to be reaped.
unsigned cs_uring_ready(cs_uring *ring);

/// Completion flags.
#define CS_URING_MORE 1u      /* the request stays armed and will complete again */
#define CS_URING_BUFFER 2u    /* the bytes are in pool buffer `flags >> 16` */

/// The pool buffer `id`'s bytes; give it back with cs_uring_recycle once read.
void *cs_uring_buffer(cs_uring *ring, unsigned id);
void cs_uring_recycle(cs_uring *ring, unsigned id);

#endif
