// Connection state recovery through the fake connection: what carries an
// offset, which disconnects keep a session, the restore state machine (same
// sid, pid, rooms and data; the missed packets before the CONNECT reply; the
// reasons a restore fails, each a fresh session), the takeover of a session
// whose old connection is still up, the bounds; and the resumable plain hub.
#include "sio_fixture.hpp"

#include "protocol/socketio/broadcast.hpp"
#include "server/socketio/sio_frames.hpp"
#include "server/websocket/plain_endpoint.hpp"

#include <catch2/catch.hpp>

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

using beastio::server::broadcast_packet;
using beastio::server::close_cause;
using beastio::server::keeps_session;
using beastio::server::make_frame;
using beastio::server::middleware_next;
using beastio::server::out_frame;
using beastio::server::plain_request;
using beastio::server::recovery_options;
using beastio::server::resumable_hub;
using beastio::server::sio_limits;
using beastio::server::sio_memory_adapter;
using beastio::server::sio_server;
using beastio::server::socket_ptr;
using beastio::test::fake_connection;
using beastio::test::js;
using beastio::test::sio_conn;
namespace json = beastio::json;
using namespace std::chrono_literals;

namespace {

using time_point = std::chrono::steady_clock::time_point;

// A server with recovery on and a clock the test moves.
struct recovering {
    time_point now{};
    sio_server io;
    explicit recovering(std::function<void(recovery_options&)> tweak = {}) {
        sio_limits l;
        l.recovery.log = {60s, 1000, 1u << 20};
        l.recovery.clock = [this] { return now; };
        if (tweak) tweak(l.recovery);
        io.set_limits(l);
        io.of("/");
    }
    sio_memory_adapter& adapter() { return dynamic_cast<sio_memory_adapter&>(io.of("/").adapter()); }
};

struct reply {
    std::string sid, pid;
};

// The CONNECT reply at frame i: {"sid":...,"pid":...} (pid empty when absent).
reply reply_at(const sio_conn& c, std::size_t i, std::string_view nsp = "/") {
    const std::string f = c.frame(i);
    const std::string prefix = nsp == "/" ? "40" : "40" + std::string(nsp) + ",";
    INFO(f);
    REQUIRE(f.rfind(prefix + "{", 0) == 0);
    auto v = json::parse(std::string_view(f).substr(prefix.size()));
    REQUIRE(v);
    reply r;
    r.sid = v->find("sid")->as_string();
    if (const auto* p = v->find("pid")) r.pid = p->as_string();
    return r;
}

// Joins with auth (a JSON object text) and returns the reply.
reply join(sio_conn& c, const std::string& auth = "", std::string_view nsp = "/") {
    const std::size_t before = c.frames();
    std::string pkt = nsp == "/" ? "0" : "0" + std::string(nsp) + ",";
    REQUIRE_FALSE(c.text(pkt + auth).has_value());
    // The reply follows whatever was replayed.
    for (std::size_t i = before; i < c.frames(); ++i)
        if (c.frame(i).rfind("40", 0) == 0) return reply_at(c, i, nsp);
    FAIL("no CONNECT reply among " << c.frames() - before << " new frames: " << (c.frames() ? c.last() : ""));
    return {};
}

std::string resume_auth(const reply& r, std::optional<std::string> offset) {
    std::string a = "{\"pid\":\"" + r.pid + "\"";
    if (offset) a += ",\"offset\":\"" + *offset + "\"";
    return a + "}";
}

// The last argument of an event frame 42[...,"<offset>"].
std::string offset_of(const std::string& frame) {
    const auto end = frame.rfind('"');
    const auto start = frame.rfind('"', end - 1);
    return frame.substr(start + 1, end - start - 1);
}

// A client joins "/", receives e(1), is cut (its session kept), and misses e(2):
// its reply and the offset it would send back.
std::pair<reply, std::string> cut_after_one_event(recovering& r) {
    sio_conn a(r.io);
    const auto rep = join(a);
    r.io.of("/").emit("e", {json::value(1)});
    const std::string offset = offset_of(a.last());
    a.sio.close_all("transport close", true);
    r.io.of("/").emit("e", {json::value(2)});
    return {rep, offset};
}

// The frames from index i on, joined by spaces.
std::string frames_from(const sio_conn& c, std::size_t i) {
    std::string out;
    for (; i < c.frames(); ++i) out += (out.empty() ? "" : " ") + c.frame(i);
    return out;
}

}  // namespace

