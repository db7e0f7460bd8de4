// The functions scripts call: the `redis` table, Redis's pcall, math.random on
// Redis's rand48, the error handler that adds the failing line, and the count
// hook. Argument checks and their error texts follow Redis 7.0; anything that
// needs the server (running a command, logging, the script's RESP version) goes
// to Swift through the dispatch function. Errors Redis reports as tables
// ({err = "CODE message"}) are built by push_error_table.
#include <math.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

#include <lauxlib.h>

#include "redstart_lua.h"
#include "sandbox_internal.h"

static redstart_lua_dispatch_fn dispatch_function;

void redstart_lua_set_dispatch(redstart_lua_dispatch_fn dispatch) { dispatch_function = dispatch; }

/// Per-state data, a userdata anchored in the registry and an upvalue of the API functions.
typedef struct {
    void *owner;
    uint64_t *random;
} script_env;

static char envKey;

static script_env *upvalue_env(lua_State *L) { return lua_touserdata(L, lua_upvalueindex(1)); }

static script_env *registry_env(lua_State *L) {
    lua_pushlightuserdata(L, &envKey);
    lua_rawget(L, LUA_REGISTRYINDEX);
    script_env *env = lua_touserdata(L, -1);
    lua_pop(L, 1);
    return env;
}

static int dispatch(lua_State *L, script_env *env, int operation) {
    int result = dispatch_function(env->owner, L, operation);
    if (result < 0) return lua_error(L);
    return result;
}

// MARK: - Error tables

/// Pushes {err = "<CODE> <message>"} built as Redis's luaPushErrorBuff: text starting with
/// '-' names its code in the first word, other text gets the code ERR; CR/LF at the ends
/// of the message are trimmed.
static void push_error_table(lua_State *L, const char *text, size_t length) {
    const char *code = "ERR";
    size_t codeLength = 3;
    const char *message = text;
    size_t messageLength = length;
    if (length > 0 && text[0] == '-') {
        const char *space = memchr(text, ' ', length);
        if (space == NULL) {
            message = text + 1;
            messageLength = length - 1;
        } else {
            code = text + 1;
            codeLength = (size_t)(space - text) - 1;
            message = space + 1;
            messageLength = length - (size_t)(space + 1 - text);
        }
    }
    while (messageLength > 0 && (message[0] == '\r' || message[0] == '\n')) {
        message++;
        messageLength--;
    }
    while (messageLength > 0 && (message[messageLength - 1] == '\r' || message[messageLength - 1] == '\n')) {
        messageLength--;
    }
    lua_createtable(L, 0, 1);
    luaL_Buffer buffer;
    luaL_buffinit(L, &buffer);
    luaL_addlstring(&buffer, code, codeLength);
    luaL_addchar(&buffer, ' ');
    luaL_addlstring(&buffer, message, messageLength);
    luaL_pushresult(&buffer);
    lua_setfield(L, -2, "err");
}

/// Raises {err = "ERR <message>"}.
static int raise_error_table(lua_State *L, const char *message) {
    push_error_table(L, message, strlen(message));
    return lua_error(L);
}

/// Whether a script run is active (some API functions refuse otherwise).
static int is_running(lua_State *L, script_env *env) { return dispatch_function(env->owner, L, REDSTART_OP_IS_RUNNING) > 0; }

// MARK: - redis.*

static int api_call(lua_State *L) { return dispatch(L, upvalue_env(L), REDSTART_OP_CALL); }

static int api_pcall(lua_State *L) { return dispatch(L, upvalue_env(L), REDSTART_OP_PCALL); }

static int api_acl_check_cmd(lua_State *L) {
    script_env *env = upvalue_env(L);
    if (!is_running(L, env)) return raise_error_table(L, "redis.acl_check_cmd can only be called inside a script invocation");
    return dispatch(L, env, REDSTART_OP_ACL_CHECK);
}

static int api_sha1hex(lua_State *L) {
    if (lua_gettop(L) != 1) return raise_error_table(L, "wrong number of arguments");
    size_t length = 0;
    const char *text = lua_tolstring(L, 1, &length);
    char digest[41];
    redstart_sha1_hex(text != NULL ? text : "", text != NULL ? length : 0, digest);
    lua_pushstring(L, digest);
    return 1;
}

