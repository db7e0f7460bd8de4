// The server's used_memory, counted the way Redis's zmalloc counts it: the
// executable that links this target replaces malloc and its kin with functions
// that call glibc's own allocator and add up the usable size of every block
// handed out and freed. Only the redstart-server executable links it, so
// programs embedding Redstart's libraries keep their allocator untouched.
#ifndef REDSTART_ALLOCATOR_H
#define REDSTART_ALLOCATOR_H

/// Bytes allocated through malloc and not yet freed (usable sizes), all threads.
long long redstart_allocated_bytes(void);

#endif
