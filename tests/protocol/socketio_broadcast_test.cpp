// Encode-once emit helpers: exact frame bytes, and agreement with the
// general packet encoder.
#include "protocol/socketio/broadcast.hpp"
#include "protocol/json_string.hpp"

#include "sio_test_support.hpp"

#include <climits>
#include <string>
#include <vector>

using namespace beastio;
using beastio::test::bin;
using beastio::test::printable;
using sio::packet;
using sio::packet_type;

namespace {

struct int_row {
    std::string nsp;
    std::string event;
    std::int64_t n;
    std::string frame;
};

const std::vector<int_row>& int_rows() {
    static const std::vector<int_row> rows = {
        {"/", "integer", 17, R"(42["integer",17])"},
        {"/chat", "integer", 17, R"(42/chat,["integer",17])"},
        {"", "integer", 17, R"(42["integer",17])"},
        {"/", "integer", 0, R"(42["integer",0])"},
        {"/", "integer", -1, R"(42["integer",-1])"},
        {"/", "n", INT64_MAX, R"(42["n",9223372036854775807])"},
        {"/", "n", INT64_MIN, R"(42["n",-9223372036854775808])"},
        {"/", "", 5, R"(42["",5])"},
        {"/", "say \"hi\"\n", 1, R"(42["say \"hi\"\n",1])"},
        {"/", "\x01\x1f\\", 2, R"(42["\u0001\u001f\\",2])"},
        {"/a/b", "\xe4\xb8\xad\xf0\x9f\x98\x80", 3, "42/a/b,[\"\xe4\xb8\xad\xf0\x9f\x98\x80\",3]"},
    };
    return rows;
}

struct event_row {
    std::string name;
    std::string nsp;
    std::string event;
    std::vector<json::value> args;
    std::optional<std::uint64_t> id;
    std::string frame;
    std::vector<std::string> attachments = {};
};

const std::vector<event_row>& event_rows() {
    static const std::vector<event_row> rows = {
        {"no args", "/", "ping", {}, std::nullopt, R"(42["ping"])"},
        {"hello with ack id 0", "/", "hello", {}, 0, R"(420["hello"])"},
        {"message-back echo", "/", "message-back",
         {1, "2", json::object{{"3", json::array{true}}}}, std::nullopt, R"(42["message-back",1,"2",{"3":[true]}])"},
        {"namespace and ack id", "/chat", "x", {json::value(nullptr)}, 5, R"(42/chat,5["x",null])"},
        {"verbatim numbers", "/", "n", {test::num("1.50"), test::num("12345678901234567890")}, std::nullopt,
         R"(42["n",1.50,12345678901234567890])"},
        {"recovery offset as last arg", "/", "bcast-back", {"one", "Q817cCe"}, std::nullopt,
         R"(42["bcast-back","one","Q817cCe"])"},
        {"escaped event name", "/", "a\"b", {}, std::nullopt, R"(42["a\"b"])"},
        {"binary args", "/", "message-back", {bin("\x01\x02\x03"), bin("\x04\x05\x06")}, std::nullopt,
         R"(452-["message-back",{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}])",
         {"\x01\x02\x03", "\x04\x05\x06"}},
        {"binary in a namespace", "/admin", "baz", {bin("z")}, std::nullopt,
         R"(451-/admin,["baz",{"_placeholder":true,"num":0}])", {"z"}},
        {"binary with ack id", "/admin", "baz", {json::object{{"f", bin("z")}}}, 77,
         R"(451-/admin,77["baz",{"f":{"_placeholder":true,"num":0}}])", {"z"}},
    };
    return rows;
}

struct ack_row {
    std::string name;
    std::string nsp;
    std::uint64_t id;
    std::vector<json::value> args;
    std::string frame;
    std::vector<std::string> attachments = {};
};

const std::vector<ack_row>& ack_rows() {
    static const std::vector<ack_row> rows = {
        {"ack with args", "/", 456, {1, "2", json::object{{"3", json::array{false}}}}, R"(43456[1,"2",{"3":[false]}])"},
        {"empty ack", "/", 1, {}, "431[]"},
        {"ack in a namespace", "/admin", 13, {"bar"}, R"(43/admin,13["bar"])"},
        {"ack id 0", "/", 0, {true}, "430[true]"},
        {"largest ack id", "/", sio::max_ack_id, {}, "439007199254740991[]"},
        {"binary ack", "/", 789, {bin("a"), bin("b")},
         R"(462-789[{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}])", {"a", "b"}},
        {"binary ack short form", "/", 15, {"bar", bin("q")}, R"(461-15["bar",{"_placeholder":true,"num":0}])",
         {"q"}},
    };
    return rows;
}

}  // namespace