static int api_error_reply(lua_State *L) {
    if (lua_gettop(L) != 1 || lua_type(L, -1) != LUA_TSTRING) {
        push_error_table(L, "wrong number or type of arguments", 33);
        return 1;
    }
    size_t length;
    const char *text = lua_tolstring(L, 1, &length);
    if (length > 0 && text[0] == '-') {
        push_error_table(L, text, length);
    } else {
        lua_pushliteral(L, "-");
        lua_pushvalue(L, 1);
        lua_concat(L, 2);
        const char *prefixed = lua_tolstring(L, -1, &length);
        push_error_table(L, prefixed, length);
    }
    return 1;
}

static int api_status_reply(lua_State *L) {
    if (lua_gettop(L) != 1 || lua_type(L, -1) != LUA_TSTRING) {
        push_error_table(L, "wrong number or type of arguments", 33);
        return 1;
    }
    lua_createtable(L, 0, 1);
    lua_pushvalue(L, 1);
    lua_setfield(L, -2, "ok");
    return 1;
}

static int api_log(lua_State *L) {
    script_env *env = upvalue_env(L);
    int count = lua_gettop(L);
    if (count < 2) return raise_error_table(L, "redis.log() requires two arguments or more.");
    if (!lua_isnumber(L, 1)) return raise_error_table(L, "First argument must be a number (log level).");
    int level = (int)lua_tonumber(L, 1);
    if (level < 0 || level > 3) return raise_error_table(L, "Invalid debug level.");
    // The message: the other arguments that are strings or numbers, separated by spaces.
    luaL_Buffer buffer;
    luaL_buffinit(L, &buffer);
    int first = 1;
    for (int i = 2; i <= count; i++) {
        size_t length;
        const char *text = lua_tolstring(L, i, &length);
        if (text == NULL) continue;
        if (!first) luaL_addchar(&buffer, ' ');
        luaL_addlstring(&buffer, text, length);
        first = 0;
    }
    luaL_pushresult(&buffer);
    lua_pushinteger(L, level);
    lua_insert(L, -2);
    lua_replace(L, 2);
    lua_replace(L, 1);
    lua_settop(L, 2);
    dispatch(L, env, REDSTART_OP_LOG);
    return 0;
}

static int api_setresp(lua_State *L) {
    script_env *env = upvalue_env(L);
    if (!is_running(L, env)) return raise_error_table(L, "redis.setresp can only be called inside a script invocation");
    if (lua_gettop(L) != 1) return raise_error_table(L, "redis.setresp() requires one argument.");
    int version = (int)lua_tonumber(L, 1);
    if (version != 2 && version != 3) return raise_error_table(L, "RESP version must be 2 or 3.");
    lua_settop(L, 0);
    lua_pushinteger(L, version);
    dispatch(L, env, REDSTART_OP_SETRESP);
    return 0;
}

static int api_set_repl(lua_State *L) {
    script_env *env = upvalue_env(L);
    if (!is_running(L, env)) return raise_error_table(L, "redis.set_repl can only be called inside a script invocation");
    if (lua_gettop(L) != 1) return raise_error_table(L, "redis.set_repl() requires two arguments.");
    int flags = (int)lua_tonumber(L, -1);
    if ((flags & ~3) != 0) {
        return raise_error_table(L, "Invalid replication flags. Use REPL_AOF, REPL_REPLICA, REPL_ALL or REPL_NONE.");
    }
    lua_settop(L, 0);
    lua_pushinteger(L, flags);
    dispatch(L, env, REDSTART_OP_SETREPL);
    return 0;
}

/// redis.replicate_commands(): scripts always replicate their effects now; true.
static int api_replicate_commands(lua_State *L) {
    lua_pushboolean(L, 1);
    return 1;
}

/// redis.breakpoint(): false, no debugger session is active.
static int api_breakpoint(lua_State *L) {
    lua_pushboolean(L, 0);
    return 1;
}

/// redis.debug(...): logs to the debugger console, of which there is none.
static int api_debug(lua_State *L) {
    (void)L;
    return 0;
}

static int api_register_function(lua_State *L) { return dispatch(L, upvalue_env(L), REDSTART_OP_REGISTER_FUNCTION); }

// MARK: - pcall

