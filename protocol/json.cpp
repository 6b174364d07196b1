// JSON value tree: strict parse (RapidJSON SAX reader) and a compact writer
// whose bytes match JavaScript's JSON.stringify.
#include "protocol/json.hpp"

#include <rapidjson/error/en.h>
#include <rapidjson/reader.h>

#include <fmt/format.h>

#include <array>
#include <cstring>
#include <iterator>
#include <type_traits>

namespace beastio::json {

// The switches below dispatch on the variant index.
static_assert(std::is_same_v<std::variant_alternative_t<0, value::storage>, std::nullptr_t>);
static_assert(std::is_same_v<std::variant_alternative_t<1, value::storage>, bool>);
static_assert(std::is_same_v<std::variant_alternative_t<2, value::storage>, number>);
static_assert(std::is_same_v<std::variant_alternative_t<3, value::storage>, std::string>);
static_assert(std::is_same_v<std::variant_alternative_t<4, value::storage>, array>);
static_assert(std::is_same_v<std::variant_alternative_t<5, value::storage>, object>);
static_assert(std::is_same_v<std::variant_alternative_t<6, value::storage>, binary>);

// ---------------------------------------------------------------------------
// Tree queries

const value* value::find(std::string_view key) const {
    const auto* obj = std::get_if<object>(&v);
    if (obj == nullptr) {
        return nullptr;
    }
    for (const auto& m : *obj) {
        if (m.first == key) {
            return &m.second;
        }
    }
    return nullptr;
}

bool value::has_binary() const {
    switch (v.index()) {
        case 4:
            for (const auto& e : std::get<array>(v)) {
                if (e.has_binary()) {
                    return true;
                }
            }
            return false;
        case 5:
            for (const auto& m : std::get<object>(v)) {
                if (m.second.has_binary()) {
                    return true;
                }
            }
            return false;
        case 6:
            return true;
        default:
            return false;
    }
}

// ---------------------------------------------------------------------------
// Parsing

namespace {

// Input stream over a string_view (RapidJSON's StringStream needs a NUL
// terminator). Reading past the end yields '\0', which RapidJSON treats as end
// of input; an embedded NUL is detected after the parse (see parse()).
class view_stream {
public:
    using Ch = char;

    explicit view_stream(std::string_view s) : begin_(s.data()), cur_(s.data()), end_(s.data() + s.size()) {}

    Ch Peek() const { return cur_ != end_ ? *cur_ : '\0'; }
    Ch Take() { return cur_ != end_ ? *cur_++ : '\0'; }
    std::size_t Tell() const { return static_cast<std::size_t>(cur_ - begin_); }

    // Only used by in-situ parsing, which we never request.
    Ch* PutBegin() { return nullptr; }
    void Put(Ch) {}
    void Flush() {}
    std::size_t PutEnd(Ch*) { return 0; }

private:
    const char* begin_;
    const char* cur_;
    const char* end_;
};

// True when s holds a UTF-16 surrogate encoded as UTF-8 (ED A0..BF xx).
// Raw bytes are validated by RapidJSON; this catches a lone \uDC00 escape,
// which RapidJSON 1.1 decodes without complaint.
bool has_encoded_surrogate(const char* s, std::size_t len) {
    const char* p = s;
    const char* end = s + len;
    while (p != end) {
        const void* hit = std::memchr(p, 0xED, static_cast<std::size_t>(end - p));
        if (hit == nullptr) {
            return false;
        }
        p = static_cast<const char*>(hit) + 1;
        if (p != end && static_cast<unsigned char>(*p) >= 0xA0) {
            return true;
        }
    }
    return false;
}

class tree_builder {
public:
    explicit tree_builder(std::size_t max_depth) : max_depth_(max_depth) { open_.reserve(16); }

    bool Null() { return add(value(nullptr)); }
    bool Bool(bool b) { return add(value(b)); }
    // Never called with kParseNumbersAsStringsFlag; present for completeness.
    bool Int(int i) { return add(value(i)); }
    bool Uint(unsigned u) { return add(value(u)); }
    bool Int64(std::int64_t i) { return add(value(static_cast<long long>(i))); }
    bool Uint64(std::uint64_t u) { return add(value(static_cast<unsigned long long>(u))); }
    bool Double(double) { return false; }
    bool RawNumber(const char* s, rapidjson::SizeType len, bool) {
        return add(value(number{std::string(s, len)}));
    }
    bool String(const char* s, rapidjson::SizeType len, bool) {
        if (has_encoded_surrogate(s, len)) {
            lone_surrogate_ = true;
            return false;
        }
        return add(value(std::string(s, len)));
    }
    bool Key(const char* s, rapidjson::SizeType len, bool) {
        if (has_encoded_surrogate(s, len)) {
            lone_surrogate_ = true;
            return false;
        }
        std::get<object>(open_.back()->v).emplace_back(std::string(s, len), value());
        return true;
    }
    bool StartObject() { return open(value(object{})); }
    bool EndObject(rapidjson::SizeType) { return close(); }
    bool StartArray() { return open(value(array{})); }
    bool EndArray(rapidjson::SizeType) { return close(); }

