// Engine.IO v4 packet codec: rows of {wire bytes, decoded value} checked in both
// directions, taken from docs/protocol-reference.md §1 (open packet, every
// packet type, probes, the b<base64> form) plus base64 edge cases.
#include "protocol/engineio/packet.hpp"

#include <catch2/catch.hpp>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

using namespace std::string_literals;
using namespace std::string_view_literals;
using beastio::eio::packet;
using beastio::eio::packet_type;
namespace eio = beastio::eio;

namespace {

// A deliberately naive base64 (bit accumulator) to cross-check the fast codec.
std::string slow_base64(std::string_view bytes) {
    static constexpr std::string_view alphabet =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    std::string out;
    std::uint32_t acc = 0;
    int bits = 0;
    for (unsigned char c : bytes) {
        acc = (acc << 8) | c;
        bits += 8;
        while (bits >= 6) {
            bits -= 6;
            out.push_back(alphabet[(acc >> bits) & 0x3F]);
        }
    }
    if (bits > 0) out.push_back(alphabet[(acc << (6 - bits)) & 0x3F]);
    while (out.size() % 4 != 0) out.push_back('=');
    return out;
}

std::string pattern_bytes(std::size_t n, std::uint32_t seed = 12345) {
    std::string s(n, '\0');
    std::uint32_t x = seed;
    for (auto& c : s) {
        x = x * 1103515245u + 12345u;
        c = static_cast<char>(x >> 23);
    }
    return s;
}

const std::string reference_open =
    R"(0{"sid":"m1FYu0iYCt6U3O0tAAAb","upgrades":[],"pingInterval":25000,"pingTimeout":20000,"maxPayload":1000000})";

}  // namespace

TEST_CASE("packet.text_rows_both_directions", "[eio][packet]") {
    struct row {
        std::string wire;
        packet_type type;
        std::string data;
    };
    const std::vector<row> rows = {
        // §1.2 open packet
        {reference_open, packet_type::open, reference_open.substr(1)},
        // §1.3 every packet type
        {"1", packet_type::close, ""},
        {"2", packet_type::ping, ""},
        {"3", packet_type::pong, ""},
        {"4hello", packet_type::message, "hello"},
        {"4", packet_type::message, ""},
        {"5", packet_type::upgrade, ""},
        {"6", packet_type::noop, ""},
        // probes (polling upgrade only, still decodable)
        {"2probe", packet_type::ping, "probe"},
        {"3probe", packet_type::pong, "probe"},
        // Socket.IO packets riding in messages (§3), data is opaque here
        {"40", packet_type::message, "0"},
        {R"(40{"token":"123"})", packet_type::message, R"(0{"token":"123"})"},
        {R"(42["message",1,"2",{"3":[true]}])", packet_type::message, R"(2["message",1,"2",{"3":[true]}])"},
        {R"(44/random,{"message":"Invalid namespace"})", packet_type::message,
         R"(4/random,{"message":"Invalid namespace"})"},
        {R"(452-["message",{"_placeholder":true,"num":0}])", packet_type::message,
         R"(52-["message",{"_placeholder":true,"num":0}])"},
        // data starting with a type digit or 'b' is just data
        {"4b", packet_type::message, "b"},
        {"44", packet_type::message, "4"},
        {"0", packet_type::open, ""},
        // unicode and odd bytes pass through untouched
        {"4h\xC3\xA9llo \xE2\x82\xAC \xF0\x9F\x98\x80", packet_type::message,
         "h\xC3\xA9llo \xE2\x82\xAC \xF0\x9F\x98\x80"},
        {"4a\0b"s, packet_type::message, "a\0b"s},
        {"4\r\n\t", packet_type::message, "\r\n\t"},
    };
    for (const auto& r : rows) {
        INFO("wire: " << r.wire);
        auto decoded = eio::decode_text(r.wire);
        REQUIRE(decoded.has_value());
        CHECK(decoded->type == r.type);
        CHECK(decoded->data == r.data);
        CHECK_FALSE(decoded->binary);
        CHECK(*decoded == packet{r.type, r.data, false});
        CHECK(eio::encode_text(r.type, r.data) == r.wire);
    }
}

TEST_CASE("packet.encode_text_type_chars", "[eio][packet]") {
    CHECK(eio::encode_text(packet_type::open) == "0");
    CHECK(eio::encode_text(packet_type::close) == "1");
    CHECK(eio::encode_text(packet_type::ping) == "2");
    CHECK(eio::encode_text(packet_type::pong) == "3");
    CHECK(eio::encode_text(packet_type::message) == "4");
    CHECK(eio::encode_text(packet_type::upgrade) == "5");
    CHECK(eio::encode_text(packet_type::noop) == "6");
    CHECK(eio::encode_text(packet_type::ping, "probe") == "2probe");
    CHECK(eio::encode_text(packet_type::pong, "probe") == "3probe");
}

