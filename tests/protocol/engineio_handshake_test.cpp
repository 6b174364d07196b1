// Engine.IO handshake: the query parser (Node querystring / URLSearchParams
// semantics), the error table with its exact JSON bodies, and every refusal row
// of docs/protocol-reference.md §2 in the reference server's check order.
#include "protocol/engineio/handshake.hpp"

#include <catch2/catch.hpp>

#include <optional>
#include <string>
#include <vector>

using namespace std::string_literals;
namespace eio = beastio::eio;
using eio::handshake_error;
using params = std::vector<eio::query::param>;

TEST_CASE("handshake.parse_query_rows", "[eio][query]") {
    struct row {
        std::string raw;
        params expected;
    };
    const std::vector<row> rows = {
        {"EIO=4&transport=websocket", {{"EIO", "4"}, {"transport", "websocket"}}},
        {"transport=websocket&EIO=4", {{"transport", "websocket"}, {"EIO", "4"}}},  // order kept
        {"EIO=4&transport=websocket&t=NdfG1x&token=abc&b64=1",
         {{"EIO", "4"}, {"transport", "websocket"}, {"t", "NdfG1x"}, {"token", "abc"}, {"b64", "1"}}},
        {"", {}},
        // empty pieces skipped, garbage
        {"a=1&&b=2", {{"a", "1"}, {"b", "2"}}},
        {"&a=1&", {{"a", "1"}}},
        {"&&&", {}},
        {"&", {}},
        {"=", {{"", ""}}},
        {"==", {{"", "="}}},
        {"=x", {{"", "x"}}},
        {"=&=", {{"", ""}, {"", ""}}},
        // keys without '=' get ""; only the first '=' splits
        {"a", {{"a", ""}}},
        {"a=", {{"a", ""}}},
        {"a&b=1&c", {{"a", ""}, {"b", "1"}, {"c", ""}}},
        {"a=b=c", {{"a", "b=c"}}},
        {"sid", {{"sid", ""}}},
        // percent-decoding, values and keys
        {"name=%C3%A9", {{"name", "\xC3\xA9"}}},
        {"x=%c3%a9", {{"x", "\xC3\xA9"}}},
        {"k%61y=v", {{"kay", "v"}}},
        {"%45%49%4F=%34", {{"EIO", "4"}}},
        {"a%2Bb=1%2B1", {{"a+b", "1+1"}}},
        {"%3D=%26", {{"=", "&"}}},
        {"x=%00y", {{"x", "\0y"s}}},
        {"x=%E9", {{"x", "\xE9"}}},  // a byte, even when it is not UTF-8
        {"q=%F0%9F%98%80", {{"q", "\xF0\x9F\x98\x80"}}},
        // '+' is a space, in keys too
        {"q=a+b%20c", {{"q", "a b c"}}},
        {"+=+", {{" ", " "}}},
        {"a+b=c++", {{"a b", "c  "}}},
        // invalid escapes stay as written
        {"a=%zz&b=%4&c=%&d=%%41", {{"a", "%zz"}, {"b", "%4"}, {"c", "%"}, {"d", "%A"}}},
        {"%=%", {{"%", "%"}}},
        {"a=%g1%1g", {{"a", "%g1%1g"}}},
        {"a=100%", {{"a", "100%"}}},
        // repeated keys all kept, in order
        {"a=1&a=2&a=3", {{"a", "1"}, {"a", "2"}, {"a", "3"}}},
        {"transport=polling&transport=websocket", {{"transport", "polling"}, {"transport", "websocket"}}},
        // other characters are not special
        {"a=1;b=2", {{"a", "1;b=2"}}},
        {"a=?b", {{"a", "?b"}}},
        {"a=\xC3\xA9", {{"a", "\xC3\xA9"}}},
    };
    for (const auto& r : rows) {
        INFO("raw: " << r.raw);
        CHECK(eio::parse_query(r.raw).params() == r.expected);
    }
}

