#include "server/socketio/sio_adapter.hpp"

#include "protocol/socketio/packet.hpp"
#include "server/core/ids.hpp"
#include "server/core/log.hpp"
#include "server/core/net.hpp"
#include "server/socketio/sio_namespace.hpp"
#include "server/socketio/sio_socket.hpp"

#include <algorithm>
#include <deque>

namespace beastio::server {

const std::vector<out_frame>& broadcast_packet::frames() const {
    if (!encoded_) {
        frames_ = encoder_(std::nullopt);
        encoded_ = true;
    }
    return frames_;
}

std::vector<out_frame> broadcast_packet::frames_with_offset(std::string_view offset) const {
    if (!encoder_) return frames();
    return encoder_(offset);
}

std::optional<json::value> broadcast_packet::event_data() const {
    if (describer_) return describer_();
    const auto& f = frames();
    if (f.empty() || f.front().binary || !f.front().data || f.front().data->empty() || f.front().data->front() != '4')
        return std::nullopt;
    sio::reassembler r;
    auto got = r.on_text(std::string_view(*f.front().data).substr(1));
    for (std::size_t i = 1; got && !*got && i < f.size(); ++i) got = r.on_binary(*f[i].data);
    if (!got || !*got) return std::nullopt;
    const auto& p = **got;
    if ((p.type != sio::packet_type::event && p.type != sio::packet_type::binary_event) || p.id || !p.data)
        return std::nullopt;
    return p.data;
}

void sio_adapter::unicast(sio_socket& s, const broadcast_packet& packet, bool is_volatile) {
    s.deliver(packet.frames(), is_volatile);
}

void sio_adapter::fetch_all_sockets(const broadcast_options& opts, fetch_done done) {
    std::vector<remote_socket> out;
    for (const auto& s : sockets(opts)) {
        auto rooms = s->rooms();
        rooms.insert(rooms.begin(), s->id());
        out.push_back({s->id(), std::move(rooms), s->data(), s->handshake().to_json(s->auth()), s});
    }
    done(std::move(out));
}

void broadcast_ack_gather::expect_nodes(std::size_t n) {
    std::unique_lock lock(mu_);
    if (!nodes_) nodes_ = n;
    check(lock);
}

void broadcast_ack_gather::add_recipients(std::size_t n) {
    std::unique_lock lock(mu_);
    ++reported_;
    recipients_ += n;
    check(lock);
}

void broadcast_ack_gather::response(json::value first_arg) {
    std::unique_lock lock(mu_);
    if (finished_) return;
    responses_.push_back(std::move(first_arg));
    check(lock);
}

void broadcast_ack_gather::failure() {
    std::unique_lock lock(mu_);
    ++failures_;
    check(lock);
}

void broadcast_ack_gather::timed_out() {
    std::unique_lock lock(mu_);
    finish(lock, ack_error{"operation has timed out"});
}

bool broadcast_ack_gather::finished() const {
    std::lock_guard lock(mu_);
    return finished_;
}

void broadcast_ack_gather::check(std::unique_lock<std::mutex>& lock) {
    if (finished_ || !nodes_ || reported_ < *nodes_ || responses_.size() + failures_ < recipients_) return;
    finish(lock, failures_ > 0 ? std::optional(ack_error{"operation has timed out"}) : std::nullopt);
}

void broadcast_ack_gather::finish(std::unique_lock<std::mutex>& lock, std::optional<ack_error> error) {
    if (finished_) return;
    finished_ = true;
    auto done = std::move(done_);
    auto responses = std::move(responses_);
    lock.unlock();
    if (done) done(error, std::move(responses));
}

void sio_adapter::local_broadcast_with_ack(const std::string& event, const json::array& args,
                                           const broadcast_options& opts, std::chrono::milliseconds timeout,
                                           const std::shared_ptr<broadcast_ack_gather>& g) {
    const auto targets = sockets(opts);
    g->add_recipients(targets.size());
    for (const auto& s : targets) {
        const bool sent = s->emit_with_ack(event, args, timeout, [g](const std::optional<ack_error>& err, json::array& a) {
            if (err) return g->failure();
            g->response(a.empty() ? json::value() : std::move(a.front()));
        });
        if (!sent) g->failure();  // gone, or too many acknowledgements outstanding
    }
}

void sio_adapter::broadcast_with_ack(const std::string& event, const json::array& args, const broadcast_options& opts,
                                     std::chrono::milliseconds timeout, broadcast_ack_done done) {
    // Every recipient's own timeout ends its part: no timer is needed for this node alone.
    auto g = std::make_shared<broadcast_ack_gather>(std::move(done));
    g->expect_nodes(1);
    local_broadcast_with_ack(event, args, opts, timeout, g);
}

void sio_adapter::all_rooms(rooms_done done) {
    auto names = rooms();
    for (const auto& s : sockets({})) names.push_back(s->id());
    done(std::move(names));
}

void sio_adapter::add_sockets(const broadcast_options& opts, const std::vector<std::string>& rooms) {
    for (const auto& s : sockets(opts))
        for (const auto& r : rooms) s->join(r);
}

void sio_adapter::del_sockets(const broadcast_options& opts, const std::vector<std::string>& rooms) {
    for (const auto& s : sockets(opts))
        for (const auto& r : rooms) s->leave(r);
}

void sio_adapter::disconnect_sockets(const broadcast_options& opts, bool close) {
    for (const auto& s : sockets(opts)) s->disconnect(close);
}

// ---- sio_memory_adapter ----

// Connection state recovery: the log of what was sent, the sessions of sockets
// that went away, and the log position of every live socket.
//
// Locks: order_mu, then mu_. order_mu is held from the moment a logged packet
// gets its offset until it is queued for every recipient, and while a restore
// queues its replay: so every connection receives logged packets in offset
// order, and a client's last offset says exactly what it has. mu_ alone
// guards the tables (joins and leaves never wait for a fan-out).
struct sio_memory_adapter::recovery {
    using time_point = std::chrono::steady_clock::time_point;

