"""MODULE on a server that loads no module, against redis-server: the same replies for
LIST, LOAD/LOADEX of a library that cannot be loaded, UNLOAD, HELP and bad calls, and
the same refusal while enable-module-command is no."""
import redis

from conftest import REDIS_SERVER, ReferenceServer, Server


def replies(port):
    client = redis.Redis(port=port, decode_responses=True)
    out = []
    for command in (["MODULE", "LIST"], ["MODULE", "LOAD", "/nonexistent/module.so", "arg"],
                    ["MODULE", "LOADEX", "/nonexistent/module.so"], ["MODULE", "UNLOAD", "json"],
                    ["MODULE", "HELP"], ["MODULE", "FOO"], ["MODULE", "LIST", "extra"], ["MODULE"]):
        try:
            out.append(client.execute_command(*command))
        except redis.ResponseError as error:
            out.append("error: " + str(error))
    client.close()
    return out


def test_module_replies_as_redis_with_no_module_loaded():
    assert REDIS_SERVER, "redis-server is needed"
    for setting in ("yes", "no"):
        ours = Server("--enable-module-command", setting)
        theirs = ReferenceServer("--enable-module-command", setting)
        try:
            got, expected = replies(ours.port), replies(theirs.port)
            assert got == expected
            if setting == "yes":
                assert got[0] == [] and got[1] == "error: Error loading the extension. Please check the server logs."
            else:  # LIST and HELP stay allowed
                assert got[0] == [] and got[1].startswith("error: MODULE command not allowed.")
        finally:
            ours.stop()
            theirs.stop()
