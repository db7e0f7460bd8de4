// See include/redstart_allocator.h. glibc documents replacing malloc: the set
// below (malloc, free, calloc, realloc and the aligned forms) is defined here
// and forwards to glibc's __libc_* entry points, so the heap is glibc's as
// before; each thread adds the usable sizes to a counter of its own (a slot no
// other thread writes: no locked instruction on the allocation path), and the
// total is the sum of the slots. A thread's slot outlives the thread, so
// memory it allocated and others freed still sums right.
#define _GNU_SOURCE
#include "redstart_allocator.h"

#include <errno.h>
#include <malloc.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

extern void *__libc_malloc(size_t size);
extern void __libc_free(void *pointer);
extern void *__libc_calloc(size_t count, size_t size);
extern void *__libc_realloc(void *pointer, size_t size);
extern void *__libc_memalign(size_t alignment, size_t size);
extern void *__libc_valloc(size_t size);
extern void *__libc_pvalloc(size_t size);

enum { SLOT_COUNT = 1024 };

struct slot {
    _Atomic long long bytes;
    char padding[64 - sizeof(long long)];
};

/// One slot per thread; threads past SLOT_COUNT share the last one, atomically.
static struct slot slots[SLOT_COUNT + 1];
static _Atomic int slots_taken;
static __thread struct slot *thread_slot __attribute__((tls_model("initial-exec")));

static inline void count(long long delta) {
    struct slot *slot = thread_slot;
    if (__builtin_expect(slot == NULL, 0)) {
        int index = atomic_fetch_add_explicit(&slots_taken, 1, memory_order_relaxed);
        slot = &slots[index < SLOT_COUNT ? index : SLOT_COUNT];
        thread_slot = slot;
    }
    if (__builtin_expect(slot == &slots[SLOT_COUNT], 0)) {
        atomic_fetch_add_explicit(&slot->bytes, delta, memory_order_relaxed);
    } else {
        long long now = atomic_load_explicit(&slot->bytes, memory_order_relaxed);
        atomic_store_explicit(&slot->bytes, now + delta, memory_order_relaxed);
    }
}

long long redstart_allocated_bytes(void) {
    int taken = atomic_load_explicit(&slots_taken, memory_order_relaxed);
    if (taken > SLOT_COUNT) taken = SLOT_COUNT;
    long long total = atomic_load_explicit(&slots[SLOT_COUNT].bytes, memory_order_relaxed);
    for (int i = 0; i < taken; i++) total += atomic_load_explicit(&slots[i].bytes, memory_order_relaxed);
    return total;
}

void *malloc(size_t size) {
    void *pointer = __libc_malloc(size);
    if (pointer) count((long long)malloc_usable_size(pointer));
    return pointer;
}

void free(void *pointer) {
    if (!pointer) return;
    count(-(long long)malloc_usable_size(pointer));
    __libc_free(pointer);
}

void *calloc(size_t count_, size_t size) {
    void *pointer = __libc_calloc(count_, size);
    if (pointer) count((long long)malloc_usable_size(pointer));
    return pointer;
}

void *realloc(void *pointer, size_t size) {
    long long before = pointer ? (long long)malloc_usable_size(pointer) : 0;
    void *moved = __libc_realloc(pointer, size);
    if (moved) {
        count((long long)malloc_usable_size(moved) - before);
    } else if (pointer && size == 0) {
        count(-before);  // realloc(p, 0) freed p
    }
    return moved;
}

void *reallocarray(void *pointer, size_t count_, size_t size) {
    size_t total;
    if (__builtin_mul_overflow(count_, size, &total)) {
        errno = ENOMEM;
        return NULL;
    }
    return realloc(pointer, total);
}

static void *aligned(size_t alignment, size_t size) {
    void *pointer = __libc_memalign(alignment, size);
    if (pointer) count((long long)malloc_usable_size(pointer));
    return pointer;
}

int posix_memalign(void **result, size_t alignment, size_t size) {
    if (alignment % sizeof(void *) != 0 || (alignment & (alignment - 1)) != 0 || alignment == 0) return EINVAL;
    void *pointer = aligned(alignment, size);
    if (!pointer) return ENOMEM;
    *result = pointer;
    return 0;
}

void *aligned_alloc(size_t alignment, size_t size) { return aligned(alignment, size); }

void *memalign(size_t alignment, size_t size) { return aligned(alignment, size); }

void *valloc(size_t size) {
    void *pointer = __libc_valloc(size);
    if (pointer) count((long long)malloc_usable_size(pointer));
    return pointer;
}

void *pvalloc(size_t size) {
    void *pointer = __libc_pvalloc(size);
    if (pointer) count((long long)malloc_usable_size(pointer));
    return pointer;
}
