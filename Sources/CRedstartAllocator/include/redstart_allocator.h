// The server's heap: jemalloc (Redis's allocator), with used_memory counted the
// way Redis's zmalloc counts it. The executable that links this target
// replaces malloc and its kin with functions that call jemalloc and add up the
// usable size of every block handed out and freed. Only the redstart-server
// executable links it, so programs embedding Redstart's libraries keep their
// allocator untouched.
#ifndef REDSTART_ALLOCATOR_H
#define REDSTART_ALLOCATOR_H

#include <stddef.h>

/// Bytes allocated through malloc and not yet freed (usable sizes), all threads.
long long redstart_allocated_bytes(void);

/// Lua's allocator (lua_Alloc's contract: `new_size` 0 frees, a null `pointer`
/// allocates): jemalloc's blocks, not counted in used_memory. Redis's Lua VM allocates
/// from libc, outside zmalloc's count, so a script's tables show in used_memory_lua and
/// never in used_memory or against maxmemory; Redstart's do the same.
void *redstart_uncounted_realloc(void *pointer, size_t old_size, size_t new_size);

/// The allocator and its version, as INFO's mem_allocator says it ("jemalloc-5.3.0").
const char *redstart_allocator_name(void);

/// Gives the unused dirty pages of every arena back to the system; 1 on success.
int redstart_allocator_purge(void);

/// jemalloc's statistics report in a malloc'd string the caller frees; NULL on failure.
char *redstart_allocator_report(void);

/// The allocator's own totals (INFO's allocator_* fields).
struct redstart_allocator_statistics {
    size_t allocated;  ///< bytes in blocks handed out
    size_t active;     ///< bytes in the pages those blocks occupy
    size_t resident;   ///< bytes of the allocator's memory resident in RAM
};

/// Fills `statistics`; 0 when the allocator cannot say.
int redstart_allocator_statistics(struct redstart_allocator_statistics *statistics);

/// jemalloc's mallctl on a number (DEBUG MALLCTL): `old_value` gets the setting, read as
/// 8, 4, 2 or 1 bytes (the first size jemalloc accepts); with `set`, it is then written as
/// `new_value` in that size. A write-only setting is only written (`*was_read` is 0).
/// Returns 0, or jemalloc's error (an errno value).
int redstart_allocator_control_number(const char *name, long long *old_value, int *was_read, int set, long long new_value);

/// jemalloc's mallctl on a string setting (DEBUG MALLCTL-STR): reads it into `*value`;
/// returns 0 or jemalloc's error (an errno value).
int redstart_allocator_read_string(const char *name, const char **value);

/// Writes a string setting, or with `value` NULL only calls the control
/// (thread.tcache.flush); returns 0 or jemalloc's error.
int redstart_allocator_write_string(const char *name, const char *value);

#endif