TEST_CASE("packet.to_string_names", "[eio][packet]") {
    CHECK(eio::to_string(packet_type::open) == "open");
    CHECK(eio::to_string(packet_type::close) == "close");
    CHECK(eio::to_string(packet_type::ping) == "ping");
    CHECK(eio::to_string(packet_type::pong) == "pong");
    CHECK(eio::to_string(packet_type::message) == "message");
    CHECK(eio::to_string(packet_type::upgrade) == "upgrade");
    CHECK(eio::to_string(packet_type::noop) == "noop");
}

TEST_CASE("packet.decode_text_b64_messages", "[eio][packet]") {
    // {text frame, decoded bytes, canonical encoding of those bytes}
    struct row {
        std::string wire;
        std::string bytes;
        bool canonical;  // encode_base64_message(bytes) gives wire back
    };
    const std::vector<row> rows = {
        {"bAQI=", "\x01\x02", true},  // §1.6 observed echo
        {"bAQI", "\x01\x02", false},  // unpadded accepted
        {"b", "", true},              // empty binary message
        {"bAA==", "\0"s, true},
        {"bAQID", "\x01\x02\x03", true},
        {"bAQIDBAUG", "\x01\x02\x03\x04\x05\x06", true},
        {"b//79", "\xFF\xFE\xFD", true},
        {"b+/8=", "\xFB\xFF", true},
        {"baGVsbG8=", "hello", true},
    };
    for (const auto& r : rows) {
        INFO("wire: " << r.wire);
        auto decoded = eio::decode_text(r.wire);
        REQUIRE(decoded.has_value());
        CHECK(*decoded == packet{packet_type::message, r.bytes, true});
        if (r.canonical) CHECK(eio::encode_base64_message(r.bytes) == r.wire);
    }
    CHECK(eio::encode_base64_message("\x01\x02") == "bAQI=");
}

TEST_CASE("packet.decode_text_refusals", "[eio][packet]") {
    struct row {
        std::string wire;
        eio::errc code;
    };
    const std::vector<row> rows = {
        {"", eio::errc::empty},
        {"abc", eio::errc::unknown_type},  // §1.3 observed parse error
        {"7", eio::errc::unknown_type},
        {"9hello", eio::errc::unknown_type},
        {"/", eio::errc::unknown_type},
        {"B", eio::errc::unknown_type},
        {"{}", eio::errc::unknown_type},
        {" 4", eio::errc::unknown_type},
        {"\0"s + "4", eio::errc::unknown_type},
        {"\xC3\xA9", eio::errc::unknown_type},
        {"b!!!!", eio::errc::invalid_base64},
        {"bA", eio::errc::invalid_base64},
        {"bAQ=I", eio::errc::invalid_base64},
        {"bAQ I=", eio::errc::invalid_base64},
        {"b====", eio::errc::invalid_base64},
        {"bAQI=\n", eio::errc::invalid_base64},
    };
    for (const auto& r : rows) {
        INFO("wire: " << r.wire);
        auto decoded = eio::decode_text(r.wire);
        REQUIRE_FALSE(decoded.has_value());
        CHECK(decoded.error().code == r.code);
        CHECK_FALSE(decoded.error().message.empty());
    }
    CHECK_THAT(eio::decode_text("abc").error().message, Catch::Contains("'a'"));
    CHECK_THAT(eio::decode_text("\x01").error().message, Catch::Contains("0x01"));
}

TEST_CASE("packet.decode_binary_frames", "[eio][packet]") {
    const std::vector<std::string> frames = {
        "\x01\x02"s, ""s, "\0\0\0"s, "4hello"s, "bAQI="s, "\xFF\xFE"s,
    };
    for (const auto& f : frames) {
        INFO("frame size " << f.size());
        const packet p = eio::decode_binary(f);
        CHECK(p == packet{packet_type::message, f, true});
    }
}