    explicit recovery(const recovery_options& o) : opts(o), log(o.log, random_id().substr(0, 8)) {}

    time_point now() const { return opts.now(); }

    // Under mu_: the packet encoded once with the next offset, and kept under it.
    std::vector<out_frame> append(const broadcast_packet& packet, std::vector<std::string> rooms,
                                  std::vector<std::string> except) {
        auto frames = packet.frames_with_offset(log.next_offset());
        log.append(now(), frames, std::move(rooms), std::move(except));
        return frames;
    }

    struct stored {
        session_state state;
        std::uint64_t from = 0;  // the first sequence number it may have missed
        time_point expires{};
    };
    struct live {
        sio_socket* socket = nullptr;  // compared, never followed: the table holds the socket
        std::string sid;
        std::uint64_t from = 0;  // the first sequence number it may not have received
    };


    // Under mu_: drops expired sessions, and the oldest beyond max_sessions.
    void trim_sessions(time_point t) {
        while (!expiry.empty()) {
            auto& [when, pid] = expiry.front();
            auto it = sessions.find(pid);
            const bool stale = it == sessions.end() || it->second.expires != when;
            if (!stale && when > t && sessions.size() <= opts.max_sessions) break;
            if (!stale) sessions.erase(it);
            expiry.pop_front();
        }
        // Restored sessions leave stale entries behind: keep the FIFO within a
        // constant factor of the sessions, whatever the window.
        if (expiry.size() > 2 * sessions.size() + 64) {
            std::deque<std::pair<time_point, std::string>> kept;
            for (auto& e : expiry) {
                auto it = sessions.find(e.second);
                if (it != sessions.end() && it->second.expires == e.first) kept.push_back(std::move(e));
            }
            expiry.swap(kept);
        }
    }

