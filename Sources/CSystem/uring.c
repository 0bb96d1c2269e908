// The io_uring driver declared in CSUring.h. Memory-ordering rules of the
// shared rings: the kernel reads the submission tail and writes the
// completion tail, so our tail store is a release (the entries before it
// are complete) and our read of the kernel's tail is an acquire.
#include "CSUring.h"
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <time.h>

#if __has_include(<linux/io_uring.h>)
#include <linux/io_uring.h>
#endif

#if defined(IORING_SETUP_DEFER_TASKRUN) && defined(IORING_RECV_MULTISHOT) && defined(__NR_io_uring_setup)

struct cs_uring {
    int fd;
    unsigned features;
    // Submission ring.
    unsigned *sq_head, *sq_tail, *sq_array;
    unsigned sq_mask, sq_entries;
    unsigned sq_queued_tail;  // our tail: entries filled, not yet published
    struct io_uring_sqe *sqes;
    // Completion ring.
    unsigned *cq_head, *cq_tail;
    unsigned cq_mask;
    struct io_uring_cqe *cqes;
    // The mappings, to undo them.
    void *sq_map, *cq_map;
    size_t sq_map_size, cq_map_size, sqes_size;
    // The receive buffer pool and its ring (buffer group 0).
    struct io_uring_buf_ring *pool_ring;
    size_t pool_ring_size;
    unsigned pool_count, pool_mask, buffer_size;
    size_t pool_size;
    uint16_t pool_tail;
    char *pool;
};

static int sys_setup(unsigned entries, struct io_uring_params *p) {
    return (int)syscall(__NR_io_uring_setup, entries, p);
}

static int sys_enter(int fd, unsigned submit, unsigned wait, unsigned flags, void *arg, size_t size) {
    long rc = syscall(__NR_io_uring_enter, fd, submit, wait, flags, arg, size);
    return rc < 0 ? -errno : (int)rc;
}

static int sys_register(int fd, unsigned op, void *arg, unsigned count) {
    long rc = syscall(__NR_io_uring_register, fd, op, arg, count);
    return rc < 0 ? -errno : (int)rc;
}

static void pool_add(cs_uring *r, unsigned id) {
    struct io_uring_buf *slot = &r->pool_ring->bufs[r->pool_tail & r->pool_mask];
    slot->addr = (uint64_t)(uintptr_t)(r->pool + (size_t)id * r->buffer_size);
    slot->len = r->buffer_size;
    slot->bid = (uint16_t)id;
    r->pool_tail++;
}

static void pool_publish(cs_uring *r) {
    __atomic_store_n(&r->pool_ring->tail, r->pool_tail, __ATOMIC_RELEASE);
}

