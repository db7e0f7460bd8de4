// Binary packing for scripts: the `struct` library (struct 0.2 by Roberto
// Ierusalimschy) as Redis 7.0.15 offers it, written for Redstart.
//
// A format is read one character at a time (it ends at the first zero byte):
//   >  <     big / little endian from here on (the default is the machine's)
//   !n       maximum alignment n (a power of 2; without n, the natural maximum)
//   x        one zero byte (pack) / one byte skipped (unpack)
//   b B      signed / unsigned char      h H   short        l L   long
//   T        size_t                      i In  int, or an integer of n bytes (n <= 32)
//   f d      float / double
//   cn       n bytes of a string (default 1). Packing c0 writes the whole
//            string; unpacking c0 takes the length from the value read just before.
//   s        zero-terminated string
//   ' '      ignored
// With an alignment set, an item of size k starts at a multiple of min(k, align)
// (for sizes that are not powers of two Redis's rounding formula is kept).
//
// Quirks of Redis's version that scripts can see, reproduced here:
//   - integers go through a 64-bit integer: sizes above 8 write zero bytes
//     beyond the eighth, and unpacking keeps the last eight bytes read, with a
//     sign extension whose bit position wraps modulo 64 as on x86-64;
//   - numbers out of the 64-bit range convert as the x86-64 instructions do
//     (NaN and values below -2^63 give 0x8000000000000000, values from 2^64 up give 0);
//   - `pack` keeps its output buffer on the stack above a nil mark, so a
//     missing argument is reported as "got nil" rather than "got no value";
//   - "string too short" names the argument after the short one;
//   - `unpack` takes an offset (1-based) that is only checked to be positive
//     once converted to an unsigned size, so negative offsets wrap around;
//   - `size` ignores unknown letters and digits.
#include <limits.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <lua.h>
#include <lauxlib.h>

int redstart_luaopen_struct(lua_State *L);

// Largest integer size in bytes for `i` and `I`.
#define LARGEST_INTEGER 32

// The natural maximum alignment: that of a double inside a struct, at least that of an int.
struct double_after_char {
    char c;
    double d;
};
#define DOUBLE_ALIGNMENT (offsetof(struct double_after_char, d))
#define NATURAL_ALIGNMENT ((int)(DOUBLE_ALIGNMENT > sizeof(int) ? DOUBLE_ALIGNMENT : sizeof(int)))

typedef struct {
    int littleEndian;
    int alignment;
} Layout;

static int machine_is_little_endian(void) {
    const uint16_t probe = 1;
    unsigned char first;
    memcpy(&first, &probe, 1);
    return first == 1;
}

static void layout_reset(Layout *layout) {
    layout->littleEndian = machine_is_little_endian();
    layout->alignment = 1;
}

static int is_ascii_digit(int c) {
    return c >= '0' && c <= '9';
}

