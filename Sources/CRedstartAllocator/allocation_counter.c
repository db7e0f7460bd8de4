// See include/redstart_allocator.h. glibc documents replacing malloc: the set
// below (malloc, free, calloc, realloc, malloc_usable_size and the aligned
// forms) is defined here and served by jemalloc's own entry points (mallocx,
// dallocx, rallocx, sallocx), so the heap is jemalloc's, as Redis's is; each
// thread adds the usable sizes to a counter of its own (a slot no other thread
// writes: no locked instruction on the allocation path), and the total is the
// sum of the slots. A thread's slot outlives the thread, so memory it
// allocated and others freed still sums right.
#define _GNU_SOURCE
#include "redstart_allocator.h"

#include <errno.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

// jemalloc's non-standard API (Debian's libjemalloc exports it without a prefix).
extern void *mallocx(size_t size, int flags);
extern void *rallocx(void *pointer, size_t size, int flags);
extern size_t sallocx(const void *pointer, int flags);
extern void dallocx(void *pointer, int flags);
extern void sdallocx(void *pointer, size_t size, int flags);
extern int mallctl(const char *name, void *old, size_t *old_length, void *new, size_t new_length);
extern void malloc_stats_print(void (*write)(void *, const char *), void *context, const char *options);

#define ZERO_FILLED 0x40
#define ALIGNED_TO(alignment) ((int)__builtin_ctzl(alignment))
// MALLCTL_ARENAS_ALL: every arena.
#define ALL_ARENAS "4096"

// jemalloc's options, read at its start. Blocks of 1 MB or more come from its
// dedicated arena for big blocks, which gives their pages back as soon as they are
// freed (its default threshold is 8 MB): a growing big array's old copies do not
// linger as dirty pages for the decay time, as glibc's mmap'd blocks did not.
const char *malloc_conf = "oversize_threshold:1048576";

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

// Under AddressSanitizer the heap is the sanitizer's (it intercepts malloc and its kin
// to find use-after-free and overflows), so nothing below replaces it: a build with
// --sanitize=address checks the server's own memory handling, and counts no used_memory.
#if defined(__has_feature)
#if __has_feature(address_sanitizer)
#define REDSTART_SANITIZED_HEAP 1
#endif
#endif
#if defined(__SANITIZE_ADDRESS__)
#define REDSTART_SANITIZED_HEAP 1
#endif

#ifndef REDSTART_SANITIZED_HEAP
/// Allocates `size` bytes (at least one: jemalloc leaves a size of 0 undefined) with `flags`.
static inline void *allocate(size_t size, int flags) {
    void *pointer = mallocx(size ? size : 1, flags);
    if (__builtin_expect(pointer == NULL, 0)) {
        errno = ENOMEM;
        return NULL;
    }
    count((long long)sallocx(pointer, 0));
    return pointer;
}

void *malloc(size_t size) { return allocate(size, 0); }

void free(void *pointer) {
    if (!pointer) return;
    count(-(long long)sallocx(pointer, 0));
    dallocx(pointer, 0);
}

size_t malloc_usable_size(void *pointer) { return pointer ? sallocx(pointer, 0) : 0; }

void *calloc(size_t count_, size_t size) {
    size_t total;
    if (__builtin_mul_overflow(count_, size, &total)) {
        errno = ENOMEM;
        return NULL;
    }
    return allocate(total, ZERO_FILLED);
}

