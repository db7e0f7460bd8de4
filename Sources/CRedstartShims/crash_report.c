// The crash report Redis writes to its log when the process is about to die: on a
// fatal signal (SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT; a Swift runtime failure
// traps with SIGILL), on a software failure (DEBUG PANIC, DEBUG OOM) and on a failed
// assertion (DEBUG ASSERT). It is written from the signal handler itself, so
// everything here is async-signal-safe or prepared in advance: the log's path and
// the server's identity are copied into static buffers when they are set, the time
// is formatted without localtime, and backtrace() is called once beforehand so that
// libgcc is loaded before a crash needs it. After the report the signal's default
// action runs again (a core dump, the exit status a supervisor sees); a software
// failure aborts, or exits with status 1 under use-exit-on-panic.
#define _GNU_SOURCE
#include "redstart_shims.h"

#include <errno.h>
#include <execinfo.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <ucontext.h>
#include <unistd.h>

static char log_path[4096];
static char identity[256] = "Redstart";
static char pid_file[4096];
static int memory_check = 1;
static int exit_on_panic = 0;
static long utc_offset_seconds = 0;
static volatile sig_atomic_t reporting = 0;
static const int fatal_signals[] = {SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT};

static void copy_setting(char *target, size_t size, const char *value) {
    if (value == NULL) value = "";
    size_t length = strlen(value);
    if (length >= size) length = size - 1;
    memcpy(target, value, length);
    target[length] = 0;
}

void redstart_crash_set_log(const char *path) {
    copy_setting(log_path, sizeof log_path, path);
    // The local time zone's offset now, for timestamps written where localtime is unsafe.
    time_t now = time(NULL);
    struct tm parts;
    if (localtime_r(&now, &parts) != NULL) utc_offset_seconds = parts.tm_gmtoff;
}

void redstart_crash_set_identity(const char *text) { copy_setting(identity, sizeof identity, text); }

void redstart_crash_set_pid_file(const char *path) { copy_setting(pid_file, sizeof pid_file, path); }

void redstart_crash_set_options(int check_memory, int exit_instead_of_abort) {
    memory_check = check_memory;
    exit_on_panic = exit_instead_of_abort;
}

// MARK: - Writing lines

/// Appends `text` to the log (opened per write, as the server's log is) or to stdout.
static void emit(const char *text, size_t length) {
    int fd = STDOUT_FILENO;
    if (log_path[0] != 0) {
        fd = open(log_path, O_WRONLY | O_APPEND | O_CREAT, 0644);
        if (fd < 0) return;
    }
    while (length > 0) {
        ssize_t written = write(fd, text, length);
        if (written < 0 && errno == EINTR) continue;
        if (written <= 0) break;
        text += written;
        length -= (size_t)written;
    }
    if (fd != STDOUT_FILENO) close(fd);
}

static void emit_text(const char *text) { emit(text, strlen(text)); }

/// A fixed buffer that text and numbers are appended to (no snprintf in a handler).
struct line {
    char bytes[1024];
    size_t length;
};

static void append(struct line *line, const char *text) {
    while (*text && line->length < sizeof line->bytes - 1) line->bytes[line->length++] = *text++;
}

static void append_unsigned(struct line *line, unsigned long long value, unsigned base, int min_digits) {
    char digits[32];
    int count = 0;
    do {
        digits[count++] = "0123456789abcdef"[value % base];
        value /= base;
    } while (value != 0 && count < 32);
    while (count < min_digits && count < 32) digits[count++] = '0';
    while (count > 0 && line->length < sizeof line->bytes - 1) line->bytes[line->length++] = digits[--count];
}

static void append_signed(struct line *line, long long value) {
    if (value < 0) {
        append(line, "-");
        append_unsigned(line, (unsigned long long)(-(value + 1)) + 1, 10, 1);
    } else {
        append_unsigned(line, (unsigned long long)value, 10, 1);
    }
}

static void append_pointer(struct line *line, const void *pointer) {
    append(line, "0x");
    append_unsigned(line, (unsigned long long)(uintptr_t)pointer, 16, 1);
}

