// MessagePack for scripts: the `cmsgpack` library as Redis 7.0.15 offers it
// (lua-cmsgpack 0.4.0 with Redis's patches), written for Redstart.
//
// Behaviour that scripts can observe, and that this file reproduces:
//
// Encoding (`cmsgpack.pack(v1, v2, ...)`, at least one value; the encodings of
// all values are concatenated):
//   - nil, functions, userdata, threads: nil (0xc0); booleans: 0xc2 / 0xc3.
//   - a number that is integral and fits an int64 is written in the smallest
//     integer form (positive/negative fixint, uint8..uint64, int8..int64);
//     any other number is a float32 (0xca) when converting it to float and back
//     gives the same value (infinities included), else a float64 (0xcb).
//   - strings: fixstr, str8 (0xd9), str16, str32 (never bin).
//   - a table whose keys are exactly the integers 1..N (N >= 0; so also an
//     empty table) is an array of N; any other table is a map, written in
//     `next` order, key before value.
//   - tables nested 16 deep are written; a table at depth 16 is written as nil.
// Decoding (`unpack`, `unpack_one`, `unpack_limit`): nil, booleans, all ints,
// float32/64, str8/16/32/fixstr, array16/32/fixarray, map16/32/fixmap. Any
// other first byte (bin, ext, 0xc1) is "Bad data format in input."; input
// ending too early is "Missing bytes in input.". uint64 values of 2^63 and up
// come back as negative numbers (Redis reads them into a signed integer).
//
// The Lua stack is used in the same amounts and at the same moments as in
// Redis (including the messages of the stack checks), so that scripts that run
// out of stack slots fail at the same point with the same message.
#include <float.h>
#include <limits.h>
#include <math.h>
#include <stdint.h>
#include <string.h>

#include <lua.h>
#include <lauxlib.h>

int redstart_luaopen_cmsgpack(lua_State *L);

#define MSGPACK_MAX_DEPTH 16

// Upper bound of the scratch buffer kept between calls.
#define SCRATCH_KEEP_LIMIT (64 * 1024)

static const char *const manyValuesMessage =
    "too many return values at once; use unpack_one or unpack_limit instead.";

// MARK: - Output

/// Growable byte buffer used while encoding one value. It lives in a userdata
/// (upvalue of `pack`) so that an error in the middle of encoding leaks nothing.
typedef struct {
    unsigned char *bytes;
    size_t length;
    size_t capacity;
    /// A pack call is using it. A garbage-collection step inside that call (lua_pushlstring
    /// runs one before it copies) may run a finalizer that packs too: that inner call gets a
    /// buffer of its own, so it cannot move or free the bytes being copied. (Scripts cannot
    /// make finalizers, the sandbox has no newproxy: this guards the library, not a path.)
    int busy;
} Scratch;

static void scratch_release(lua_State *L, Scratch *out) {
    if (out->bytes != NULL) {
        void *ud;
        lua_Alloc alloc = lua_getallocf(L, &ud);
        alloc(ud, out->bytes, out->capacity, 0);
    }
    out->bytes = NULL;
    out->length = 0;
    out->capacity = 0;
}

static int scratch_gc(lua_State *L) {
    Scratch *out = (Scratch *)lua_touserdata(L, 1);
    if (out != NULL) scratch_release(L, out);
    return 0;
}

static void scratch_reserve(lua_State *L, Scratch *out, size_t extra) {
    if (out->capacity - out->length >= extra) return;
    size_t needed = out->length + extra;
    if (needed < out->length || needed > ((size_t)-1) / 4) {
        luaL_error(L, "not enough memory");
    }
    size_t grown = out->capacity < 256 ? 256 : out->capacity;
    while (grown < needed) grown *= 2;
    void *ud;
    lua_Alloc alloc = lua_getallocf(L, &ud);
    unsigned char *moved = (unsigned char *)alloc(ud, out->bytes, out->capacity, grown);
    if (moved == NULL) {
        lua_pushliteral(L, "not enough memory");
        lua_error(L);
    }
    out->bytes = moved;
    out->capacity = grown;
}

static void put_bytes(lua_State *L, Scratch *out, const void *data, size_t count) {
    if (count == 0) return;
    scratch_reserve(L, out, count);
    memcpy(out->bytes + out->length, data, count);
    out->length += count;
}

/// Writes the marker `tag` followed by the low `width` bytes of `value`, most significant first.
static void put_tagged(lua_State *L, Scratch *out, unsigned char tag, uint64_t value, int width) {
    unsigned char head[9];
    head[0] = tag;
    for (int i = 0; i < width; i++) {
        head[width - i] = (unsigned char)(value >> (8 * i));
    }
    put_bytes(L, out, head, (size_t)width + 1);
}

