// json::parse: the accepted language, the tree it builds, and what it refuses.
// Serialisation of hand-built trees is in json_serialize_test.cpp.
#include "sio_test_support.hpp"

#include <string>
#include <vector>

using namespace beastio;
using beastio::test::num;
using beastio::test::printable;

namespace {

struct parse_row {
    std::string input;
    json::value expected;
    std::string compact;  // serialize(parse(input))
};

const std::vector<parse_row>& parse_rows() {
    static const std::vector<parse_row> rows = {
        // scalars
        {"null", nullptr, "null"},
        {"true", true, "true"},
        {"false", false, "false"},
        {R"("")", "", R"("")"},
        {R"("abc")", "abc", R"("abc")"},
        // numbers stay exactly as written
        {"0", num("0"), "0"},
        {"1", num("1"), "1"},
        {"-0", num("-0"), "-0"},
        {"1.50", num("1.50"), "1.50"},
        {"1e21", num("1e21"), "1e21"},
        {"1E+2", num("1E+2"), "1E+2"},
        {"-1.5e-7", num("-1.5e-7"), "-1.5e-7"},
        {"0.1000000000000000000000001", num("0.1000000000000000000000001"), "0.1000000000000000000000001"},
        {"9007199254740993", num("9007199254740993"), "9007199254740993"},
        {"12345678901234567890", num("12345678901234567890"), "12345678901234567890"},
        {"-9223372036854775809", num("-9223372036854775809"), "-9223372036854775809"},
        {"123456789012345678901234567890", num("123456789012345678901234567890"), "123456789012345678901234567890"},
        {"1e-400", num("1e-400"), "1e-400"},
        // containers, compact output, key order and duplicates kept
        {"[]", json::array{}, "[]"},
        {"{}", json::object{}, "{}"},
        {"[[]]", json::array{json::array{}}, "[[]]"},
        {R"([1,"2",{"3":[true]}])", json::array{num("1"), "2", json::object{{"3", json::array{true}}}},
         R"([1,"2",{"3":[true]}])"},
        {R"({"b":1,"a":2})", json::object{{"b", num("1")}, {"a", num("2")}}, R"({"b":1,"a":2})"},
        {R"({"a":1,"a":2})", json::object{{"a", num("1")}, {"a", num("2")}}, R"({"a":1,"a":2})"},
        {R"({"2":"x","1":"y"})", json::object{{"2", "x"}, {"1", "y"}}, R"({"2":"x","1":"y"})"},
        {" \t\r\n{ \"a\" : [ 1 , 2 ] ,\n \"b\" : null , \"c\" : { } } \n",
         json::object{{"a", json::array{num("1"), num("2")}}, {"b", nullptr}, {"c", json::object{}}},
         R"({"a":[1,2],"b":null,"c":{}})"},
        {R"([null,true,false,"",0])", json::array{nullptr, true, false, "", num("0")}, R"([null,true,false,"",0])"},
        {R"({"":""})", json::object{{"", ""}}, R"({"":""})"},
        // unicode: escapes decoded, written back as raw UTF-8
        {R"("\u00e9")", "\xc3\xa9", "\"\xc3\xa9\""},
        {R"("\u00E9t\u00e9")", "\xc3\xa9t\xc3\xa9", "\"\xc3\xa9t\xc3\xa9\""},
        {R"("\ud83d\ude00")", "\xf0\x9f\x98\x80", "\"\xf0\x9f\x98\x80\""},
        {"\"\xf0\x9f\x98\x80 \xe4\xb8\xad\xe6\x96\x87\"", "\xf0\x9f\x98\x80 \xe4\xb8\xad\xe6\x96\x87",
         "\"\xf0\x9f\x98\x80 \xe4\xb8\xad\xe6\x96\x87\""},
        {R"({"\u4e2d":"\u6587"})", json::object{{"\xe4\xb8\xad", "\xe6\x96\x87"}}, "{\"\xe4\xb8\xad\":\"\xe6\x96\x87\"}"},
        {R"("\u2028\u2029")", "\xe2\x80\xa8\xe2\x80\xa9", "\"\xe2\x80\xa8\xe2\x80\xa9\""},
        {R"("\u007f")", "\x7f", "\"\x7f\""},
        // escapes: JSON.stringify keeps the short forms, drops "\/", writes \u00XX lowercase
        {R"("\"\\\/\b\f\n\r\t")", "\"\\/\b\f\n\r\t", R"("\"\\/\b\f\n\r\t")"},
        {R"("\u0001\u001F\u001f")", "\x01\x1f\x1f", R"("\u0001\u001f\u001f")"},
        {R"("a\u0000b")", std::string("a\0b", 3), R"("a\u0000b")"},
        {R"("\u0008\u000a\u0022\u005c")", "\b\n\"\\", R"("\b\n\"\\")"},
        {R"("\u0041")", "A", R"("A")"},
    };
    return rows;
}

