#include "protocol/msgpack/msgpack.hpp"

#include <cstring>
#include <fmt/format.h>

namespace beastio::msgpack {
namespace {

void put_be(std::string& out, std::uint64_t x, int bytes) {
    for (int i = bytes - 1; i >= 0; --i) out.push_back(static_cast<char>((x >> (8 * i)) & 0xff));
}

void put_head(std::string& out, std::uint8_t fix_base, std::size_t fix_max, std::uint8_t b8, std::uint8_t b16,
              std::uint8_t b32, std::size_t n) {
    if (n <= fix_max && fix_base) out.push_back(static_cast<char>(fix_base | n));
    else if (b8 && n <= 0xff) { out.push_back(static_cast<char>(b8)); put_be(out, n, 1); }
    else if (n <= 0xffff) { out.push_back(static_cast<char>(b16)); put_be(out, n, 2); }
    else { out.push_back(static_cast<char>(b32)); put_be(out, n, 4); }
}

void put_uint(std::string& out, std::uint64_t u) {
    if (u <= 0x7f) out.push_back(static_cast<char>(u));
    else if (u <= 0xff) { out.push_back('\xcc'); put_be(out, u, 1); }
    else if (u <= 0xffff) { out.push_back('\xcd'); put_be(out, u, 2); }
    else if (u <= 0xffffffffULL) { out.push_back('\xce'); put_be(out, u, 4); }
    else { out.push_back('\xcf'); put_be(out, u, 8); }
}

void put_int(std::string& out, std::int64_t i) {
    if (i >= 0) return put_uint(out, static_cast<std::uint64_t>(i));
    const auto u = static_cast<std::uint64_t>(i);
    if (i >= -32) out.push_back(static_cast<char>(u & 0xff));
    else if (i >= -128) { out.push_back('\xd0'); put_be(out, u, 1); }
    else if (i >= -32768) { out.push_back('\xd1'); put_be(out, u, 2); }
    else if (i >= -2147483648LL) { out.push_back('\xd2'); put_be(out, u, 4); }
    else { out.push_back('\xd3'); put_be(out, u, 8); }
}

class reader {
public:
    reader(std::string_view in, decode_options o) : in_(in), o_(o) {}

    result<value, errc> one(std::size_t depth) {
        if (depth > o_.max_depth) return make_error(errc::too_deep, fmt::format("nesting deeper than {}", o_.max_depth));
        if (pos_ >= in_.size()) return truncated();
        const auto b = static_cast<std::uint8_t>(in_[pos_++]);
        if (b <= 0x7f) return value(static_cast<std::uint64_t>(b));
        if (b >= 0xe0) return value(static_cast<std::int64_t>(static_cast<std::int8_t>(b)));
        if ((b & 0xf0) == 0x80) return read_map(b & 0x0f, depth);
        if ((b & 0xf0) == 0x90) return read_array(b & 0x0f, depth);
        if ((b & 0xe0) == 0xa0) return read_str(b & 0x1f);
        switch (b) {
            case 0xc0: return value(nil{});
            case 0xc2: return value(false);
            case 0xc3: return value(true);
            case 0xc4: case 0xc5: case 0xc6: {
                std::uint64_t n = 0;
                if (!be(1u << (b - 0xc4), n)) return truncated();
                std::string s;
                if (!bytes(n, s)) return truncated();
                return value(bin{std::move(s)});
            }
            case 0xc7: case 0xc8: case 0xc9: {
                std::uint64_t n = 0, t = 0;
                if (!be(1u << (b - 0xc7), n) || !be(1, t)) return truncated();
                std::string s;
                if (!bytes(n, s)) return truncated();
                return value(ext{static_cast<std::int8_t>(t), std::move(s)});
            }
            case 0xca: {
                std::uint64_t x = 0;
                if (!be(4, x)) return truncated();
                const auto u = static_cast<std::uint32_t>(x);
                float f;
                std::memcpy(&f, &u, 4);
                return value(static_cast<double>(f));
            }
            case 0xcb: {
                std::uint64_t x = 0;
                if (!be(8, x)) return truncated();
                double d;
                std::memcpy(&d, &x, 8);
                return value(d);
            }
            case 0xcc: case 0xcd: case 0xce: case 0xcf: {
                std::uint64_t x = 0;
                if (!be(1u << (b - 0xcc), x)) return truncated();
                return value(x);
            }
            case 0xd0: case 0xd1: case 0xd2: case 0xd3: {
                const unsigned n = 1u << (b - 0xd0);
                std::uint64_t x = 0;
                if (!be(n, x)) return truncated();
                // Sign-extend from n bytes.
                const unsigned shift = 64 - 8 * n;
                const auto i = static_cast<std::int64_t>(x << shift) >> shift;
                return value(i);
            }
            case 0xd4: case 0xd5: case 0xd6: case 0xd7: case 0xd8: {
                const std::uint64_t n = 1u << (b - 0xd4);
                std::uint64_t t = 0;
                if (!be(1, t)) return truncated();
                std::string s;
                if (!bytes(n, s)) return truncated();
                return value(ext{static_cast<std::int8_t>(t), std::move(s)});
            }
            case 0xd9: case 0xda: case 0xdb: {
                std::uint64_t n = 0;
                if (!be(1u << (b - 0xd9), n)) return truncated();
                return read_str(n);
            }
            case 0xdc: case 0xdd: {
                std::uint64_t n = 0;
                if (!be(b == 0xdc ? 2 : 4, n)) return truncated();
                return read_array(n, depth);
            }
            case 0xde: case 0xdf: {
                std::uint64_t n = 0;
                if (!be(b == 0xde ? 2 : 4, n)) return truncated();
                return read_map(n, depth);
            }
            default:
                return make_error(errc::reserved, fmt::format("reserved byte 0x{:02x} at offset {}", b, pos_ - 1));
        }
    }

