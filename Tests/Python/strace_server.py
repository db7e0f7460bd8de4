"""A redstart-server run under strace, for tests that count or inspect its system calls."""
import os
import signal

from conftest import BINARY
from test_persistence import start


def traced_server(processes, workdir, trace, syscalls, *args, strace_options=""):
    """The server under strace, its `syscalls` (strace's trace= list) written to `trace`;
    `strace_options` adds to strace's command line (say, `-e inject=...` to slow a call)."""
    wrapper = os.path.join(workdir, "traced-server")
    with open(wrapper, "w") as f:
        f.write('#!/bin/sh\nexec strace -f -qq -e trace=%s %s -o "%s" "%s" "$@"\n'
                % (syscalls, strace_options, trace, BINARY))
    os.chmod(wrapper, 0o755)
    p = start(processes, wrapper, workdir, *args)
    pid = p.client().info("server")["process_id"]
    kill_strace = p.kill

    def kill(sig=signal.SIGKILL):
        # Killing strace leaves its tracee running: kill the server itself as well.
        try:
            os.kill(pid, sig)
        except ProcessLookupError:
            pass
        return kill_strace(sig)

    p.kill = kill
    return p
