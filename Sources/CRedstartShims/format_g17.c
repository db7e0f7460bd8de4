// A double as printf's "%.17g" writes it, as Redis formats doubles (scores, redis.call's
// numbers, RDB listpacks). printf's float path works in arbitrary precision and costs
// several hundred nanoseconds; most scores are integers or short binary fractions (1.5,
// 0.25, 1234.125), whose exact decimal expansion is exactly what "%.17g" prints. Those are
// written here directly; every other value goes through snprintf.
#include "redstart_shims.h"

#include <math.h>
#include <stdio.h>

/// Writes `value` when it times 10^k (k = 0...8) is an integer below 2^53 with no rounding:
/// then it is a binary fraction n / 2^k, at least 2^-8 in magnitude, whose expansion has at
/// most 16 significant digits and no exponent under %g's rules (-4 <= exponent < 17), so
/// %.17g prints it exactly, trailing zeros stripped. Returns its length, or 0.
static int format_short_fraction(double value, char *out) {
    static const double powers[] = {1, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8};
    static const long long integerPowers[] = {1, 10, 100, 1000, 10000, 100000, 1000000, 10000000, 100000000};
    for (int k = 0; k < 9; k++) {
        double scaled = value * powers[k];
        if (!(fabs(scaled) < 9007199254740992.0) || scaled != trunc(scaled)) continue;
        // The product was exact: the rounding error of a product is representable.
        if (fma(value, powers[k], -scaled) != 0) continue;
        long long units = (long long)scaled;
        char *cursor = out;
        if (units < 0) {
            *cursor++ = '-';
            units = -units;
        }
        long long whole = units / integerPowers[k];
        long long fraction = units % integerPowers[k];
        char digits[24];
        int count = 0;
        do {
            digits[count++] = (char)('0' + whole % 10);
            whole /= 10;
        } while (whole > 0);
        while (count > 0) *cursor++ = digits[--count];
        if (fraction != 0) {
            *cursor++ = '.';
            int places = k;
            while (fraction % 10 == 0) {
                fraction /= 10;
                places--;
            }
            for (int place = places - 1; place >= 0; place--) {
                cursor[place] = (char)('0' + fraction % 10);
                fraction /= 10;
            }
            cursor += places;
        }
        *cursor = '\0';
        return (int)(cursor - out);
    }
    return 0;
}

int redstart_format_g17(double value, char out[32]) {
    if (value == 0) {
        // "%.17g" keeps the sign of zero.
        return snprintf(out, 32, "%s", signbit(value) ? "-0" : "0");
    }
    if (isfinite(value)) {
        int length = format_short_fraction(value, out);
        if (length > 0) return length;
    }
    int length = snprintf(out, 32, "%.17g", value);
    return length < 32 ? length : 31;
}
