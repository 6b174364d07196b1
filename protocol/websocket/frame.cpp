#include "protocol/websocket/frame.hpp"

#include <cstring>

namespace beastio::ws {

std::size_t write_header(char* out, opcode op, std::uint64_t payload_size, bool fin, const mask_key* mask) {
    auto* p = reinterpret_cast<unsigned char*>(out);
    std::size_t n = 0;
    p[n++] = static_cast<unsigned char>((fin ? 0x80 : 0x00) | static_cast<std::uint8_t>(op));
    const unsigned char mask_bit = mask ? 0x80 : 0x00;
    if (payload_size < 126) {
        p[n++] = static_cast<unsigned char>(mask_bit | payload_size);
    } else if (payload_size <= 0xFFFF) {
        p[n++] = static_cast<unsigned char>(mask_bit | 126);
        p[n++] = static_cast<unsigned char>(payload_size >> 8);
        p[n++] = static_cast<unsigned char>(payload_size);
    } else {
        p[n++] = static_cast<unsigned char>(mask_bit | 127);
        for (int shift = 56; shift >= 0; shift -= 8) p[n++] = static_cast<unsigned char>(payload_size >> shift);
    }
    if (mask) {
        std::memcpy(p + n, mask->data(), 4);
        n += 4;
    }
    return n;
}

std::string encode_frame(opcode op, std::string_view payload, bool fin) {
    char h[max_header_size];
    const std::size_t n = write_header(h, op, payload.size(), fin);
    std::string out;
    out.reserve(n + payload.size());
    out.append(h, n);
    out.append(payload);
    return out;
}

std::string encode_masked_frame(opcode op, std::string_view payload, const mask_key& mask, bool fin) {
    char h[max_header_size];
    const std::size_t n = write_header(h, op, payload.size(), fin, &mask);
    std::string out;
    out.reserve(n + payload.size());
    out.append(h, n);
    out.append(payload);
    apply_mask(out.data() + n, payload.size(), mask);
    return out;
}

parse_result parse_header(std::string_view bytes) {
    parse_result r;
    if (bytes.size() < 2) return r;
    const auto* p = reinterpret_cast<const unsigned char*>(bytes.data());
    const auto invalid = [&r](std::string_view why) {
        r.status = parse_status::invalid;
        r.reason = why;
        return r;
    };
    if (p[0] & 0x70) return invalid("reserved bits set");
    const std::uint8_t code = p[0] & 0x0F;
    switch (code) {
        case 0x0: case 0x1: case 0x2: case 0x8: case 0x9: case 0xA: break;
        default: return invalid("unknown opcode");
    }
    r.h.fin = (p[0] & 0x80) != 0;
    r.h.op = static_cast<opcode>(code);
    r.h.masked = (p[1] & 0x80) != 0;
    const std::uint8_t len7 = p[1] & 0x7F;
    std::size_t n = 2;
    std::uint64_t size = len7;
    if (len7 == 126) {
        if (bytes.size() < n + 2) return r;
        size = (std::uint64_t{p[2]} << 8) | p[3];
        n += 2;
        if (size < 126) return invalid("length not minimally encoded");
    } else if (len7 == 127) {
        if (bytes.size() < n + 8) return r;
        size = 0;
        for (int i = 0; i < 8; ++i) size = (size << 8) | p[2 + i];
        n += 8;
        if (size >> 63) return invalid("64-bit length with the top bit set");
        if (size <= 0xFFFF) return invalid("length not minimally encoded");
    }
    if (is_control(r.h.op)) {
        if (!r.h.fin) return invalid("fragmented control frame");
        if (size > 125) return invalid("control frame longer than 125 bytes");
    }
    if (r.h.masked) {
        if (bytes.size() < n + 4) return r;
        std::memcpy(r.h.mask.data(), p + n, 4);
        n += 4;
    }
    r.h.payload_size = size;
    r.h.size = n;
    r.status = parse_status::complete;
    return r;
}

void apply_mask(char* data, std::size_t size, const mask_key& mask, std::uint64_t offset) {
    for (std::size_t i = 0; i < size; ++i)
        data[i] = static_cast<char>(static_cast<unsigned char>(data[i]) ^ mask[(offset + i) & 3]);
}

bool valid_utf8(std::string_view bytes) {
    const auto* p = reinterpret_cast<const unsigned char*>(bytes.data());
    const std::size_t n = bytes.size();
    std::size_t i = 0;
    while (i < n) {
        // ASCII runs, eight bytes at a time.
        while (i + 8 <= n) {
            std::uint64_t w;
            std::memcpy(&w, p + i, 8);
            if (w & 0x8080808080808080ull) break;
            i += 8;
        }
        if (i >= n) break;
        const unsigned char c = p[i];
        if (c < 0x80) {
            ++i;
            continue;
        }
        std::size_t len;
        unsigned char lo = 0x80, hi = 0xBF;  // the allowed range of the second byte
        if (c >= 0xC2 && c <= 0xDF) len = 2;
        else if (c == 0xE0) len = 3, lo = 0xA0;
        else if (c == 0xED) len = 3, hi = 0x9F;  // no surrogates
        else if (c >= 0xE1 && c <= 0xEF) len = 3;
        else if (c == 0xF0) len = 4, lo = 0x90;
        else if (c >= 0xF1 && c <= 0xF3) len = 4;
        else if (c == 0xF4) len = 4, hi = 0x8F;  // at most U+10FFFF
        else return false;  // 0x80..0xC1 (continuation or overlong lead), 0xF5..0xFF
        if (i + len > n) return false;
        if (p[i + 1] < lo || p[i + 1] > hi) return false;
        for (std::size_t k = 2; k < len; ++k)
            if ((p[i + k] & 0xC0) != 0x80) return false;
        i += len;
    }
    return true;
}

}  // namespace beastio::ws
