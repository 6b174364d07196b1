// MessagePack rows: the bytes are what notepack.io 3.0 and @msgpack/msgpack 3
// write for the same JavaScript value (they agree on every row here), so the
// encoder writes what the Node Redis adapters write and the decoder reads it;
// then every form the encoder does not pick, and malformed input.
#include "protocol/msgpack/msgpack.hpp"

#include <catch2/catch.hpp>

#include <string>
#include <vector>

namespace mp = beastio::msgpack;
using mp::value;

namespace {

std::string hex(std::string_view b) {
    static const char* d = "0123456789abcdef";
    std::string out;
    for (unsigned char c : b) {
        out.push_back(d[c >> 4]);
        out.push_back(d[c & 15]);
    }
    return out;
}

std::string unhex(std::string_view h) {
    std::string out;
    for (std::size_t i = 0; i + 1 < h.size(); i += 2) out.push_back(static_cast<char>(std::stoi(std::string(h.substr(i, 2)), nullptr, 16)));
    return out;
}

}  // namespace

TEST_CASE("msgpack: what notepack.io writes, both ways", "[msgpack]") {
    struct row {
        const char* js;
        value v;
        std::string bytes;  // hex
    };
    const std::string x31(31, 'x'), x32(32, 'x'), x256(256, 'x');
    const std::vector<row> rows{
        {"null", value(mp::nil{}), "c0"},
        {"true", value(true), "c3"},
        {"false", value(false), "c2"},
        {"0", value(0), "00"},
        {"127", value(127), "7f"},
        {"128", value(128), "cc80"},
        {"255", value(255), "ccff"},
        {"256", value(256), "cd0100"},
        {"65535", value(65535), "cdffff"},
        {"65536", value(65536), "ce00010000"},
        {"2**32", value(std::int64_t{1} << 32), "cf0000000100000000"},
        {"-1", value(-1), "ff"},
        {"-32", value(-32), "e0"},
        {"-33", value(-33), "d0df"},
        {"-128", value(-128), "d080"},
        {"-129", value(-129), "d1ff7f"},
        {"-32768", value(-32768), "d18000"},
        {"-32769", value(-32769), "d2ffff7fff"},
        {"-(2**31)-1", value(std::int64_t{-2147483649LL}), "d3ffffffff7fffffff"},
        {"1.5", value(1.5), "cb3ff8000000000000"},
        {"-0.25", value(-0.25), "cbbfd0000000000000"},
        {"''", value(""), "a0"},
        {"'a'", value("a"), "a161"},
        {"'héllo'", value("h\xc3\xa9llo"), "a668c3a96c6c6f"},
        {"'x'.repeat(31)", value(x31), "bf" + hex(x31)},
        {"'x'.repeat(32)", value(x32), "d920" + hex(x32)},
        {"'x'.repeat(256)", value(x256), "da0100" + hex(x256)},
        {"[]", value(mp::array{}), "90"},
        {"[1,[2]]", value(mp::array{value(1), value(mp::array{value(2)})}), "92019102"},
        {"{}", value(mp::map{}), "80"},
        {"{a:1,b:[true,null]}",
         value(mp::map{{value("a"), value(1)}, {value("b"), value(mp::array{value(true), value(mp::nil{})})}}),
         "82a16101a16292c3c0"},
        {"Buffer.from([1,2,3])", value(mp::bin{"\x01\x02\x03"}), "c403010203"},
        {"{type:2,data:['integer',17],nsp:'/'}",
         value(mp::map{{value("type"), value(2)},
                       {value("data"), value(mp::array{value("integer"), value(17)})},
                       {value("nsp"), value("/")}}),
         "83a47479706502a46461746192a7696e746567657211a36e7370a12f"},
    };
    for (const auto& r : rows) {
        INFO(r.js);
        CHECK(hex(mp::encode(r.v)) == r.bytes);
        auto back = mp::decode(unhex(r.bytes));
        REQUIRE(back);
        CHECK(*back == r.v);
    }
}

TEST_CASE("msgpack: the forms the encoder does not pick still decode", "[msgpack]") {
    struct row {
        std::string bytes;
        value v;
    };
    const std::vector<row> rows{
        {"cc05", value(5)},                       // a small integer in a wider form
        {"d0ff", value(-1)},
        {"d100ff", value(255)},
        {"ca3fc00000", value(1.5)},               // float32
        {"d90161", value("a")},                   // str8 for a short string
        {"dc0001c0", value(mp::array{value(mp::nil{})})},
        {"de0001a16101", value(mp::map{{value("a"), value(1)}})},
        {"d4ff01", value(mp::ext{-1, "\x01"})},   // fixext1 (notepack writes Dates as ext -1)
        {"c70201aabb", value(mp::ext{1, "\xaa\xbb"})},
        {"cfffffffffffffffff", value(std::uint64_t{0xffffffffffffffffULL})},
        {"d38000000000000000", value(std::int64_t{INT64_MIN})},
    };
    for (const auto& r : rows) {
        INFO(r.bytes);
        auto v = mp::decode(unhex(r.bytes));
        REQUIRE(v);
        CHECK(*v == r.v);
    }
    // ext and bin round-trip through the encoder too.
    for (const value& v : {value(mp::ext{-1, std::string(8, '\0')}), value(mp::ext{5, "abc"}),
                           value(mp::bin{std::string(300, 'b')})}) {
        auto back = mp::decode(mp::encode(v));
        REQUIRE(back);
        CHECK(*back == v);
    }
}

TEST_CASE("msgpack: malformed input is refused with a reason", "[msgpack]") {
    struct row {
        std::string bytes;
        mp::errc code;
    };
    const std::vector<row> rows{
        {"", mp::errc::truncated},
        {"cd01", mp::errc::truncated},
        {"a361", mp::errc::truncated},
        {"c40561", mp::errc::truncated},
        {"9201", mp::errc::too_many},          // 2 items announced, 1 byte left
        {"dd7fffffff", mp::errc::too_many},    // 2^31 items in no bytes: refused before any allocation
        {"df7fffffff", mp::errc::too_many},
        {"c1", mp::errc::reserved},
        {"0000", mp::errc::trailing},
        {[] {
             std::string s;
             for (int i = 0; i < 100; ++i) s += "91";  // an array in an array, 100 deep
             return s + "00";
         }(),
         mp::errc::too_deep},
    };
    for (const auto& r : rows) {
        INFO(r.bytes.substr(0, 20));
        auto v = mp::decode(unhex(r.bytes));
        REQUIRE_FALSE(v);
        CHECK(v.error().code == r.code);
        CHECK_FALSE(v.error().message.empty());
    }
}

TEST_CASE("msgpack: find() looks up string keys of a map", "[msgpack]") {
    auto v = mp::decode(unhex("83a47479706502a46461746192a7696e746567657211a36e7370a12f"));
    REQUIRE(v);
    REQUIRE(v->find("nsp"));
    CHECK(v->find("nsp")->as_string() == "/");
    CHECK(v->find("missing") == nullptr);
    CHECK(value(1).find("nsp") == nullptr);
    // Duplicate keys: the last wins, as notepack and @msgpack/msgpack decode them into a JS object.
    const value dup = beastio::msgpack::map{{"uid", "first"}, {"x", 1}, {"uid", "last"}};
    REQUIRE(dup.find("uid"));
    CHECK(dup.find("uid")->as_string() == "last");
}
