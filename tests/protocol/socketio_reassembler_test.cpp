// sio::reassembler: text packets, binary headers followed by their frames,
// placeholder substitution, and the errors that close a connection.
#include "sio_test_support.hpp"

#include <string>
#include <variant>
#include <vector>

using namespace beastio;
using beastio::test::bin;
using beastio::test::placeholder;
using beastio::test::printable;
using sio::packet;
using sio::packet_type;

namespace {

// One incoming WebSocket message: text (a Socket.IO packet) or binary.
struct msg {
    bool is_binary;
    std::string bytes;
};
msg text(std::string s) { return {false, std::move(s)}; }
msg binary(std::string s) { return {true, std::move(s)}; }

struct scenario {
    std::string name;
    std::vector<msg> input;
    // Outcome of the last message; every earlier message must yield "no packet yet"
    // or a packet listed in `earlier`.
    std::variant<packet, sio::errc> last;
    std::vector<packet> earlier = {};
};

const std::vector<scenario>& scenarios() {
    using sio::errc;
    static const std::vector<scenario> rows = {
        {"plain event is returned at once",
         {text(R"(2["message",1,"2",{"3":[true]}])")},
         packet{.type = packet_type::event, .data = json::array{"message", 1, "2", json::object{{"3", json::array{true}}}}}},
        {"connect is returned at once", {text("0/custom,")}, packet{.type = packet_type::connect, .nsp = "/custom"}},
        {"binary event with two attachments",
         {text(R"(52-["message",{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}])"),
          binary("\x01\x02\x03"), binary("\x04\x05\x06")},
         packet{.type = packet_type::binary_event,
                .data = json::array{"message", bin("\x01\x02\x03"), bin("\x04\x05\x06")},
                .attachments = 2}},
        {"binary event with ack id",
         {text(R"(52-789["message-with-ack",{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}])"),
          binary("a"), binary("b")},
         packet{.type = packet_type::binary_event, .id = 789,
                .data = json::array{"message-with-ack", bin("a"), bin("b")}, .attachments = 2}},
        {"binary ack",
         {text(R"(62-789[{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}])"), binary("x"), binary("")},
         packet{.type = packet_type::binary_ack, .id = 789, .data = json::array{bin("x"), bin("")}, .attachments = 2}},
        {"binary event in a namespace",
         {text(R"(51-/admin,["baz",{"_placeholder":true,"num":0}])"), binary(std::string("\0\xff", 2))},
         packet{.type = packet_type::binary_event, .nsp = "/admin",
                .data = json::array{"baz", bin(std::string("\0\xff", 2))}, .attachments = 1}},
        {"binary ack short form",
         {text(R"(61-15["bar",{"_placeholder":true,"num":0}])"), binary("q")},
         packet{.type = packet_type::binary_ack, .id = 15, .data = json::array{"bar", bin("q")}, .attachments = 1}},
        {"placeholders out of order and nested",
         {text(R"(52-["e",{"k":[{"_placeholder":true,"num":1}]},{"_placeholder":true,"num":0}])"), binary("zero"),
          binary("one")},
         packet{.type = packet_type::binary_event,
                .data = json::array{"e", json::object{{"k", json::array{bin("one")}}}, bin("zero")}, .attachments = 2}},
        {"same attachment referenced twice (as many placeholders as attachments)",
         {text(R"(52-["e",{"_placeholder":true,"num":0},[{"_placeholder":true,"num":0}]])"), binary("dup"),
          binary("unused")},
         packet{.type = packet_type::binary_event, .data = json::array{"e", bin("dup"), json::array{bin("dup")}},
                .attachments = 2}},
        {"unreferenced attachment is accepted",
         {text(R"(52-["e",{"_placeholder":true,"num":1}])"), binary("unused"), binary("used")},
         packet{.type = packet_type::binary_event, .data = json::array{"e", bin("used")}, .attachments = 2}},
        {"placeholder with extra keys is still a placeholder",
         {text(R"(51-["e",{"num":0,"_placeholder":true,"extra":1}])"), binary("b")},
         packet{.type = packet_type::binary_event, .data = json::array{"e", bin("b")}, .attachments = 1}},
        {"objects that are not placeholders are kept",
         {text(R"(51-["e",{"_placeholder":false,"num":0},{"_placeholder":"true","num":0},{"num":0},)"
               R"({"_placeholder":true,"num":0}])"),
          binary("b")},
         packet{.type = packet_type::binary_event,
                .data = json::array{"e", json::object{{"_placeholder", false}, {"num", 0}},
                                    json::object{{"_placeholder", "true"}, {"num", 0}}, json::object{{"num", 0}},
                                    bin("b")},
                .attachments = 1}},
        {"zero attachments returned at once",
         {text(R"(50-["x",{"a":1}])")},
         packet{.type = packet_type::binary_event, .data = json::array{"x", json::object{{"a", 1}}}, .attachments = 0}},
        {"packets keep flowing after a binary packet",
         {text(R"(51-["b",{"_placeholder":true,"num":0}])"), binary("1"), text(R"(2["after"])")},
         packet{.type = packet_type::event, .data = json::array{"after"}},
         {packet{.type = packet_type::binary_event, .data = json::array{"b", bin("1")}, .attachments = 1}}},
        // errors
        {"binary frame with nothing pending", {binary("\x01")}, errc::unexpected_binary},
        {"binary frame after a plain event", {text(R"(2["a"])"), binary("\x01")}, errc::unexpected_binary,
         {packet{.type = packet_type::event, .data = json::array{"a"}}}},
        {"extra binary frame after completion",
         {text(R"(51-["b",{"_placeholder":true,"num":0}])"), binary("1"), binary("2")},
         errc::unexpected_binary,
         {packet{.type = packet_type::binary_event, .data = json::array{"b", bin("1")}, .attachments = 1}}},
        {"text while attachments pending",
         {text(R"(52-["m",{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}])"), binary("1"),
          text(R"(2["a"])")},
         errc::unexpected_text},
        {"placeholder num equal to the count",
         {text(R"(51-["m",{"_placeholder":true,"num":1}])"), binary("1")},
         errc::placeholder_out_of_range},
        {"placeholder num far out of range",
         {text(R"(51-["m",{"_placeholder":true,"num":99999999999999999999999}])"), binary("1")},
         errc::placeholder_out_of_range},
        {"negative placeholder num",
         {text(R"(51-["m",{"_placeholder":true,"num":-1}])"), binary("1")},
         errc::placeholder_out_of_range},
        {"fractional placeholder num",
         {text(R"(51-["m",{"_placeholder":true,"num":0.5}])"), binary("1")},
         errc::placeholder_out_of_range},
        {"string placeholder num",
         {text(R"(51-["m",{"_placeholder":true,"num":"0"}])"), binary("1")},
         errc::placeholder_out_of_range},
        {"placeholder without num",
         {text(R"(51-["m",{"_placeholder":true}])"), binary("1")},
         errc::placeholder_out_of_range},
        {"placeholder with zero attachments announced",
         {text(R"(50-["m",{"_placeholder":true,"num":0}])")},
         errc::placeholder_out_of_range},
        {"more placeholders than attachments",
         {text(R"(51-["e",{"_placeholder":true,"num":0},[{"_placeholder":true,"num":0}]])"), binary("dup")},
         errc::too_many_placeholders},
        {"three placeholders for two attachments",
         {text(R"(52-["e",{"_placeholder":true,"num":0},{"_placeholder":true,"num":1},{"_placeholder":true,"num":1}])"),
          binary("a"), binary("b")},
         errc::too_many_placeholders},
        {"too many attachments", {text(R"(511-["m"])")}, errc::too_many_attachments},
        {"decode errors pass through", {text(R"(2["disconnect"])")}, errc::reserved_event},
        {"disconnect with payload", {text(R"(1{"a":1})")}, errc::invalid_payload},
    };
    return rows;
}

}  // namespace

