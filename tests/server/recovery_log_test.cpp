// The recovery log: offsets, bounds (age, packets, bytes), what a returning
// client missed, and that the frames kept are the very buffers broadcast.
#include "server/socketio/sio_recovery_log.hpp"

#include <catch2/catch.hpp>

#include <chrono>
#include <optional>
#include <string>
#include <vector>

using beastio::server::make_frame;
using beastio::server::out_frame;
using beastio::server::recovery_bounds;
using beastio::server::recovery_log;
using namespace std::chrono_literals;

namespace {

const recovery_log::time_point t0{};

std::vector<out_frame> text(std::string s) { return {out_frame{make_frame(std::move(s)), false}}; }

// The texts of what a client missed since seq, and whether that is all of it.
std::string missed(const recovery_log& log, std::uint64_t seq) {
    const auto m = log.since(seq);
    std::string out = m.complete ? "complete:" : "incomplete:";
    for (const auto* e : m.entries) out += " " + *e->frames.front().data;
    return out;
}

}  // namespace

TEST_CASE("recovery_log: offsets are the log's own, one spelling each", "[recovery]") {
    recovery_log log({}, "Ep0ch");
    CHECK(log.next_offset() == "Ep0ch.0");
    for (int i = 0; i < 12; ++i) log.append(t0, text("p"));
    struct row {
        std::string offset;
        std::optional<std::uint64_t> seq;
    };
    const std::vector<row> rows{
        {"Ep0ch.0", 0},   {"Ep0ch.11", 11},    {"Ep0ch.12", std::nullopt},  // not handed out yet
        {"Ep0ch.011", std::nullopt}, {"Ep0ch.", std::nullopt}, {"Ep0ch", std::nullopt},
        {"Ep0ch.1x", std::nullopt}, {"Ep0ch.-1", std::nullopt}, {"Other.3", std::nullopt},
        {"Ep0chX.3", std::nullopt}, {"", std::nullopt}, {"Ep0ch.99999999999999999999999", std::nullopt},
    };
    for (const auto& r : rows) {
        INFO(r.offset);
        CHECK(log.parse(r.offset) == r.seq);
    }
    CHECK(log.offset_of(7) == "Ep0ch.7");
    CHECK(log.next_offset() == "Ep0ch.12");
}

TEST_CASE("recovery_log: what a client missed, and whether the log still has all of it", "[recovery]") {
    SECTION("within the bounds") {
        recovery_log log({}, "e");
        for (const char* p : {"a", "b", "c", "d", "e"}) log.append(t0, text(p));
        CHECK(missed(log, 0) == "complete: a b c d e");
        CHECK(missed(log, 3) == "complete: d e");
        CHECK(missed(log, 5) == "complete:");  // saw everything
        CHECK(missed(log, 6) == "incomplete:");  // from the future: not ours
    }
    SECTION("--recovery-max-packets: the oldest go first") {
        recovery_log log({.max_packets = 3}, "e");
        for (const char* p : {"a", "b", "c", "d", "e"}) log.append(t0, text(p));
        CHECK(log.size() == 3);
        CHECK(missed(log, 0) == "incomplete: c d e");
        CHECK(missed(log, 1) == "incomplete: c d e");
        CHECK(missed(log, 2) == "complete: c d e");
    }
    SECTION("--recovery-max-bytes: counted over the frames") {
        recovery_log log({.max_bytes = 10}, "e");
        for (const char* p : {"1111", "2222", "3333"}) log.append(t0, text(p));
        CHECK(log.bytes() == 8);
        CHECK(missed(log, 0) == "incomplete: 2222 3333");
        // One packet over the bound on its own is not kept either.
        log.append(t0, text(std::string(11, 'x')));
        CHECK(log.size() == 0);
        CHECK(log.bytes() == 0);
        CHECK(missed(log, 3) == "incomplete:");
        CHECK(missed(log, 4) == "complete:");
    }
    SECTION("--recovery-window-ms: older entries are dropped by age") {
        recovery_log log({.window = 100ms}, "e");
        log.append(t0, text("a"));
        log.append(t0 + 50ms, text("b"));
        log.append(t0 + 120ms, text("c"));  // a is now 120 ms old
        CHECK(missed(log, 0) == "incomplete: b c");
        log.trim(t0 + 150ms);  // exactly the window: kept
        CHECK(missed(log, 1) == "complete: b c");
        log.trim(t0 + 151ms);
        CHECK(missed(log, 1) == "incomplete: c");
        log.trim(t0 + 1000ms);
        CHECK(log.size() == 0);
        CHECK(missed(log, 3) == "complete:");
    }
}

TEST_CASE("recovery_log: entries keep the broadcast's own buffers and its selection", "[recovery]") {
    recovery_log log({}, "e");
    const auto frames = std::vector<out_frame>{{make_frame("451-[\"x\",{\"_placeholder\":true,\"num\":0}]"), false},
                                               {make_frame("\x01\x02"), true}};
    log.append(t0, frames, {"r1", "r2"}, {"muted"});
    const auto m = log.since(0);
    REQUIRE(m.entries.size() == 1);
    const auto& e = *m.entries.front();
    REQUIRE(e.frames.size() == 2);
    CHECK(e.frames[0].data == frames[0].data);  // the same buffer, not a copy
    CHECK(e.frames[1].data == frames[1].data);
    CHECK(e.frames[1].binary);
    CHECK(e.rooms == std::vector<std::string>{"r1", "r2"});
    CHECK(e.except == std::vector<std::string>{"muted"});
    CHECK(e.bytes == frames[0].data->size() + 2);
}
