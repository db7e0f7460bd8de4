// TEMPORARY: weak stand-ins until lua_cmsgpack.c and lua_struct.c land.
#include <lua.h>
__attribute__((weak)) int redstart_luaopen_cmsgpack(lua_State *L) { lua_newtable(L); lua_pushvalue(L, -1); lua_setglobal(L, "cmsgpack"); return 1; }
__attribute__((weak)) int redstart_luaopen_struct(lua_State *L) { lua_newtable(L); lua_pushvalue(L, -1); lua_setglobal(L, "struct"); return 1; }