TEST_CASE("recovery: the CONNECT reply carries a pid and events their offsets (not acks, volatile or raw frames)",
          "[recovery]") {
    recovering r;
    auto& root = r.io.of("/");
    sio_conn c(r.io);
    const auto rep = join(c);
    CHECK(rep.pid.size() == 20);
    CHECK(rep.pid != rep.sid);
    auto s = root.find(rep.sid);
    REQUIRE(s);
    CHECK(s->pid() == rep.pid);
    CHECK_FALSE(s->recovered());

    std::size_t at = c.frames();
    root.emit("news", {json::value(1)});
    const std::string first = c.frame(at);
    CHECK(first.rfind("42[\"news\",1,\"", 0) == 0);
    const std::string off0 = offset_of(first);
    s->emit("private", {json::value("x")});
    CHECK(offset_of(c.frame(at + 1)) != off0);  // logged too, with the next offset
    CHECK(c.frame(at + 1).rfind("42[\"private\",\"x\",\"", 0) == 0);
    root.volatile_().emit("v", {json::value(2)});
    CHECK(c.frame(at + 2) == "42[\"v\",2]");
    s->emit_with_ack("ask", {}, [](json::array&) {});
    CHECK(c.frame(at + 3) == "420[\"ask\"]");
    root.broadcast_frame(make_frame("42[\"raw\"]"));
    CHECK(c.frame(at + 4) == "42[\"raw\"]");
    // The integer service's packet: encoded once with its offset, shared.
    const auto packet = broadcast_packet::event([](std::optional<std::string_view> o) {
        return std::vector<out_frame>{{make_frame(o ? beastio::sio::encode_int_event_frame("/", "integer", 7, *o)
                                                    : beastio::sio::encode_int_event_frame("/", "integer", 7)),
                                       false}};
    });
    const auto res = root.publish(packet);
    CHECK(res.recipients == 1);
    CHECK(res.stored);
    CHECK(c.frame(at + 5).rfind("42[\"integer\",7,\"", 0) == 0);
}

TEST_CASE("recovery: off by default, every byte as before", "[recovery]") {
    sio_server io;
    io.of("/");
    sio_conn c(io);
    const auto rep = join(c);
    CHECK(rep.pid.empty());
    CHECK(c.frame(0) == "40{\"sid\":\"" + rep.sid + "\"}");
    io.of("/").emit("news", {json::value(1)});
    CHECK(c.last() == "42[\"news\",1]");
    CHECK_FALSE(io.of("/").publish(broadcast_packet::event([](std::optional<std::string_view>) {
                      return std::vector<out_frame>{{make_frame("x"), false}};
                  })).stored);
    // A pid sent anyway restores nothing.
    sio_conn d(io);
    const auto other = join(d, "{\"pid\":\"" + std::string(20, 'a') + "\",\"offset\":\"x.1\"}");
    CHECK(other.pid.empty());
    CHECK(io.restores().restored == 0);
    CHECK(io.restores().failed == 0);  // not even tried
}

