// json::serialize / json::write_string: the exact bytes JSON.stringify writes,
// and binary values written as Socket.IO placeholders.
#include "sio_test_support.hpp"

#include <climits>
#include <string>
#include <vector>

using namespace beastio;
using beastio::test::bin;
using beastio::test::num;
using beastio::test::printable;

namespace {

struct string_row {
    std::string raw;
    std::string quoted;  // what JSON.stringify(raw) gives
};

const std::vector<string_row>& string_rows() {
    static const std::vector<string_row> rows = {
        {"", R"("")"},
        {"plain", R"("plain")"},
        {"say \"hi\"", R"("say \"hi\"")"},
        {"back\\slash", R"("back\\slash")"},
        {"a/b</script>", R"("a/b</script>")"},
        {"\b\f\n\r\t", R"("\b\f\n\r\t")"},
        {std::string("\0", 1), R"("\u0000")"},
        {"\x01\x02\x1a\x1b\x1f", R"("\u0001\u0002\u001a\u001b\u001f")"},
        {"\x0b", R"("\u000b")"},
        {"\x7f", "\"\x7f\""},
        {" ~", R"(" ~")"},
        {"caf\xc3\xa9", "\"caf\xc3\xa9\""},
        {"\xe4\xb8\xad\xe6\x96\x87", "\"\xe4\xb8\xad\xe6\x96\x87\""},
        {"\xf0\x9f\x98\x80", "\"\xf0\x9f\x98\x80\""},
        {"\xe2\x80\xa8\xe2\x80\xa9", "\"\xe2\x80\xa8\xe2\x80\xa9\""},
        {"end\n", R"("end\n")"},
        {"\"", R"("\"")"},
        {"mixed \"\x01\\\n\xc3\xa9 end", R"("mixed \"\u0001\\\n)" "\xc3\xa9" R"( end")"},
    };
    return rows;
}

struct value_row {
    std::string name;
    json::value v;
    std::string compact;
};

const std::vector<value_row>& value_rows() {
    static const std::vector<value_row> rows = {
        {"null", nullptr, "null"},
        {"true", true, "true"},
        {"false", false, "false"},
        {"int", 17, "17"},
        {"negative int", -5, "-5"},
        {"long long min", LLONG_MIN, "-9223372036854775808"},
        {"unsigned long long max", ULLONG_MAX, "18446744073709551615"},
        {"number text verbatim", num("1.50"), "1.50"},
        {"string", "x", R"("x")"},
        {"std::string", std::string("y"), R"("y")"},
        {"empty array", json::array{}, "[]"},
        {"empty object", json::object{}, "{}"},
        {"event payload", json::array{"message", 1, "2", json::object{{"3", json::array{true}}}},
         R"(["message",1,"2",{"3":[true]}])"},
        {"object in order", json::object{{"z", 1}, {"a", 2}, {"m", nullptr}}, R"({"z":1,"a":2,"m":null})"},
        {"duplicate keys", json::object{{"k", 1}, {"k", 2}}, R"({"k":1,"k":2})"},
        {"escaped key", json::object{{"a\"b\n", 1}}, R"({"a\"b\n":1})"},
        {"deep nesting", json::array{json::array{json::array{json::object{{"a", json::array{}}}}}},
         R"([[[{"a":[]}]]])"},
    };
    return rows;
}

}  // namespace

TEST_CASE("json write_string escapes exactly like JSON.stringify", "[json]") {
    for (const auto& row : string_rows()) {
        INFO("raw: " << printable(row.raw));
        std::string out = "prefix:";
        json::write_string(row.raw, out);
        CHECK(out == "prefix:" + row.quoted);
        CHECK(json::serialize(json::value(row.raw)) == row.quoted);
    }
}

TEST_CASE("json write_string covers every ASCII byte", "[json]") {
    for (int c = 0; c < 0x80; ++c) {
        INFO("byte " << c);
        std::string out;
        json::write_string(std::string(1, static_cast<char>(c)), out);
        std::string expected;
        switch (c) {
            case '\b': expected = R"("\b")"; break;
            case '\f': expected = R"("\f")"; break;
            case '\n': expected = R"("\n")"; break;
            case '\r': expected = R"("\r")"; break;
            case '\t': expected = R"("\t")"; break;
            case '"': expected = R"("\"")"; break;
            case '\\': expected = R"("\\")"; break;
            default:
                if (c < 0x20) {
                    static constexpr char hex[] = "0123456789abcdef";
                    expected = std::string("\"\\u00") + hex[c >> 4] + hex[c & 0xF] + "\"";
                } else {
                    expected = std::string("\"") + static_cast<char>(c) + "\"";
                }
        }
        CHECK(out == expected);
        // What we write must read back as the same byte.
        auto back = json::parse(out);
        REQUIRE(back.has_value());
        CHECK(back->as_string() == std::string(1, static_cast<char>(c)));
    }
}