struct error_row {
    std::string name;
    std::string input;
};

const std::vector<error_row>& syntax_error_rows() {
    static const std::vector<error_row> rows = {
        {"empty", ""},
        {"whitespace only", " \n\t"},
        {"unterminated array", "[1,2"},
        {"unterminated object", R"({"a":1)"},
        {"unterminated string", R"("abc)"},
        {"unterminated string in array", R"(["abc])"},
        {"trailing comma in array", "[1,]"},
        {"trailing comma in object", R"({"a":1,})"},
        {"key without value", R"({"a"})"},
        {"non-string key", R"({1:2})"},
        {"single quotes", "'a'"},
        {"bare word", "abc"},
        {"truncated literal", "tru"},
        {"capitalised literal", "True"},
        {"trailing garbage", "[1] x"},
        {"two documents", "[1][2]"},
        {"two scalars", "1 2"},
        {"leading zero", "01"},
        {"missing fraction", "1."},
        {"missing integer part", ".5"},
        {"plus sign", "+1"},
        {"missing exponent", "1e"},
        {"hex number", "0x10"},
        {"NaN", "NaN"},
        {"Infinity", "Infinity"},
        {"number too big for a double", "1e400"},
        {"comment", "/*x*/1"},
        {"invalid escape", R"("\x41")"},
        {"short unicode escape", R"("\u12")"},
        {"raw newline in string", "\"a\nb\""},
        {"raw tab in string", "\"a\tb\""},
        {"raw NUL in string", std::string("\"a\0b\"", 5)},
        {"NUL after the value", std::string("[1]\0", 4)},
        {"NUL then garbage after the value", std::string("[1]\0xyz", 7)},
        {"invalid UTF-8 byte", "\"\xff\""},
        {"invalid UTF-8 in key", "{\"\xfe\":1}"},
        {"overlong UTF-8", "\"\xc0\xaf\""},
        {"truncated UTF-8 sequence", "\"\xe4\xb8\""},
        {"stray continuation byte", "\"\x80\""},
        {"UTF-8 encoded surrogate", "\"\xed\xa0\x80\""},
        {"code point above U+10FFFF", "\"\xf4\x90\x80\x80\""},
        {"lone high surrogate escape", R"("\ud800")"},
        {"high surrogate then non-surrogate", R"("\ud800\u0041")"},
        {"lone low surrogate escape", R"("\udc00")"},
        {"lone low surrogate escape in key", R"({"\udfff":1})"},
        {"byte order mark", "\xef\xbb\xbf[]"},
    };
    return rows;
}

std::string nested_arrays(std::size_t depth) { return std::string(depth, '[') + std::string(depth, ']'); }

}  // namespace

TEST_CASE("json parse builds the expected tree and serialises it compactly", "[json]") {
    for (const auto& row : parse_rows()) {
        INFO("input: " << printable(row.input));
        auto parsed = json::parse(row.input);
        REQUIRE(parsed.has_value());
        CHECK(*parsed == row.expected);
        CHECK(json::serialize(*parsed) == row.compact);
    }
}

TEST_CASE("json compact text survives parse and serialize unchanged", "[json]") {
    for (const auto& row : parse_rows()) {
        INFO("compact: " << printable(row.compact));
        auto parsed = json::parse(row.compact);
        REQUIRE(parsed.has_value());
        CHECK(json::serialize(*parsed) == row.compact);
        CHECK(*parsed == row.expected);
    }
}

TEST_CASE("json parse refuses malformed text as a syntax error", "[json]") {
    for (const auto& row : syntax_error_rows()) {
        INFO(row.name << ": " << printable(row.input));
        auto parsed = json::parse(row.input);
        REQUIRE_FALSE(parsed.has_value());
        CHECK(parsed.error().code == json::errc::syntax);
        CHECK_FALSE(parsed.error().message.empty());
    }
}

