// The C side of Redstart's scripting: what must be written against the Lua C
// API directly because Lua reports errors with longjmp (which must never cross
// Swift frames), plus two small utilities the Swift side needs.
//
// - The sandbox (sandbox.c): Redis's script environment on a stock Lua 5.1.
//   Redis patched its Lua VM with read-only tables; here every protected table
//   is an empty proxy whose metatable reads through to the real table and
//   refuses writes, and the base functions that could see through a proxy
//   (rawget, rawset, next, pairs, ipairs, setmetatable, getmetatable, the table
//   library) are wrapped to treat proxies as the tables they stand for.
// - The redis.* API and library glue (redis_api.c): the functions Lua calls;
//   everything that needs the server goes through one dispatch function that
//   Swift installs (`redstart_lua_set_dispatch`). Swift never raises Lua
//   errors itself: it pushes an error value and returns -1, and C raises it.
// - Fibers (fiber.c): a second C stack that scripts run on, so that a script
//   that runs too long can be paused from its count hook and the event loop can
//   answer other clients (-BUSY) before the script goes on.
// - SHA1 (sha1.c) and Redis's rand48 (in redis_api.c).
#ifndef REDSTART_LUA_H
#define REDSTART_LUA_H

#include <lua.h>
#include <stddef.h>
#include <stdint.h>

// MARK: - Dispatch to Swift

/// What a Lua-side function asks of the server.
enum redstart_lua_operation {
    /// redis.call: arguments on the stack; push the reply (or an error table and return -1).
    REDSTART_OP_CALL = 1,
    /// redis.pcall: as CALL, but an error table is returned as a value (return 1).
    REDSTART_OP_PCALL = 2,
    /// redis.log(level, ...): arguments already checked; the message is at index 1.
    REDSTART_OP_LOG = 3,
    /// redis.setresp(n): the version (2 or 3) is at index 1.
    REDSTART_OP_SETRESP = 4,
    /// redis.set_repl(flags): the checked flags are at index 1.
    REDSTART_OP_SETREPL = 5,
    /// redis.acl_check_cmd(...): push a boolean, or an error table and return -1.
    REDSTART_OP_ACL_CHECK = 6,
    /// redis.register_function(...): arguments on the stack.
    REDSTART_OP_REGISTER_FUNCTION = 7,
    /// The count hook fired: return 0 to go on, or -1 after pushing an error to raise.
    REDSTART_OP_HOOK = 8,
    /// Asks whether a script run is active (redis.setresp and others refuse otherwise).
    REDSTART_OP_IS_RUNNING = 9,
};

/// The one function through which Lua reaches Swift. `owner` is the pointer given to
/// `redstart_lua_sandbox_create`. Returns the number of values pushed, or -1 when it
/// pushed an error value that C must raise.
typedef int (*redstart_lua_dispatch_fn)(void *owner, lua_State *L, int operation);

/// Installs the dispatch function (once per process; the same for every Lua state).
void redstart_lua_set_dispatch(redstart_lua_dispatch_fn dispatch);

// MARK: - Sandbox

/// The two kinds of Lua state Redis keeps: one for EVAL scripts, one for functions.
enum redstart_lua_kind {
    REDSTART_LUA_EVAL = 0,
    REDSTART_LUA_FUNCTIONS = 1,
};

/// Opens a new Lua state with Redis's environment for `kind`: the libraries Redis loads
/// (base without dofile/loadfile/print/getfenv/setfenv/newproxy, table, string, math,
/// cjson, struct, cmsgpack, bit), the `redis` table, and every table reachable from the
/// globals read-only. `owner` is handed back to the dispatch function; `random_state`
/// holds the rand48 state math.random uses (shared by the states of one server);
/// `version` and `version_number` are what redis.REDIS_VERSION(_NUM) say.
/// Returns NULL when Lua cannot allocate a state.
lua_State *redstart_lua_sandbox_create(
    int kind, void *owner, uint64_t *random_state, const char *version, int version_number);

/// For the functions state: makes the globals read through to the library-loading API
/// (`redis.register_function`, `redis.log`, ...) while a library's code runs (`loading`
/// true), or to the run-time API (false).
void redstart_lua_functions_set_loading(lua_State *L, int loading);

/// Sets the globals KEYS and ARGV of the real globals table to the two tables on the top
/// of the stack (ARGV on top), bypassing the read-only protection, and pops them.
void redstart_lua_set_keys_and_argv(lua_State *L);

/// Pushes the error handler scripts run under (it adds the failing line to errors).
void redstart_lua_push_error_handler(lua_State *L);

/// Loads `code` as a chunk named `chunk_name` in the sandbox's globals; returns 0 and the
/// function on the stack, or non-zero and the error message. A binary chunk is read as
/// text (so it fails to compile), as Redis does.
int redstart_lua_load_text(lua_State *L, const char *code, size_t length, const char *chunk_name);

/// The count hook scripts run with: asks Swift (REDSTART_OP_HOOK) what to do.
void redstart_lua_count_hook(lua_State *L, lua_Debug *ar);

/// Raises the value on the top of the stack as a Lua error (for use from C hooks only).
int redstart_lua_raise(lua_State *L);

/// Runs `lua_pcall(L, nargs, nresults, errfunc)`; exists so that Swift can run Lua code
/// without any Lua API call of its own raising through Swift frames.
int redstart_lua_pcall(lua_State *L, int nargs, int nresults, int errfunc);

// MARK: - Fibers

typedef struct redstart_fiber redstart_fiber;

/// A fiber with its own stack of `stack_size` bytes (plus a guard page). NULL on failure.
redstart_fiber *redstart_fiber_create(size_t stack_size);
void redstart_fiber_destroy(redstart_fiber *fiber);

/// Runs `entry(argument)` on the fiber's stack. Returns 1 when `entry` returned, 0 when it
/// called `redstart_fiber_yield` (continue it with `redstart_fiber_resume`). The fiber
/// must be idle (its last entry finished).
int redstart_fiber_run(redstart_fiber *fiber, void (*entry)(void *), void *argument);

/// Continues a fiber that yielded. Returns 1 when its entry returned, 0 when it yielded again.
int redstart_fiber_resume(redstart_fiber *fiber);

/// Called on the fiber's stack: returns to whoever ran or resumed it; returns when resumed.
void redstart_fiber_yield(redstart_fiber *fiber);

/// Whether the code calling this runs on the fiber's stack right now.
int redstart_fiber_is_current(const redstart_fiber *fiber);

// MARK: - Utilities

/// The SHA1 of `length` bytes as 40 lowercase hex digits and a NUL.
void redstart_sha1_hex(const void *data, size_t length, char out[41]);

/// The next rand48 number (31 bits) from `state`, as Redis's redisLrand48.
int32_t redstart_rand48_next(uint64_t *state);

/// Seeds `state` as Redis's redisSrand48.
void redstart_rand48_seed(uint64_t *state, int32_t seed);

/// The state rand48 starts in before any seed.
uint64_t redstart_rand48_initial(void);

// The libraries written for Redstart (Debian packages cjson and bit; these two it does not).
int redstart_luaopen_cmsgpack(lua_State *L);
int redstart_luaopen_struct(lua_State *L);

#endif