static void put_single_byte(lua_State *L, Scratch *out, unsigned char byte) {
    put_bytes(L, out, &byte, 1);
}

// MARK: - Encoding scalars

static void put_integer(lua_State *L, Scratch *out, int64_t n) {
    if (n >= 0) {
        uint64_t u = (uint64_t)n;
        if (u < 0x80) put_single_byte(L, out, (unsigned char)u);
        else if (u <= 0xffu) put_tagged(L, out, 0xcc, u, 1);
        else if (u <= 0xffffu) put_tagged(L, out, 0xcd, u, 2);
        else if (u <= 0xffffffffu) put_tagged(L, out, 0xce, u, 4);
        else put_tagged(L, out, 0xcf, u, 8);
    } else {
        uint64_t bits = (uint64_t)n;
        if (n >= -32) put_single_byte(L, out, (unsigned char)(bits & 0xff));
        else if (n >= INT8_MIN) put_tagged(L, out, 0xd0, bits, 1);
        else if (n >= INT16_MIN) put_tagged(L, out, 0xd1, bits, 2);
        else if (n >= INT32_MIN) put_tagged(L, out, 0xd2, bits, 4);
        else put_tagged(L, out, 0xd3, bits, 8);
    }
}

static void put_real(lua_State *L, Scratch *out, double d) {
    int fitsFloat;
    if (isnan(d)) fitsFloat = 0;
    else if (isinf(d)) fitsFloat = 1;
    else if (fabs(d) > (double)FLT_MAX) fitsFloat = 0;
    else fitsFloat = ((double)(float)d == d);

    if (fitsFloat) {
        float f = (float)d;
        uint32_t bits;
        memcpy(&bits, &f, sizeof bits);
        put_tagged(L, out, 0xca, bits, 4);
    } else {
        uint64_t bits;
        memcpy(&bits, &d, sizeof bits);
        put_tagged(L, out, 0xcb, bits, 8);
    }
}

static void put_number(lua_State *L, Scratch *out, lua_Number n) {
    const double twoTo63 = 9223372036854775808.0;
    double d = (double)n;
    if (isfinite(d) && d >= -twoTo63 && d < twoTo63 && floor(d) == d) {
        put_integer(L, out, (int64_t)d);
    } else {
        put_real(L, out, d);
    }
}

static void put_string(lua_State *L, Scratch *out, const char *s, size_t len) {
    if (len < 32) put_single_byte(L, out, (unsigned char)(0xa0 | len));
    else if (len <= 0xff) put_tagged(L, out, 0xd9, len, 1);
    else if (len <= 0xffff) put_tagged(L, out, 0xda, len, 2);
    else put_tagged(L, out, 0xdb, (uint64_t)len, 4);
    put_bytes(L, out, s, len);
}

/// Header of an array (`map` false) or a map of `count` entries.
static void put_container_header(lua_State *L, Scratch *out, int map, size_t count) {
    unsigned char fix = map ? 0x80 : 0x90;
    if (count <= 15) put_single_byte(L, out, (unsigned char)(fix | count));
    else if (count <= 0xffff) put_tagged(L, out, map ? 0xde : 0xdc, count, 2);
    else put_tagged(L, out, map ? 0xdf : 0xdd, (uint64_t)count, 4);
}

// MARK: - Encoding values

static void put_value(lua_State *L, Scratch *out, int depth);

/// Whether the table on top of the stack has exactly the keys 1..N (true for an empty table).
static int has_sequence_keys(lua_State *L) {
    int base = lua_gettop(L);
    int entries = 0;
    int highest = 0;
    luaL_checkstack(L, 2, "in function table_is_an_array");
    lua_pushnil(L);
    while (lua_next(L, -2) != 0) {
        lua_pop(L, 1);
        if (lua_type(L, -1) != LUA_TNUMBER) {
            lua_settop(L, base);
            return 0;
        }
        lua_Number key = lua_tonumber(L, -1);
        if (!(key > 0) || key > (lua_Number)INT_MAX || floor(key) != key) {
            lua_settop(L, base);
            return 0;
        }
        if ((int)key > highest) highest = (int)key;
        entries++;
    }
    lua_settop(L, base);
    return highest == entries;
}