TEST_CASE("json syntax error message names the reason and the offset", "[json]") {
    auto parsed = json::parse("[1,]");
    REQUIRE_FALSE(parsed.has_value());
    CHECK_THAT(parsed.error().message, Catch::Contains("offset 3"));
    CHECK_THAT(parsed.error().message, Catch::Contains("Invalid value"));

    auto surrogate = json::parse(R"(["ok","\udc00"])");
    REQUIRE_FALSE(surrogate.has_value());
    CHECK_THAT(surrogate.error().message, Catch::Contains("surrogate"));
}

TEST_CASE("json parse enforces the nesting limit", "[json]") {
    SECTION("default limit is 128 levels") {
        CHECK(json::parse(nested_arrays(128)).has_value());
        auto deep = json::parse(nested_arrays(129));
        REQUIRE_FALSE(deep.has_value());
        CHECK(deep.error().code == json::errc::too_deep);
        CHECK_THAT(deep.error().message, Catch::Contains("128"));
    }
    SECTION("custom limit counts arrays and objects alike") {
        const json::parse_options two{2};
        CHECK(json::parse("[[1]]", two).has_value());
        CHECK(json::parse(R"({"a":{"b":1}})", two).has_value());
        CHECK(json::parse(R"([{"a":1},[2],{}])", two).has_value());
        CHECK(json::parse(R"([[[1]]])", two).error().code == json::errc::too_deep);
        CHECK(json::parse(R"({"a":{"b":{}}})", two).error().code == json::errc::too_deep);
        CHECK(json::parse(R"([{"a":[]}])", two).error().code == json::errc::too_deep);
    }
    SECTION("limit zero allows scalars only") {
        const json::parse_options zero{0};
        CHECK(json::parse(R"("s")", zero).has_value());
        CHECK(json::parse("[]", zero).error().code == json::errc::too_deep);
        CHECK(json::parse("{}", zero).error().code == json::errc::too_deep);
    }
    SECTION("hostile nesting is refused without recursion") {
        auto open_only = json::parse(std::string(1'000'000, '['));
        REQUIRE_FALSE(open_only.has_value());
        CHECK(open_only.error().code == json::errc::too_deep);
        auto objects = json::parse([] {
            std::string s;
            for (int i = 0; i < 200'000; ++i) {
                s += R"({"a":)";
            }
            return s;
        }());
        REQUIRE_FALSE(objects.has_value());
        CHECK(objects.error().code == json::errc::too_deep);
    }
}

TEST_CASE("json parse handles a 1 MB string and a large array", "[json][huge]") {
    std::string big(1 << 20, 'x');
    for (std::size_t i = 0; i < big.size(); i += 4096) {
        big[i] = '\n';  // escaped on the wire
    }
    std::string text;
    json::write_string(big, text);
    auto parsed = json::parse(text);
    REQUIRE(parsed.has_value());
    REQUIRE(parsed->is_string());
    CHECK(parsed->as_string() == big);
    CHECK(json::serialize(*parsed) == text);

    std::string arr = "[";
    for (int i = 0; i < 100'000; ++i) {
        arr += (i == 0 ? "" : ",") + std::to_string(i * 7) + ".5";
    }
    arr += "]";
    auto many = json::parse(arr);
    REQUIRE(many.has_value());
    REQUIRE(many->as_array().size() == 100'000);
    CHECK(many->as_array()[99'999] == num("699993.5"));
    CHECK(json::serialize(*many) == arr);
}

TEST_CASE("json find returns the first member with the key", "[json]") {
    auto parsed = json::parse(R"({"a":1,"b":{"c":2},"a":3})");
    REQUIRE(parsed.has_value());
    const json::value* a = parsed->find("a");
    REQUIRE(a != nullptr);
    CHECK(*a == num("1"));
    const json::value* b = parsed->find("b");
    REQUIRE(b != nullptr);
    CHECK(b->find("c") != nullptr);
    CHECK(parsed->find("c") == nullptr);
    CHECK(parsed->find("") == nullptr);
    CHECK(json::value(json::array{"a"}).find("a") == nullptr);
    CHECK(json::value("a").find("a") == nullptr);
}

TEST_CASE("json has_binary looks through nested containers", "[json]") {
    using beastio::test::bin;
    CHECK_FALSE(json::value(nullptr).has_binary());
    CHECK_FALSE(json::parse(R"([1,{"a":[{"b":"c"}]}])")->has_binary());
    CHECK(bin("").has_binary());
    CHECK(json::value(json::array{1, json::object{{"a", json::array{bin("\x01")}}}}).has_binary());
    CHECK(json::value(json::object{{"x", nullptr}, {"y", bin("z")}}).has_binary());
}