TEST_CASE("handshake.query_count_and_single", "[eio][query]") {
    const auto q = eio::parse_query("a=1&b=&a=2&c=x&a=3&d");
    CHECK(q.count("a") == 3);
    CHECK(q.count("b") == 1);
    CHECK(q.count("z") == 0);
    CHECK(q.has("d"));
    CHECK_FALSE(q.has("z"));
    CHECK_FALSE(q.has("A"));  // keys are case-sensitive
    CHECK(q.single("a") == std::nullopt);  // repeated
    CHECK(q.single("b") == std::optional<std::string_view>(""));
    CHECK(q.single("c") == std::optional<std::string_view>("x"));
    CHECK(q.single("d") == std::optional<std::string_view>(""));
    CHECK(q.single("z") == std::nullopt);

    const eio::query empty;
    CHECK(empty.params().empty());
    CHECK(empty.single("a") == std::nullopt);
    CHECK(empty.count("a") == 0);
}

TEST_CASE("handshake.percent_decode_rows", "[eio][query]") {
    struct row {
        std::string in;
        bool plus;
        std::string out;
    };
    const std::vector<row> rows = {
        {"", true, ""},       {"abc", true, "abc"},       {"a+b", true, "a b"},   {"a+b", false, "a+b"},
        {"%2B", false, "+"},  {"%41%42", true, "AB"},     {"%4", true, "%4"},     {"%", true, "%"},
        {"%%", true, "%%"},   {"%%41", true, "%A"},       {"%4%41", true, "%4A"}, {"%zz", true, "%zz"},
        {"%C3%A9", true, "\xC3\xA9"},                     {"%ff", true, "\xFF"},  {"%00", true, "\0"s},
    };
    for (const auto& r : rows) {
        INFO("in: " << r.in << " plus_is_space: " << r.plus);
        CHECK(eio::percent_decode(r.in, r.plus) == r.out);
    }
}

TEST_CASE("handshake.parse_query_long_inputs", "[eio][query]") {
    // a 1 MB value
    const std::string big(1000000, 'v');
    auto q = eio::parse_query("EIO=4&token=" + big + "&transport=websocket");
    REQUIRE(q.params().size() == 3);
    CHECK(q.single("token")->size() == big.size());
    CHECK(q.single("transport") == std::optional<std::string_view>("websocket"));

    // a 1 MB value made of escapes
    std::string escaped;
    for (int i = 0; i < 100000; ++i) escaped += "%41+";
    q = eio::parse_query("x=" + escaped);
    REQUIRE(q.params().size() == 1);
    CHECK(q.params()[0].second.size() == 200000);
    CHECK(q.params()[0].second.substr(0, 4) == "A A ");

    // 100 000 parameters (Node's URLSearchParams keeps them all too)
    std::string many;
    for (int i = 0; i < 100000; ++i) many += "k" + std::to_string(i) + "=" + std::to_string(i) + "&";
    q = eio::parse_query(many);
    REQUIRE(q.params().size() == 100000);
    CHECK(q.params()[99999] == eio::query::param{"k99999", "99999"});

    // 1 MB of separators
    CHECK(eio::parse_query(std::string(1000000, '&')).params().empty());
}

TEST_CASE("handshake.error_table", "[eio][errors]") {
    struct row {
        handshake_error e;
        int code;
        std::string message;
        std::string body;
    };
    const std::vector<row> rows = {
        {handshake_error::unknown_transport, 0, "Transport unknown", R"({"code":0,"message":"Transport unknown"})"},
        {handshake_error::unknown_sid, 1, "Session ID unknown", R"({"code":1,"message":"Session ID unknown"})"},
        {handshake_error::bad_handshake_method, 2, "Bad handshake method",
         R"({"code":2,"message":"Bad handshake method"})"},
        {handshake_error::bad_request, 3, "Bad request", R"({"code":3,"message":"Bad request"})"},
        {handshake_error::forbidden, 4, "Forbidden", R"({"code":4,"message":"Forbidden"})"},
        {handshake_error::unsupported_protocol_version, 5, "Unsupported protocol version",
         R"({"code":5,"message":"Unsupported protocol version"})"},
    };
    for (const auto& r : rows) {
        INFO("code " << r.code);
        CHECK(static_cast<int>(r.e) == r.code);
        CHECK(eio::message(r.e) == r.message);
        CHECK(eio::error_body(r.e) == r.body);
        CHECK(eio::error_body(r.e, "") == r.body);
    }
}