/// Redis's pcall: as Lua's, except that an error that is a table with an `err` string
/// (the errors redis.call raises) is returned as that string.
static int redis_pcall(lua_State *L) {
    int count = lua_gettop(L);
    lua_pushboolean(L, 1);
    lua_insert(L, 1);
    if (lua_pcall(L, count - 1, LUA_MULTRET, 0) != 0) {
        lua_remove(L, 1);
        if (lua_istable(L, -1)) {
            lua_getfield(L, -1, "err");
            if (lua_isstring(L, -1)) {
                lua_replace(L, -2);
            } else {
                lua_pop(L, 1);
            }
        }
        lua_pushboolean(L, 0);
        lua_insert(L, 1);
    }
    return lua_gettop(L);
}

// MARK: - math.random on rand48

int32_t redstart_rand48_next(uint64_t *state) {
    *state = (*state * 0x5DEECE66DULL + 0xB) & 0xFFFFFFFFFFFFULL;
    return (int32_t)(*state >> 17);
}

void redstart_rand48_seed(uint64_t *state, int32_t seed) {
    *state = ((uint64_t)(uint32_t)seed << 16) | 0x330E;
}

uint64_t redstart_rand48_initial(void) { return 0x1234ABCD330EULL; }

static int math_random(lua_State *L) {
    script_env *env = upvalue_env(L);
    if (!is_running(L, env)) return luaL_error(L, "math.random can only be called inside a script invocation");
    // The `%` keeps r below 1, as Lua's own math.random does with rand().
    lua_Number r = (lua_Number)(redstart_rand48_next(env->random) % 2147483647) / (lua_Number)2147483647;
    switch (lua_gettop(L)) {
    case 0:
        lua_pushnumber(L, r);
        break;
    case 1: {
        int upper = luaL_checkint(L, 1);
        luaL_argcheck(L, 1 <= upper, 1, "interval is empty");
        lua_pushnumber(L, floor(r * upper) + 1);
        break;
    }
    case 2: {
        int lower = luaL_checkint(L, 1);
        int upper = luaL_checkint(L, 2);
        luaL_argcheck(L, lower <= upper, 2, "interval is empty");
        lua_pushnumber(L, floor(r * (upper - lower + 1)) + lower);
        break;
    }
    default:
        return luaL_error(L, "wrong number of arguments");
    }
    return 1;
}

static int math_randomseed(lua_State *L) {
    script_env *env = upvalue_env(L);
    if (!is_running(L, env)) return luaL_error(L, "math.randomseed can only be called inside a script invocation");
    redstart_rand48_seed(env->random, luaL_checkint(L, 1));
    return 0;
}

// MARK: - bit.tohex

/// bit.tohex with the digit count INT_MIN (whose negation overflows) read as INT_MIN + 1,
/// Redis's fix for CVE-2024-31449.
static int bit_tohex(lua_State *L) {
    if (lua_gettop(L) >= 2 && lua_isnumber(L, 2) && lua_tonumber(L, 2) <= -2147483648.0) {
        lua_pushnumber(L, -2147483647.0);
        lua_replace(L, 2);
    }
    lua_pushvalue(L, lua_upvalueindex(1));
    lua_insert(L, 1);
    lua_call(L, lua_gettop(L) - 1, LUA_MULTRET);
    return lua_gettop(L);
}

// MARK: - Error handler

/// Pushes tostring(value at `index`) with the original tostring (upvalue 1 of the handler).
static void push_tostring(lua_State *L, int index) {
    lua_pushvalue(L, lua_upvalueindex(1));
    lua_pushvalue(L, index);
    lua_call(L, 1, 1);
}

int redstart_error_handler(lua_State *L) {
    lua_settop(L, 1);
    // Level 1 raised the error; when it is a C function (error, redis.call) the line that
    // matters is its caller's.
    lua_Debug where;
    int found = lua_getstack(L, 1, &where) && lua_getinfo(L, "nSl", &where);
    if (found && strcmp(where.what, "C") == 0) found = lua_getstack(L, 2, &where) && lua_getinfo(L, "nSl", &where);
    if (!lua_istable(L, 1)) {
        lua_createtable(L, 0, 3);
        lua_pushliteral(L, "ERR ");
        push_tostring(L, 1);
        lua_concat(L, 2);
        lua_setfield(L, -2, "err");
        lua_replace(L, 1);
    }
    if (found && !redstart_push_proxy_target(L, 1)) {
        lua_pushliteral(L, "source");
        lua_pushstring(L, where.source);
        lua_rawset(L, 1);
        lua_pushliteral(L, "line");
        lua_pushinteger(L, where.currentline);
        lua_rawset(L, 1);
    }
    lua_settop(L, 1);
    return 1;
}