TEST_CASE("recovery: a restore gives back the id, pid, rooms and data, and what was missed, before the reply",
          "[recovery]") {
    recovering r;
    auto& root = r.io.of("/");
    int middleware_runs = 0;
    root.use([&](const socket_ptr&, const middleware_next& next) {
        ++middleware_runs;
        next();
    });
    std::vector<bool> connections;  // recovered() of each socket the handler saw
    root.on_connection([&](const socket_ptr& s) { connections.push_back(s->recovered()); });

    auto a = std::make_unique<sio_conn>(r.io);
    const auto rep = join(*a);
    auto s = root.find(rep.sid);
    s->join("red");
    s->join("blue");
    s->set_data(json::value(json::object{{"name", json::value("ann")}}));
    sio_conn other(r.io);
    const auto other_rep = join(other);
    other.conn->transcript.clear();
    root.emit("e", {json::value(1)});
    const std::string last_offset = offset_of(a->last());

    // Cut: the transport went (a session is kept).
    a->sio.close_all("transport close", true);
    CHECK(r.adapter().sessions_kept() == 1);
    CHECK(root.find(rep.sid) == nullptr);
    root.emit("e", {json::value(2)});                        // to everyone
    root.to("red").emit("r", {json::value(3)});              // one of its rooms
    root.to("green").emit("g", {json::value(4)});            // not its room
    root.except("blue").emit("nb", {json::value(5)});        // it is left out
    root.to(rep.sid).emit("mine", {json::value(6)});         // its own room
    root.find(other_rep.sid)->emit("theirs", {json::value(7)});  // someone else's private emit
    root.volatile_().emit("vol", {json::value(8)});          // never logged
    r.now += 59s;

    sio_conn b(r.io);
    const std::size_t at = b.frames();
    const auto back = join(b, resume_auth(rep, last_offset));
    CHECK(back.sid == rep.sid);
    CHECK(back.pid == rep.pid);
    const std::string replayed = frames_from(b, at);
    INFO(replayed);
    // The missed packets meant for it, in order, then the reply.
    REQUIRE(b.frames() == at + 4);
    CHECK(b.frame(at).rfind("42[\"e\",2,", 0) == 0);
    CHECK(b.frame(at + 1).rfind("42[\"r\",3,", 0) == 0);
    CHECK(b.frame(at + 2).rfind("42[\"mine\",6,", 0) == 0);
    CHECK(b.frame(at + 3).rfind("40{", 0) == 0);
    // The replayed frames are the buffers the others got.
    CHECK(b.conn->transcript[at].data == other.conn->transcript[1].data);

    auto restored = root.find(rep.sid);
    REQUIRE(restored);
    CHECK(restored->recovered());
    CHECK(restored->rooms() == std::vector<std::string>{"blue", "red"});
    CHECK(js(restored->data()) == R"({"name":"ann"})");
    CHECK(middleware_runs == 2);  // a and other; skipped for the restore
    CHECK(connections == std::vector<bool>{false, false, true});
    CHECK(r.adapter().sessions_kept() == 0);
    CHECK(r.io.restores().restored == 1);
    // Live again: the next broadcast reaches it.
    root.to("red").emit("live");
    CHECK(b.last().rfind("42[\"live\",\"", 0) == 0);
}

TEST_CASE("recovery: which disconnects keep a session", "[recovery]") {
    struct row {
        const char* how;
        bool kept;
    };
    const std::vector<row> rows{{"transport close (kept)", true},
                                {"client namespace DISCONNECT", false},
                                {"forced close, not kept (a parse error, say)", false},
                                {"server namespace disconnect", false}};
    for (const auto& rw : rows) {
        INFO(rw.how);
        recovering r;
        auto& root = r.io.of("/");
        auto a = std::make_unique<sio_conn>(r.io);
        const auto rep = join(*a);
        const std::string how = rw.how;
        if (how.rfind("transport", 0) == 0) a->sio.close_all("transport close", true);
        else if (how.rfind("client", 0) == 0) REQUIRE_FALSE(a->text("1").has_value());
        else if (how.rfind("forced", 0) == 0) a->sio.close_all("parse error", false);
        else root.find(rep.sid)->disconnect();
        CHECK(r.adapter().sessions_kept() == (rw.kept ? 1u : 0u));
        sio_conn b(r.io);
        const auto back = join(b, resume_auth(rep, std::nullopt));
        CHECK((back.sid == rep.sid) == rw.kept);
    }
    // The causes themselves (close_cause -> kept).
    CHECK(keeps_session(close_cause::transport_close));
    CHECK(keeps_session(close_cause::transport_error));
    CHECK(keeps_session(close_cause::ping_timeout));
    CHECK(keeps_session(close_cause::server_shutdown));
    CHECK(keeps_session(close_cause::send_queue_overflow));
    CHECK(keeps_session(close_cause::session_resumed));
    CHECK_FALSE(keeps_session(close_cause::parse_error));
    CHECK_FALSE(keeps_session(close_cause::decode_error));
    CHECK_FALSE(keeps_session(close_cause::invalid_state));
    CHECK_FALSE(keeps_session(close_cause::rate_limited));
    CHECK_FALSE(keeps_session(close_cause::too_big));
    CHECK_FALSE(keeps_session(close_cause::handler_error));
    CHECK_FALSE(keeps_session(close_cause::server_disconnect));
}