/// Writes the table on top of the stack (depth already checked).
static void put_table(lua_State *L, Scratch *out, int depth) {
    if (has_sequence_keys(L)) {
        size_t count = lua_objlen(L, -1);
        put_container_header(L, out, 0, count);
        luaL_checkstack(L, 1, "in function mp_encode_lua_table_as_array");
        for (size_t i = 1; i <= count; i++) {
            lua_rawgeti(L, -1, (int)i);
            put_value(L, out, depth + 1);
            lua_pop(L, 1);
        }
        return;
    }

    luaL_checkstack(L, 3, "in function mp_encode_lua_table_as_map");
    size_t count = 0;
    lua_pushnil(L);
    while (lua_next(L, -2) != 0) {
        lua_pop(L, 1);
        count++;
    }
    put_container_header(L, out, 1, count);
    lua_pushnil(L);
    while (lua_next(L, -2) != 0) {
        // ... table key value
        lua_pushvalue(L, -2);
        put_value(L, out, depth + 1);  // the key
        lua_pop(L, 1);
        put_value(L, out, depth + 1);  // the value
        lua_pop(L, 1);
    }
}

/// Writes the value on top of the stack, leaving the stack as it was.
static void put_value(lua_State *L, Scratch *out, int depth) {
    switch (lua_type(L, -1)) {
    case LUA_TSTRING: {
        size_t len;
        const char *s = lua_tolstring(L, -1, &len);
        put_string(L, out, s, len);
        break;
    }
    case LUA_TBOOLEAN:
        put_single_byte(L, out, lua_toboolean(L, -1) ? 0xc3 : 0xc2);
        break;
    case LUA_TNUMBER:
        put_number(L, out, lua_tonumber(L, -1));
        break;
    case LUA_TTABLE:
        if (depth < MSGPACK_MAX_DEPTH) {
            put_table(L, out, depth);
            break;
        }
        put_single_byte(L, out, 0xc0);  // too deep: written as nil
        break;
    default:
        put_single_byte(L, out, 0xc0);
        break;
    }
}

static int pack_arguments(lua_State *L, Scratch *out, int first, int last);

static int cmsgpack_pack(lua_State *L) {
    int count = lua_gettop(L);
    if (count == 0) {
        return luaL_argerror(L, 0, "MessagePack pack needs input.");
    }
    if (!lua_checkstack(L, count)) {
        return luaL_argerror(L, 0, "Too many arguments for MessagePack pack.");
    }
    Scratch *out = (Scratch *)lua_touserdata(L, lua_upvalueindex(1));
    if (out->busy) {
        // Re-entered: a fresh buffer under the stack's arguments, freed by its __gc. An error
        // that skipped an outer call's end left `busy` set: later calls take this path too.
        luaL_checkstack(L, 2, "in function mp_pack");
        Scratch *fresh = (Scratch *)lua_newuserdata(L, sizeof(Scratch));
        memset(fresh, 0, sizeof(Scratch));
        lua_getmetatable(L, lua_upvalueindex(1));
        lua_setmetatable(L, -2);
        lua_insert(L, 1);
        return pack_arguments(L, fresh, 2, count + 1);
    }
    out->busy = 1;
    int result = pack_arguments(L, out, 1, count);
    out->busy = 0;
    return result;
}

/// Packs stack slots `first`...`last` into one string (left on the stack), through `out`.
static int pack_arguments(lua_State *L, Scratch *out, int first, int last) {
    out->length = 0;
    // One string per argument on the stack, joined at the end.
    for (int arg = first; arg <= last; arg++) {
        luaL_checkstack(L, 1, "in function mp_check");
        lua_pushvalue(L, arg);
        put_value(L, out, 0);
        lua_pop(L, 1);
        lua_pushlstring(L, (const char *)out->bytes, out->length);
        out->length = 0;
    }
    if (out->capacity > SCRATCH_KEEP_LIMIT) scratch_release(L, out);
    lua_concat(L, last - first + 1);
    return 1;
}

// MARK: - Decoding

enum { READ_OK = 0, READ_SHORT = 1, READ_INVALID = 2 };

typedef struct {
    const unsigned char *at;
    size_t remaining;
    int status;
} Reader;

static uint64_t big_endian(const unsigned char *p, int width) {
    uint64_t v = 0;
    for (int i = 0; i < width; i++) v = (v << 8) | p[i];
    return v;
}

static void skip(Reader *in, size_t count) {
    in->at += count;
    in->remaining -= count;
}

/// Whether `count` more bytes are available; marks the reader short otherwise.
static int available(Reader *in, size_t count) {
    if (in->remaining >= count) return 1;
    in->status = READ_SHORT;
    return 0;
}

static void read_value(lua_State *L, Reader *in);