TEST_CASE("sio encode_int_event_frame exact bytes", "[sio][broadcast]") {
    for (const auto& row : int_rows()) {
        INFO("nsp " << row.nsp << " event " << printable(row.event) << " n " << row.n);
        const std::string frame = sio::encode_int_event_frame(row.nsp, row.event, row.n);
        CHECK(frame == row.frame);
        // Same bytes as the general helper and the packet encoder.
        const json::value arg = static_cast<long long>(row.n);
        CHECK(sio::encode_event_frame(row.nsp, row.event, {&arg, 1}).text == row.frame);
        const packet p{.type = packet_type::event,
                       .nsp = row.nsp.empty() ? "/" : row.nsp,
                       .data = json::array{row.event, arg}};
        CHECK(sio::encode_frame(p).text == row.frame);
    }
}

TEST_CASE("sio encode_int_event_frame with a recovery offset: the offset is the last argument", "[sio][broadcast]") {
    for (const auto& row : int_rows()) {
        for (const std::string offset : {"Ep0ch.17", "", "q\"uote\n"}) {
            INFO("nsp " << row.nsp << " event " << printable(row.event) << " offset " << printable(offset));
            const std::string frame = sio::encode_int_event_frame(row.nsp, row.event, row.n, offset);
            // Exactly the frame without the offset, with ,"<offset>" before the closing bracket.
            std::string quoted;
            json::write_string(offset, quoted);
            CHECK(frame == row.frame.substr(0, row.frame.size() - 1) + "," + quoted + "]");
            const json::value arg = static_cast<long long>(row.n);
            CHECK(sio::encode_event_frame_with_offset(row.nsp, row.event, {&arg, 1}, offset).text == frame);
            if (frame.size() > 30) CHECK(frame.size() == frame.capacity());  // reserved exactly (see below)
        }
    }
}

TEST_CASE("sio encode_event_frame_with_offset: the same packet as the offset appended to the arguments", "[sio][broadcast]") {
    for (const auto& row : event_rows()) {
        if (row.id) continue;  // events with an ack id never carry an offset
        INFO(row.name);
        const auto e = sio::encode_event_frame_with_offset(row.nsp, row.event, row.args, "off.9");
        json::array with(row.args.begin(), row.args.end());
        with.emplace_back("off.9");
        const auto expected = sio::encode_event_frame(row.nsp, row.event, with);
        CHECK(e.text == expected.text);
        CHECK(test::bytes_of(e.attachments) == test::bytes_of(expected.attachments));
        CHECK(test::bytes_of(e.attachments) == row.attachments);
    }
}

TEST_CASE("sio encode_int_event_frame allocates exactly once", "[sio][broadcast]") {
    // The reservation is exact, so the buffer never had to grow: capacity ==
    // size. (Frames are kept longer than 30 bytes so that libstdc++'s small
    // string buffer and its doubling of tiny reservations do not interfere.)
    const std::string frame = sio::encode_int_event_frame("/chat-room-namespace", "integer-event", 17);
    REQUIRE(frame.size() > 30);
    CHECK(frame.size() == frame.capacity());
    const std::string escaped = sio::encode_int_event_frame("/", "escaped\n\x01\"name\tand more", INT64_MIN);
    REQUIRE(escaped.size() > 30);
    CHECK(escaped.size() == escaped.capacity());
}

TEST_CASE("sio encode_event_frame exact bytes and attachments", "[sio][broadcast]") {
    for (const auto& row : event_rows()) {
        INFO(row.name);
        const auto e = sio::encode_event_frame(row.nsp, row.event, row.args, row.id);
        CHECK(e.text == row.frame);
        CHECK(test::bytes_of(e.attachments) == row.attachments);

        json::array data{row.event};
        data.insert(data.end(), row.args.begin(), row.args.end());
        const packet p{.type = packet_type::event, .nsp = row.nsp, .id = row.id, .data = data};
        const auto via_packet = sio::encode_frame(p);
        CHECK(via_packet.text == e.text);
        CHECK(test::bytes_of(via_packet.attachments) == test::bytes_of(e.attachments));
    }
}

TEST_CASE("sio encode_ack_frame exact bytes and attachments", "[sio][broadcast]") {
    for (const auto& row : ack_rows()) {
        INFO(row.name);
        const auto e = sio::encode_ack_frame(row.nsp, row.id, row.args);
        CHECK(e.text == row.frame);
        CHECK(test::bytes_of(e.attachments) == row.attachments);

        const packet p{.type = packet_type::ack,
                       .nsp = row.nsp,
                       .id = row.id,
                       .data = json::array(row.args.begin(), row.args.end())};
        CHECK(sio::encode_frame(p).text == e.text);
    }
}

TEST_CASE("sio emitted frames decode back to the same event", "[sio][broadcast][roundtrip]") {
    for (const auto& row : event_rows()) {
        if (!row.attachments.empty()) {
            continue;
        }
        INFO(row.name);
        const auto e = sio::encode_event_frame(row.nsp, row.event, row.args, row.id);
        REQUIRE(e.text.front() == '4');
        auto back = sio::decode(std::string_view(e.text).substr(1));
        REQUIRE(back.has_value());
        CHECK(back->nsp == row.nsp);
        CHECK(back->id == row.id);
        json::array data{row.event};
        data.insert(data.end(), row.args.begin(), row.args.end());
        CHECK(back->data == json::value(data));
    }
}
