// Redis's script sandbox on a stock Lua 5.1.
//
// Redis patched its Lua so that a table can be marked read-only; scripts then
// cannot change the globals or the library tables. A stock Lua has no such mark,
// so every protected table T is replaced, wherever a script can reach it, by an
// empty proxy whose hidden metatable reads through to T (`__index = T`) and
// refuses writes (`__newindex`). Tables inside T are proxies too (built bottom
// up), so nothing a script can reach leads to a writable original. The base
// functions that could see through a proxy are wrapped: rawget/next/pairs/
// ipairs/unpack read the original, rawset/setmetatable/table.insert refuse,
// getmetatable shows what Redis would show. Registry fields (keyed by
// the addresses of the statics below) hold the map from proxies to originals.
//
// To extend: a new library goes into open_libraries; a new base function that
// takes a table must be wrapped in wrap_base_functions if it reads or writes it.
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <lauxlib.h>
#include <lualib.h>

#include "redstart_lua.h"
#include "sandbox_internal.h"

// Registry keys (their addresses).
static char proxyTargetsKey;      // proxy -> original table
static char apparentMetaKey;      // proxy -> what getmetatable shows (absent: nil)
static char realGlobalsKey;       // the real globals table
static char globalsProxyKey;      // the proxy scripts see as _G and as their environment
static char globalsMetaKey;       // the proxy's hidden metatable (its __index is switched for functions)
static char loadingGlobalsKey;    // functions state: the globals of library loading
static char errorHandlerKey;      // the error handler
static char stringMetaViewKey;    // what getmetatable("") shows

const char *const redstart_readonly_error = "Attempt to modify a readonly table";

// MARK: - Proxies

/// Pushes the original of the proxy at `index`, or nothing and returns 0 when it is not a proxy.
int redstart_push_proxy_target(lua_State *L, int index) {
    if (lua_type(L, index) != LUA_TTABLE) return 0;
    index = index < 0 && index > LUA_REGISTRYINDEX ? lua_gettop(L) + index + 1 : index;
    lua_pushlightuserdata(L, &proxyTargetsKey);
    lua_rawget(L, LUA_REGISTRYINDEX);
    lua_pushvalue(L, index);
    lua_rawget(L, -2);
    lua_remove(L, -2);
    if (lua_isnil(L, -1)) {
        lua_pop(L, 1);
        return 0;
    }
    return 1;
}

/// Replaces the value at `index` by its original when it is a proxy.
static void unwrap_argument(lua_State *L, int index) {
    if (redstart_push_proxy_target(L, index)) lua_replace(L, index);
}

/// __newindex of every proxy: "<where>: Attempt to modify a readonly table".
static int proxy_newindex(lua_State *L) { return luaL_error(L, "%s", redstart_readonly_error); }

/// Raises the read-only error without a position, as Redis's C API checks do.
int redstart_raise_readonly(lua_State *L) {
    lua_pushstring(L, redstart_readonly_error);
    return lua_error(L);
}

/// Makes a proxy for the table at the top of the stack and replaces it with the proxy.
/// `apparent` (an index, or 0) is what getmetatable shows for it.
static void make_proxy(lua_State *L, int apparent) {
    int target = lua_gettop(L);
    lua_newtable(L);  // the proxy
    lua_createtable(L, 0, 3);
    lua_pushvalue(L, target);
    lua_setfield(L, -2, "__index");
    lua_pushcfunction(L, proxy_newindex);
    lua_setfield(L, -2, "__newindex");
    lua_pushboolean(L, 0);  // stock getmetatable/setmetatable see a protected metatable
    lua_setfield(L, -2, "__metatable");
    lua_setmetatable(L, -2);

    lua_pushlightuserdata(L, &proxyTargetsKey);
    lua_rawget(L, LUA_REGISTRYINDEX);
    lua_pushvalue(L, -2);
    lua_pushvalue(L, target);
    lua_rawset(L, -3);
    lua_pop(L, 1);
    if (apparent != 0) {
        lua_pushlightuserdata(L, &apparentMetaKey);
        lua_rawget(L, LUA_REGISTRYINDEX);
        lua_pushvalue(L, -2);
        lua_pushvalue(L, apparent);
        lua_rawset(L, -3);
        lua_pop(L, 1);
    }
    lua_replace(L, target);
}