TEST_CASE("packet.base64_rows_both_directions", "[eio][base64]") {
    struct row {
        std::string bytes;
        std::string text;
    };
    const std::vector<row> rows = {
        // RFC 4648 §10 test vectors
        {"", ""},
        {"f", "Zg=="},
        {"fo", "Zm8="},
        {"foo", "Zm9v"},
        {"foob", "Zm9vYg=="},
        {"fooba", "Zm9vYmE="},
        {"foobar", "Zm9vYmFy"},
        // §1.6 and the ends of the alphabet
        {"\x01\x02", "AQI="},
        {"\0"s, "AA=="},
        {"\0\0\0"s, "AAAA"},
        {"\xFF\xFF\xFF", "////"},
        {"\xFB\xFF", "+/8="},
        {"\xF8", "+A=="},
        {"\xC3\xA9", "w6k="},  // "é" in UTF-8
    };
    for (const auto& r : rows) {
        INFO("text: " << r.text);
        CHECK(eio::base64_encode(r.bytes) == r.text);
        auto decoded = eio::base64_decode(r.text);
        REQUIRE(decoded.has_value());
        CHECK(*decoded == r.bytes);
    }
}

TEST_CASE("packet.base64_decode_unpadded", "[eio][base64]") {
    const std::vector<std::pair<std::string, std::string>> rows = {
        {"Zg", "f"}, {"Zm8", "fo"}, {"Zm9vYg", "foob"}, {"Zm9vYmE", "fooba"}, {"AQI", "\x01\x02"},
        // unused low bits are not required to be zero (as in Node)
        {"AR==", "\x01"}, {"AR", "\x01"}, {"AQJ=", "\x01\x02"},
    };
    for (const auto& [text, bytes] : rows) {
        INFO("text: " << text);
        auto decoded = eio::base64_decode(text);
        REQUIRE(decoded.has_value());
        CHECK(*decoded == bytes);
    }
}

TEST_CASE("packet.base64_decode_refusals", "[eio][base64]") {
    const std::vector<std::string> rows = {
        "Z",           // single leftover character
        "Zm9vY",       // 4n+1
        "Zm9vY===",    // three '='
        "Zg=",         // padded but length not a multiple of 4
        "Zg===",       // too much padding
        "=",  "==",  "===", "====",
        "Zg==Zg==",    // padding in the middle
        "Z=g=",        // misplaced padding
        "AQ=I",
        "Zm9v\n",      // whitespace is not skipped
        "Zm 9v",
        "Zm9v\r\n",
        "Zm-_",        // URL-safe alphabet refused
        "Zm9v%",
        "Zm9\xC3\xA9",  // non-ASCII
        "Zm9\0"s,
        "\xFF\xFF\xFF\xFF",
    };
    for (const auto& text : rows) {
        INFO("text: " << text);
        auto decoded = eio::base64_decode(text);
        REQUIRE_FALSE(decoded.has_value());
        CHECK(decoded.error().code == eio::errc::invalid_base64);
        CHECK_FALSE(decoded.error().message.empty());
    }
    CHECK_THAT(eio::base64_decode("Zm-_").error().message, Catch::Contains("'-'") && Catch::Contains("offset 2"));
    CHECK_THAT(eio::base64_decode("Zg==Zg==").error().message, Catch::Contains("padding"));
    CHECK_THAT(eio::base64_decode("Z").error().message, Catch::Contains("single"));
}

TEST_CASE("packet.base64_matches_naive_codec", "[eio][base64]") {
    std::string all;
    for (int i = 0; i < 256; ++i) all.push_back(static_cast<char>(i));
    const std::string noise = pattern_bytes(1000);
    for (std::size_t len = 0; len <= 300; ++len) {
        for (const std::string* src : std::initializer_list<const std::string*>{&all, &noise}) {
            const std::string bytes = src->substr(0, len);
            INFO("length " << len);
            const std::string text = eio::base64_encode(bytes);
            REQUIRE(text == slow_base64(bytes));
            auto back = eio::base64_decode(text);
            REQUIRE(back.has_value());
            REQUIRE(*back == bytes);
            // and without the padding
            const std::string unpadded = text.substr(0, text.find('='));
            auto back2 = eio::base64_decode(unpadded);
            REQUIRE(back2.has_value());
            REQUIRE(*back2 == bytes);
        }
    }
}

TEST_CASE("packet.huge_inputs", "[eio][packet]") {
    const std::size_t mb = 1000000;
    const std::string bytes = pattern_bytes(mb);

    // 1 MB binary message in the b<base64> text form and back
    const std::string wire = eio::encode_base64_message(bytes);
    CHECK(wire.size() == 1 + (mb + 2) / 3 * 4);
    CHECK(wire.substr(1) == slow_base64(bytes));
    auto decoded = eio::decode_text(wire);
    REQUIRE(decoded.has_value());
    CHECK(decoded->binary);
    CHECK(decoded->data == bytes);

    // 1 MB text message
    const std::string text(mb, 'x');
    auto msg = eio::decode_text("4" + text);
    REQUIRE(msg.has_value());
    CHECK(msg->type == packet_type::message);
    CHECK(msg->data == text);
    CHECK(eio::encode_text(packet_type::message, text) == "4" + text);

    // 1 MB binary frame
    CHECK(eio::decode_binary(bytes).data == bytes);

    // a bad character at the very end of a huge base64 is found
    std::string bad = eio::base64_encode(bytes.substr(0, mb - 1));  // no padding
    REQUIRE(bad.back() != '=');
    bad.back() = '*';
    auto refused = eio::base64_decode(bad);
    REQUIRE_FALSE(refused.has_value());
    CHECK_THAT(refused.error().message, Catch::Contains("offset " + std::to_string(bad.size() - 1)));
}