    bool too_deep() const { return too_deep_; }
    bool lone_surrogate() const { return lone_surrogate_; }
    value take_root() { return std::move(root_); }

private:
    // Places v where the grammar says it goes and returns its address, which
    // stays valid while v is the innermost open container: its parent is not
    // modified again until v is closed.
    value* place(value&& v) {
        if (open_.empty()) {
            root_ = std::move(v);
            return &root_;
        }
        value* top = open_.back();
        if (auto* arr = std::get_if<array>(&top->v)) {
            arr->push_back(std::move(v));
            return &arr->back();
        }
        // Object: Key() already appended the member.
        value& slot = std::get<object>(top->v).back().second;
        slot = std::move(v);
        return &slot;
    }

    bool add(value&& v) {
        place(std::move(v));
        return true;
    }

    bool open(value&& v) {
        if (open_.size() >= max_depth_) {
            too_deep_ = true;
            return false;
        }
        open_.push_back(place(std::move(v)));
        return true;
    }

    bool close() {
        open_.pop_back();
        return true;
    }

    std::size_t max_depth_;
    value root_;
    std::vector<value*> open_;
    bool too_deep_ = false;
    bool lone_surrogate_ = false;
};

constexpr unsigned parse_flags = rapidjson::kParseNumbersAsStringsFlag | rapidjson::kParseIterativeFlag |
                                 rapidjson::kParseValidateEncodingFlag;

}  // namespace

result<value, errc> parse(std::string_view text, parse_options options) {
    tree_builder builder(options.max_depth);
    view_stream stream(text);
    rapidjson::Reader reader;
    const rapidjson::ParseResult ok = reader.Parse<parse_flags>(stream, builder);
    if (!ok) {
        if (builder.too_deep()) {
            return make_error(errc::too_deep, fmt::format("JSON nested deeper than {} levels at offset {}",
                                                          options.max_depth, ok.Offset()));
        }
        if (builder.lone_surrogate()) {
            return make_error(errc::syntax,
                              fmt::format("string contains a lone UTF-16 surrogate (before offset {})", ok.Offset()));
        }
        return make_error(errc::syntax,
                          fmt::format("{} (at offset {})", rapidjson::GetParseError_En(ok.Code()), ok.Offset()));
    }
    if (stream.Tell() != text.size()) {
        // The reader stopped at a NUL byte it took for the end of input.
        return make_error(errc::syntax, fmt::format("unexpected NUL byte (at offset {})", stream.Tell()));
    }
    return builder.take_root();
}

// ---------------------------------------------------------------------------
// Serialisation

namespace {

class writer {
public:
    writer(std::string& out, std::vector<shared_bytes>* attachments) : out_(out), attachments_(attachments) {}

    void write(const value& v) {
        switch (v.v.index()) {
            case 0:
                out_.append("null");
                break;
            case 1:
                out_.append(std::get<bool>(v.v) ? "true" : "false");
                break;
            case 2:
                out_.append(std::get<number>(v.v).text);
                break;
            case 3:
                write_string(std::get<std::string>(v.v), out_);
                break;
            case 4: {
                const auto& arr = std::get<array>(v.v);
                out_.push_back('[');
                bool first = true;
                for (const auto& e : arr) {
                    if (!first) {
                        out_.push_back(',');
                    }
                    first = false;
                    write(e);
                }
                out_.push_back(']');
                break;
            }
            case 5: {
                const auto& obj = std::get<object>(v.v);
                out_.push_back('{');
                bool first = true;
                for (const auto& m : obj) {
                    if (!first) {
                        out_.push_back(',');
                    }
                    first = false;
                    write_string(m.first, out_);
                    out_.push_back(':');
                    write(m.second);
                }
                out_.push_back('}');
                break;
            }
            default:
                write_placeholder(std::get<binary>(v.v));
                break;
        }
    }

private:
    void write_placeholder(const binary& b) {
        std::size_t num = 0;
        if (attachments_ != nullptr) {
            num = attachments_->size();
            attachments_->push_back(b.data);
        } else {
            num = dropped_++;
        }
        out_.append(R"({"_placeholder":true,"num":)");
        fmt::format_to(std::back_inserter(out_), "{}", num);
        out_.push_back('}');
    }

    std::string& out_;
    std::vector<shared_bytes>* attachments_;
    std::size_t dropped_ = 0;
};

}  // namespace

void serialize(const value& v, std::string& out, std::vector<shared_bytes>* attachments) {
    writer w(out, attachments);
    w.write(v);
}

std::string serialize(const value& v) {
    std::string out;
    out.reserve(64);
    serialize(v, out);
    return out;
}

}  // namespace beastio::json