static void protect_tree(lua_State *L, int visited);

/// Replaces every table-valued field of the table at `table` (an index) by its proxy.
static void protect_fields(lua_State *L, int table, int visited) {
    // Collect the keys first: changing fields while iterating is not allowed.
    lua_newtable(L);
    int keys = lua_gettop(L);
    int count = 0;
    lua_pushnil(L);
    while (lua_next(L, table)) {
        if (lua_type(L, -1) == LUA_TTABLE) {
            lua_pushvalue(L, -2);
            lua_rawseti(L, keys, ++count);
        }
        lua_pop(L, 1);
    }
    for (int i = 1; i <= count; i++) {
        lua_rawgeti(L, keys, i);
        lua_pushvalue(L, -1);
        lua_rawget(L, table);
        protect_tree(L, visited);
        lua_rawset(L, table);
    }
    lua_pop(L, 1);
}

/// Replaces the table at the top of the stack by a proxy, after replacing every table it
/// holds (recursively) by theirs. `visited` (an index) maps originals to their proxies, so a
/// table reached twice gets one proxy and cycles end.
static void protect_tree(lua_State *L, int visited) {
    int table = lua_gettop(L);
    // A proxy already is what it should be.
    if (redstart_push_proxy_target(L, table)) {
        lua_pop(L, 1);
        return;
    }
    lua_pushvalue(L, table);
    lua_rawget(L, visited);
    if (!lua_isnil(L, -1)) {
        lua_replace(L, table);
        return;
    }
    lua_pop(L, 1);
    // Recorded before the walk, so that a cycle back to this table ends at its proxy.
    lua_pushvalue(L, table);
    make_proxy(L, 0);
    lua_pushvalue(L, table);
    lua_pushvalue(L, -2);
    lua_rawset(L, visited);
    protect_fields(L, table, visited);
    lua_replace(L, table);
}

// MARK: - Errors for missing globals

/// __index of the globals (and of the function-loading API): reading a name that does not exist.
static int missing_global(lua_State *L) {
    if (lua_gettop(L) != 2) return luaL_error(L, "Wrong number of arguments to luaProtectedTableError");
    if (!lua_isstring(L, 2)) return luaL_error(L, "Second argument to luaProtectedTableError must be a string or number");
    return luaL_error(L, "Script attempted to access nonexistent global variable '%s'", lua_tostring(L, 2));
}

/// Gives the table at the top of the stack a metatable whose __index raises missing_global.
static void set_missing_global_metatable(lua_State *L) {
    lua_createtable(L, 0, 1);
    lua_pushcfunction(L, missing_global);
    lua_setfield(L, -2, "__index");
    lua_setmetatable(L, -2);
}

// MARK: - Wrapped base functions

// The wrappers below are whole functions, not calls of the originals: a C function
// calling another would put itself between the script and the error positions Lua
// reports ("user_script:1:"), so they redo the originals' small bodies.

static int wrapped_rawget(lua_State *L) {
    luaL_checktype(L, 1, LUA_TTABLE);
    luaL_checkany(L, 2);
    unwrap_argument(L, 1);
    lua_settop(L, 2);
    lua_rawget(L, 1);
    return 1;
}

/// unpack(t [, i [, j]]): t[i], ..., t[j] (j defaults to #t).
static int wrapped_unpack(lua_State *L) {
    luaL_checktype(L, 1, LUA_TTABLE);
    unwrap_argument(L, 1);
    int first = luaL_optint(L, 2, 1);
    int last = lua_isnoneornil(L, 3) ? (int)lua_objlen(L, 1) : luaL_checkint(L, 3);
    if (first > last) return 0;
    int count = last - first + 1;
    // Also catches the overflow of a huge range (count <= 0).
    if (count <= 0 || !lua_checkstack(L, count)) return luaL_error(L, "too many results to unpack");
    for (int index = first; index <= last; index++) lua_rawgeti(L, 1, index);
    return count;
}

