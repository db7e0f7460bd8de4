// Lua 5.1 from the system (Debian's liblua5.1-0-dev, found through pkg-config).
#include <lua.h>
#include <lauxlib.h>
#include <lualib.h>