TEST_CASE("recovery: each failed restore is a fresh session, with its reason", "[recovery]") {
    struct row {
        const char* name;
        std::function<std::string(const reply&, const std::string& offset)> auth;
        std::function<void(recovering&)> meanwhile;
        bool restored;
    };
    const std::vector<row> rows{
        {"the right pid and offset", [](const reply& r, const std::string& o) { return resume_auth(r, o); }, nullptr,
         true},
        {"no offset yet: everything since it joined (socket.io #5538)",
         [](const reply& r, const std::string&) { return resume_auth(r, std::nullopt); }, nullptr, true},
        {"a forged pid", [](const reply&, const std::string& o) { return resume_auth({"", std::string(20, 'x')}, o); },
         nullptr, false},
        {"an offset of another epoch",
         [](const reply& r, const std::string&) { return resume_auth(r, std::string("zzzzzzzz.1")); }, nullptr, false},
        {"an offset from the future",
         [](const reply& r, const std::string& o) { return resume_auth(r, o.substr(0, o.find('.')) + ".999"); },
         nullptr, false},
        {"an offset that is not a string",
         [](const reply& r, const std::string&) { return "{\"pid\":\"" + r.pid + "\",\"offset\":5}"; }, nullptr,
         false},
        {"a pid that is not a string", [](const reply&, const std::string&) { return std::string("{\"pid\":5}"); },
         nullptr, false},
        {"the window passed", [](const reply& r, const std::string& o) { return resume_auth(r, o); },
         [](recovering& rc) { rc.now += 61s; }, false},
        {"the missed packets were pushed out of the log",
         [](const reply& r, const std::string& o) { return resume_auth(r, o); },
         [](recovering& rc) {
             for (int i = 0; i < 1000; ++i) rc.io.of("/").emit("flood");
         },
         false},
    };
    for (const auto& rw : rows) {
        INFO(rw.name);
        recovering r;
        const auto [rep, offset] = cut_after_one_event(r);
        if (rw.meanwhile) rw.meanwhile(r);
        sio_conn b(r.io);
        const std::size_t at = b.frames();
        const auto back = join(b, rw.auth(rep, offset));
        CHECK((back.sid == rep.sid) == rw.restored);
        CHECK((back.pid == rep.pid) == rw.restored);
        CHECK(back.pid.size() == 20);
        if (rw.restored) {
            // #5538: without an offset it gets everything since it joined: both.
            const bool all = std::string(rw.name).rfind("no offset", 0) == 0;
            CHECK(b.frames() - at == (all ? 3u : 2u));
            CHECK(b.frame(b.frames() - 2).rfind("42[\"e\",2,", 0) == 0);
        } else {
            CHECK(b.frames() - at == 1);  // the reply only
        }
        CHECK(r.io.restores().restored == (rw.restored ? 1u : 0u));
    }
}

TEST_CASE("recovery: a session is restored at most once", "[recovery]") {
    recovering r;
    auto a = std::make_unique<sio_conn>(r.io);
    const auto rep = join(*a);
    a->sio.close_all("transport close", true);
    sio_conn b(r.io);
    CHECK(join(b, resume_auth(rep, std::nullopt)).sid == rep.sid);
    // It leaves for good (its own DISCONNECT): nothing is kept, the pid is spent.
    REQUIRE_FALSE(b.text("1").has_value());
    sio_conn c(r.io);
    CHECK(join(c, resume_auth(rep, std::nullopt)).sid != rep.sid);
    CHECK(r.io.restores().failed == 1);
}