/// table.insert(t, [pos,] value): refuses a read-only table, as Redis's patched rawseti.
static int wrapped_insert(lua_State *L) {
    luaL_checktype(L, 1, LUA_TTABLE);
    if (redstart_push_proxy_target(L, 1)) return redstart_raise_readonly(L);
    int end = (int)lua_objlen(L, 1) + 1;  // the first free slot
    int position;
    switch (lua_gettop(L)) {
    case 2:
        position = end;
        break;
    case 3:
        position = luaL_checkint(L, 2);
        if (position > end) end = position;
        // Move up the elements from `position` to make room.
        for (int index = end; index > position; index--) {
            lua_rawgeti(L, 1, index - 1);
            lua_rawseti(L, 1, index);
        }
        break;
    default:
        return luaL_error(L, "wrong number of arguments to 'insert'");
    }
    lua_rawseti(L, 1, position);
    return 0;
}

static int wrapped_rawset(lua_State *L) {
    luaL_checktype(L, 1, LUA_TTABLE);
    luaL_checkany(L, 2);
    luaL_checkany(L, 3);
    if (redstart_push_proxy_target(L, 1)) return redstart_raise_readonly(L);
    lua_settop(L, 3);
    lua_rawset(L, 1);
    return 1;
}

static int wrapped_next(lua_State *L) {
    luaL_checktype(L, 1, LUA_TTABLE);
    unwrap_argument(L, 1);
    lua_settop(L, 2);
    if (lua_next(L, 1)) return 2;
    lua_pushnil(L);
    return 1;
}

/// pairs returns the wrapped next and the table as given (never the original).
static int wrapped_pairs(lua_State *L) {
    luaL_checktype(L, 1, LUA_TTABLE);
    lua_pushvalue(L, lua_upvalueindex(1));
    lua_pushvalue(L, 1);
    lua_pushnil(L);
    return 3;
}

static int ipairs_step(lua_State *L) {
    int index = luaL_checkint(L, 2) + 1;
    luaL_checktype(L, 1, LUA_TTABLE);
    unwrap_argument(L, 1);
    lua_pushinteger(L, index);
    lua_rawgeti(L, 1, index);
    return lua_isnil(L, -1) ? 0 : 2;
}

static int wrapped_ipairs(lua_State *L) {
    luaL_checktype(L, 1, LUA_TTABLE);
    lua_pushvalue(L, lua_upvalueindex(1));
    lua_pushvalue(L, 1);
    lua_pushinteger(L, 0);
    return 3;
}

static int wrapped_setmetatable(lua_State *L) {
    int type = lua_type(L, 2);
    luaL_checktype(L, 1, LUA_TTABLE);
    luaL_argcheck(L, type == LUA_TNIL || type == LUA_TTABLE, 2, "nil or table expected");
    if (redstart_push_proxy_target(L, 1)) return redstart_raise_readonly(L);
    if (luaL_getmetafield(L, 1, "__metatable")) return luaL_error(L, "cannot change a protected metatable");
    lua_settop(L, 2);
    lua_setmetatable(L, 1);
    return 1;
}

static int wrapped_getmetatable(lua_State *L) {
    luaL_checkany(L, 1);
    if (lua_type(L, 1) == LUA_TSTRING) {
        lua_pushlightuserdata(L, &stringMetaViewKey);
        lua_rawget(L, LUA_REGISTRYINDEX);
        return 1;
    }
    if (redstart_push_proxy_target(L, 1)) {
        lua_pushlightuserdata(L, &apparentMetaKey);
        lua_rawget(L, LUA_REGISTRYINDEX);
        lua_pushvalue(L, 1);
        lua_rawget(L, -2);
        return 1;
    }
    if (!lua_getmetatable(L, 1)) {
        lua_pushnil(L);
        return 1;
    }
    luaL_getmetafield(L, 1, "__metatable");
    return 1;
}