    recovery_options opts;
    // Recursive as a safety net: no delivery runs application code (a send
    // queue overflow leaves in a handler of its own), but should one ever do
    // (a session destroyed by its last reference inside a delivery), an emit
    // from its disconnect handlers must not deadlock.
    std::recursive_mutex order_mu;
    recovery_log log;                                 // under mu_
    std::unordered_map<std::string, stored> sessions;  // by pid, under mu_
    std::deque<std::pair<time_point, std::string>> expiry;  // (expires, pid) in order; stale ones skipped
    std::unordered_map<std::string, live> live_pids;        // by pid, under mu_
    std::unordered_map<std::string, takeover> takeovers;    // by pid, under mu_
    // Takeovers whose old socket has left, until its disconnect handlers have run.
    std::unordered_map<const sio_socket*, takeover> ready;  // under mu_
};

sio_memory_adapter::sio_memory_adapter(sio_namespace& nsp, bool with_recovery) : sio_adapter(nsp) {
    const auto& r = nsp.limits().recovery;
    if (with_recovery && r.log.window.count() > 0) rec_ = std::make_unique<recovery>(r);
}

sio_memory_adapter::~sio_memory_adapter() = default;

bool sio_memory_adapter::restore_skips_middlewares() const { return !rec_ || rec_->opts.skip_middlewares; }

std::size_t sio_memory_adapter::sessions_kept() const {
    std::lock_guard lock(mu_);
    return rec_ ? rec_->sessions.size() : 0;
}

void sio_memory_adapter::add_socket(const socket_ptr& s) {
    std::lock_guard lock(mu_);
    sockets_[s->id()] = s;
    everyone_.reset();
    // Its position now: whatever is logged from here on was sent to it, so a
    // client that comes back before its first event still recovers (socket.io #5538).
    if (rec_ && !s->pid().empty()) rec_->live_pids[s->pid()] = {s.get(), s->id(), rec_->log.next_seq()};
}

void sio_memory_adapter::remove_socket(sio_socket& s, bool keep_session) {
    {
        std::lock_guard lock(mu_);
        const std::string& sid = s.id();
        if (auto it = sockets_.find(sid); it != sockets_.end()) {
            if (it->second.get() != &s) return;  // another socket holds the id: its rooms are its own
            sockets_.erase(it);
            everyone_.reset();
        }
        if (rec_ && !s.pid().empty()) {
            // The new socket resumes the session once the old one is done
            // (socket_done): its disconnect handlers run first, never beside it.
            if (auto waiting = forget_live(s, keep_session)) rec_->ready.emplace(&s, std::move(*waiting));
        }
        erase_socket(sid);
    }
}

void sio_memory_adapter::socket_done(sio_socket& s) {
    if (!rec_) return;
    std::optional<takeover> waiting;
    {
        std::lock_guard lock(mu_);
        auto it = rec_->ready.find(&s);
        if (it == rec_->ready.end()) return;
        waiting = std::move(it->second);
        rec_->ready.erase(it);
    }
    // On the new socket's strand: serialised with its connection's end (an
    // abandoned CONNECT then finds it left), never beside its own handlers.
    auto next = waiting->socket;
    next->run_on_connection([next, pid = s.pid(), offset = std::move(waiting->offset),
                             done = std::move(waiting->done)]() mutable {
        next->nsp().adapter().restore_session(next, pid, offset, std::move(done));
    });
}

std::optional<sio_memory_adapter::takeover> sio_memory_adapter::forget_live(sio_socket& s, bool keep_session) {
    std::optional<takeover> waiting;
    auto live = rec_->live_pids.find(s.pid());
    if (live == rec_->live_pids.end() || live->second.socket != &s) return waiting;
    if (auto t = rec_->takeovers.find(s.pid()); t != rec_->takeovers.end()) {
        waiting = std::move(t->second);
        rec_->takeovers.erase(t);
    }
    // A session that a new connection asked for is kept whatever the old one's end.
    if (keep_session || waiting) {
        const auto now = rec_->now();
        recovery::stored st;
        st.state.sid = s.id();
        st.state.pid = s.pid();
        if (auto r = socket_rooms_.find(s.id()); r != socket_rooms_.end())
            st.state.rooms.assign(r->second.begin(), r->second.end());
        st.state.data = s.data();
        st.from = live->second.from;
        st.expires = now + rec_->opts.log.window;
        rec_->expiry.emplace_back(st.expires, s.pid());
        rec_->sessions[s.pid()] = std::move(st);
        rec_->trim_sessions(now);
    }
    rec_->live_pids.erase(live);
    return waiting;
}

void sio_memory_adapter::erase_socket(const std::string& sid) {
    auto it = socket_rooms_.find(sid);
    if (it == socket_rooms_.end()) return;
    for (const auto& room : it->second) {
        if (auto r = rooms_.find(room); r != rooms_.end()) {
            r->second.erase(sid);
            if (r->second.empty()) {
                if (room_observer_) room_observer_(r->first, false);
                rooms_.erase(r);
            }
        }
    }
    socket_rooms_.erase(it);
}

sio_adapter::join_result sio_memory_adapter::join(const std::string& sid, const std::string& room,
                                                  std::size_t max_rooms) {
    if (room == sid) return join_result::already_member;  // the implicit room
    std::lock_guard lock(mu_);
    auto& mine = socket_rooms_[sid];
    if (mine.count(room)) return join_result::already_member;
    if (mine.size() >= max_rooms) {
        if (mine.empty()) socket_rooms_.erase(sid);
        return join_result::too_many_rooms;
    }
    mine.insert(room);
    add_to_room(room, sid);
    return join_result::joined;
}

void sio_memory_adapter::leave(const std::string& sid, const std::string& room) {
    std::lock_guard lock(mu_);
    if (auto it = rooms_.find(room); it != rooms_.end()) {
        it->second.erase(sid);
        if (it->second.empty()) {
            if (room_observer_) room_observer_(room, false);
            rooms_.erase(it);
        }
    }
    if (auto it = socket_rooms_.find(sid); it != socket_rooms_.end()) {
        it->second.erase(room);
        if (it->second.empty()) socket_rooms_.erase(it);
    }
}

std::vector<std::string> sio_memory_adapter::socket_rooms(const std::string& sid) const {
    std::vector<std::string> out;
    {
        std::lock_guard lock(mu_);
        if (auto it = socket_rooms_.find(sid); it != socket_rooms_.end()) out.assign(it->second.begin(), it->second.end());
    }
    std::sort(out.begin(), out.end());
    return out;
}

void sio_memory_adapter::add_to_room(const std::string& room, const std::string& sid) {
    auto [it, created] = rooms_.try_emplace(room);
    if (created && room_observer_) room_observer_(room, true);
    it->second.insert(sid);
}

bool sio_memory_adapter::in_room(const std::string& sid, const std::string& room) const {
    if (room == sid) return true;
    auto it = rooms_.find(room);
    return it != rooms_.end() && it->second.count(sid) > 0;
}

bool sio_memory_adapter::excluded(const std::string& sid, const std::vector<std::string>& except) const {
    for (const auto& r : except)
        if (in_room(sid, r)) return true;
    return false;
}

std::vector<socket_ptr> sio_memory_adapter::sockets(const broadcast_options& opts) const {
    std::lock_guard lock(mu_);
    return select(opts);
}

std::vector<socket_ptr> sio_memory_adapter::select(const broadcast_options& opts) const {
    std::vector<socket_ptr> out;
    if (opts.rooms.empty()) {
        out.reserve(sockets_.size());
        for (const auto& [sid, s] : sockets_)
            if (opts.except.empty() || !excluded(sid, opts.except)) out.push_back(s);
        return out;
    }
    std::unordered_set<std::string_view> seen;
    auto consider = [&](const std::string& sid) {
        if (!seen.insert(sid).second || excluded(sid, opts.except)) return;
        if (auto s = sockets_.find(sid); s != sockets_.end()) out.push_back(s->second);
    };
    for (const auto& r : opts.rooms) {
        if (auto it = rooms_.find(r); it != rooms_.end())
            for (const auto& sid : it->second) consider(sid);
        if (sockets_.count(r)) consider(r);  // the socket's own room
    }
    return out;
}

namespace {

// Within a loop the targets go in the memory order of their connections, not
// the hash table's: neighbours in memory are written one after another, and so
// (made at about the same time) are the kernel's sockets, which the caches and
// the TLB favour over a random walk once there are thousands.
std::shared_ptr<const target_list> group_by_loop(std::vector<socket_ptr> sockets) {
    auto t = std::make_shared<target_list>();
    std::sort(sockets.begin(), sockets.end(), [](const socket_ptr& a, const socket_ptr& b) {
        const auto ha = reinterpret_cast<std::uintptr_t>(a->home()), hb = reinterpret_cast<std::uintptr_t>(b->home());
        return ha != hb ? ha < hb : a->connection_address() < b->connection_address();
    });
    for (std::size_t i = 0; i < sockets.size(); ++i) {
        if (t->runs.empty() || t->runs.back().home != sockets[i]->home()) t->runs.push_back({sockets[i]->home(), i, i});
        t->runs.back().end = i + 1;
    }
    t->sockets = std::move(sockets);
    return t;
}

// Once there are a few thousand targets their state no longer fits in the
// cache, and each delivery waited on two misses in a row: the socket's members,
// then its connection's reference count (perf, 5000 clients: nine tenths of
// sio_socket::deliver's samples). Asked for some targets ahead, the misses of
// several targets overlap instead.
void deliver_run(const target_list& to, const target_list::run& r, const std::vector<out_frame>& frames,
                 bool is_volatile) {
    constexpr std::size_t ahead = 8;
    for (std::size_t i = r.begin; i < r.end; ++i) {
        if (i + 2 * ahead < r.end) to.sockets[i + 2 * ahead]->prefetch();
        if (i + ahead < r.end) to.sockets[i + ahead]->prefetch_connection();
        to.sockets[i]->deliver(frames, is_volatile);
    }
}

// Each other loop gets its connections' deliveries in one task, posted first
// so that it works while this thread delivers to its own (and to connections
// with no loop of their own, whose deliver() finds its way).
void fan_out(const std::shared_ptr<const target_list>& to, const std::vector<out_frame>& frames, bool is_volatile) {
    const auto elsewhere = [](const target_list::run& r) {
        return r.home != nullptr && !r.home->get_executor().running_in_this_thread();
    };
    std::shared_ptr<const std::vector<out_frame>> shared;
    for (const auto& r : to->runs) {
        if (!elsewhere(r)) continue;
        if (!shared) shared = std::make_shared<const std::vector<out_frame>>(frames);
        net::post(*r.home, [to, shared, r, is_volatile] { deliver_run(*to, r, *shared, is_volatile); });
    }
    for (const auto& r : to->runs)
        if (!elsewhere(r)) deliver_run(*to, r, frames, is_volatile);
}

}  // namespace

std::shared_ptr<const target_list> sio_memory_adapter::targets(const broadcast_options& opts) const {
    if (!opts.rooms.empty() || !opts.except.empty()) return group_by_loop(select(opts));
    if (!everyone_) everyone_ = group_by_loop(select(opts));
    return everyone_;
}

broadcast_result sio_memory_adapter::broadcast(const broadcast_packet& packet, const broadcast_options& opts) {
    // Selected under the lock, delivered outside it: a fan-out never blocks joins.
    if (!rec_ || opts.is_volatile || !packet.is_event()) {
        std::shared_ptr<const target_list> to;
        {
            std::lock_guard lock(mu_);
            to = targets(opts);
        }
        fan_out(to, packet.frames(), opts.is_volatile);
        return {to->sockets.size(), false};
    }
    // Logged: encoded once with its offset, queued in offset order (order_mu).
    std::lock_guard order(rec_->order_mu);
    std::shared_ptr<const target_list> to;
    std::vector<out_frame> frames;
    {
        std::lock_guard lock(mu_);
        frames = rec_->append(packet, opts.rooms, opts.except);
        to = targets(opts);
    }
    fan_out(to, frames, false);
    return {to->sockets.size(), true};
}

void sio_memory_adapter::unicast(sio_socket& s, const broadcast_packet& packet, bool is_volatile) {
    if (!rec_ || is_volatile || !packet.is_event()) return sio_adapter::unicast(s, packet, is_volatile);
    // socket.io routes a private emit through the adapter: logged for the socket's own room.
    std::lock_guard order(rec_->order_mu);
    std::vector<out_frame> frames;
    {
        std::lock_guard lock(mu_);
        frames = rec_->append(packet, {s.id()}, {});
    }
    s.deliver(frames, false);
}

void sio_memory_adapter::restore_session(const socket_ptr& s, const std::string& pid,
                                         const std::optional<std::string>& offset, restore_done done) {
    if (!rec_) return done({false, "recovery is off", 0});
    socket_ptr holder;                 // a socket still connected under this pid (a half-open connection, say)
    std::optional<takeover> displaced; // an earlier restore that waited for the same socket
    std::vector<std::vector<out_frame>> replay;
    // done runs outside the locks: it resumes the CONNECT (middlewares, handlers).
    const auto out = [&]() -> std::optional<restore_outcome> {
        std::lock_guard order(rec_->order_mu);
        {
            std::lock_guard lock(mu_);
            if (s->left()) return restore_outcome{false, "its connection is gone", 0};
            const auto now = rec_->now();
            rec_->trim_sessions(now);
            rec_->log.trim(now);
            if (auto live = rec_->live_pids.find(pid); live != rec_->live_pids.end()) {
                // Its old connection is still up: close it, and resume the session
                // once its socket is gone (remove_socket), never two at once.
                auto it = sockets_.find(live->second.sid);
                if (it == sockets_.end() || it->second.get() != live->second.socket)
                    return restore_outcome{false, "session still connecting", 0};
                holder = it->second;
                if (auto t = rec_->takeovers.find(pid); t != rec_->takeovers.end()) displaced = std::move(t->second);
                rec_->takeovers[pid] = takeover{s, offset, std::move(done)};
                return std::nullopt;
            }
            auto it = rec_->sessions.find(pid);
            if (it == rec_->sessions.end()) return restore_outcome{false, "unknown or expired session", 0};
            // Restored at most once: the session is consumed whatever follows.
            session_state state = std::move(it->second.state);
            std::uint64_t from = it->second.from;
            rec_->sessions.erase(it);
            if (offset) {
                const auto seq = rec_->log.parse(*offset);
                if (!seq) return restore_outcome{false, "unknown offset", 0};
                from = std::max(from, *seq + 1);
            }
            const auto missed = rec_->log.since(from);
            if (!missed.complete) return restore_outcome{false, "missed packets no longer in the log", 0};
            // What was meant for it: the whole namespace, or one of its rooms
            // (or its own id), and none of the rooms left out.
            std::unordered_set<std::string_view> mine(state.rooms.begin(), state.rooms.end());
            mine.insert(state.sid);
            const auto member = [&](const std::string& r) { return mine.count(r) > 0; };
            std::size_t frames = 0, bytes = 0;
            for (const auto* e : missed.entries) {
                const bool meant = e->rooms.empty() || std::any_of(e->rooms.begin(), e->rooms.end(), member);
                if (!meant || std::any_of(e->except.begin(), e->except.end(), member)) continue;
                replay.push_back(e->frames);  // the shared buffers
                frames += e->frames.size();
                bytes += e->bytes;
            }
            if (frames > rec_->opts.max_replay_packets || bytes > rec_->opts.max_replay_bytes)
                return restore_outcome{false, fmt::format("too much to replay ({} frames, {} bytes)", frames, bytes), 0};
            // Rooms the new socket joined under its own id (in middleware) go: it takes the session's.
            erase_socket(s->id());
            s->adopt_session(state);
            sockets_[state.sid] = s;
            everyone_.reset();
            for (const auto& r : state.rooms) {
                socket_rooms_[state.sid].insert(r);
                add_to_room(r, state.sid);
            }
            // From where the replay starts: if this connection goes before the
            // replay is written, the next restore sends it again.
            rec_->live_pids[pid] = {s.get(), state.sid, from};
        }
        // Queued before any later logged packet (order_mu), outside mu_.
        for (const auto& frames : replay) s->deliver(frames, false);
        return restore_outcome{true, {}, replay.size()};
    }();
    if (displaced) displaced->done({false, "superseded by a newer restore of the session", 0});
    if (!out) {
        holder->close_connection(close_cause::session_resumed);
        return;
    }
    done(*out);
}

std::size_t sio_memory_adapter::size() const {
    std::lock_guard lock(mu_);
    return sockets_.size();
}

socket_ptr sio_memory_adapter::find(const std::string& sid) const {
    std::lock_guard lock(mu_);
    auto it = sockets_.find(sid);
    return it == sockets_.end() ? nullptr : it->second;
}

std::vector<std::string> sio_memory_adapter::rooms() const {
    std::vector<std::string> out;
    {
        std::lock_guard lock(mu_);
        out.reserve(rooms_.size());
        for (const auto& [room, members] : rooms_) out.push_back(room);
    }
    std::sort(out.begin(), out.end());
    return out;
}

}  // namespace beastio::server
