// See include/redstart_shims.h.
#include "redstart_shims.h"

#include <malloc.h>
#include <stdio.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/sysinfo.h>

size_t redstart_heap_allocated_bytes(void) {
    struct mallinfo2 info = mallinfo2();
    return info.uordblks + info.hblkhd;
}

char *redstart_malloc_info(void) {
    char *text = NULL;
    size_t length = 0;
    FILE *stream = open_memstream(&text, &length);
    if (!stream) return NULL;
    malloc_info(0, stream);
    fclose(stream);
    return text;
}

int redstart_malloc_trim(void) {
    return malloc_trim(0);
}

size_t redstart_malloc_usable_size(void *pointer) {
    return malloc_usable_size(pointer);
}

unsigned long long redstart_total_system_memory(void) {
    struct sysinfo info;
    if (sysinfo(&info) != 0) return 0;
    return (unsigned long long)info.totalram * info.mem_unit;
}

int redstart_die_with_parent(void) {
    return prctl(PR_SET_PDEATHSIG, SIGKILL);
}

int redstart_disable_transparent_huge_pages(void) {
    return prctl(PR_SET_THP_DISABLE, 1, 0, 0, 0);
}

