// The *_cpulist settings (server_cpulist, bio_cpulist, aof_rewrite_cpulist,
// bgsave_cpulist): Redis's list format, "0,2,5", "0-3", "0-7:2" (every second CPU
// of a range) and their comma-separated mixes, applied to the calling thread. The
// mask the process started with is kept, so that a thread can be given it back.
#define _GNU_SOURCE
#include "redstart_shims.h"

#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdlib.h>

static cpu_set_t initial_mask;
static pthread_once_t initial_mask_once = PTHREAD_ONCE_INIT;

static void remember_initial_mask(void) {
    if (sched_getaffinity(0, sizeof initial_mask, &initial_mask) != 0) {
        CPU_ZERO(&initial_mask);
        for (int cpu = 0; cpu < CPU_SETSIZE; cpu++) CPU_SET(cpu, &initial_mask);
    }
}

void redstart_cpu_affinity_remember(void) { pthread_once(&initial_mask_once, remember_initial_mask); }

/// Reads a decimal number at `*cursor`; -1 when there is none.
static long read_number(const char **cursor) {
    const char *start = *cursor;
    long value = 0;
    while (**cursor >= '0' && **cursor <= '9') {
        value = value * 10 + (**cursor - '0');
        if (value >= CPU_SETSIZE) return -1;
        (*cursor)++;
    }
    return *cursor == start ? -1 : value;
}

int redstart_set_cpu_affinity(const char *list) {
    redstart_cpu_affinity_remember();
    cpu_set_t mask;
    if (list == NULL || *list == 0) {
        mask = initial_mask;
    } else {
        CPU_ZERO(&mask);
        const char *cursor = list;
        for (;;) {
            long first = read_number(&cursor), last = first, stride = 1;
            if (first < 0) return EINVAL;
            if (*cursor == '-') {
                cursor++;
                last = read_number(&cursor);
                if (last < first) return EINVAL;
                if (*cursor == ':') {
                    cursor++;
                    stride = read_number(&cursor);
                    if (stride <= 0) return EINVAL;
                }
            }
            for (long cpu = first; cpu <= last; cpu += stride) CPU_SET((int)cpu, &mask);
            if (*cursor == 0) break;
            if (*cursor != ',') return EINVAL;
            cursor++;
        }
    }
    return sched_setaffinity(0, sizeof mask, &mask) == 0 ? 0 : errno;
}