    bool at_end() const { return pos_ == in_.size(); }
    std::size_t pos() const { return pos_; }

private:
    static error_info<errc> truncated() { return make_error(errc::truncated, "the input ends inside a value"); }

    bool be(unsigned n, std::uint64_t& x) {
        if (in_.size() - pos_ < n) return false;
        x = 0;
        for (unsigned i = 0; i < n; ++i) x = (x << 8) | static_cast<std::uint8_t>(in_[pos_++]);
        return true;
    }
    bool bytes(std::uint64_t n, std::string& s) {
        if (in_.size() - pos_ < n) return false;
        s.assign(in_.substr(pos_, static_cast<std::size_t>(n)));
        pos_ += static_cast<std::size_t>(n);
        return true;
    }
    result<value, errc> read_str(std::uint64_t n) {
        std::string s;
        if (!bytes(n, s)) return truncated();
        return value(std::move(s));
    }
    // Every item takes at least one byte: a count beyond what is left is a lie.
    bool plausible(std::uint64_t items) const { return items <= in_.size() - pos_; }
    result<value, errc> read_array(std::uint64_t n, std::size_t depth) {
        if (!plausible(n)) return make_error(errc::too_many, fmt::format("an array of {} items in {} bytes", n, in_.size() - pos_));
        array a;
        a.reserve(static_cast<std::size_t>(n));
        for (std::uint64_t i = 0; i < n; ++i) {
            auto item = one(depth + 1);
            if (!item) return item.error();
            a.push_back(std::move(*item));
        }
        return value(std::move(a));
    }
    result<value, errc> read_map(std::uint64_t n, std::size_t depth) {
        if (!plausible(2 * n)) return make_error(errc::too_many, fmt::format("a map of {} pairs in {} bytes", n, in_.size() - pos_));
        map m;
        m.reserve(static_cast<std::size_t>(n));
        for (std::uint64_t i = 0; i < n; ++i) {
            auto k = one(depth + 1);
            if (!k) return k.error();
            auto v = one(depth + 1);
            if (!v) return v.error();
            m.emplace_back(std::move(*k), std::move(*v));
        }
        return value(std::move(m));
    }

    std::string_view in_;
    decode_options o_;
    std::size_t pos_ = 0;
};

}  // namespace

const value* value::find(std::string_view key) const {
    const auto* m = std::get_if<map>(&v);
    if (!m) return nullptr;
    // The last one, as a JavaScript decoder keeps it: beastio and Node nodes read a map alike.
    for (auto it = m->rbegin(); it != m->rend(); ++it)
        if (it->first.is_string() && it->first.as_string() == key) return &it->second;
    return nullptr;
}

void encode(const value& v, std::string& out) {
    std::visit(
        [&](const auto& x) {
            using T = std::decay_t<decltype(x)>;
            if constexpr (std::is_same_v<T, nil>) out.push_back('\xc0');
            else if constexpr (std::is_same_v<T, bool>) out.push_back(x ? '\xc3' : '\xc2');
            else if constexpr (std::is_same_v<T, std::int64_t>) put_int(out, x);
            else if constexpr (std::is_same_v<T, std::uint64_t>) put_uint(out, x);
            else if constexpr (std::is_same_v<T, double>) {
                std::uint64_t bits;
                std::memcpy(&bits, &x, 8);
                out.push_back('\xcb');
                put_be(out, bits, 8);
            } else if constexpr (std::is_same_v<T, std::string>) {
                put_head(out, 0xa0, 31, 0xd9, 0xda, 0xdb, x.size());
                out += x;
            } else if constexpr (std::is_same_v<T, bin>) {
                put_head(out, 0, 0, 0xc4, 0xc5, 0xc6, x.bytes.size());
                out += x.bytes;
            } else if constexpr (std::is_same_v<T, array>) {
                put_head(out, 0x90, 15, 0, 0xdc, 0xdd, x.size());
                for (const auto& item : x) encode(item, out);
            } else if constexpr (std::is_same_v<T, map>) {
                put_head(out, 0x80, 15, 0, 0xde, 0xdf, x.size());
                for (const auto& [k, item] : x) {
                    encode(k, out);
                    encode(item, out);
                }
            } else if constexpr (std::is_same_v<T, ext>) {
                const std::size_t n = x.data.size();
                if (n == 1 || n == 2 || n == 4 || n == 8 || n == 16) {
                    const int idx = n == 1 ? 0 : n == 2 ? 1 : n == 4 ? 2 : n == 8 ? 3 : 4;
                    out.push_back(static_cast<char>(0xd4 + idx));
                } else {
                    put_head(out, 0, 0, 0xc7, 0xc8, 0xc9, n);
                }
                out.push_back(static_cast<char>(x.type));
                out += x.data;
            }
        },
        v.v);
}

std::string encode(const value& v) {
    std::string out;
    encode(v, out);
    return out;
}

result<value, errc> decode(std::string_view bytes, decode_options options) {
    reader r(bytes, options);
    auto v = r.one(0);
    if (!v) return v;
    if (!r.at_end()) return make_error(errc::trailing, fmt::format("{} bytes after the value", bytes.size() - r.pos()));
    return v;
}

}  // namespace beastio::msgpack
