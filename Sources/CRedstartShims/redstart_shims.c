// See include/redstart_shims.h.
#include "redstart_shims.h"

#include <malloc.h>
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
