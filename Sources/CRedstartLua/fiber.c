// Fibers: a second C stack on the same thread. The first run enters the stack
// once with makecontext/setcontext; every switch after that is _setjmp/_longjmp
// between two live stacks (no signal-mask system call, ~25 ns a round trip,
// where swapcontext costs ~560 ns). A fiber runs one entry at a time and is
// reused for the next: its trampoline never returns, it waits for the next
// entry after each one finishes. Everything here runs on one thread.
#undef _FORTIFY_SOURCE  // longjmp to another stack must not be "checked" against this one
#include <setjmp.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <ucontext.h>
#include <unistd.h>

#include "redstart_lua.h"

enum fiber_state { FIBER_IDLE, FIBER_RUNNING, FIBER_SUSPENDED, FIBER_FINISHED };

struct redstart_fiber {
    /// Where a yield or a finished entry goes back to (inside run/resume).
    jmp_buf caller;
    /// Where the fiber goes on (inside yield, or the trampoline's wait for the next entry).
    jmp_buf inside;
    ucontext_t boot;
    void (*entry)(void *);
    void *argument;
    volatile int state;
    /// The trampoline is running on the stack (it was entered once).
    int isBooted;
    void *mapping;
    size_t mappingSize;
};

/// The fiber whose trampoline is being entered (makecontext passes no pointer portably).
static __thread redstart_fiber *booting;

static void trampoline(void) {
    redstart_fiber *fiber = booting;
    for (;;) {
        fiber->state = FIBER_RUNNING;
        fiber->entry(fiber->argument);
        fiber->state = FIBER_FINISHED;
        if (!_setjmp(fiber->inside)) _longjmp(fiber->caller, 1);
        // Resumed by the next run: loop to its entry.
    }
}

redstart_fiber *redstart_fiber_create(size_t stack_size) {
    long page = sysconf(_SC_PAGESIZE);
    size_t size = ((stack_size + (size_t)page - 1) / (size_t)page + 1) * (size_t)page;
    // MAP_NORESERVE: pages cost memory only once the stack reaches them.
    void *mapping = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (mapping == MAP_FAILED) return NULL;
    // The lowest page stays unmapped: an overflow faults instead of corrupting memory.
    mprotect(mapping, (size_t)page, PROT_NONE);
    redstart_fiber *fiber = calloc(1, sizeof(*fiber));
    if (fiber == NULL) {
        munmap(mapping, size);
        return NULL;
    }
    fiber->mapping = mapping;
    fiber->mappingSize = size;
    fiber->state = FIBER_IDLE;
    return fiber;
}

void redstart_fiber_destroy(redstart_fiber *fiber) {
    if (fiber == NULL) return;
    munmap(fiber->mapping, fiber->mappingSize);
    free(fiber);
}

int redstart_fiber_run(redstart_fiber *fiber, void (*entry)(void *), void *argument) {
    fiber->entry = entry;
    fiber->argument = argument;
    if (!_setjmp(fiber->caller)) {
        if (!fiber->isBooted) {
            long page = sysconf(_SC_PAGESIZE);
            fiber->isBooted = 1;
            getcontext(&fiber->boot);
            fiber->boot.uc_stack.ss_sp = (char *)fiber->mapping + page;
            fiber->boot.uc_stack.ss_size = fiber->mappingSize - (size_t)page;
            fiber->boot.uc_link = NULL;
            makecontext(&fiber->boot, trampoline, 0);
            booting = fiber;
            setcontext(&fiber->boot);
        }
        _longjmp(fiber->inside, 1);
    }
    return fiber->state == FIBER_FINISHED;
}

int redstart_fiber_resume(redstart_fiber *fiber) {
    if (!_setjmp(fiber->caller)) {
        fiber->state = FIBER_RUNNING;
        _longjmp(fiber->inside, 1);
    }
    return fiber->state == FIBER_FINISHED;
}

void redstart_fiber_yield(redstart_fiber *fiber) {
    fiber->state = FIBER_SUSPENDED;
    if (!_setjmp(fiber->inside)) _longjmp(fiber->caller, 1);
}

int redstart_fiber_is_current(const redstart_fiber *fiber) {
    return fiber != NULL && fiber->state == FIBER_RUNNING;
}
