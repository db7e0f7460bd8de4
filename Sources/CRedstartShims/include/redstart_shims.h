// C functions Swift's Glibc module does not expose: heap statistics and total
// system memory (INFO memory), and a cheap monotonic clock (command durations).
// Also the system headers that module leaves out (epoll and eventfd: EpollEventLoop).
#ifndef REDSTART_SHIMS_H
#define REDSTART_SHIMS_H

#include <stddef.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <unistd.h>

/// Bytes handed out by malloc and not yet freed (glibc's mallinfo2).
size_t redstart_heap_allocated_bytes(void);

/// glibc's malloc_info report (XML) in a malloc'd string the caller frees; NULL on failure.
char *redstart_malloc_info(void);

/// Returns free heap memory to the system (malloc_trim(0)); 1 if any was released.
int redstart_malloc_trim(void);

/// Total physical memory of the machine in bytes (sysinfo).
unsigned long long redstart_total_system_memory(void);

/// Monotonic microseconds for measuring durations; cheap (the TSC where it is a clock).
long long redstart_monotonic_microseconds(void);

/// Asks for SIGKILL when the parent process dies (prctl PR_SET_PDEATHSIG); 0 on success.
int redstart_die_with_parent(void);

/// No transparent huge pages for this process (prctl PR_SET_THP_DISABLE); 0 on success.
int redstart_disable_transparent_huge_pages(void);

/// Names the calling thread (prctl PR_SET_NAME: 15 bytes show, in top and /proc); 0 on success.
int redstart_name_current_thread(const char *name);

/// Opens the connection to the system log (syslog-enabled) with `ident` and `facility`
/// ("user", "local0" ... "local7").
void redstart_syslog_open(const char *ident, const char *facility);
/// Sends `message` to the system log at `level`: 0 debug, 1 verbose, 2 notice, 3 warning.
void redstart_syslog(int level, const char *message);

/// The usable size of a block malloc returned (malloc_usable_size).
size_t redstart_malloc_usable_size(void *pointer);

/// `value` as C's "%.17g" writes it (doubles in replies, Lua numbers as command arguments);
/// returns the length written to `out` (at most 31 bytes plus a NUL).
int redstart_format_g17(double value, char out[32]);

/// Asks the CPU to start loading the cache line at `address` (a hash bucket about to be
/// read), so that the work done meanwhile hides the memory latency.
static inline void redstart_prefetch(const void *address) { __builtin_prefetch(address); }

// MARK: - Socket reads and writes without cancellation points

// glibc's read, write and writev are thread cancellation points: in a process with more
// than one thread each call switches asynchronous cancellation on and off around the
// system call, with atomic operations, 1.6% of the server's CPU at pipeline depth 1
// (perf, GET from 50 clients). Redstart never cancels threads, so the loop's socket I/O
// makes the system calls directly. Same results and errno as the glibc calls.

static inline ssize_t redstart_read(int descriptor, void *buffer, size_t count) {
    return syscall(SYS_read, descriptor, buffer, count);
}

static inline ssize_t redstart_write(int descriptor, const void *buffer, size_t count) {
    return syscall(SYS_write, descriptor, buffer, count);
}

static inline ssize_t redstart_writev(int descriptor, const struct iovec *vectors, int count) {
    return syscall(SYS_writev, descriptor, vectors, count);
}

// MARK: - Crash reports (crash_report.c)

/// Where crash reports are written: the log file, or standard output for NULL or "".
void redstart_crash_set_log(const char *path);
/// The server's name and version as the report's "... crashed by signal" line starts.
void redstart_crash_set_identity(const char *text);
/// A pid file the report removes (a daemon's own), or NULL or "" for none.
void redstart_crash_set_pid_file(const char *path);
/// crash-memcheck-enabled (a fast memory test in the report) and use-exit-on-panic (a
/// software failure exits with status 1 instead of aborting).
void redstart_crash_set_options(int check_memory, int exit_instead_of_abort);
/// Installs the report on SIGSEGV, SIGBUS, SIGFPE, SIGILL and SIGABRT (crash-log-enabled),
/// or gives those signals their default action back.
void redstart_crash_handlers_enable(int enabled);
/// Gives the calling thread an alternate signal stack, so that running out of its own stack
/// is reported too; 0 on success.
int redstart_crash_prepare_thread(void);
/// A software failure: the report with "Guru Meditation: <message>", then the end.
_Noreturn void redstart_crash_panic(const char *message);
/// A failed assertion: the report with "=== ASSERTION FAILED ===", then the end.
_Noreturn void redstart_crash_assertion(const char *expression, const char *file, int line);
/// Writes to a read-only page (DEBUG SEGFAULT).
void redstart_crash_segfault(void);
/// The software watchdog (watchdog-period): logs the calling thread's stack if it is not
/// re-armed within `milliseconds`; the first call makes the timer for the calling thread.
/// 0, or the error.
int redstart_watchdog_arm(int milliseconds);
/// Stops the watchdog's timer.
void redstart_watchdog_disarm(void);

// MARK: - The process title (process_title.c)

/// Makes the command line's memory, and the environment strings after it, room for a
/// title (the environment moves to the heap); call once, before other threads start.
int redstart_process_title_prepare(int argc, char **argv);
/// Writes `title` as the process's command line (truncated to the room there is).
void redstart_process_title_set(const char *title);

// MARK: - CPU affinity (cpu_affinity.c)

/// Keeps the process's CPU mask as it started (call before any thread changes its own).
void redstart_cpu_affinity_remember(void);
/// Binds the calling thread to the CPUs of `list` (Redis's "0-3,5,8-15:2" format), or back
/// to the process's original CPUs for NULL or ""; 0, or EINVAL for a bad list, or the
/// error sched_setaffinity returned.
int redstart_set_cpu_affinity(const char *list);

#endif