/// Days since 1970-01-01 to a civil date (Howard Hinnant's algorithm).
static void civil_date(long long days, long long *year, unsigned *month, unsigned *day) {
    days += 719468;
    long long era = (days >= 0 ? days : days - 146096) / 146097;
    unsigned long long day_of_era = (unsigned long long)(days - era * 146097);
    unsigned long long year_of_era = (day_of_era - day_of_era / 1460 + day_of_era / 36524 - day_of_era / 146096) / 365;
    unsigned long long day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    unsigned long long shifted_month = (5 * day_of_year + 2) / 153;
    *day = (unsigned)(day_of_year - (153 * shifted_month + 2) / 5 + 1);
    *month = (unsigned)(shifted_month < 10 ? shifted_month + 3 : shifted_month - 9);
    *year = (long long)year_of_era + era * 400 + (*month <= 2);
}

/// Starts a log line as the server's log does: `<pid>:M <dd Mon yyyy HH:MM:SS.mmm> # `.
static void begin_line(struct line *line) {
    static const char *months[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
    line->length = 0;
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    long long seconds = (long long)now.tv_sec + utc_offset_seconds;
    long long days = seconds >= 0 ? seconds / 86400 : (seconds - 86399) / 86400;
    long long of_day = seconds - days * 86400;
    long long year;
    unsigned month, day;
    civil_date(days, &year, &month, &day);
    append_unsigned(line, (unsigned long long)getpid(), 10, 1);
    append(line, ":M ");
    append_unsigned(line, day, 10, 2);
    append(line, " ");
    append(line, months[month - 1]);
    append(line, " ");
    append_signed(line, year);
    append(line, " ");
    append_unsigned(line, (unsigned long long)(of_day / 3600), 10, 2);
    append(line, ":");
    append_unsigned(line, (unsigned long long)(of_day / 60 % 60), 10, 2);
    append(line, ":");
    append_unsigned(line, (unsigned long long)(of_day % 60), 10, 2);
    append(line, ".");
    append_unsigned(line, (unsigned long long)(now.tv_nsec / 1000000), 10, 3);
    append(line, " # ");
}

static void end_line(struct line *line) {
    append(line, "\n");
    emit(line->bytes, line->length);
}

/// One whole log line.
static void log_line(const char *text) {
    struct line line;
    begin_line(&line);
    append(&line, text);
    end_line(&line);
}

// MARK: - The report's sections

static void report_start(void) {
    emit_text("\n\n=== REDSTART BUG REPORT START: Cut & paste starting from here ===\n");
}

static void report_stack_trace(void) {
    void *frames[100];
    int count = backtrace(frames, 100);
    emit_text("\n------ STACK TRACE ------\n\nBacktrace:\n");
    int fd = STDOUT_FILENO;
    if (log_path[0] != 0) fd = open(log_path, O_WRONLY | O_APPEND | O_CREAT, 0644);
    if (fd >= 0) {
        backtrace_symbols_fd(frames, count, fd);
        if (fd != STDOUT_FILENO) close(fd);
    }
    emit_text("\n------ STACK TRACE DONE ------\n");
}

#if defined(__x86_64__)
static void report_registers(const ucontext_t *context) {
    static const struct { const char *name; int index; } registers[] = {
        {"RAX", REG_RAX}, {"RBX", REG_RBX}, {"RCX", REG_RCX}, {"RDX", REG_RDX}, {"RDI", REG_RDI},
        {"RSI", REG_RSI}, {"RBP", REG_RBP}, {"RSP", REG_RSP}, {"R8", REG_R8}, {"R9", REG_R9},
        {"R10", REG_R10}, {"R11", REG_R11}, {"R12", REG_R12}, {"R13", REG_R13}, {"R14", REG_R14},
        {"R15", REG_R15}, {"RIP", REG_RIP}, {"EFL", REG_EFL},
    };
    emit_text("\n------ REGISTERS ------\n");
    struct line line;
    line.length = 0;
    for (size_t i = 0; i < sizeof registers / sizeof registers[0]; i++) {
        append(&line, registers[i].name);
        append(&line, ":");
        append_unsigned(&line, (unsigned long long)context->uc_mcontext.gregs[registers[i].index], 16, 16);
        append(&line, i % 4 == 3 ? "\n" : " ");
    }
    append(&line, "\n");
    emit(line.bytes, line.length);
}

static const void *instruction_address(const ucontext_t *context) {
    return (const void *)context->uc_mcontext.gregs[REG_RIP];
}
#elif defined(__aarch64__)
static void report_registers(const ucontext_t *context) {
    struct line line;
    line.length = 0;
    emit_text("\n------ REGISTERS ------\n");
    for (int i = 0; i < 31; i++) {
        append(&line, "X");
        append_unsigned(&line, (unsigned long long)i, 10, 2);
        append(&line, ":");
        append_unsigned(&line, (unsigned long long)context->uc_mcontext.regs[i], 16, 16);
        append(&line, i % 4 == 3 ? "\n" : " ");
    }
    append(&line, "\nSP:");
    append_unsigned(&line, (unsigned long long)context->uc_mcontext.sp, 16, 16);
    append(&line, " PC:");
    append_unsigned(&line, (unsigned long long)context->uc_mcontext.pc, 16, 16);
    append(&line, "\n");
    emit(line.bytes, line.length);
}

static const void *instruction_address(const ucontext_t *context) { return (const void *)context->uc_mcontext.pc; }
#else
static void report_registers(const ucontext_t *context) { (void)context; }
static const void *instruction_address(const ucontext_t *context) { (void)context; return NULL; }
#endif

// MARK: - The fast memory test

/// Tests `words` words at `base` with two patterns and each word's own address, putting
/// the original contents back; returns the number of words that did not hold a value.
static size_t test_words(volatile unsigned long *base, size_t words, unsigned long *saved) {
    size_t errors = 0;
    for (size_t i = 0; i < words; i++) saved[i] = base[i];
    static const unsigned long patterns[] = {0xaaaaaaaaaaaaaaaaUL, 0x5555555555555555UL};
    for (int p = 0; p < 2; p++) {
        for (size_t i = 0; i < words; i++) base[i] = patterns[p];
        for (size_t i = 0; i < words; i++) errors += base[i] != patterns[p];
    }
    for (size_t i = 0; i < words; i++) base[i] = (unsigned long)(uintptr_t)(base + i);
    for (size_t i = 0; i < words; i++) errors += base[i] != (unsigned long)(uintptr_t)(base + i);
    for (size_t i = 0; i < words; i++) base[i] = saved[i];
    return errors;
}

static int hex_digit(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    return -1;
}

static const char *parse_hex(const char *text, uintptr_t *value) {
    *value = 0;
    int digit;
    while ((digit = hex_digit(*text)) >= 0) {
        *value = *value * 16 + (uintptr_t)digit;
        text++;
    }
    return text;
}

/// Redis's fast memory test: every private anonymous read-write mapping of the process
/// (the heap, arenas, other threads' stacks; not the stack this runs on), a page at a
/// time, contents preserved.
static void report_memory_test(void) {
    emit_text("\n------ FAST MEMORY TEST ------\n");
    int maps = open("/proc/self/maps", O_RDONLY);
    if (maps < 0) {
        log_line("Could not read /proc/self/maps: memory test skipped.");
        return;
    }
    static unsigned long saved[4096 / sizeof(unsigned long)];
    uintptr_t own_stack = (uintptr_t)&maps;
    size_t errors = 0;
    char buffer[8192];
    size_t filled = 0;
    for (;;) {
        ssize_t got = read(maps, buffer + filled, sizeof buffer - 1 - filled);
        if (got > 0) filled += (size_t)got;
        buffer[filled] = 0;
        char *end = memchr(buffer, '\n', filled);
        if (end == NULL) {
            if (got <= 0 || filled == sizeof buffer - 1) break;
            continue;
        }
        *end = 0;
        // "start-end perms offset dev inode [path]": private, writable, no file, no label.
        uintptr_t start, stop;
        const char *cursor = parse_hex(buffer, &start);
        if (*cursor == '-') {
            cursor = parse_hex(cursor + 1, &stop);
            int anonymous = strstr(cursor, " 00:00 0") != NULL && strchr(cursor, '/') == NULL && strchr(cursor, '[') == NULL;
            int writable = cursor[1] == 'r' && cursor[2] == 'w' && cursor[4] == 'p';
            if (anonymous && writable && !(own_stack >= start && own_stack < stop) && stop > start) {
                struct line line;
                begin_line(&line);
                append(&line, "*** Preparing to test memory region ");
                append_unsigned(&line, start, 16, 1);
                append(&line, " (");
                append_unsigned(&line, stop - start, 10, 1);
                append(&line, " bytes)");
                end_line(&line);
                for (uintptr_t page = start; page < stop; page += 4096) {
                    errors += test_words((volatile unsigned long *)page, 4096 / sizeof(unsigned long), saved);
                }
            }
        }
        size_t used = (size_t)(end - buffer) + 1;
        memmove(buffer, buffer + used, filled - used);
        filled -= used;
    }
    close(maps);
    if (errors == 0) {
        log_line("Fast memory test PASSED, however your memory can still be broken. Please run a memory test for several hours if possible.");
    } else {
        log_line("!!! MEMORY ERROR DETECTED! Check your memory ASAP !!!");
    }
}

static void report_end(void) {
    emit_text(
        "\n=== REDSTART BUG REPORT END. Make sure to include from START to END. ===\n\n"
        "       Please report the crash with this report and what led to it.\n\n"
        "  Suspect RAM error? Run a memory test (crash-memcheck-enabled yes does a fast one).\n\n");
    // A daemon that is gone leaves no pid file behind (a supervisor's own file is its own).
    if (pid_file[0] != 0) unlink(pid_file);
}

// MARK: - Fatal signals

static void crash_handler(int signal_number, siginfo_t *info, void *raw_context) {
    const ucontext_t *context = raw_context;
    if (!reporting) {
        reporting = 1;
        report_start();
        struct line line;
        begin_line(&line);
        append(&line, identity);
        append(&line, " crashed by signal: ");
        append_signed(&line, signal_number);
        append(&line, ", si_code: ");
        append_signed(&line, info->si_code);
        end_line(&line);
        if (signal_number == SIGSEGV || signal_number == SIGBUS) {
            begin_line(&line);
            append(&line, "Accessing address: ");
            append_pointer(&line, info->si_addr);
            end_line(&line);
        }
        if (info->si_code == SI_USER && info->si_pid != -1) {
            begin_line(&line);
            append(&line, "Killed by PID: ");
            append_signed(&line, info->si_pid);
            append(&line, ", UID: ");
            append_signed(&line, info->si_uid);
            end_line(&line);
        }
        if (context != NULL) {
            begin_line(&line);
            append(&line, "Crashed running the instruction at: ");
            append_pointer(&line, instruction_address(context));
            end_line(&line);
        }
        report_stack_trace();
        if (context != NULL) report_registers(context);
        if (memory_check) report_memory_test();
        report_end();
    }
    // The default action again: the process ends by this signal (and dumps core if enabled).
    struct sigaction fallback;
    memset(&fallback, 0, sizeof fallback);
    fallback.sa_handler = SIG_DFL;
    sigemptyset(&fallback.sa_mask);
    sigaction(signal_number, &fallback, NULL);
    raise(signal_number);
}

void redstart_crash_handlers_enable(int enabled) {
    if (enabled) {
        // Loads libgcc's unwinder now: backtrace() allocates on its first call.
        void *frame[1];
        backtrace(frame, 1);
    }
    struct sigaction action;
    memset(&action, 0, sizeof action);
    sigemptyset(&action.sa_mask);
    if (enabled) {
        action.sa_flags = SA_SIGINFO | SA_NODEFER | SA_RESETHAND | SA_ONSTACK;
        action.sa_sigaction = crash_handler;
    } else {
        action.sa_handler = SIG_DFL;
    }
    for (size_t i = 0; i < sizeof fatal_signals / sizeof fatal_signals[0]; i++) sigaction(fatal_signals[i], &action, NULL);
}

int redstart_crash_prepare_thread(void) {
    // Room for the report when the thread's own stack is what ran out.
    size_t size = 64 * 1024;
    void *memory = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (memory == MAP_FAILED) return -1;
    stack_t stack = {.ss_sp = memory, .ss_size = size, .ss_flags = 0};
    return sigaltstack(&stack, NULL);
}

// MARK: - Software failures

/// Ends the process after a software failure's report.
static void end_after_failure(void) {
    if (exit_on_panic) _exit(1);
    // SIGABRT's report would be a second one.
    signal(SIGABRT, SIG_DFL);
    abort();
}

void redstart_crash_panic(const char *message) {
    reporting = 1;
    report_start();
    log_line("------------------------------------------------");
    log_line("!!! Software Failure. Press left mouse button to continue");
    struct line line;
    begin_line(&line);
    append(&line, "Guru Meditation: ");
    append(&line, message);
    end_line(&line);
    report_stack_trace();
    if (memory_check) report_memory_test();
    report_end();
    end_after_failure();
}

void redstart_crash_assertion(const char *expression, const char *file, int line_number) {
    reporting = 1;
    report_start();
    log_line("=== ASSERTION FAILED ===");
    struct line line;
    begin_line(&line);
    append(&line, "==> ");
    append(&line, file);
    append(&line, ":");
    append_signed(&line, line_number);
    append(&line, " '");
    append(&line, expression);
    append(&line, "' is not true");
    end_line(&line);
    report_stack_trace();
    if (memory_check) report_memory_test();
    report_end();
    end_after_failure();
}

void redstart_crash_segfault(void) {
    // A write to a read-only page: a real SIGSEGV, not a raised one.
    volatile char *page = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (page == MAP_FAILED) raise(SIGSEGV);
    *page = 'x';
}

// MARK: - The software watchdog (watchdog-period)

// Redis's software watchdog: the cron arms a one-shot timer for the period at each tick;
// if the event loop has not come back to the cron before it fires, something is
// holding it (a slow command, a stuck system call), and the loop thread's stack is
// logged while it is still there. The timer signals that thread alone
// (SIGEV_THREAD_ID), so no other thread of the process is interrupted.
#include <sys/syscall.h>

static timer_t watchdog_timer;
static int watchdog_created;

static void watchdog_handler(int signal_number, siginfo_t *info, void *context) {
    (void)signal_number;
    (void)info;
    (void)context;
    int saved = errno;
    emit_text("\n");
    log_line("--- WATCHDOG TIMER EXPIRED ---");
    report_stack_trace();
    emit_text("--------\n\n");
    errno = saved;
}

int redstart_watchdog_arm(int milliseconds) {
    if (!watchdog_created) {
        struct sigaction action;
        memset(&action, 0, sizeof action);
        sigemptyset(&action.sa_mask);
        action.sa_flags = SA_SIGINFO | SA_RESTART | SA_ONSTACK;
        action.sa_sigaction = watchdog_handler;
        sigaction(SIGALRM, &action, NULL);
        struct sigevent event;
        memset(&event, 0, sizeof event);
        event.sigev_notify = SIGEV_THREAD_ID;
        event.sigev_signo = SIGALRM;
        event._sigev_un._tid = (pid_t)syscall(SYS_gettid);
        if (timer_create(CLOCK_MONOTONIC, &event, &watchdog_timer) != 0) return errno;
        watchdog_created = 1;
    }
    struct itimerspec period;
    memset(&period, 0, sizeof period);
    period.it_value.tv_sec = milliseconds / 1000;
    period.it_value.tv_nsec = (long)(milliseconds % 1000) * 1000000L;
    return timer_settime(watchdog_timer, 0, &period, NULL) == 0 ? 0 : errno;
}

void redstart_watchdog_disarm(void) {
    if (!watchdog_created) return;
    struct itimerspec stopped;
    memset(&stopped, 0, sizeof stopped);
    timer_settime(watchdog_timer, 0, &stopped, NULL);
}