TEST_CASE("sio reassembler scenarios", "[sio][reassembler]") {
    for (const auto& sc : scenarios()) {
        INFO("scenario: " << sc.name);
        sio::reassembler r;
        std::vector<packet> produced;
        for (std::size_t i = 0; i < sc.input.size(); ++i) {
            const msg& m = sc.input[i];
            INFO("message " << i << (m.is_binary ? " binary " : " text ") << printable(m.bytes));
            auto out = m.is_binary ? r.on_binary(m.bytes) : r.on_text(m.bytes);
            const bool last = i + 1 == sc.input.size();
            if (!last) {
                REQUIRE(out.has_value());
                if (*out) {
                    produced.push_back(std::move(**out));
                }
                continue;
            }
            CHECK(produced == sc.earlier);
            if (const auto* expected = std::get_if<packet>(&sc.last)) {
                if (!out) {
                    FAIL_CHECK("error: " << out.error().message);
                    continue;
                }
                REQUIRE(out->has_value());
                CHECK(**out == *expected);
            } else {
                if (out) {
                    FAIL_CHECK("expected an error, got " << (*out ? test::describe(**out) : "no packet"));
                    continue;
                }
                CHECK(out.error().code == std::get<sio::errc>(sc.last));
                CHECK_FALSE(out.error().message.empty());
            }
            CHECK_FALSE(r.pending());
        }
    }
}