TEST_CASE("recovery: a session whose old connection is still up: that connection is closed, then the session moves",
          "[recovery]") {
    recovering r;
    auto& root = r.io.of("/");
    std::vector<std::string> events;  // connection and disconnect handlers, in order
    root.on_connection([&](const socket_ptr& s) {
        events.push_back(std::string(s->recovered() ? "resumed " : "connected ") + s->id());
        s->on_disconnect([&](const socket_ptr& x, std::string_view why) {
            events.push_back("left " + x->id() + " " + std::string(why));
        });
    });
    sio_conn old(r.io);
    const auto rep = join(old);
    auto s = root.find(rep.sid);
    s->join("red");
    root.emit("e", {json::value(1)});
    const std::string offset = offset_of(old.last());
    root.emit("e", {json::value(2)});  // the half-open connection never delivers it

    sio_conn fresh(r.io);
    const std::size_t at = fresh.frames();
    REQUIRE_FALSE(fresh.text("0" + resume_auth(rep, offset)).has_value());
    // First the old connection is closed; nothing moves until its socket is gone.
    REQUIRE(old.conn->closes.size() == 1);
    CHECK(old.conn->closes[0] == close_cause::session_resumed);
    CHECK(fresh.frames() == at);
    CHECK(root.find(rep.sid) == s);
    s->set_data(json::value("last words"));

    // The old connection ends (as the session does when it closes): its
    // handlers run, then the new socket resumes the session with what it missed.
    old.sio.close_all("forced close", keeps_session(close_cause::session_resumed));
    REQUIRE(fresh.frames() == at + 2);
    CHECK(fresh.frame(at).rfind("42[\"e\",2,", 0) == 0);
    CHECK(reply_at(fresh, at + 1).sid == rep.sid);
    auto now = root.find(rep.sid);
    REQUIRE(now);
    CHECK(now != s);
    CHECK(now->recovered());
    CHECK(now->rooms() == std::vector<std::string>{"red"});
    CHECK(js(now->data()) == R"("last words")");
    CHECK(root.size() == 1);
    CHECK(r.adapter().sessions_kept() == 0);
    CHECK(events == std::vector<std::string>{"connected " + rep.sid, "left " + rep.sid + " forced close",
                                             "resumed " + rep.sid});
    root.to("red").emit("live");
    CHECK(fresh.last().rfind("42[\"live\",\"", 0) == 0);
    CHECK(old.last().rfind("42[\"e\",2,", 0) == 0);  // nothing more went to the old connection
}

TEST_CASE("recovery: two restores of one live session: the later one wins, the earlier gets a fresh session",
          "[recovery]") {
    recovering r;
    sio_conn old(r.io);
    const auto rep = join(old);
    sio_conn first(r.io);
    REQUIRE_FALSE(first.text("0" + resume_auth(rep, std::nullopt)).has_value());
    sio_conn second(r.io);
    REQUIRE_FALSE(second.text("0" + resume_auth(rep, std::nullopt)).has_value());
    // The first is answered at once, with a fresh session.
    REQUIRE(first.frames() == 1);
    CHECK(reply_at(first, 0).sid != rep.sid);
    old.sio.close_all("transport close", true);
    REQUIRE(second.frames() == 1);
    CHECK(reply_at(second, 0).sid == rep.sid);
    CHECK(r.io.restores().restored == 1);
    CHECK(r.io.restores().failed == 1);
}

TEST_CASE("recovery: a restore waiting for a live session whose own connection ends first leaves nothing behind",
          "[recovery]") {
    for (const bool destroyed : {false, true}) {
        INFO((destroyed ? "the new connection is gone" : "the new connection ended"));
        recovering r;
        auto& root = r.io.of("/");
        sio_conn old(r.io);
        const auto rep = join(old);
        {
            sio_conn fresh(r.io);
            REQUIRE_FALSE(fresh.text("0" + resume_auth(rep, std::nullopt)).has_value());
            if (!destroyed) {
                fresh.sio.close_all("transport close", true);
                old.sio.close_all("transport close", true);  // the old socket is done: the restore finds its target left
                CHECK(fresh.frames() == 0);
            }
        }
        if (destroyed) old.sio.close_all("transport close", true);
        CHECK(root.size() == 0);
        CHECK(root.find(rep.sid) == nullptr);
        CHECK(r.adapter().sessions_kept() == 1);  // still there for the next try
        sio_conn again(r.io);
        CHECK(join(again, resume_auth(rep, std::nullopt)).sid == rep.sid);
        CHECK(root.size() == 1);
    }
}

