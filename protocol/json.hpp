// A small JSON value tree that round-trips Socket.IO payloads byte-exactly.
//
// Why not rapidjson::Document directly: the reference server echoes what it
// received with JSON.stringify, so beastio must keep object keys in insertion
// order (duplicates included, as received), keep numbers exactly as written
// (`1` stays `1`, `1.50` stays `1.50`, integers above 2^53 survive) and write
// compact output. Numbers are therefore stored as their source text, and the
// tree can also hold binary attachments (Socket.IO replaces them by
// placeholders on the wire). RapidJSON is used for the strict parse (SAX,
// numbers as strings, iterative so no recursion on hostile input).
#pragma once

#include "protocol/json_string.hpp"
#include "protocol/result.hpp"

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

namespace beastio::json {

struct value;

using array = std::vector<value>;
using member = std::pair<std::string, value>;
using object = std::vector<member>;  // insertion order, as received

// A JSON number kept as its exact source text (always valid JSON number syntax).
struct number {
    std::string text;
    friend bool operator==(const number&, const number&) = default;
};

// Immutable bytes shared by every holder: a received attachment referenced by
// several placeholders, an echoed attachment and the frame that sends it all
// point at one buffer. Never null.
using shared_bytes = std::shared_ptr<const std::string>;

// Raw bytes: a Socket.IO binary attachment (Buffer / ArrayBuffer on the JS side).
// Copying a binary shares its buffer; the bytes are never copied.
struct binary {
    binary() : data(std::make_shared<const std::string>()) {}
    binary(std::string b) : data(std::make_shared<const std::string>(std::move(b))) {}  // NOLINT(implicit)
    binary(const char* b) : binary(std::string(b)) {}                                   // NOLINT(implicit)
    explicit binary(shared_bytes p) : data(p ? std::move(p) : std::make_shared<const std::string>()) {}

    const std::string& bytes() const { return *data; }
    shared_bytes data;

    friend bool operator==(const binary& a, const binary& b) { return a.bytes() == b.bytes(); }
};

struct value {
    using storage = std::variant<std::nullptr_t, bool, number, std::string, array, object, binary>;
    storage v;

    value() : v(nullptr) {}
    value(std::nullptr_t) : v(nullptr) {}                 // NOLINT(implicit)
    value(bool b) : v(b) {}                               // NOLINT(implicit)
    value(int i) : v(number{std::to_string(i)}) {}        // NOLINT(implicit)
    value(long i) : v(number{std::to_string(i)}) {}       // NOLINT(implicit)
    value(long long i) : v(number{std::to_string(i)}) {}  // NOLINT(implicit)
    value(unsigned i) : v(number{std::to_string(i)}) {}   // NOLINT(implicit)
    value(unsigned long i) : v(number{std::to_string(i)}) {}       // NOLINT(implicit)
    value(unsigned long long i) : v(number{std::to_string(i)}) {}  // NOLINT(implicit)
    value(number n) : v(std::move(n)) {}                  // NOLINT(implicit)
    value(const char* s) : v(std::string(s)) {}           // NOLINT(implicit)
    value(std::string s) : v(std::move(s)) {}             // NOLINT(implicit)
    value(std::string_view s) : v(std::string(s)) {}      // NOLINT(implicit)
    value(array a) : v(std::move(a)) {}                   // NOLINT(implicit)
    value(object o) : v(std::move(o)) {}                  // NOLINT(implicit)
    value(binary b) : v(std::move(b)) {}                  // NOLINT(implicit)

    bool is_null() const { return std::holds_alternative<std::nullptr_t>(v); }
    bool is_bool() const { return std::holds_alternative<bool>(v); }
    bool is_number() const { return std::holds_alternative<number>(v); }
    bool is_string() const { return std::holds_alternative<std::string>(v); }
    bool is_array() const { return std::holds_alternative<array>(v); }
    bool is_object() const { return std::holds_alternative<object>(v); }
    bool is_binary() const { return std::holds_alternative<binary>(v); }

    // Accessors; calling the wrong one is a programming error (std::bad_variant_access).
    bool as_bool() const { return std::get<bool>(v); }
    const number& as_number() const { return std::get<number>(v); }
    const std::string& as_string() const { return std::get<std::string>(v); }
    const array& as_array() const { return std::get<array>(v); }
    array& as_array() { return std::get<array>(v); }
    const object& as_object() const { return std::get<object>(v); }
    object& as_object() { return std::get<object>(v); }
    const binary& as_binary() const { return std::get<binary>(v); }

    // First member with this key, or nullptr (objects only; nullptr otherwise).
    const value* find(std::string_view key) const;

    // True when this value or any nested value is binary.
    bool has_binary() const;

    friend bool operator==(const value&, const value&) = default;
};

enum class errc {
    syntax,         // not valid JSON (message carries RapidJSON's reason and offset)
    too_deep,       // nesting deeper than parse_options::max_depth
};

struct parse_options {
    // Arrays/objects nested deeper than this are refused. JSON from a peer is
    // hostile input; the limit bounds every recursive walk over the tree.
    std::size_t max_depth = 128;
};

// Parses one complete JSON text (surrounding whitespace allowed, nothing else).
// Strings must be valid UTF-8 after unescaping (lone surrogates are refused).
result<value, errc> parse(std::string_view text, parse_options options = {});

// Compact serialisation, as JSON.stringify writes it: no spaces, keys in
// order, numbers verbatim, strings escaped like JSON.stringify (", \\, \b \f
// \n \r \t, other control characters as \u00XX; everything else as UTF-8).
//
// Binary values are written as Socket.IO placeholders
// {"_placeholder":true,"num":N}, N counting depth-first from attachments->size(),
// and their buffers (shared, not copied) are appended to *attachments. With
// attachments == nullptr a binary value is still written as a placeholder and
// its bytes are dropped.
void serialize(const value& v, std::string& out, std::vector<shared_bytes>* attachments = nullptr);
std::string serialize(const value& v);


}  // namespace beastio::json
