// The process title (set-proc-title, proc-title-template), as ps and /proc/<pid>/cmdline
// show it. Linux has no setproctitle: the title is written over the memory that holds
// the command line, which the environment's strings follow, so those strings are first
// copied to the heap (environ points at the copies) and the whole contiguous area
// becomes room for the title.
#include "redstart_shims.h"

#include <stdlib.h>
#include <string.h>

extern char **environ;

static char *title_start;
static size_t title_room;

int redstart_process_title_prepare(int argc, char **argv) {
    if (title_start != NULL) return 0;
    if (argc <= 0 || argv == NULL || argv[0] == NULL) return -1;
    char *end = argv[0] + strlen(argv[0]) + 1;
    for (int i = 1; i < argc && argv[i] == end; i++) end = argv[i] + strlen(argv[i]) + 1;
    size_t count = 0;
    while (environ != NULL && environ[count] != NULL) count++;
    char **copies = malloc((count + 1) * sizeof(char *));
    if (copies == NULL) return -1;
    for (size_t i = 0; i < count; i++) {
        if (environ[i] == end) end = environ[i] + strlen(environ[i]) + 1;
        copies[i] = strdup(environ[i]);
        if (copies[i] == NULL) return -1;
    }
    copies[count] = NULL;
    environ = copies;
    title_start = argv[0];
    title_room = (size_t)(end - argv[0]);
    return 0;
}

void redstart_process_title_set(const char *title) {
    if (title_start == NULL || title_room == 0) return;
    size_t length = strlen(title);
    if (length >= title_room) length = title_room - 1;
    memcpy(title_start, title, length);
    memset(title_start + length, 0, title_room - length);
}