TEST_CASE("recovery: a replay that never reached the client is sent again on the next restore", "[recovery]") {
    recovering r;
    auto& root = r.io.of("/");
    const auto [rep, offset] = cut_after_one_event(r);
    auto b = std::make_unique<sio_conn>(r.io);
    CHECK(join(*b, resume_auth(rep, offset)).sid == rep.sid);
    // Cut again before the client read anything: it still has offset 1.
    b->sio.close_all("transport close", true);
    root.emit("e", {json::value(3)});
    sio_conn c(r.io);
    const std::size_t at = c.frames();
    CHECK(join(c, resume_auth(rep, offset)).sid == rep.sid);
    REQUIRE(c.frames() == at + 3);
    CHECK(c.frame(at).rfind("42[\"e\",2,", 0) == 0);
    CHECK(c.frame(at + 1).rfind("42[\"e\",3,", 0) == 0);
}

TEST_CASE("recovery: the bounds: sessions kept, and what one replay may queue", "[recovery]") {
    SECTION("the oldest sessions go first beyond max_sessions") {
        recovering r([](recovery_options& o) { o.max_sessions = 3; });
        std::vector<reply> reps;
        for (int i = 0; i < 5; ++i) {
            sio_conn c(r.io);
            reps.push_back(join(c));
            c.sio.close_all("transport close", true);
        }
        CHECK(r.adapter().sessions_kept() == 3);
        sio_conn first(r.io);
        CHECK(join(first, resume_auth(reps[0], std::nullopt)).sid != reps[0].sid);
        sio_conn last(r.io);
        CHECK(join(last, resume_auth(reps[4], std::nullopt)).sid == reps[4].sid);
    }
    SECTION("a replay longer than the send queue allows fails") {
        recovering r([](recovery_options& o) { o.max_replay_packets = 3; });
        auto& root = r.io.of("/");
        for (int missed : {3, 4}) {
            INFO(missed << " missed");
            auto a = std::make_unique<sio_conn>(r.io);
            const auto rep = join(*a);
            a->sio.close_all("transport close", true);
            for (int i = 0; i < missed; ++i) root.emit("e");
            sio_conn b(r.io);
            CHECK((join(b, resume_auth(rep, std::nullopt)).sid == rep.sid) == (missed == 3));
        }
    }
    SECTION("sessions expire with the window") {
        recovering r;
        auto a = std::make_unique<sio_conn>(r.io);
        join(*a);
        a->sio.close_all("transport close", true);
        CHECK(r.adapter().sessions_kept() == 1);
        r.now += 61s;
        sio_conn b(r.io);
        join(b);
        b.sio.close_all("transport close", true);  // storing one trims the expired
        CHECK(r.adapter().sessions_kept() == 1);
    }
}

TEST_CASE("recovery: with skip_middlewares off the middlewares run first, then the session is restored",
          "[recovery]") {
    recovering r([](recovery_options& o) { o.skip_middlewares = false; });
    auto& root = r.io.of("/");
    bool refuse = false;
    int runs = 0;
    root.use([&](const socket_ptr& s, const middleware_next& next) {
        ++runs;
        s->join("from-middleware");  // under the fresh id: gone when the session is resumed
        if (refuse) return next(beastio::server::connect_error{"no"});
        next();
    });
    auto a = std::make_unique<sio_conn>(r.io);
    const auto rep = join(*a);
    a->sio.close_all("transport close", true);
    refuse = true;
    sio_conn b(r.io);
    REQUIRE_FALSE(b.text("0" + resume_auth(rep, std::nullopt)).has_value());
    CHECK(b.last() == R"(44{"message":"no"})");
    CHECK(r.adapter().sessions_kept() == 1);  // a refused CONNECT spends nothing
    refuse = false;
    sio_conn c(r.io);
    CHECK(join(c, resume_auth(rep, std::nullopt)).sid == rep.sid);
    CHECK(runs == 3);
    // Only the session's own socket is in the room (the refused and the
    // resumed sockets' fresh ids left nothing behind).
    CHECK(root.adapter().sockets({{"from-middleware"}, {}, false, false}).size() == 1);
    CHECK(root.find(rep.sid)->rooms() == std::vector<std::string>{"from-middleware"});
}

