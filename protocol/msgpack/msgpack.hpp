// MessagePack, as the Node Redis adapters write it (notepack.io 3 and
// @msgpack/msgpack): a value tree, an encoder that picks the smallest form
// for integers, strings, binaries, arrays and maps (and float64 for every
// non-integer, as notepack does), and a decoder that accepts every form and
// refuses truncated, reserved (0xc1) or too-deep input. Pure: no I/O.
#pragma once

#include "protocol/result.hpp"

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

namespace beastio::msgpack {

struct value;
using array = std::vector<value>;
using map = std::vector<std::pair<value, value>>;  // in order; keys may be any value

struct nil {
    friend bool operator==(nil, nil) = default;
};
struct bin {
    std::string bytes;
    friend bool operator==(const bin&, const bin&) = default;
};
struct ext {
    std::int8_t type = 0;
    std::string data;
    friend bool operator==(const ext&, const ext&) = default;
};

struct value {
    // Integers: int64 for negative values, uint64 for the rest (so every
    // msgpack integer round-trips); floats: double (float32 widens).
    std::variant<nil, bool, std::int64_t, std::uint64_t, double, std::string, bin, array, map, ext> v;

    value() = default;
    value(nil n) : v(n) {}
    value(bool b) : v(b) {}
    value(int i) : value(static_cast<std::int64_t>(i)) {}
    value(std::int64_t i) {
        if (i < 0) v = i;
        else v = static_cast<std::uint64_t>(i);
    }
    value(std::uint64_t u) : v(u) {}
    value(double d) : v(d) {}
    value(const char* s) : v(std::string(s)) {}
    value(std::string s) : v(std::move(s)) {}
    value(bin b) : v(std::move(b)) {}
    value(array a) : v(std::move(a)) {}
    value(map m) : v(std::move(m)) {}
    value(ext e) : v(std::move(e)) {}

    bool is_nil() const { return std::holds_alternative<nil>(v); }
    bool is_string() const { return std::holds_alternative<std::string>(v); }
    bool is_map() const { return std::holds_alternative<map>(v); }
    bool is_array() const { return std::holds_alternative<array>(v); }
    const std::string& as_string() const { return std::get<std::string>(v); }
    const array& as_array() const { return std::get<array>(v); }
    const map& as_map() const { return std::get<map>(v); }
    // The value under a string key of a map (the last, with duplicates, as in
    // JavaScript); nullptr when absent or not a map.
    const value* find(std::string_view key) const;

    friend bool operator==(const value&, const value&) = default;
};

void encode(const value& v, std::string& out);
std::string encode(const value& v);

enum class errc {
    truncated,  // the input ends inside a value
    reserved,   // 0xc1, never used by msgpack
    too_deep,   // nesting deeper than decode_options::max_depth
    too_many,   // an array or map announces more items than bytes left could hold
    trailing,   // bytes after the one value
};

struct decode_options {
    std::size_t max_depth = 64;
};

// Exactly one value, nothing after it.
result<value, errc> decode(std::string_view bytes, decode_options options = {});

}  // namespace beastio::msgpack