static void read_array(lua_State *L, Reader *in, uint64_t count) {
    lua_newtable(L);
    luaL_checkstack(L, 1, "in function mp_decode_to_lua_array");
    for (uint64_t i = 1; i <= count; i++) {
        lua_pushnumber(L, (lua_Number)i);
        read_value(L, in);
        if (in->status != READ_OK) return;
        lua_settable(L, -3);
    }
}

static void read_map(lua_State *L, Reader *in, uint64_t count) {
    lua_newtable(L);
    for (uint64_t i = 0; i < count; i++) {
        read_value(L, in);
        if (in->status != READ_OK) return;
        read_value(L, in);
        if (in->status != READ_OK) return;
        lua_settable(L, -3);
    }
}

/// Reads a length of `width` bytes after the marker, then `length` bytes of string.
static void read_string(lua_State *L, Reader *in, int width) {
    if (!available(in, 1 + (size_t)width)) return;
    size_t length = (size_t)big_endian(in->at + 1, width);
    skip(in, 1 + (size_t)width);
    if (!available(in, length)) return;
    lua_pushlstring(L, (const char *)in->at, length);
    skip(in, length);
}

/// Reads a count of `width` bytes after the marker, then the elements.
static void read_container(lua_State *L, Reader *in, int width, int map) {
    if (!available(in, 1 + (size_t)width)) return;
    uint64_t count = big_endian(in->at + 1, width);
    skip(in, 1 + (size_t)width);
    if (map) read_map(L, in, count);
    else read_array(L, in, count);
}

/// Reads an integer of `width` bytes after the marker.
static void read_integer(lua_State *L, Reader *in, int width, int isSigned) {
    if (!available(in, 1 + (size_t)width)) return;
    uint64_t raw = big_endian(in->at + 1, width);
    skip(in, 1 + (size_t)width);
    int64_t value;
    if (isSigned && width < 8) {
        uint64_t sign = (uint64_t)1 << (8 * width - 1);
        value = (int64_t)(raw ^ sign) - (int64_t)sign;
    } else {
        value = (int64_t)raw;  // uint64 of 2^63 and up reads as negative, as in Redis
    }
    lua_pushnumber(L, (lua_Number)value);
}

/// Reads one value and pushes it (on success).
static void read_value(lua_State *L, Reader *in) {
    if (!available(in, 1)) return;
    luaL_checkstack(L, 1, manyValuesMessage);
    unsigned char marker = in->at[0];

    if (marker <= 0x7f) {  // positive fixint
        lua_pushnumber(L, (lua_Number)marker);
        skip(in, 1);
        return;
    }
    if (marker >= 0xe0) {  // negative fixint
        lua_pushnumber(L, (lua_Number)((int)marker - 256));
        skip(in, 1);
        return;
    }
    if (marker >= 0xa0 && marker <= 0xbf) {  // fixstr
        size_t length = marker & 0x1f;
        if (!available(in, 1 + length)) return;
        lua_pushlstring(L, (const char *)in->at + 1, length);
        skip(in, 1 + length);
        return;
    }
    if (marker >= 0x80 && marker <= 0x9f) {  // fixmap, fixarray
        skip(in, 1);
        if (marker < 0x90) read_map(L, in, marker & 0x0f);
        else read_array(L, in, marker & 0x0f);
        return;
    }

    switch (marker) {
    case 0xc0: lua_pushnil(L); skip(in, 1); return;
    case 0xc2: lua_pushboolean(L, 0); skip(in, 1); return;
    case 0xc3: lua_pushboolean(L, 1); skip(in, 1); return;
    case 0xca: {
        if (!available(in, 5)) return;
        uint32_t bits = (uint32_t)big_endian(in->at + 1, 4);
        float f;
        memcpy(&f, &bits, sizeof f);
        lua_pushnumber(L, (lua_Number)f);
        skip(in, 5);
        return;
    }
    case 0xcb: {
        if (!available(in, 9)) return;
        uint64_t bits = big_endian(in->at + 1, 8);
        double d;
        memcpy(&d, &bits, sizeof d);
        lua_pushnumber(L, (lua_Number)d);
        skip(in, 9);
        return;
    }
    case 0xcc: read_integer(L, in, 1, 0); return;
    case 0xcd: read_integer(L, in, 2, 0); return;
    case 0xce: read_integer(L, in, 4, 0); return;
    case 0xcf: read_integer(L, in, 8, 0); return;
    case 0xd0: read_integer(L, in, 1, 1); return;
    case 0xd1: read_integer(L, in, 2, 1); return;
    case 0xd2: read_integer(L, in, 4, 1); return;
    case 0xd3: read_integer(L, in, 8, 1); return;
    case 0xd9: read_string(L, in, 1); return;
    case 0xda: read_string(L, in, 2); return;
    case 0xdb: read_string(L, in, 4); return;
    case 0xdc: read_container(L, in, 2, 0); return;
    case 0xdd: read_container(L, in, 4, 0); return;
    case 0xde: read_container(L, in, 2, 1); return;
    case 0xdf: read_container(L, in, 4, 1); return;
    default:  // 0xc1, bin, ext: not supported
        in->status = READ_INVALID;
        return;
    }
}