// ---- the resumable plain hub ----

namespace {

std::string received(const fake_connection& c) {
    std::string out;
    for (const auto& f : c.transcript) out += (out.empty() ? "" : " ") + f.bytes;
    return out;
}

}  // namespace

TEST_CASE("resumable_hub: ?after=N replays what is kept after N then live (bounds, bad values)", "[recovery]") {
    time_point now{};
    recovery_options o;
    o.log = {60s, 5, 1u << 20};
    o.max_replay_packets = 3;
    o.clock = [&] { return now; };
    resumable_hub hub(o);
    int presence = 0;
    hub.on_presence([&](int d) { presence += d; });
    auto live = std::make_shared<fake_connection>();
    hub.on_open(live, plain_request{"/_ws/", "peer"});
    for (int n = 1; n <= 7; ++n) {
        const auto res = hub.publish(n, make_frame(std::to_string(n)));
        CHECK(res.recipients == 1);
        CHECK(res.stored);
    }
    CHECK(hub.kept() == 5);  // 3..7
    struct row {
        std::string target;
        std::string replayed;
        bool closed;
    };
    const std::vector<row> rows{
        {"/_ws/", "", false},
        {"/_ws/?after=7", "", false},
        {"/_ws/?after=6", "7", false},
        {"/_ws/x?token=t&after=4", "5 6 7", false},
        {"/_ws/?after=3", "5 6 7", false},   // 4 5 6 7 do not fit: the newest that do
        {"/_ws/?after=0", "5 6 7", false},   // older than the log: the oldest kept (and a log line)
        {"/_ws/?after=100", "", false},
        {"/_ws/?after=abc", "", true},
        {"/_ws/?after=-1", "", true},
        {"/_ws/?after=", "", true},
        {"/_ws/?after=1&after=2", "", true},
        {"/_ws/?after=99999999999999999999", "", true},
    };
    for (const auto& r : rows) {
        INFO(r.target);
        auto c = std::make_shared<fake_connection>();
        const int before = presence;
        hub.on_open(c, plain_request{r.target, "peer"});
        CHECK(received(*c) == r.replayed);
        CHECK(c->closes.size() == (r.closed ? 1u : 0u));
        if (r.closed) CHECK(c->closes[0] == close_cause::invalid_request);
        CHECK(presence == before + (r.closed ? 0 : 1));
        if (!r.closed) hub.on_close(*c);
    }
    // Kept frames are the broadcast buffers; age trims them.
    auto c = std::make_shared<fake_connection>();
    hub.on_open(c, plain_request{"/_ws/?after=6", "peer"});
    CHECK(c->transcript.at(0).data == live->transcript.back().data);
    now += 61s;
    hub.publish(8, make_frame("8"));
    CHECK(hub.kept() == 1);
}

TEST_CASE("resumable_hub: with recovery off nothing is kept and ?after= is only checked", "[recovery]") {
    recovery_options o;
    o.log.window = 0ms;
    resumable_hub hub(o);
    CHECK_FALSE(hub.publish(1, make_frame("1")).stored);
    auto c = std::make_shared<fake_connection>();
    hub.on_open(c, plain_request{"/_ws/?after=0", "peer"});
    CHECK(c->transcript.empty());
    CHECK(c->closes.empty());
    CHECK(hub.size() == 1);
    CHECK(hub.publish(2, make_frame("2")).recipients == 1);
}