TEST_CASE("sio reassembler reports pending while attachments are missing", "[sio][reassembler]") {
    sio::reassembler r;
    CHECK_FALSE(r.pending());
    auto header = r.on_text(R"(52-["m",{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}])");
    REQUIRE(header.has_value());
    CHECK_FALSE(header->has_value());
    CHECK(r.pending());
    auto first = r.on_binary("a");
    REQUIRE(first.has_value());
    CHECK_FALSE(first->has_value());
    CHECK(r.pending());
    auto second = r.on_binary("b");
    REQUIRE(second.has_value());
    REQUIRE(second->has_value());
    CHECK((*second)->attachments == 2);
    CHECK_FALSE(r.pending());
}

TEST_CASE("sio reassembler resets itself after an error", "[sio][reassembler]") {
    sio::reassembler r;
    REQUIRE(r.on_text(R"(51-["m",{"_placeholder":true,"num":3}])").has_value());
    auto bad = r.on_binary("x");
    REQUIRE_FALSE(bad.has_value());
    CHECK(bad.error().code == sio::errc::placeholder_out_of_range);
    CHECK_FALSE(r.pending());
    // The next header starts from scratch.
    REQUIRE(r.on_text(R"(51-["m",{"_placeholder":true,"num":0}])").has_value());
    auto good = r.on_binary("y");
    REQUIRE(good.has_value());
    REQUIRE(good->has_value());
    CHECK((*good)->data == json::value(json::array{"m", bin("y")}));

    SECTION("after unexpected text the interrupted header is dropped") {
        REQUIRE(r.on_text(R"(51-["m",{"_placeholder":true,"num":0}])").has_value());
        auto text_err = r.on_text(R"(2["a"])");
        REQUIRE_FALSE(text_err.has_value());
        CHECK(text_err.error().code == sio::errc::unexpected_text);
        CHECK_FALSE(r.pending());
        CHECK(r.on_binary("late").error().code == sio::errc::unexpected_binary);
    }
    SECTION("explicit reset drops a pending header") {
        REQUIRE(r.on_text(R"(51-["m",{"_placeholder":true,"num":0}])").has_value());
        r.reset();
        CHECK_FALSE(r.pending());
        CHECK(r.on_binary("late").error().code == sio::errc::unexpected_binary);
    }
}

TEST_CASE("sio reassembler honours its decode options", "[sio][reassembler]") {
    sio::decode_options opts;
    opts.max_attachments = 1;
    sio::reassembler r(opts);
    CHECK(r.on_text(R"(52-["m"])").error().code == sio::errc::too_many_attachments);
    CHECK(r.on_text(R"(51-["m",{"_placeholder":true,"num":0}])").has_value());
}

TEST_CASE("sio reassembler takes ten attachments of 100 KB", "[sio][reassembler][huge]") {
    json::array args{"files"};
    std::vector<std::string> blobs;
    for (int i = 0; i < 10; ++i) {
        blobs.emplace_back(100 * 1024, static_cast<char>(i));
        args.push_back(bin(blobs.back()));
    }
    const packet sent{.type = packet_type::event, .nsp = "/up", .id = 12, .data = args};
    const auto wire = sio::encode(sent);
    REQUIRE(wire.attachments.size() == 10);

    sio::reassembler r;
    auto header = r.on_text(wire.text);
    REQUIRE(header.has_value());
    CHECK_FALSE(header->has_value());
    for (std::size_t i = 0; i + 1 < wire.attachments.size(); ++i) {
        auto step = r.on_binary(*wire.attachments[i]);
        REQUIRE(step.has_value());
        CHECK_FALSE(step->has_value());
    }
    auto done = r.on_binary(*wire.attachments.back());
    REQUIRE(done.has_value());
    REQUIRE(done->has_value());
    packet expected = sent;
    expected.type = packet_type::binary_event;
    expected.attachments = 10;
    CHECK(**done == expected);
}

TEST_CASE("sio reassembler gives back what encode produced", "[sio][reassembler][roundtrip]") {
    const std::vector<packet> packets = {
        {.type = packet_type::event, .data = json::array{"a", bin("1"), json::object{{"k", bin("2")}}}},
        {.type = packet_type::ack, .nsp = "/x", .id = 5, .data = json::array{bin(std::string("\0\x01", 2)), "s"}},
        {.type = packet_type::event, .nsp = "/x", .id = 6, .data = json::array{"no-binary", true}},
        {.type = packet_type::binary_event, .data = json::array{"zero"}},
    };
    for (const auto& p : packets) {
        INFO(test::describe(p));
        const auto wire = sio::encode(p);
        sio::reassembler r;
        auto out = r.on_text(wire.text);
        REQUIRE(out.has_value());
        for (const auto& a : wire.attachments) {
            REQUIRE_FALSE(out->has_value());
            out = r.on_binary(*a);
            REQUIRE(out.has_value());
        }
        REQUIRE(out->has_value());
        packet expected = p;
        if (!wire.attachments.empty()) {
            expected.type = p.type == packet_type::event ? packet_type::binary_event : packet_type::binary_ack;
        }
        expected.attachments = wire.attachments.size();
        CHECK(**out == expected);
    }
}