TEST_CASE("handshake.error_body_hint", "[eio][errors]") {
    CHECK(eio::error_body(handshake_error::unknown_transport, eio::websocket_only_hint) ==
          R"({"code":0,"message":"Transport unknown","hint":"This server accepts only the websocket transport )"
          R"((HTTP long-polling is not supported); configure the Socket.IO client with transports: )"
          R"([\"websocket\"]."})");
    struct row {
        std::string hint;
        std::string body;
    };
    const std::vector<row> rows = {
        {"plain", R"({"code":3,"message":"Bad request","hint":"plain"})"},
        {R"(say "hi")", R"({"code":3,"message":"Bad request","hint":"say \"hi\""})"},
        {R"(C:\path\)", R"({"code":3,"message":"Bad request","hint":"C:\\path\\"})"},
        {"a\nb\tc\rd\be\ff", R"({"code":3,"message":"Bad request","hint":"a\nb\tc\rd\be\ff"})"},
        {"\x01\x1f\0"s, R"({"code":3,"message":"Bad request","hint":"\u0001\u001f\u0000"})"},
        {"/<>'", R"({"code":3,"message":"Bad request","hint":"/<>'"})"},
        {"caf\xC3\xA9 \xE2\x82\xAC", "{\"code\":3,\"message\":\"Bad request\",\"hint\":\"caf\xC3\xA9 \xE2\x82\xAC\"}"},
        {"bad \xFF", "{\"code\":3,\"message\":\"Bad request\",\"hint\":\"bad \xEF\xBF\xBD\"}"},
    };
    for (const auto& r : rows) {
        INFO("hint: " << r.hint);
        CHECK(eio::error_body(handshake_error::bad_request, r.hint) == r.body);
    }
}