void *realloc(void *pointer, size_t size) {
    if (!pointer) return allocate(size, 0);
    if (size == 0) {  // glibc's realloc(p, 0) frees p
        free(pointer);
        return NULL;
    }
    long long before = (long long)sallocx(pointer, 0);
    void *moved = rallocx(pointer, size, 0);
    if (!moved) {
        errno = ENOMEM;
        return NULL;
    }
    count((long long)sallocx(moved, 0) - before);
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

static int valid_alignment(size_t alignment) { return alignment != 0 && (alignment & (alignment - 1)) == 0; }

static void *aligned(size_t alignment, size_t size) {
    if (!valid_alignment(alignment)) {
        errno = EINVAL;
        return NULL;
    }
    return allocate(size, ALIGNED_TO(alignment));
}

int posix_memalign(void **result, size_t alignment, size_t size) {
    if (alignment % sizeof(void *) != 0 || !valid_alignment(alignment)) return EINVAL;
    void *pointer = allocate(size, ALIGNED_TO(alignment));
    if (!pointer) return ENOMEM;
    *result = pointer;
    return 0;
}

void *aligned_alloc(size_t alignment, size_t size) { return aligned(alignment, size); }

void *memalign(size_t alignment, size_t size) { return aligned(alignment, size); }

void *valloc(size_t size) { return aligned((size_t)sysconf(_SC_PAGESIZE), size); }

void *pvalloc(size_t size) {
    size_t page = (size_t)sysconf(_SC_PAGESIZE);
    return aligned(page, (size + page - 1) & ~(page - 1));
}
#endif  // REDSTART_SANITIZED_HEAP

void *redstart_uncounted_realloc(void *pointer, size_t old_size, size_t new_size) {
#ifdef REDSTART_SANITIZED_HEAP
    (void)old_size;
    if (new_size == 0) {
        free(pointer);
        return NULL;
    }
    return realloc(pointer, new_size);
#else
    if (new_size == 0) {
        if (pointer) sdallocx(pointer, old_size, 0);
        return NULL;
    }
    return pointer ? rallocx(pointer, new_size, 0) : mallocx(new_size, 0);
#endif
}

// MARK: - The allocator's figures

const char *redstart_allocator_name(void) {
    static char name[64];
    if (name[0] == 0) {
        const char *version = NULL;
        size_t length = sizeof(version);
        if (mallctl("version", &version, &length, NULL, 0) != 0 || version == NULL) version = "unknown";
        // "5.3.0-0-g54eaed1..." is reported as Redis reports it: jemalloc-5.3.0.
        size_t end = strcspn(version, "-");
        snprintf(name, sizeof(name), "jemalloc-%.*s", (int)end, version);
    }
    return name;
}

int redstart_allocator_purge(void) {
    return mallctl("arena." ALL_ARENAS ".purge", NULL, NULL, NULL, 0) == 0;
}

static void append_report(void *context, const char *text) { fputs(text, (FILE *)context); }

char *redstart_allocator_report(void) {
    char *text = NULL;
    size_t length = 0;
    FILE *stream = open_memstream(&text, &length);
    if (!stream) return NULL;
    malloc_stats_print(append_report, stream, NULL);
    fclose(stream);
    return text;
}

int redstart_allocator_statistics(struct redstart_allocator_statistics *statistics) {
    // The statistics are a snapshot taken when the epoch advances.
    uint64_t epoch = 1;
    size_t length = sizeof(epoch);
    if (mallctl("epoch", &epoch, &length, &epoch, length) != 0) return 0;
    size_t value = 0;
    length = sizeof(value);
    if (mallctl("stats.allocated", &value, &length, NULL, 0) != 0) return 0;
    statistics->allocated = value;
    if (mallctl("stats.active", &value, &length, NULL, 0) != 0) return 0;
    statistics->active = value;
    if (mallctl("stats.resident", &value, &length, NULL, 0) != 0) return 0;
    statistics->resident = value;
    return 1;
}

// MARK: - DEBUG MALLCTL

int redstart_allocator_control_number(const char *name, long long *old_value, int *was_read, int set, long long new_value) {
    *was_read = 0;
    for (size_t size = sizeof(int64_t); size >= 1; size /= 2) {
        unsigned char old_bytes[8] = {0};
        unsigned char new_bytes[8] = {0};
        // Little-endian: the low bytes of the value are its first bytes in every size.
        memcpy(new_bytes, &new_value, sizeof(new_bytes));
        size_t length = size;
        int result = mallctl(name, old_bytes, &length, set ? new_bytes : NULL, set ? size : 0);
        if (result == EPERM && set) {
            // Write-only: no value to read.
            return mallctl(name, NULL, NULL, new_bytes, size);
        }
        if (result == EINVAL) continue;
        if (result != 0) return result;
        int64_t value = 0;
        switch (size) {
        case 8: { int64_t v; memcpy(&v, old_bytes, 8); value = v; break; }
        case 4: { int32_t v; memcpy(&v, old_bytes, 4); value = v; break; }
        case 2: { int16_t v; memcpy(&v, old_bytes, 2); value = v; break; }
        default: value = old_bytes[0]; break;
        }
        *old_value = value;
        *was_read = 1;
        return 0;
    }
    return EINVAL;
}

int redstart_allocator_read_string(const char *name, const char **value) {
    size_t length = sizeof(*value);
    return mallctl(name, (void *)value, &length, NULL, 0);
}

int redstart_allocator_write_string(const char *name, const char *value) {
    if (value == NULL) return mallctl(name, NULL, NULL, NULL, 0);
    return mallctl(name, NULL, NULL, (void *)&value, sizeof(value));
}