// MARK: - Hook

void redstart_lua_count_hook(lua_State *L, lua_Debug *ar) {
    (void)ar;
    script_env *env = registry_env(L);
    if (env != NULL) dispatch(L, env, REDSTART_OP_HOOK);
}

// MARK: - Installing

static void set_function(lua_State *L, int table, const char *name, lua_CFunction function, script_env *env) {
    lua_pushlightuserdata(L, env);
    lua_pushcclosure(L, function, 1);
    lua_setfield(L, table, name);
}

static void set_number(lua_State *L, int table, const char *name, lua_Number value) {
    lua_pushnumber(L, value);
    lua_setfield(L, table, name);
}

static void set_log_and_version(lua_State *L, int table, script_env *env, const char *version, int number) {
    set_function(L, table, "log", api_log, env);
    set_number(L, table, "LOG_DEBUG", 0);
    set_number(L, table, "LOG_VERBOSE", 1);
    set_number(L, table, "LOG_NOTICE", 2);
    set_number(L, table, "LOG_WARNING", 3);
    set_number(L, table, "REDIS_VERSION_NUM", number);
    lua_pushstring(L, version);
    lua_setfield(L, table, "REDIS_VERSION");
}

void redstart_install_redis_api(
    lua_State *L, int globals, int kind, void *owner, uint64_t *random_state,
    const char *version, int version_number)
{
    script_env *env = lua_newuserdata(L, sizeof(script_env));
    env->owner = owner;
    env->random = random_state;
    lua_pushlightuserdata(L, &envKey);
    lua_insert(L, -2);
    lua_rawset(L, LUA_REGISTRYINDEX);

    // Inserted in Redis's order, so that iterating `redis` gives Redis's order.
    lua_newtable(L);
    int api = lua_gettop(L);
    set_function(L, api, "call", api_call, env);
    set_function(L, api, "pcall", api_pcall, env);
    set_log_and_version(L, api, env, version, version_number);
    set_function(L, api, "setresp", api_setresp, env);
    set_function(L, api, "sha1hex", api_sha1hex, env);
    set_function(L, api, "error_reply", api_error_reply, env);
    set_function(L, api, "status_reply", api_status_reply, env);
    set_function(L, api, "set_repl", api_set_repl, env);
    set_number(L, api, "REPL_NONE", 0);
    set_number(L, api, "REPL_AOF", 1);
    set_number(L, api, "REPL_SLAVE", 2);
    set_number(L, api, "REPL_REPLICA", 2);
    set_number(L, api, "REPL_ALL", 3);
    set_function(L, api, "acl_check_cmd", api_acl_check_cmd, env);
    if (kind == REDSTART_LUA_EVAL) {
        set_function(L, api, "breakpoint", api_breakpoint, env);
        set_function(L, api, "debug", api_debug, env);
        set_function(L, api, "replicate_commands", api_replicate_commands, env);
    }
    lua_setfield(L, globals, "redis");

    lua_pushcfunction(L, redis_pcall);
    lua_setfield(L, globals, "pcall");

    lua_getfield(L, globals, "math");
    set_function(L, lua_gettop(L), "random", math_random, env);
    set_function(L, lua_gettop(L), "randomseed", math_randomseed, env);
    lua_pop(L, 1);

    lua_getfield(L, globals, "bit");
    lua_getfield(L, -1, "tohex");
    lua_pushcclosure(L, bit_tohex, 1);
    lua_setfield(L, -2, "tohex");
    lua_pop(L, 1);

    // The error handler's tostring is the original, whatever scripts can see.
    lua_getfield(L, globals, "tostring");
    lua_pushcclosure(L, redstart_error_handler, 1);
    lua_setfield(L, LUA_REGISTRYINDEX, "redstart.error_handler");
}

void redstart_push_loading_api(lua_State *L, const char *version, int version_number) {
    script_env *env = registry_env(L);
    lua_newtable(L);
    int api = lua_gettop(L);
    set_function(L, api, "register_function", api_register_function, env);
    set_log_and_version(L, api, env, version, version_number);
}