TEST_CASE("handshake.check_rows", "[eio][check]") {
    struct row {
        std::string method;
        bool upgrade;
        std::string raw_query;
        std::optional<handshake_error> expected;
        std::string body;  // error_body of the expected error, checked literally
    };
    const std::string b0 = R"({"code":0,"message":"Transport unknown"})";
    const std::string b1 = R"({"code":1,"message":"Session ID unknown"})";
    const std::string b2 = R"({"code":2,"message":"Bad handshake method"})";
    const std::string b3 = R"({"code":3,"message":"Bad request"})";
    const std::string b5 = R"({"code":5,"message":"Unsupported protocol version"})";
    constexpr auto ok = std::nullopt;
    const auto e0 = handshake_error::unknown_transport;
    const auto e1 = handshake_error::unknown_sid;
    const auto e2 = handshake_error::bad_handshake_method;
    const auto e3 = handshake_error::bad_request;
    const auto e5 = handshake_error::unsupported_protocol_version;

    const std::vector<row> rows = {
        // accepted
        {"GET", true, "EIO=4&transport=websocket", ok, ""},
        {"GET", true, "transport=websocket&EIO=4", ok, ""},
        {"GET", true, "EIO=4&transport=websocket&t=NdfG1x&token=abc&b64=1", ok, ""},
        {"GET", true, "EIO=%34&transport=%77ebsocket", ok, ""},  // decoded before comparing
        // §2: transport first, code 0, whatever else is wrong
        {"GET", false, "EIO=4&transport=polling", e0, b0},
        {"GET", true, "EIO=4&transport=polling", e0, b0},
        {"POST", false, "EIO=4&transport=polling", e0, b0},
        {"GET", false, "EIO=3&transport=polling", e0, b0},
        {"GET", false, "EIO=4&transport=polling&sid=abc", e0, b0},  // sid with polling still code 0
        {"POST", false, "EIO=4&transport=polling&sid=abc", e0, b0},
        {"GET", false, "EIO=4", e0, b0},  // missing transport
        {"GET", true, "EIO=4", e0, b0},
        {"GET", true, "", e0, b0},
        {"GET", true, "EIO=4&transport=abc", e0, b0},
        {"GET", true, "EIO=4&transport=webtransport", e0, b0},
        {"GET", true, "EIO=4&transport=", e0, b0},
        {"GET", true, "EIO=4&transport", e0, b0},
        {"GET", true, "EIO=4&transport=WebSocket", e0, b0},     // exact, case-sensitive
        {"GET", true, "EIO=4&transport=websocket%20", e0, b0},  // exact, no trimming
        {"GET", true, "EIO=4&transport=websocket+", e0, b0},
        {"GET", true, "EIO=4&Transport=websocket", e0, b0},     // key is case-sensitive
        {"GET", true, "EIO=4&transport=websocket&transport=websocket", e0, b0},  // repeated
        {"GET", true, "EIO=4&transport=polling&transport=websocket", e0, b0},
        {"GET", true, "EIO=4&transport=websocket&transport=polling", e0, b0},
        {"GET", true, "EIO=abc&transport=abc&sid=x", e0, b0},  // transport checked before sid and EIO
        // any sid: code 1, before method, upgrade and EIO
        {"GET", true, "EIO=4&transport=websocket&sid=nope", e1, b1},
        {"GET", true, "EIO=4&transport=websocket&sid=", e1, b1},
        {"GET", true, "EIO=4&transport=websocket&sid", e1, b1},
        {"GET", true, "EIO=4&transport=websocket&sid=a&sid=b", e1, b1},
        {"POST", false, "EIO=3&transport=websocket&sid=nope", e1, b1},
        // method: code 2, before upgrade and EIO
        {"POST", true, "EIO=4&transport=websocket", e2, b2},
        {"POST", false, "EIO=4&transport=websocket", e2, b2},
        {"PUT", true, "EIO=4&transport=websocket", e2, b2},
        {"OPTIONS", false, "EIO=4&transport=websocket", e2, b2},
        {"get", true, "EIO=4&transport=websocket", e2, b2},  // methods are case-sensitive
        {"", true, "EIO=4&transport=websocket", e2, b2},
        {"POST", true, "EIO=3&transport=websocket", e2, b2},
        // websocket without a valid upgrade: code 3, before EIO
        {"GET", false, "EIO=4&transport=websocket", e3, b3},
        {"GET", false, "EIO=3&transport=websocket", e3, b3},
        {"GET", false, "transport=websocket", e3, b3},
        // EIO must be exactly one "4": code 5
        {"GET", true, "transport=websocket", e5, b5},
        {"GET", true, "EIO=3&transport=websocket", e5, b5},
        {"GET", true, "EIO=abc&transport=websocket", e5, b5},
        {"GET", true, "EIO=5&transport=websocket", e5, b5},
        {"GET", true, "EIO=&transport=websocket", e5, b5},
        {"GET", true, "EIO&transport=websocket", e5, b5},
        {"GET", true, "EIO=04&transport=websocket", e5, b5},
        {"GET", true, "EIO=4.0&transport=websocket", e5, b5},
        {"GET", true, "EIO=4+&transport=websocket", e5, b5},
        {"GET", true, "eio=4&transport=websocket", e5, b5},
        {"GET", true, "EIO=4&EIO=4&transport=websocket", e5, b5},  // repeated
        {"GET", true, "EIO=3&EIO=4&transport=websocket", e5, b5},
    };
    for (const auto& r : rows) {
        INFO(r.method << (r.upgrade ? " (upgrade) ?" : " ?") << r.raw_query);
        const auto q = eio::parse_query(r.raw_query);
        const auto got = eio::check_handshake(eio::handshake_request{r.method, r.upgrade, &q});
        CHECK(got == r.expected);
        if (got && r.expected) CHECK(eio::error_body(*got) == r.body);
    }
}

TEST_CASE("handshake.check_without_query", "[eio][check]") {
    CHECK(eio::check_handshake(eio::handshake_request{"GET", true, nullptr}) == handshake_error::unknown_transport);
    CHECK(eio::check_handshake(eio::handshake_request{}) == handshake_error::unknown_transport);
}

TEST_CASE("handshake.read_handshake_b64", "[eio][check]") {
    struct row {
        std::string raw;
        bool base64;
    };
    const std::vector<row> rows = {
        {"EIO=4&transport=websocket", false},
        {"EIO=4&transport=websocket&b64=1", true},
        {"b64=true", true},
        {"b64=0", true},      // a non-empty string is truthy in JS, "0" included
        {"b64=false", true},
        {"b64=%20", true},
        {"b64=", false},      // empty string is falsy
        {"b64", false},
        {"b64=1&b64=1", false},  // repeated: not a single value
        {"B64=1", false},
        {"", false},
    };
    for (const auto& r : rows) {
        INFO("raw: " << r.raw);
        CHECK(eio::read_handshake(eio::parse_query(r.raw)).base64 == r.base64);
    }
}
