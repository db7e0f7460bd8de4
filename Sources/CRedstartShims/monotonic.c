// A cheap monotonic clock in microseconds, as Redis's monotonic.c: on x86-64 with an
// invariant TSC (constant_tsc and nonstop_tsc in /proc/cpuinfo) the time-stamp counter
// (~12 ns a read here) scaled by its rate, measured once against CLOCK_MONOTONIC;
// elsewhere clock_gettime(CLOCK_MONOTONIC) (~30 ns through the vDSO).
#include "redstart_shims.h"

#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#if defined(__x86_64__)
#include <x86intrin.h>
#endif

static double microsecondsPerTick;  // 0: use clock_gettime
static pthread_once_t calibration = PTHREAD_ONCE_INIT;

static long long clock_microseconds(void) {
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (long long)now.tv_sec * 1000000 + now.tv_nsec / 1000;
}

#if defined(__x86_64__)
/// Whether /proc/cpuinfo lists both flags that make the TSC a clock.
static int has_invariant_tsc(void) {
    FILE *file = fopen("/proc/cpuinfo", "r");
    if (file == NULL) return 0;
    char line[4096];
    int found = 0;
    while (fgets(line, sizeof(line), file)) {
        if (strncmp(line, "flags", 5) == 0) {
            found = strstr(line, " constant_tsc") != NULL && strstr(line, " nonstop_tsc") != NULL;
            break;
        }
    }
    fclose(file);
    return found;
}
#endif

#if defined(__x86_64__)
static long long clock_nanoseconds(void) {
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (long long)now.tv_sec * 1000000000LL + now.tv_nsec;
}

/// A clock reading paired with the TSC at that instant: of a few tries, the one whose
/// two TSC reads around the clock read are closest (a try the scheduler interrupted is
/// discarded, so a busy machine does not skew the rate).
static void paired_reading(long long *nanoseconds, unsigned long long *ticks) {
    unsigned long long narrowest = ~0ULL;
    for (int attempt = 0; attempt < 8; attempt++) {
        unsigned long long before = __rdtsc();
        long long clock = clock_nanoseconds();
        unsigned long long after = __rdtsc();
        if (after - before < narrowest) {
            narrowest = after - before;
            *nanoseconds = clock;
            *ticks = before + (after - before) / 2;
        }
    }
}
#endif

static void calibrate(void) {
#if defined(__x86_64__)
    if (!has_invariant_tsc()) return;
    long long startClock, endClock;
    unsigned long long startTicks, endTicks;
    paired_reading(&startClock, &startTicks);
    struct timespec pause = {0, 20 * 1000 * 1000};
    nanosleep(&pause, NULL);
    paired_reading(&endClock, &endTicks);
    long long elapsed = endClock - startClock;
    unsigned long long ticks = endTicks - startTicks;
    if (elapsed > 0 && ticks > 0) microsecondsPerTick = (double)elapsed / 1000.0 / (double)ticks;
#endif
}

long long redstart_monotonic_microseconds(void) {
    pthread_once(&calibration, calibrate);
#if defined(__x86_64__)
    if (microsecondsPerTick > 0) return (long long)((double)__rdtsc() * microsecondsPerTick);
#endif
    return clock_microseconds();
}