TEST_CASE("packet.encode_open_reference", "[eio][open]") {
    eio::open_params p;
    p.sid = "m1FYu0iYCt6U3O0tAAAb";
    CHECK(eio::encode_open(p) == reference_open);  // §1.2, defaults
    auto decoded = eio::decode_text(eio::encode_open(p));
    REQUIRE(decoded.has_value());
    CHECK(decoded->type == packet_type::open);
}

TEST_CASE("packet.encode_open_rows", "[eio][open]") {
    struct row {
        std::string sid;
        std::uint64_t interval, timeout, max_payload;
        std::string wire;
    };
    const std::vector<row> rows = {
        // the protocol suites' configuration
        {"abc", 300, 200, 1000000,
         R"(0{"sid":"abc","upgrades":[],"pingInterval":300,"pingTimeout":200,"maxPayload":1000000})"},
        {"", 0, 0, 0, R"(0{"sid":"","upgrades":[],"pingInterval":0,"pingTimeout":0,"maxPayload":0})"},
        {"a-b_c", 18446744073709551615u, 1, 10,
         R"(0{"sid":"a-b_c","upgrades":[],"pingInterval":18446744073709551615,"pingTimeout":1,"maxPayload":10})"},
        // the sid is escaped as a JSON string, JSON.stringify style
        {"a\"b\\c", 1, 2, 3, R"(0{"sid":"a\"b\\c","upgrades":[],"pingInterval":1,"pingTimeout":2,"maxPayload":3})"},
        {"\n\r\t\b\f\x01\x1f", 1, 2, 3,
         R"(0{"sid":"\n\r\t\b\f\u0001\u001f","upgrades":[],"pingInterval":1,"pingTimeout":2,"maxPayload":3})"},
        {"\0"s, 1, 2, 3, R"(0{"sid":"\u0000","upgrades":[],"pingInterval":1,"pingTimeout":2,"maxPayload":3})"},
        {"/\x7F", 1, 2, 3, "0{\"sid\":\"/\x7F\",\"upgrades\":[],\"pingInterval\":1,\"pingTimeout\":2,\"maxPayload\":3}"},
        {"\xC3\xA9\xF0\x9F\x98\x80", 1, 2, 3,
         "0{\"sid\":\"\xC3\xA9\xF0\x9F\x98\x80\",\"upgrades\":[],\"pingInterval\":1,\"pingTimeout\":2,\"maxPayload\":3}"},
        // ill-formed UTF-8 never reaches the wire: U+FFFD instead
        {"a\xFF" "b", 1, 2, 3,
         "0{\"sid\":\"a\xEF\xBF\xBD" "b\",\"upgrades\":[],\"pingInterval\":1,\"pingTimeout\":2,\"maxPayload\":3}"},
        {"\xE2\x82", 1, 2, 3,
         "0{\"sid\":\"\xEF\xBF\xBD\",\"upgrades\":[],\"pingInterval\":1,\"pingTimeout\":2,\"maxPayload\":3}"},
        {"\xED\xA0\x80", 1, 2, 3,  // an encoded UTF-16 surrogate
         "0{\"sid\":\"\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD\",\"upgrades\":[],\"pingInterval\":1,\"pingTimeout\":2,"
         "\"maxPayload\":3}"},
        {"\xC0\xAF", 1, 2, 3,  // overlong '/'
         "0{\"sid\":\"\xEF\xBF\xBD\xEF\xBF\xBD\",\"upgrades\":[],\"pingInterval\":1,\"pingTimeout\":2,"
         "\"maxPayload\":3}"},
    };
    for (const auto& r : rows) {
        INFO("expected: " << r.wire);
        eio::open_params p;
        p.sid = r.sid;
        p.ping_interval_ms = r.interval;
        p.ping_timeout_ms = r.timeout;
        p.max_payload = r.max_payload;
        CHECK(eio::encode_open(p) == r.wire);
    }
}