cs_uring *cs_uring_create(unsigned entries, unsigned buffers, unsigned buffer_size) {
    if (buffers == 0 || (buffers & (buffers - 1)) != 0 || buffers > 32768) { errno = EINVAL; return NULL; }
    cs_uring *r = calloc(1, sizeof *r);
    if (!r) return NULL;
    r->fd = -1;
    struct io_uring_params p;
    memset(&p, 0, sizeof p);
    // The completion queue is larger than the submission queue: multishot
    // requests post many completions per submission.
    p.flags = IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN | IORING_SETUP_CQSIZE | IORING_SETUP_SUBMIT_ALL;
    p.cq_entries = entries * 4;
    r->fd = sys_setup(entries, &p);
    if (r->fd < 0) goto fail;
    // EXT_ARG carries the wait timeout; NODROP keeps completions when the
    // completion queue overflows.
    if (!(p.features & IORING_FEAT_EXT_ARG) || !(p.features & IORING_FEAT_NODROP) || !(p.features & IORING_FEAT_SINGLE_MMAP)) {
        errno = ENOSYS;
        goto fail;
    }
    r->features = p.features;
    r->sq_map_size = p.sq_off.array + p.sq_entries * sizeof(unsigned);
    r->cq_map_size = p.cq_off.cqes + p.cq_entries * sizeof(struct io_uring_cqe);
    if (r->cq_map_size > r->sq_map_size) r->sq_map_size = r->cq_map_size;
    r->cq_map_size = r->sq_map_size;  // one mapping serves both (SINGLE_MMAP)
    r->sq_map = mmap(NULL, r->sq_map_size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, r->fd, IORING_OFF_SQ_RING);
    if (r->sq_map == MAP_FAILED) { r->sq_map = NULL; goto fail; }
    r->cq_map = r->sq_map;
    r->sqes_size = p.sq_entries * sizeof(struct io_uring_sqe);
    r->sqes = mmap(NULL, r->sqes_size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, r->fd, IORING_OFF_SQES);
    if (r->sqes == MAP_FAILED) { r->sqes = NULL; goto fail; }
    char *sq = r->sq_map, *cq = r->cq_map;
    r->sq_head = (unsigned *)(sq + p.sq_off.head);
    r->sq_tail = (unsigned *)(sq + p.sq_off.tail);
    r->sq_array = (unsigned *)(sq + p.sq_off.array);
    r->sq_mask = *(unsigned *)(sq + p.sq_off.ring_mask);
    r->sq_entries = p.sq_entries;
    r->sq_queued_tail = *r->sq_tail;
    // The submission array maps slot i to entry i, once and for all.
    for (unsigned i = 0; i < p.sq_entries; i++) r->sq_array[i] = i;
    r->cq_head = (unsigned *)(cq + p.cq_off.head);
    r->cq_tail = (unsigned *)(cq + p.cq_off.tail);
    r->cq_mask = *(unsigned *)(cq + p.cq_off.ring_mask);
    r->cqes = (struct io_uring_cqe *)(cq + p.cq_off.cqes);

    // The buffer pool: `buffers` buffers, and the ring through which the
    // kernel takes them (the ring must be page aligned).
    r->pool_count = buffers;
    r->pool_mask = buffers - 1;
    r->buffer_size = buffer_size;
    r->pool_ring_size = buffers * sizeof(struct io_uring_buf);
    r->pool_ring = mmap(NULL, r->pool_ring_size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (r->pool_ring == MAP_FAILED) { r->pool_ring = NULL; goto fail; }
    // Its own mapping, not malloc's: a malloc'd block this size would be
    // backed by huge pages (the server sets glibc.malloc.hugetlb=1) and be
    // resident whole, where only the pages the kernel writes should be.
    r->pool_size = (size_t)buffers * buffer_size;
    r->pool = mmap(NULL, r->pool_size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (r->pool == MAP_FAILED) { r->pool = NULL; goto fail; }
    (void)madvise(r->pool, r->pool_size, MADV_NOHUGEPAGE);
    struct io_uring_buf_reg reg;
    memset(&reg, 0, sizeof reg);
    reg.ring_addr = (uint64_t)(uintptr_t)r->pool_ring;
    reg.ring_entries = buffers;
    reg.bgid = 0;
    int rc = sys_register(r->fd, IORING_REGISTER_PBUF_RING, &reg, 1);
    if (rc < 0) { errno = -rc; goto fail; }
    for (unsigned i = 0; i < buffers; i++) pool_add(r, i);
    pool_publish(r);
    return r;
fail:;
    int saved = errno;
    cs_uring_destroy(r);
    errno = saved;
    return NULL;
}

void cs_uring_destroy(cs_uring *r) {
    if (!r) return;
    // Closing the ring cancels whatever is still armed.
    if (r->fd >= 0) close(r->fd);
    if (r->sqes) munmap(r->sqes, r->sqes_size);
    if (r->sq_map) munmap(r->sq_map, r->sq_map_size);
    if (r->pool_ring) munmap(r->pool_ring, r->pool_ring_size);
    if (r->pool) munmap(r->pool, r->pool_size);
    free(r);
}

/// A cleared submission entry, submitting first when the queue is full.
static struct io_uring_sqe *next_entry(cs_uring *r) {
    unsigned head = __atomic_load_n(r->sq_head, __ATOMIC_ACQUIRE);
    if (r->sq_queued_tail - head >= r->sq_entries) {
        cs_uring_enter(r, 0);
        head = __atomic_load_n(r->sq_head, __ATOMIC_ACQUIRE);
        if (r->sq_queued_tail - head >= r->sq_entries) return NULL;
    }
    struct io_uring_sqe *sqe = &r->sqes[r->sq_queued_tail & r->sq_mask];
    memset(sqe, 0, sizeof *sqe);
    r->sq_queued_tail++;
    return sqe;
}

/// A queued entry for `opcode` on `fd`, tagged; NULL when the queue is full.
static struct io_uring_sqe *prepare(cs_uring *r, uint8_t opcode, int fd, uint64_t tag) {
    struct io_uring_sqe *sqe = next_entry(r);
    if (!sqe) return NULL;
    sqe->opcode = opcode;
    sqe->fd = fd;
    sqe->user_data = tag;
    return sqe;
}

int cs_uring_accept_multishot(cs_uring *r, int listener, uint64_t tag) {
    struct io_uring_sqe *sqe = prepare(r, IORING_OP_ACCEPT, listener, tag);
    if (!sqe) return -1;
    sqe->ioprio = IORING_ACCEPT_MULTISHOT;
    sqe->accept_flags = SOCK_NONBLOCK | SOCK_CLOEXEC;
    return 0;
}

int cs_uring_recv_multishot(cs_uring *r, int fd, uint64_t tag) {
    struct io_uring_sqe *sqe = prepare(r, IORING_OP_RECV, fd, tag);
    if (!sqe) return -1;
    sqe->ioprio = IORING_RECV_MULTISHOT;
    sqe->flags = IOSQE_BUFFER_SELECT;
    sqe->buf_group = 0;
    return 0;
}

int cs_uring_poll(cs_uring *r, int fd, uint32_t events, int multishot, uint64_t tag) {
    struct io_uring_sqe *sqe = prepare(r, IORING_OP_POLL_ADD, fd, tag);
    if (!sqe) return -1;
    sqe->poll32_events = events;
    sqe->len = multishot ? IORING_POLL_ADD_MULTI : 0;
    return 0;
}

int cs_uring_cancel(cs_uring *r, uint64_t target, uint64_t tag) {
    struct io_uring_sqe *sqe = prepare(r, IORING_OP_ASYNC_CANCEL, -1, tag);
    if (!sqe) return -1;
    sqe->addr = target;
    sqe->cancel_flags = IORING_ASYNC_CANCEL_ALL;
    return 0;
}

int cs_uring_enter(cs_uring *r, int timeout_ms) {
    unsigned submit = r->sq_queued_tail - *r->sq_tail;
    if (submit) __atomic_store_n(r->sq_tail, r->sq_queued_tail, __ATOMIC_RELEASE);
    // GETEVENTS even when not waiting: with DEFER_TASKRUN the kernel
    // completes requests only when asked for events.
    unsigned flags = IORING_ENTER_GETEVENTS;
    unsigned wait = 0;
    struct io_uring_getevents_arg arg;
    struct __kernel_timespec ts;
    void *argp = NULL;
    size_t argsz = 0;
    if (timeout_ms != 0 && cs_uring_ready(r) == 0) {
        wait = 1;
        if (timeout_ms > 0) {
            ts.tv_sec = timeout_ms / 1000;
            ts.tv_nsec = (long long)(timeout_ms % 1000) * 1000000;
            memset(&arg, 0, sizeof arg);
            arg.ts = (uint64_t)(uintptr_t)&ts;
            flags |= IORING_ENTER_EXT_ARG;
            argp = &arg;
            argsz = sizeof arg;
        }
    }
    int rc = sys_enter(r->fd, submit, wait, flags, argp, argsz);
    return rc < 0 ? rc : 0;
}

unsigned cs_uring_ready(cs_uring *r) {
    return __atomic_load_n(r->cq_tail, __ATOMIC_ACQUIRE) - *r->cq_head;
}

int cs_uring_reap(cs_uring *r, uint64_t *tags, int32_t *results, uint32_t *flags, int max) {
    unsigned head = *r->cq_head;
    unsigned tail = __atomic_load_n(r->cq_tail, __ATOMIC_ACQUIRE);
    int n = 0;
    while (head != tail && n < max) {
        const struct io_uring_cqe *cqe = &r->cqes[head & r->cq_mask];
        tags[n] = cqe->user_data;
        results[n] = cqe->res;
        uint32_t f = 0;
        if (cqe->flags & IORING_CQE_F_MORE) f |= CS_URING_MORE;
        if (cqe->flags & IORING_CQE_F_BUFFER) f |= CS_URING_BUFFER | ((cqe->flags >> IORING_CQE_BUFFER_SHIFT) << 16);
        flags[n] = f;
        head++;
        n++;
    }
    __atomic_store_n(r->cq_head, head, __ATOMIC_RELEASE);
    return n;
}

void *cs_uring_buffer(cs_uring *r, unsigned id) {
    return r->pool + (size_t)(id & r->pool_mask) * r->buffer_size;
}

void cs_uring_recycle(cs_uring *r, unsigned id) {
    pool_add(r, id & r->pool_mask);
    pool_publish(r);
}

#else  // no io_uring in these headers: every ring fails to start

cs_uring *cs_uring_create(unsigned entries, unsigned buffers, unsigned buffer_size) { errno = ENOSYS; return NULL; }
void cs_uring_destroy(cs_uring *ring) {}
int cs_uring_accept_multishot(cs_uring *ring, int listener, uint64_t tag) { return -1; }
int cs_uring_recv_multishot(cs_uring *ring, int fd, uint64_t tag) { return -1; }
int cs_uring_poll(cs_uring *ring, int fd, uint32_t events, int multishot, uint64_t tag) { return -1; }
int cs_uring_cancel(cs_uring *ring, uint64_t target, uint64_t tag) { return -1; }
int cs_uring_enter(cs_uring *ring, int timeout_ms) { return -ENOSYS; }
int cs_uring_reap(cs_uring *ring, uint64_t *tags, int32_t *results, uint32_t *flags, int max) { return 0; }
unsigned cs_uring_ready(cs_uring *ring) { return 0; }
void *cs_uring_buffer(cs_uring *ring, unsigned id) { return NULL; }
void cs_uring_recycle(cs_uring *ring, unsigned id) {}

#endif
