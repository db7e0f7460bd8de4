// See include/redstart_shims.h.
#include "redstart_shims.h"

#include <malloc.h>
#include <stdio.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/sysinfo.h>
#include <string.h>
#include <syslog.h>

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

int redstart_name_current_thread(const char *name) {
    return prctl(PR_SET_NAME, name, 0, 0, 0);
}


void redstart_syslog_open(const char *ident, const char *facility) {
    // openlog keeps the pointer: the text must outlive the process's logging.
    static char kept[256];
    strncpy(kept, ident, sizeof kept - 1);
    static const struct { const char *name; int value; } facilities[] = {
        {"user", LOG_USER}, {"local0", LOG_LOCAL0}, {"local1", LOG_LOCAL1}, {"local2", LOG_LOCAL2},
        {"local3", LOG_LOCAL3}, {"local4", LOG_LOCAL4}, {"local5", LOG_LOCAL5}, {"local6", LOG_LOCAL6},
        {"local7", LOG_LOCAL7},
    };
    int value = LOG_LOCAL0;
    for (size_t i = 0; i < sizeof facilities / sizeof facilities[0]; i++) {
        if (strcmp(facilities[i].name, facility) == 0) value = facilities[i].value;
    }
    openlog(kept, LOG_PID | LOG_NDELAY | LOG_NOWAIT, value);
}

void redstart_syslog(int level, const char *message) {
    static const int priorities[] = {LOG_DEBUG, LOG_INFO, LOG_NOTICE, LOG_WARNING};
    syslog(priorities[level < 0 ? 0 : level > 3 ? 3 : level], "%s", message);
}