namespace {

// The header of the amplification attack: `count` placeholders that all name
// attachment 0 of a packet that announces `attachments` attachments.
std::string amplification_header(std::size_t count, std::size_t attachments) {
    std::string h = "5" + std::to_string(attachments) + "-[\"e\"";
    for (std::size_t i = 0; i < count; ++i) h += R"(,{"_placeholder":true,"num":0})";
    h += "]";
    return h;
}

}  // namespace

TEST_CASE("sio reassembler refuses the amplification packet: 20000 placeholders naming one 900 KB attachment",
          "[sio][reassembler][hostile]") {
    // Before the fix every placeholder received a copy of the attachment
    // (18 GB for a 1.5 MB message) and the process died of bad_alloc.
    sio::reassembler r;
    const std::string header = amplification_header(20000, 1);
    REQUIRE(header.size() > 500000);
    auto h = r.on_text(header);
    REQUIRE(h.has_value());
    CHECK_FALSE(h->has_value());
    auto out = r.on_binary(std::string(900 * 1024, 'A'));
    REQUIRE_FALSE(out.has_value());
    CHECK(out.error().code == sio::errc::too_many_placeholders);
    CHECK(out.error().message.find("1 attachments") != std::string::npos);
    CHECK_FALSE(r.pending());
    CHECK(r.pending_bytes() == 0);
}

TEST_CASE("sio reassembler shares one buffer among the placeholders that name it", "[sio][reassembler][hostile]") {
    sio::reassembler r;
    REQUIRE(r.on_text(R"(53-["e",{"_placeholder":true,"num":0},{"k":{"_placeholder":true,"num":0}},)"
                      R"({"_placeholder":true,"num":2}])")
                .has_value());
    const std::string big(64 * 1024, 'z');
    REQUIRE(r.on_binary(big).has_value());
    REQUIRE(r.on_binary("unused").has_value());
    auto out = r.on_binary("two");
    REQUIRE(out.has_value());
    REQUIRE(out->has_value());
    const json::array& args = (*out)->data->as_array();
    REQUIRE(args.size() == 4);
    const json::binary& first = args[1].as_binary();
    const json::binary& second = args[2].as_object().front().second.as_binary();
    CHECK(first.bytes() == big);
    CHECK(first.data.get() == second.data.get());  // one buffer, two references
    CHECK(first.data.use_count() == 2);            // nothing else keeps it
    CHECK(args[3].as_binary().bytes() == "two");

    SECTION("re-encoding shares the received buffers too (an echo copies no bytes)") {
        const auto wire = sio::encode(**out);
        REQUIRE(wire.attachments.size() == 3);
        CHECK(wire.attachments[0].get() == first.data.get());
        CHECK(wire.attachments[1].get() == first.data.get());
    }
}

TEST_CASE("sio reassembler holds at most max_packet_bytes of attachments per packet", "[sio][reassembler][hostile]") {
    const std::string header = R"(52-["m",{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}])";
    sio::decode_options opts;
    // Two attachments of 100 and 50 bytes: exactly at the limit is accepted.
    opts.max_packet_bytes = 150;

    SECTION("at the limit") {
        sio::reassembler r(opts);
        REQUIRE(r.on_text(header).has_value());
        CHECK(r.pending_bytes() == 0);
        REQUIRE(r.on_binary(std::string(100, 'a')).has_value());
        CHECK(r.pending_bytes() == 100);
        auto out = r.on_binary(std::string(50, 'b'));
        REQUIRE(out.has_value());
        CHECK(out->has_value());
    }
    SECTION("one byte over the limit") {
        sio::reassembler r(opts);
        REQUIRE(r.on_text(header).has_value());
        REQUIRE(r.on_binary(std::string(100, 'a')).has_value());
        auto out = r.on_binary(std::string(51, 'b'));
        REQUIRE_FALSE(out.has_value());
        CHECK(out.error().code == sio::errc::packet_too_large);
        CHECK_FALSE(r.pending());
        CHECK(r.pending_bytes() == 0);
    }
    SECTION("the first attachment alone over the limit") {
        sio::reassembler r(opts);
        REQUIRE(r.on_text(header).has_value());
        auto out = r.on_binary(std::string(1000, 'a'));
        REQUIRE_FALSE(out.has_value());
        CHECK(out.error().code == sio::errc::packet_too_large);
    }
    SECTION("0 means no limit") {
        sio::reassembler r;
        REQUIRE(r.on_text(header).has_value());
        REQUIRE(r.on_binary(std::string(1 << 20, 'a')).has_value());
        auto out = r.on_binary(std::string(1 << 20, 'b'));
        REQUIRE(out.has_value());
        CHECK(out->has_value());
    }
}