// MARK: - Loading code as text only

typedef struct {
    const char *text;
    size_t length;
    int sentPrefix;
} text_reader_state;

/// Hands Lua the chunk, preceded by a space when it starts with the binary signature, so
/// that it is always parsed as source (Redis refuses precompiled chunks the same way).
static const char *text_reader(lua_State *L, void *data, size_t *size) {
    (void)L;
    text_reader_state *state = data;
    if (!state->sentPrefix) {
        state->sentPrefix = 1;
        if (state->length > 0 && state->text[0] == LUA_SIGNATURE[0]) {
            *size = 1;
            return " ";
        }
    }
    if (state->length == 0) return NULL;
    *size = state->length;
    state->length = 0;
    return state->text;
}

int redstart_lua_load_text(lua_State *L, const char *code, size_t length, const char *chunk_name) {
    text_reader_state state = {code, length, 0};
    return lua_load(L, text_reader, &state, chunk_name);
}

static int wrapped_loadstring(lua_State *L) {
    size_t length;
    const char *code = luaL_checklstring(L, 1, &length);
    const char *name = luaL_optstring(L, 2, code);
    if (redstart_lua_load_text(L, code, length, name) == 0) return 1;
    lua_pushnil(L);
    lua_insert(L, -2);
    return 2;
}

/// load(f [, name]): collects the pieces `f` returns, then loads them as text.
static int wrapped_load(lua_State *L) {
    const char *name = luaL_optstring(L, 2, "=(load)");
    luaL_checktype(L, 1, LUA_TFUNCTION);
    luaL_Buffer buffer;
    luaL_buffinit(L, &buffer);
    for (;;) {
        lua_pushvalue(L, 1);
        lua_call(L, 0, 1);
        if (lua_isnil(L, -1)) {
            lua_pop(L, 1);
            break;
        }
        if (!lua_isstring(L, -1)) {
            lua_pop(L, 1);
            luaL_pushresult(&buffer);
            lua_pushnil(L);
            lua_pushstring(L, "reader function must return a string");
            return 2;
        }
        size_t pieceLength = lua_objlen(L, -1);
        if (pieceLength == 0) {
            lua_pop(L, 1);
            break;
        }
        luaL_addvalue(&buffer);
    }
    luaL_pushresult(&buffer);
    size_t length;
    const char *code = lua_tolstring(L, -1, &length);
    if (redstart_lua_load_text(L, code, length, name) == 0) return 1;
    lua_pushnil(L);
    lua_insert(L, -2);
    return 2;
}

// MARK: - Building the environment

static void wrap_base_functions(lua_State *L, int globals) {
    lua_pushcfunction(L, wrapped_rawset);
    lua_setfield(L, globals, "rawset");
    lua_pushcfunction(L, wrapped_next);
    lua_pushvalue(L, -1);
    lua_setfield(L, globals, "next");
    lua_pushcclosure(L, wrapped_pairs, 1);
    lua_setfield(L, globals, "pairs");
    lua_pushcfunction(L, ipairs_step);
    lua_pushcclosure(L, wrapped_ipairs, 1);
    lua_setfield(L, globals, "ipairs");
    lua_pushcfunction(L, wrapped_setmetatable);
    lua_setfield(L, globals, "setmetatable");
    lua_pushcfunction(L, wrapped_getmetatable);
    lua_setfield(L, globals, "getmetatable");
    lua_pushcfunction(L, wrapped_loadstring);
    lua_setfield(L, globals, "loadstring");
    lua_pushcfunction(L, wrapped_load);
    lua_setfield(L, globals, "load");
    lua_pushcfunction(L, wrapped_rawget);
    lua_setfield(L, globals, "rawget");
    lua_pushcfunction(L, wrapped_unpack);
    lua_setfield(L, globals, "unpack");
    // table.remove and table.sort never write to a library table (they have no array part);
    // table.insert always would. The readers see a proxy as the empty table it is.
    lua_getfield(L, globals, "table");
    lua_pushcfunction(L, wrapped_insert);
    lua_setfield(L, -2, "insert");
    lua_pop(L, 1);

    // Functions Redis does not offer (7.0.15 with Debian's security fixes).
    static const char *const removed[] = {"dofile", "loadfile", "print", "getfenv", "setfenv", "newproxy"};
    for (size_t i = 0; i < sizeof(removed) / sizeof(removed[0]); i++) {
        lua_pushnil(L);
        lua_setfield(L, globals, removed[i]);
    }
}

