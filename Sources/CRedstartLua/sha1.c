// SHA-1 (FIPS 180-4): script names are the SHA1 of their body, and scripts can
// call redis.sha1hex. One-shot only; scripts are hashed whole.
#include <stdint.h>
#include <string.h>

#include "redstart_lua.h"

static uint32_t rotate_left(uint32_t value, int bits) { return (value << bits) | (value >> (32 - bits)); }

/// Mixes one 64-byte block into `hash`.
static void sha1_block(uint32_t hash[5], const unsigned char *block) {
    uint32_t words[80];
    for (int i = 0; i < 16; i++) {
        words[i] = ((uint32_t)block[i * 4] << 24) | ((uint32_t)block[i * 4 + 1] << 16)
            | ((uint32_t)block[i * 4 + 2] << 8) | (uint32_t)block[i * 4 + 3];
    }
    for (int i = 16; i < 80; i++) {
        words[i] = rotate_left(words[i - 3] ^ words[i - 8] ^ words[i - 14] ^ words[i - 16], 1);
    }
    uint32_t a = hash[0], b = hash[1], c = hash[2], d = hash[3], e = hash[4];
    for (int i = 0; i < 80; i++) {
        uint32_t mix, constant;
        if (i < 20) {
            mix = (b & c) | (~b & d);
            constant = 0x5A827999;
        } else if (i < 40) {
            mix = b ^ c ^ d;
            constant = 0x6ED9EBA1;
        } else if (i < 60) {
            mix = (b & c) | (b & d) | (c & d);
            constant = 0x8F1BBCDC;
        } else {
            mix = b ^ c ^ d;
            constant = 0xCA62C1D6;
        }
        uint32_t next = rotate_left(a, 5) + mix + e + constant + words[i];
        e = d;
        d = c;
        c = rotate_left(b, 30);
        b = a;
        a = next;
    }
    hash[0] += a;
    hash[1] += b;
    hash[2] += c;
    hash[3] += d;
    hash[4] += e;
}

void redstart_sha1_hex(const void *data, size_t length, char out[41]) {
    uint32_t hash[5] = {0x67452301, 0xEFCDAB89, 0x98BADCFE, 0x10325476, 0xC3D2E1F0};
    const unsigned char *bytes = data;
    size_t whole = length / 64;
    for (size_t i = 0; i < whole; i++) sha1_block(hash, bytes + i * 64);

    // The tail, a 0x80 byte, zeros, and the length in bits (big-endian) fill one or two blocks.
    unsigned char tail[128];
    size_t rest = length - whole * 64;
    memset(tail, 0, sizeof(tail));
    if (rest > 0) memcpy(tail, bytes + whole * 64, rest);
    tail[rest] = 0x80;
    size_t tailLength = rest < 56 ? 64 : 128;
    uint64_t bits = (uint64_t)length * 8;
    for (int i = 0; i < 8; i++) tail[tailLength - 1 - i] = (unsigned char)(bits >> (i * 8));
    sha1_block(hash, tail);
    if (tailLength == 128) sha1_block(hash, tail + 64);

    static const char digits[] = "0123456789abcdef";
    for (int i = 0; i < 20; i++) {
        unsigned char byte = (unsigned char)(hash[i / 4] >> (24 - (i % 4) * 8));
        out[i * 2] = digits[byte >> 4];
        out[i * 2 + 1] = digits[byte & 15];
    }
    out[40] = '\0';
}