static int is_ascii_alnum(int c) {
    return is_ascii_digit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

/// Reads the decimal number at *fmt (advancing past it), or returns `absent` when there is none.
static int read_decimal(lua_State *L, const char **fmt, int absent) {
    if (!is_ascii_digit((unsigned char)**fmt)) return absent;
    int value = 0;
    while (is_ascii_digit((unsigned char)**fmt)) {
        int digit = **fmt - '0';
        if (value > (INT_MAX - digit) / 10) luaL_error(L, "integral size overflow");
        value = value * 10 + digit;
        (*fmt)++;
    }
    return value;
}

/// The size in bytes of option `opt` (reading its count from the format), or 0
/// for the options that have no size of their own.
static size_t option_size(lua_State *L, int opt, const char **fmt) {
    switch (opt) {
    case 'b': case 'B': return sizeof(char);
    case 'h': case 'H': return sizeof(short);
    case 'l': case 'L': return sizeof(long);
    case 'T': return sizeof(size_t);
    case 'f': return sizeof(float);
    case 'd': return sizeof(double);
    case 'x': return 1;
    case 'c': return (size_t)read_decimal(L, fmt, 1);
    case 'i': case 'I': {
        int bytes = read_decimal(L, fmt, (int)sizeof(int));
        if (bytes > LARGEST_INTEGER) {
            luaL_error(L, "integral size %d is larger than limit of %d", bytes, LARGEST_INTEGER);
        }
        return (size_t)bytes;
    }
    default: return 0;
    }
}

/// Padding to insert at `offset` before an item of option `opt` and `size` bytes.
static size_t padding_before(size_t offset, const Layout *layout, int opt, size_t size) {
    if (size == 0 || opt == 'c') return 0;
    size_t unit = size < (size_t)layout->alignment ? size : (size_t)layout->alignment;
    size_t mask = unit - 1;
    return (unit - (offset & mask)) & mask;
}

/// Handles the options that change the layout; any other option is an error.
static void apply_control(lua_State *L, int opt, const char **fmt, Layout *layout) {
    if (opt == ' ') return;
    if (opt == '>') {
        layout->littleEndian = 0;
        return;
    }
    if (opt == '<') {
        layout->littleEndian = 1;
        return;
    }
    if (opt == '!') {
        int wanted = read_decimal(L, fmt, NATURAL_ALIGNMENT);
        if (wanted <= 0 || (wanted & (wanted - 1)) != 0) {
            luaL_error(L, "alignment %d is not a power of 2", wanted);
        }
        layout->alignment = wanted;
        return;
    }
    const char *message = lua_pushfstring(L, "invalid format option '%c'", opt);
    luaL_argerror(L, 1, message);
}

/// A number as a 64-bit pattern, converted as x86-64 does it: truncation toward
/// zero, NaN and values below -2^63 give 2^63, values from 2^64 up give 0.
static uint64_t number_bits(lua_Number number) {
    const double twoTo63 = 9223372036854775808.0;
    const double twoTo64 = 18446744073709551616.0;
    double d = (double)number;
    if (d != d) return (uint64_t)1 << 63;
    if (d < twoTo63) {
        if (d < -twoTo63) return (uint64_t)1 << 63;
        return (uint64_t)(int64_t)d;
    }
    if (d < twoTo64) return (uint64_t)d;
    return 0;
}

/// Writes `count` bytes of `bytes` (given least significant first) in the layout's order.
static void add_ordered(luaL_Buffer *b, const unsigned char *bytes, size_t count, int littleEndian) {
    for (size_t i = 0; i < count; i++) {
        luaL_addchar(b, (char)bytes[littleEndian ? i : count - 1 - i]);
    }
}

static void add_integer(lua_State *L, luaL_Buffer *b, int arg, size_t size, int littleEndian) {
    uint64_t value = number_bits(luaL_checknumber(L, arg));
    unsigned char bytes[LARGEST_INTEGER];
    for (size_t i = 0; i < size; i++) {
        bytes[i] = i < 8 ? (unsigned char)(value >> (8 * i)) : 0;
    }
    add_ordered(b, bytes, size, littleEndian);
}

static int struct_pack(lua_State *L) {
    const char *fmt = luaL_checkstring(L, 1);
    Layout layout;
    layout_reset(&layout);
    int arg = 2;
    size_t total = 0;
    luaL_Buffer b;

    lua_pushnil(L);  // sits between the arguments and the pieces of the buffer
    luaL_buffinit(L, &b);
    while (*fmt != '\0') {
        int opt = *fmt++;
        size_t size = option_size(L, opt, &fmt);
        size_t padding = padding_before(total, &layout, opt, size);
        total += padding;
        for (size_t i = 0; i < padding; i++) luaL_addchar(&b, '\0');

        switch (opt) {
        case 'b': case 'B': case 'h': case 'H': case 'l': case 'L':
        case 'T': case 'i': case 'I':
            add_integer(L, &b, arg++, size, layout.littleEndian);
            break;
        case 'x':
            luaL_addchar(&b, '\0');
            break;
        case 'f': {
            float f = (float)luaL_checknumber(L, arg++);
            uint32_t bits;
            memcpy(&bits, &f, sizeof bits);
            unsigned char bytes[4];
            for (int i = 0; i < 4; i++) bytes[i] = (unsigned char)(bits >> (8 * i));
            add_ordered(&b, bytes, 4, layout.littleEndian);
            break;
        }
        case 'd': {
            double d = (double)luaL_checknumber(L, arg++);
            uint64_t bits;
            memcpy(&bits, &d, sizeof bits);
            unsigned char bytes[8];
            for (int i = 0; i < 8; i++) bytes[i] = (unsigned char)(bits >> (8 * i));
            add_ordered(&b, bytes, 8, layout.littleEndian);
            break;
        }
        case 'c': case 's': {
            size_t length;
            const char *s = luaL_checklstring(L, arg++, &length);
            if (size == 0) size = length;
            // Redis names the argument after the string here.
            luaL_argcheck(L, length >= size, arg, "string too short");
            luaL_addlstring(&b, s, size);
            if (opt == 's') {
                luaL_addchar(&b, '\0');
                size++;
            }
            break;
        }
        default:
            apply_control(L, opt, &fmt, &layout);
            break;
        }
        total += size;
    }
    luaL_pushresult(&b);
    return 1;
}

/// The integer of `size` bytes at `p`: the last eight bytes read are kept, and
/// signed values are extended from bit (8 * size - 1) modulo 64.
static lua_Number read_integer(const unsigned char *p, size_t size, int littleEndian, int isSigned) {
    uint64_t value = 0;
    for (size_t i = 0; i < size; i++) {
        value = (value << 8) | p[littleEndian ? size - 1 - i : i];
    }
    if (!isSigned) return (lua_Number)value;
    unsigned shift = (unsigned)((size * 8 + 63) % 64);
    uint64_t high = ~(uint64_t)0 << shift;
    if (value & high) value |= high;
    return (lua_Number)(int64_t)value;
}

/// `count` bytes at `p` in the layout's order, least significant first, into `bytes`.
static void read_ordered(const unsigned char *p, size_t count, int littleEndian, unsigned char *bytes) {
    for (size_t i = 0; i < count; i++) {
        bytes[i] = p[littleEndian ? i : count - 1 - i];
    }
}

static int struct_unpack(lua_State *L) {
    Layout layout;
    const char *fmt = luaL_checkstring(L, 1);
    size_t length;
    const char *data = luaL_checklstring(L, 2, &length);
    size_t pos = (size_t)luaL_optinteger(L, 3, 1);
    luaL_argcheck(L, pos > 0, 3, "offset must be 1 or greater");
    pos--;  // from here on, 0-based
    int results = 0;
    layout_reset(&layout);

    while (*fmt != '\0') {
        int opt = *fmt++;
        size_t size = option_size(L, opt, &fmt);
        pos += padding_before(pos, &layout, opt, size);
        luaL_argcheck(L, size <= length && pos <= length - size, 2, "data string too short");
        luaL_checkstack(L, 2, "too many results");  // the item and the final position
        const unsigned char *at = (const unsigned char *)data + pos;

        switch (opt) {
        case 'b': case 'B': case 'h': case 'H': case 'l': case 'L':
        case 'T': case 'i': case 'I': {
            int isSigned = (opt >= 'a' && opt <= 'z');
            lua_pushnumber(L, read_integer(at, size, layout.littleEndian, isSigned));
            results++;
            break;
        }
        case 'x':
            break;
        case 'f': {
            unsigned char bytes[4];
            read_ordered(at, 4, layout.littleEndian, bytes);
            uint32_t bits = 0;
            for (int i = 3; i >= 0; i--) bits = (bits << 8) | bytes[i];
            float f;
            memcpy(&f, &bits, sizeof f);
            lua_pushnumber(L, (lua_Number)f);
            results++;
            break;
        }
        case 'd': {
            unsigned char bytes[8];
            read_ordered(at, 8, layout.littleEndian, bytes);
            uint64_t bits = 0;
            for (int i = 7; i >= 0; i--) bits = (bits << 8) | bytes[i];
            double d;
            memcpy(&d, &bits, sizeof d);
            lua_pushnumber(L, (lua_Number)d);
            results++;
            break;
        }
        case 'c':
            if (size == 0) {
                // The length is the value read just before, which is replaced.
                if (results == 0 || !lua_isnumber(L, -1)) {
                    luaL_error(L, "format 'c0' needs a previous size");
                }
                size = (size_t)number_bits(lua_tonumber(L, -1));
                lua_pop(L, 1);
                results--;
                luaL_argcheck(L, size <= length && pos <= length - size, 2, "data string too short");
            }
            lua_pushlstring(L, (const char *)at, size);
            results++;
            break;
        case 's': {
            const unsigned char *end = (const unsigned char *)memchr(at, '\0', length - pos);
            if (end == NULL) luaL_error(L, "unfinished string in data");
            size_t textLength = (size_t)(end - at);
            lua_pushlstring(L, (const char *)at, textLength);
            size = textLength + 1;
            results++;
            break;
        }
        default:
            apply_control(L, opt, &fmt, &layout);
            break;
        }
        pos += size;
    }
    lua_pushinteger(L, (lua_Integer)(pos + 1));  // where the next item would start
    return results + 1;
}

static int struct_size(lua_State *L) {
    Layout layout;
    const char *fmt = luaL_checkstring(L, 1);
    size_t pos = 0;
    layout_reset(&layout);
    while (*fmt != '\0') {
        int opt = *fmt++;
        size_t size = option_size(L, opt, &fmt);
        pos += padding_before(pos, &layout, opt, size);
        if (opt == 's') {
            luaL_argerror(L, 1, "option 's' has no fixed size");
        } else if (opt == 'c' && size == 0) {
            luaL_argerror(L, 1, "option 'c0' has no fixed size");
        }
        if (!is_ascii_alnum(opt)) apply_control(L, opt, &fmt, &layout);
        pos += size;
    }
    lua_pushinteger(L, (lua_Integer)pos);
    return 1;
}

static const luaL_Reg struct_functions[] = {
    {"pack", struct_pack},
    {"unpack", struct_unpack},
    {"size", struct_size},
    {NULL, NULL},
};

int redstart_luaopen_struct(lua_State *L) {
    // Creates (or reuses) the global `struct` and records it in package.loaded, as Redis does.
    luaL_register(L, "struct", struct_functions);
    return 1;
}