/// Opens one library with its open function and leaves nothing on the stack; `global`
/// names the global to set to the returned table when the function does not set one.
static void open_library(lua_State *L, lua_CFunction open, const char *name, const char *global) {
    lua_pushcfunction(L, open);
    lua_pushstring(L, name);
    lua_call(L, 1, 1);
    if (global != NULL) {
        lua_setglobal(L, global);
    } else {
        lua_pop(L, 1);
    }
}

extern int luaopen_cjson(lua_State *L);
extern int luaopen_bit(lua_State *L);

static void open_libraries(lua_State *L) {
    open_library(L, luaopen_base, "", NULL);
    open_library(L, luaopen_table, LUA_TABLIBNAME, NULL);
    open_library(L, luaopen_string, LUA_STRLIBNAME, NULL);
    open_library(L, luaopen_math, LUA_MATHLIBNAME, NULL);
    open_library(L, luaopen_cjson, "cjson", "cjson");  // Debian builds it without its global
    open_library(L, redstart_luaopen_struct, "struct", NULL);
    open_library(L, redstart_luaopen_cmsgpack, "cmsgpack", NULL);
    open_library(L, luaopen_bit, "bit", NULL);
}

/// The registry tables the proxies need.
static void create_registry_tables(lua_State *L) {
    lua_pushlightuserdata(L, &proxyTargetsKey);
    lua_newtable(L);
    lua_rawset(L, LUA_REGISTRYINDEX);
    lua_pushlightuserdata(L, &apparentMetaKey);
    lua_newtable(L);
    lua_rawset(L, LUA_REGISTRYINDEX);
}

static void registry_set(lua_State *L, void *key) {
    lua_pushlightuserdata(L, key);
    lua_insert(L, -2);
    lua_rawset(L, LUA_REGISTRYINDEX);
}

static void registry_push(lua_State *L, void *key) {
    lua_pushlightuserdata(L, key);
    lua_rawget(L, LUA_REGISTRYINDEX);
}

// The server's allocator gives Lua blocks outside used_memory (see redstart_allocator.h);
// a program without it (the libraries' tests) gives Lua libc's, as luaL_newstate does.
extern void *redstart_uncounted_realloc(void *pointer, size_t old_size, size_t new_size) __attribute__((weak));

static void *allocate(void *context, void *pointer, size_t old_size, size_t new_size) {
    (void)context;
    if (redstart_uncounted_realloc) return redstart_uncounted_realloc(pointer, old_size, new_size);
    if (new_size == 0) {
        free(pointer);
        return NULL;
    }
    return realloc(pointer, new_size);
}

static int panic(lua_State *L) {
    fprintf(stderr, "PANIC: unprotected error in call to Lua API (%s)\n", lua_tostring(L, -1));
    return 0;
}