/// Decodes the string argument from `offset`. With `limit` and `offset` both
/// zero, decodes everything and returns only the values; otherwise decodes at
/// most `limit` values and returns the offset to continue from (-1 at the end)
/// before them.
static int decode_arguments(lua_State *L, lua_Integer limit, lua_Integer offset) {
    size_t length;
    const char *data = luaL_checklstring(L, 1, &length);
    int everything = (limit == 0 && offset == 0);

    if (offset < 0 || limit < 0) {
        // (Redis prints the input length where it announces the limit.)
        return luaL_error(L, "Invalid request to unpack with offset of %d and limit of %d.",
                          (int)offset, (int)length);
    }
    if ((size_t)offset > length) {
        return luaL_error(L, "Start offset %d greater than input length %d.",
                          (int)offset, (int)length);
    }
    if (everything) limit = INT_MAX;

    Reader in = {(const unsigned char *)data + offset, length - (size_t)offset, READ_OK};
    int produced = 0;
    while (in.remaining > 0 && produced < limit) {
        read_value(L, &in);
        if (in.status == READ_SHORT) return luaL_error(L, "Missing bytes in input.");
        if (in.status == READ_INVALID) return luaL_error(L, "Bad data format in input.");
        produced++;
    }
    if (everything) return produced;

    luaL_checkstack(L, 1, "in function mp_unpack_full");
    if (in.remaining == 0) lua_pushinteger(L, -1);
    else lua_pushinteger(L, (lua_Integer)(length - in.remaining));
    lua_insert(L, 2);  // the offset comes first, after the input string
    return produced + 1;
}

static int cmsgpack_unpack(lua_State *L) {
    return decode_arguments(L, 0, 0);
}

static int cmsgpack_unpack_one(lua_State *L) {
    lua_Integer offset = luaL_optinteger(L, 2, 0);
    if (lua_gettop(L) > 1) lua_settop(L, 1);  // (no argument at all stays "no value")
    return decode_arguments(L, 1, offset);
}

static int cmsgpack_unpack_limit(lua_State *L) {
    lua_Integer limit = luaL_checkinteger(L, 2);
    lua_Integer offset = luaL_optinteger(L, 3, 0);
    if (lua_gettop(L) > 1) lua_settop(L, 1);
    return decode_arguments(L, limit, offset);
}

// MARK: - Library

int redstart_luaopen_cmsgpack(lua_State *L) {
    lua_newtable(L);

    // The fields are set in Redis's order, so that `pairs` visits them in the same order.
    Scratch *scratch = (Scratch *)lua_newuserdata(L, sizeof(Scratch));
    memset(scratch, 0, sizeof(Scratch));
    lua_createtable(L, 0, 1);
    lua_pushcfunction(L, scratch_gc);
    lua_setfield(L, -2, "__gc");
    lua_setmetatable(L, -2);
    lua_pushcclosure(L, cmsgpack_pack, 1);
    lua_setfield(L, -2, "pack");
    lua_pushcfunction(L, cmsgpack_unpack);
    lua_setfield(L, -2, "unpack");
    lua_pushcfunction(L, cmsgpack_unpack_one);
    lua_setfield(L, -2, "unpack_one");
    lua_pushcfunction(L, cmsgpack_unpack_limit);
    lua_setfield(L, -2, "unpack_limit");

    lua_pushliteral(L, "cmsgpack");
    lua_setfield(L, -2, "_NAME");
    lua_pushliteral(L, "lua-cmsgpack 0.4.0");
    lua_setfield(L, -2, "_VERSION");
    lua_pushliteral(L, "Copyright (C) 2012, Salvatore Sanfilippo");
    lua_setfield(L, -2, "_COPYRIGHT");
    lua_pushliteral(L, "MessagePack C implementation for Lua");
    lua_setfield(L, -2, "_DESCRIPTION");

    lua_pushvalue(L, -1);
    lua_setglobal(L, "cmsgpack");
    return 1;
}
