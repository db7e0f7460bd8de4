// See include/redstart_shims.h.
#include "redstart_shims.h"

#include <malloc.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/sysinfo.h>

size_t redstart_heap_allocated_bytes(void) {
    struct mallinfo2 info = mallinfo2();
    return info.uordblks + info.hblkhd;
}

unsigned long long redstart_total_system_memory(void) {
    struct sysinfo info;
    if (sysinfo(&info) != 0) return 0;
    return (unsigned long long)info.totalram * info.mem_unit;
}

int redstart_die_with_parent(void) {
    return prctl(PR_SET_PDEATHSIG, SIGKILL);
}