lua_State *redstart_lua_sandbox_create(
    int kind, void *owner, uint64_t *random_state, const char *version, int version_number) {
    lua_State *L = lua_newstate(allocate, NULL);
    if (L == NULL) return NULL;
    lua_atpanic(L, panic);
    create_registry_tables(L);
    open_libraries(L);
    lua_pushvalue(L, LUA_GLOBALSINDEX);
    int globals = lua_gettop(L);
    wrap_base_functions(L, globals);
    redstart_install_redis_api(L, globals, kind, owner, random_state, version, version_number);

    lua_getfield(L, LUA_REGISTRYINDEX, "redstart.error_handler");
    if (kind == REDSTART_LUA_EVAL) {
        lua_pushvalue(L, -1);
        lua_setfield(L, globals, "__redis__err__handler");
    }
    registry_set(L, &errorHandlerKey);

    lua_newtable(L);
    int visited = lua_gettop(L);

    // The string metatable stays real (method calls on strings read it directly); scripts
    // see a read-only copy whose __index is the read-only `string`.
    lua_getfield(L, globals, "string");
    protect_tree(L, visited);
    lua_createtable(L, 0, 1);
    lua_insert(L, -2);
    lua_setfield(L, -2, "__index");
    protect_tree(L, visited);
    registry_set(L, &stringMetaViewKey);

    // The globals proxy (scripts' _G and environment): reads go to the real globals, whose
    // own metatable reports missing names; writes fail. Its metatable is kept, for the
    // functions state to switch what the globals read through to.
    lua_newtable(L);
    int visible = lua_gettop(L);  // what getmetatable(_G) shows
    lua_pushcfunction(L, missing_global);
    lua_setfield(L, visible, "__index");
    protect_tree(L, visited);
    lua_pushvalue(L, globals);
    make_proxy(L, visible);
    int proxy = lua_gettop(L);
    lua_getmetatable(L, proxy);
    registry_set(L, &globalsMetaKey);

    // Every table a global holds becomes a proxy; the globals themselves are seen as `proxy`.
    lua_pushnil(L);
    lua_setfield(L, globals, "_G");
    lua_pushvalue(L, globals);
    lua_pushvalue(L, proxy);
    lua_rawset(L, visited);
    protect_fields(L, globals, visited);
    lua_pushvalue(L, proxy);
    lua_setfield(L, globals, "_G");
    lua_pushvalue(L, globals);
    set_missing_global_metatable(L);
    lua_pop(L, 1);

    if (kind == REDSTART_LUA_FUNCTIONS) {
        // While a library loads, its globals are only `redis` with the loading API, and
        // reading anything else (including a missing field of `redis`) is an error.
        lua_createtable(L, 0, 1);
        redstart_push_loading_api(L, version, version_number);
        set_missing_global_metatable(L);
        protect_tree(L, visited);
        lua_setfield(L, -2, "redis");
        set_missing_global_metatable(L);
        registry_set(L, &loadingGlobalsKey);
    }

    lua_pushvalue(L, globals);
    registry_set(L, &realGlobalsKey);
    lua_pushvalue(L, proxy);
    registry_set(L, &globalsProxyKey);
    lua_settop(L, 0);
    // Scripts see the proxy as their globals; without getfenv/setfenv they cannot change that.
    registry_push(L, &globalsProxyKey);
    lua_replace(L, LUA_GLOBALSINDEX);
    return L;
}

void redstart_lua_functions_set_loading(lua_State *L, int loading) {
    registry_push(L, &globalsMetaKey);
    registry_push(L, loading ? (void *)&loadingGlobalsKey : (void *)&realGlobalsKey);
    lua_setfield(L, -2, "__index");
    lua_pop(L, 1);
}

void redstart_lua_set_keys_and_argv(lua_State *L) {
    registry_push(L, &realGlobalsKey);  // KEYS ARGV globals
    lua_pushliteral(L, "KEYS");
    lua_pushvalue(L, -4);
    lua_rawset(L, -3);
    lua_pushliteral(L, "ARGV");
    lua_pushvalue(L, -3);
    lua_rawset(L, -3);
    lua_pop(L, 3);
}

void redstart_lua_push_error_handler(lua_State *L) { registry_push(L, &errorHandlerKey); }


int redstart_lua_raise(lua_State *L) { return lua_error(L); }

int redstart_lua_pcall(lua_State *L, int nargs, int nresults, int errfunc) {
    return lua_pcall(L, nargs, nresults, errfunc);
}