TEST_CASE("json serialize writes hand-built trees compactly", "[json]") {
    for (const auto& row : value_rows()) {
        INFO(row.name);
        CHECK(json::serialize(row.v) == row.compact);
        std::string appended = "42";
        json::serialize(row.v, appended);
        CHECK(appended == "42" + row.compact);
        auto back = json::parse(row.compact);
        REQUIRE(back.has_value());
        CHECK(*back == row.v);
    }
}

TEST_CASE("json serialize writes binary values as numbered placeholders", "[json][binary]") {
    const json::value v = json::array{
        "ev", bin("\x01\x02"), json::object{{"a", bin("")}, {"b", json::array{bin("three")}}}, bin("four")};
    const std::string expected =
        R"(["ev",{"_placeholder":true,"num":0},{"a":{"_placeholder":true,"num":1},)"
        R"("b":[{"_placeholder":true,"num":2}]},{"_placeholder":true,"num":3}])";

    SECTION("attachments collected depth-first") {
        std::vector<json::shared_bytes> atts;
        std::string out;
        json::serialize(v, out, &atts);
        CHECK(out == expected);
        CHECK(test::bytes_of(atts) == std::vector<std::string>{"\x01\x02", "", "three", "four"});
    }
    SECTION("numbering continues after existing attachments") {
        std::vector<json::shared_bytes> atts{std::make_shared<const std::string>("earlier")};
        std::string out;
        json::serialize(json::array{bin("x"), bin("y")}, out, &atts);
        CHECK(out == R"([{"_placeholder":true,"num":1},{"_placeholder":true,"num":2}])");
        CHECK(test::bytes_of(atts) == std::vector<std::string>{"earlier", "x", "y"});
    }
    SECTION("without a vector the bytes are dropped but numbering still counts") {
        CHECK(json::serialize(v) == expected);
    }
    SECTION("a binary at the root") {
        std::vector<json::shared_bytes> atts;
        std::string out;
        json::serialize(bin("root"), out, &atts);
        CHECK(out == R"({"_placeholder":true,"num":0})");
        CHECK(test::bytes_of(atts) == std::vector<std::string>{"root"});
    }
}

TEST_CASE("json tree equality distinguishes kinds and number texts", "[json]") {
    CHECK(json::value(1) == num("1"));
    CHECK_FALSE(num("1") == num("1.0"));
    CHECK_FALSE(json::value("1") == num("1"));
    CHECK_FALSE(json::value(true) == num("1"));
    CHECK_FALSE(json::value(json::object{{"a", 1}, {"b", 2}}) == json::value(json::object{{"b", 2}, {"a", 1}}));
    CHECK_FALSE(bin("a") == json::value("a"));
}

TEST_CASE("json serialize round-trips a 1 MB string with escapes", "[json][huge]") {
    std::string big;
    big.reserve(1 << 20);
    while (big.size() < (1u << 20)) {
        big += "\xe4\xb8\xad\"\\\x01 plain text ";
    }
    const json::value v = json::array{"big", big};
    const std::string text = json::serialize(v);
    CHECK(text.size() > big.size());
    auto back = json::parse(text);
    REQUIRE(back.has_value());
    CHECK(*back == v);
}

TEST_CASE("json write_string replaces bytes that are not UTF-8 so text frames stay valid", "[json]") {
    const std::string fffd = "\xEF\xBF\xBD";
    struct row {
        std::string raw;
        std::string quoted;
    };
    const std::vector<row> rows = {
        {"caf\xC3\xA9", "\"caf\xC3\xA9\""},                 // valid 2-byte sequence kept
        {"\xF0\x9F\x98\x80", "\"\xF0\x9F\x98\x80\""},       // valid 4-byte sequence kept
        {"a\xFFz", "\"a" + fffd + "z\""},                     // invalid lead byte
        {"\x80", "\"" + fffd + "\""},                         // lone continuation byte
        {"\xC3", "\"" + fffd + "\""},                         // truncated at the end
        {"\xE2\x82x", "\"" + fffd + "x\""},                   // truncated 3-byte sequence, one U+FFFD
        {"\xED\xA0\x80", "\"" + fffd + fffd + fffd + "\""},   // UTF-16 surrogate encoded in UTF-8
        {"\xC0\xAF", "\"" + fffd + fffd + "\""},              // overlong encoding
        {"\xF4\x90\x80\x80", "\"" + fffd + fffd + fffd + fffd + "\""},  // above U+10FFFF
    };
    for (const auto& r : rows) {
        INFO("raw: " << printable(r.raw));
        std::string out;
        json::write_string(r.raw, out);
        CHECK(out == r.quoted);
    }
}

TEST_CASE("json escaped_size is the exact length write_string appends", "[json]") {
    const std::vector<std::string> rows = {
        "", "plain", "quote\" and \\ backslash", "\b\f\n\r\t", std::string("\x00\x01\x1f", 3), "caf\xC3\xA9",
        "\xF0\x9F\x98\x80", "a\xFFz", "\xE2\x82x", "\xED\xA0\x80", "\xC0\xAF", "\xF4\x90\x80\x80", "\xC3",
    };
    for (const auto& raw : rows) {
        INFO("raw: " << printable(raw));
        std::string out;
        json::write_string(raw, out);
        CHECK(json::escaped_size(raw) == out.size());
    }
}
