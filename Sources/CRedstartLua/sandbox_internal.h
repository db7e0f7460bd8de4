// What sandbox.c and redis_api.c share; not part of the module's interface.
#ifndef REDSTART_SANDBOX_INTERNAL_H
#define REDSTART_SANDBOX_INTERNAL_H

#include <lua.h>
#include <stdint.h>

extern const char *const redstart_readonly_error;

/// Pushes the original table of the proxy at `index` and returns 1, or returns 0 (nothing
/// pushed) when the value is not a proxy.
int redstart_push_proxy_target(lua_State *L, int index);

/// Raises "Attempt to modify a readonly table" without a position.
int redstart_raise_readonly(lua_State *L);

/// Builds the `redis` table (the run-time API of `kind`) in the globals at `globals`,
/// replaces math.random/randomseed and pcall, and anchors the state's environment.
void redstart_install_redis_api(
    lua_State *L, int globals, int kind, void *owner, uint64_t *random_state,
    const char *version, int version_number);

/// Pushes the `redis` table a function library sees while it loads.
void redstart_push_loading_api(lua_State *L, const char *version, int version_number);

/// The error handler scripts run under.
int redstart_error_handler(lua_State *L);

#endif
