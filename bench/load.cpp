// beastio-load: many thousands of websocket-only Socket.IO clients in one
// process, for the benchmark (bench/run.mjs). Each client does what the
// socket.io client does on the websocket transport: the upgrade, the Engine.IO
// open packet, CONNECT "40" to "/", a pong for every ping, and it checks the
// integers it receives ("42[\"integer\",N]", with an offset when the server
// keeps sessions): each one must be the previous one + 1.
//
// One thread, one Asio loop. A client holds no read buffer: it waits until its
// socket is readable and reads into the loop's one buffer (a partial frame,
// rare, is kept). It writes only small frames (the CONNECT, pongs), at once.
// With --read-every-ms it runs its loop in passes that far apart instead, so
// that one read takes several frames (for rows the server must bound).
//
// Modes:
//   deliver  connect N, warm up, measure a window, wait a grace period; report
//            deliveries, gaps, duplicates, the fan-out latency and spread, its
//            own CPU and the server's (with --server-pid)
//   idle     connect N, settle, report the server's RSS and the kernel's TCP
//            memory before and after
//   storm    connect N, announce "storm-ready" on stdout, then reconnect every
//            client that loses its connection (with connection state recovery
//            when the server offers it) and report how long until all rejoined
//
// The report is one JSON object on stdout; progress goes to stderr.
#include "protocol/websocket/frame.hpp"

#include <boost/asio.hpp>

#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <charconv>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iostream>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace net = boost::asio;
using tcp = net::ip::tcp;
using clock_type = std::chrono::steady_clock;
namespace ws = beastio::ws;

namespace {

// ---- options ----

struct options {
    std::string host = "127.0.0.1";
    unsigned short port = 3000;
    std::string path = "/socket.io/";
    std::vector<std::string> sources;  // local addresses, used in turn (127.0.0.x)
    std::size_t clients = 100;
    std::size_t max_inflight = 200;
    std::string mode = "deliver";
    double warmup_s = 3;
    double window_s = 10;
    double grace_s = 1.5;
    double settle_s = 3;
    double ramp_limit_s = 120;
    double storm_limit_s = 60;
    int server_pid = 0;
    // deliver and storm: every client opens its Engine.IO connection first, and all join
    // the namespace together once all are open. The producer starts with the
    // first join, so the ramp is not fought out against a fan-out that is
    // already saturating the server.
    bool join_together = true;
    // 0: read each socket as soon as it is readable. Above 0: look at the
    // sockets every that many ms, so that one read takes every frame that came
    // meanwhile and nothing waits in epoll to be woken. The generator's CPU
    // per delivery falls several times (for the --threads rows, where it shares
    // the two cores with the server); latencies then include the wait.
    double read_every_ms = 0;
};

[[noreturn]] void usage(const char* why) {
    std::fprintf(stderr,
                 "beastio-load: %s\n"
                 "usage: beastio-load [--host H] [--port P] [--path /socket.io/] [--clients N]\n"
                 "  [--source ADDR]... [--max-inflight K] [--mode deliver|idle|storm] [--warmup-s S]\n"
                 "  [--window-s S] [--grace-s S] [--settle-s S] [--ramp-limit-s S] [--storm-limit-s S]\n"
                 "  [--server-pid PID] [--join-as-opened] [--read-every-ms MS]\n",
                 why);
    std::exit(2);
}

options parse_options(int argc, char** argv) {
    options o;
    for (int i = 1; i < argc; ++i) {
        const std::string_view a = argv[i];
        auto value = [&]() -> std::string {
            if (i + 1 >= argc) usage("a flag without its value");
            return argv[++i];
        };
        if (a == "--host") o.host = value();
        else if (a == "--port") o.port = static_cast<unsigned short>(std::stoi(value()));
        else if (a == "--path") o.path = value();
        else if (a == "--source") o.sources.push_back(value());
        else if (a == "--clients") o.clients = std::stoul(value());
        else if (a == "--max-inflight") o.max_inflight = std::stoul(value());
        else if (a == "--mode") o.mode = value();
        else if (a == "--warmup-s") o.warmup_s = std::stod(value());
        else if (a == "--window-s") o.window_s = std::stod(value());
        else if (a == "--grace-s") o.grace_s = std::stod(value());
        else if (a == "--settle-s") o.settle_s = std::stod(value());
        else if (a == "--ramp-limit-s") o.ramp_limit_s = std::stod(value());
        else if (a == "--storm-limit-s") o.storm_limit_s = std::stod(value());
        else if (a == "--server-pid") o.server_pid = std::stoi(value());
        else if (a == "--join-as-opened") o.join_together = false;
        else if (a == "--read-every-ms") o.read_every_ms = std::stod(value());
        else usage("unknown flag");
    }
    if (o.mode != "deliver" && o.mode != "idle" && o.mode != "storm") usage("--mode is deliver, idle or storm");
    if (o.clients == 0 || o.max_inflight == 0) usage("--clients and --max-inflight are at least 1");
    if (!(o.read_every_ms >= 0)) usage("--read-every-ms is 0 or more");
    return o;
}

// ---- measurements of processes ----

double seconds_since(clock_type::time_point t) { return std::chrono::duration<double>(clock_type::now() - t).count(); }

struct cpu_sample {
    double user_s = 0, sys_s = 0;
    double total_s() const { return user_s + sys_s; }
};

cpu_sample self_cpu() {
    rusage ru{};
    getrusage(RUSAGE_SELF, &ru);
    auto tv = [](timeval t) { return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_usec) / 1e6; };
    return {tv(ru.ru_utime), tv(ru.ru_stime)};
}

std::string read_file(const std::string& path) {
    std::ifstream in(path);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

// utime and stime of a process from /proc/PID/stat, in seconds (1/CLK_TCK resolution).
cpu_sample proc_cpu(int pid) {
    if (pid <= 0) return {};
    const std::string s = read_file("/proc/" + std::to_string(pid) + "/stat");
    const auto close = s.rfind(')');
    if (close == std::string::npos) return {};
    std::istringstream in(s.substr(close + 2));
    std::string field;
    double utime = 0, stime = 0;
    for (int i = 3; i <= 15 && in >> field; ++i) {
        if (i == 14) utime = std::stod(field);
        if (i == 15) stime = std::stod(field);
    }
    const double hz = static_cast<double>(sysconf(_SC_CLK_TCK));
    return {utime / hz, stime / hz};
}

// The process's run time from the scheduler, in seconds (nanosecond resolution).
double proc_runtime(int pid) {
    if (pid <= 0) return 0;
    const std::string s = read_file("/proc/" + std::to_string(pid) + "/schedstat");
    return s.empty() ? 0 : std::stod(s) / 1e9;
}

long proc_status_kib(int pid, std::string_view key) {
    if (pid <= 0) return 0;
    std::istringstream in(read_file("/proc/" + std::to_string(pid) + "/status"));
    std::string line;
    while (std::getline(in, line))
        if (line.rfind(key, 0) == 0) return std::stol(line.substr(key.size() + 1));
    return 0;
}

// The kernel's TCP memory in use, all sockets of the machine (pages).
long tcp_mem_pages() {
    std::istringstream in(read_file("/proc/net/sockstat"));
    std::string line;
    while (std::getline(in, line)) {
        if (line.rfind("TCP:", 0) != 0) continue;
        const auto at = line.find(" mem ");
        if (at != std::string::npos) return std::stol(line.substr(at + 5));
    }
    return 0;
}

// ---- a latency histogram: 1 µs resolution below 1 ms, then 64 steps per power of two ----

class histogram {
public:
    void add(double us) {
        const auto v = static_cast<std::uint64_t>(std::max(0.0, us));
        ++counts_[bucket(v)];
        ++n_;
    }
    std::uint64_t count() const { return n_; }
    double percentile(double p) const {
        if (n_ == 0) return 0;
        const auto target = static_cast<std::uint64_t>(std::ceil(p / 100.0 * static_cast<double>(n_)));
        std::uint64_t seen = 0;
        for (std::size_t b = 0; b < counts_.size(); ++b) {
            seen += counts_[b];
            if (seen >= std::max<std::uint64_t>(target, 1)) return static_cast<double>(upper(b));
        }
        return static_cast<double>(upper(counts_.size() - 1));
    }

private:
    static constexpr std::size_t linear = 1024;
    static constexpr std::size_t steps = 64;
    static std::size_t bucket(std::uint64_t v) {
        if (v < linear) return static_cast<std::size_t>(v);
        const int exp = 63 - __builtin_clzll(v);  // >= 10
        const std::uint64_t step = (v >> (exp - 6)) & (steps - 1);
        return std::min(linear + static_cast<std::size_t>(exp - 10) * steps + step, size - 1);
    }
    static std::uint64_t upper(std::size_t b) {
        if (b < linear) return b;
        const std::size_t exp = (b - linear) / steps + 10;
        const std::size_t step = (b - linear) % steps;
        return (std::uint64_t{1} << exp) + ((step + 1) << (exp - 6)) - 1;
    }
    static constexpr std::size_t size = linear + 30 * steps;
    std::vector<std::uint64_t> counts_ = std::vector<std::uint64_t>(size, 0);
    std::uint64_t n_ = 0;
};

// ---- the clients ----

enum class phase { ramp, warmup, window, grace, done };

struct tick_stat {
    clock_type::time_point first{}, last{};
    std::uint32_t count = 0;
    bool in_window = false;
};

class load;

struct client {
    explicit client(net::io_context& ioc) : sock(ioc) {}
    tcp::socket sock;
    std::string pending;  // a partial frame carried over to the next read
    enum class state { idle, connecting, upgrading, opening, opened, joining, joined, closed } st = state::idle;
    bool http_done = false;
    bool inflight = false;  // counted in load::inflight_
    std::int64_t last = -1;
    std::string pid, offset;  // connection state recovery
    std::size_t index = 0;
    clock_type::time_point started{};
};

class load {
public:
    explicit load(options o) : o_(std::move(o)), timer_(ioc_) {
        buf_.resize(256 * 1024);
        const ws::mask_key key{0x11, 0x22, 0x33, 0x44};
        pong_ = ws::encode_masked_frame(ws::opcode::text, "3", key);
        key_ = key;
        request_ = "GET " + o_.path + "?EIO=4&transport=websocket HTTP/1.1\r\nHost: " + o_.host + ":" +
                   std::to_string(o_.port) +
                   "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                   "Sec-WebSocket-Version: 13\r\n\r\n";
        endpoint_ = tcp::endpoint(net::ip::make_address(o_.host), o_.port);
    }

    int run() {
        started_ = clock_type::now();
        idle_before_rss_ = proc_status_kib(o_.server_pid, "VmRSS");
        idle_before_tcp_ = tcp_mem_pages();
        clients_.reserve(o_.clients);
        for (std::size_t i = 0; i < o_.clients; ++i) {
            clients_.push_back(std::make_unique<client>(ioc_));
            clients_.back()->index = i;
        }
        fill_connects();
        watchdog();
        if (o_.read_every_ms > 0) {
            const auto every = std::chrono::duration<double, std::milli>(o_.read_every_ms);
            // One pass runs about as many handlers as there are clients (poll()
            // would not return while frames keep coming), then the pause.
            while (!ioc_.stopped()) {
                for (std::size_t i = 0; i < clients_.size() + 16; ++i)
                    if (ioc_.poll_one() == 0) break;
                if (!ioc_.stopped()) std::this_thread::sleep_for(every);
            }
        } else {
            ioc_.run();
        }
        report();
        return failed_ ? 1 : 0;
    }

private:
    // ---- connecting ----

    void fill_connects() {
        while (inflight_ < o_.max_inflight && next_ < clients_.size()) start_connect(*clients_[next_++]);
    }

    void start_connect(client& c) {
        ++inflight_;
        c.inflight = true;
        c.st = client::state::connecting;
        c.started = clock_type::now();
        c.pending.clear();
        c.http_done = false;
        boost::system::error_code ec;
        c.sock.open(tcp::v4(), ec);
        if (!ec && !o_.sources.empty()) {
            c.sock.set_option(net::socket_base::reuse_address(true), ec);
            c.sock.bind(tcp::endpoint(net::ip::make_address(o_.sources[c.index % o_.sources.size()]), 0), ec);
        }
        if (ec) return fail(c, "socket: " + ec.message());
        c.sock.set_option(tcp::no_delay(true), ec);
        c.sock.async_connect(endpoint_, [this, &c](boost::system::error_code e) {
            if (e) return fail(c, "connect: " + e.message());
            c.st = client::state::upgrading;
            net::async_write(c.sock, net::buffer(request_), [this, &c](boost::system::error_code we, std::size_t) {
                if (we) return fail(c, "upgrade request: " + we.message());
                wait_read(c);
            });
        });
    }

    void done_inflight(client& c) {
        if (!c.inflight) return;
        c.inflight = false;
        --inflight_;
    }

    void fail(client& c, const std::string& why) {
        const bool was_joined = c.st == client::state::joined;
        if (c.st == client::state::opened) --opened_;
        close_socket(c);
        if (was_joined) --joined_;
        done_inflight(c);
        if (o_.mode == "storm" && storm_armed_) {
            // The server went away (or refused us while it restarts): try again shortly.
            if (was_joined && !storm_started_) {
                storm_started_ = true;
                storm_t0_ = clock_type::now();
            }
            retry_later(c);
            return;
        }
        ++errors_;
        if (errors_ <= 5) std::fprintf(stderr, "beastio-load: client %zu: %s\n", c.index, why.c_str());
        if (ph_ == phase::ramp) fill_connects();
        release_joins();
        check_ramp_done();
    }

    void close_socket(client& c) {
        boost::system::error_code ignored;
        c.sock.close(ignored);
        c.st = client::state::closed;
    }

    void retry_later(client& c) {
        auto t = std::make_shared<net::steady_timer>(ioc_, std::chrono::milliseconds(50 + (c.index * 7919) % 100));
        t->async_wait([this, &c, t](boost::system::error_code) {
            if (ph_ == phase::done) return;
            start_connect(c);
        });
    }

    // ---- reading ----

    void wait_read(client& c) {
        c.sock.async_wait(tcp::socket::wait_read, [this, &c](boost::system::error_code ec) {
            if (ec) {
                if (ec != net::error::operation_aborted) fail(c, "wait: " + ec.message());
                return;
            }
            on_readable(c);
        });
    }

    void on_readable(client& c) {
        boost::system::error_code ec;
        const std::size_t n = c.sock.read_some(net::buffer(buf_), ec);
        if (ec) return fail(c, ec == net::error::eof ? "closed by the server" : "read: " + ec.message());
        now_ = clock_type::now();
        std::string_view data(buf_.data(), n);
        if (!c.pending.empty()) {
            c.pending.append(data);
            std::string carried;
            carried.swap(c.pending);
            if (!consume(c, carried)) return;
        } else if (!consume(c, data)) {
            return;
        }
        if (c.st != client::state::closed) wait_read(c);
    }

    // Parses what arrived; keeps an incomplete frame in c.pending. False: the client is gone.
    bool consume(client& c, std::string_view data) {
        if (!c.http_done) {
            const auto end = data.find("\r\n\r\n");
            if (end == std::string_view::npos) {
                if (data.size() > 8192) return fail(c, "upgrade response too long"), false;
                c.pending.assign(data);
                return true;
            }
            if (data.substr(0, 12) != "HTTP/1.1 101") {
                const auto eol = data.find("\r\n");
                return fail(c, "upgrade refused: " + std::string(data.substr(0, eol))), false;
            }
            c.http_done = true;
            data.remove_prefix(end + 4);
        }
        while (!data.empty()) {
            const auto p = ws::parse_header(data);
            if (p.status == ws::parse_status::invalid) return fail(c, std::string(p.reason)), false;
            if (p.status == ws::parse_status::need_more || data.size() - p.h.size < p.h.payload_size) {
                c.pending.assign(data);
                return true;
            }
            if (p.h.masked) return fail(c, "a masked frame from the server"), false;
            const std::string_view payload = data.substr(p.h.size, p.h.payload_size);
            data.remove_prefix(p.h.size + p.h.payload_size);
            if (!on_frame(c, p.h.op, payload)) return false;
        }
        return true;
    }

    bool send_small(client& c, const std::string& frame) {
        boost::system::error_code ec;
        const std::size_t n = net::write(c.sock, net::buffer(frame), ec);
        if (ec || n != frame.size()) return fail(c, "write: " + ec.message()), false;
        return true;
    }

    static std::string json_string_field(std::string_view json, std::string_view name) {
        const std::string key = "\"" + std::string(name) + "\":\"";
        const auto at = json.find(key);
        if (at == std::string_view::npos) return {};
        const auto start = at + key.size();
        const auto end = json.find('"', start);
        return end == std::string_view::npos ? std::string() : std::string(json.substr(start, end - start));
    }

    bool on_frame(client& c, ws::opcode op, std::string_view p) {
        if (op == ws::opcode::close) return fail(c, "close frame from the server"), false;
        if (op != ws::opcode::text) return true;  // pings and binary frames: nothing the integers need
        if (p.empty()) return true;
        switch (p[0]) {
            case '0': {  // open
                if (holds_join(c)) {
                    c.st = client::state::opened;
                    ++opened_;
                    done_inflight(c);
                    connect_us_.add(seconds_since(c.started) * 1e6);
                    fill_connects();
                    release_joins();
                    return true;
                }
                std::string connect = "40";
                if (!c.pid.empty())
                    connect += "{\"pid\":\"" + c.pid + "\",\"offset\":\"" + c.offset + "\"}";
                c.st = client::state::joining;
                return send_small(c, ws::encode_masked_frame(ws::opcode::text, connect, key_));
            }
            case '2': return send_small(c, pong_);
            case '4': break;
            default: return true;
        }
        if (p.size() < 2) return true;
        if (p[1] == '0') return joined(c, p.substr(2));
        if (p[1] == '4') return fail(c, "connect refused: " + std::string(p)), false;
        if (p[1] == '1') return fail(c, "disconnected by the server"), false;
        if (p[1] != '2') return true;
        static constexpr std::string_view prefix = "42[\"integer\",";
        if (p.substr(0, prefix.size()) != prefix) return true;
        std::int64_t n = 0;
        const char* b = p.data() + prefix.size();
        const char* e = p.data() + p.size();
        const auto r = std::from_chars(b, e, n);
        if (r.ec != std::errc()) return true;
        if (r.ptr < e && *r.ptr == ',' && r.ptr + 1 < e && r.ptr[1] == '"') {
            const char* s = r.ptr + 2;
            const char* q = std::find(s, e, '"');
            c.offset.assign(s, q);
        }
        integer(c, n);
        return true;
    }

    bool holds_join(const client& c) const {
        return o_.join_together && o_.mode != "idle" && ph_ == phase::ramp && !released_ && c.pid.empty();
    }

    // Once every client is open (or has failed): all send their CONNECT.
    void release_joins() {
        if (!o_.join_together || released_ || ph_ != phase::ramp || opened_ + errors_ < clients_.size()) return;
        released_ = true;
        std::fprintf(stderr, "beastio-load: %zu open in %.2f s, joining\n", opened_, seconds_since(started_));
        const std::string connect = ws::encode_masked_frame(ws::opcode::text, "40", key_);
        for (auto& c : clients_) {
            if (c->st != client::state::opened) continue;
            --opened_;
            c->st = client::state::joining;
            send_small(*c, connect);
        }
    }

    bool joined(client& c, std::string_view json) {
        const bool rejoin = !c.pid.empty();
        const std::string pid = json_string_field(json, "pid");
        const bool recovered = rejoin && pid == c.pid && json.find("\"recovered\":true") != std::string_view::npos;
        if (!pid.empty()) c.pid = pid;
        const bool counted = c.inflight;  // held joins were counted when they opened
        c.st = client::state::joined;
        done_inflight(c);
        ++joined_;
        if (counted) connect_us_.add(seconds_since(c.started) * 1e6);
        if (storm_started_) {
            ++storm_rejoined_;
            if (recovered) ++storm_recovered_;
            else c.last = -1;  // a new session: its integers start afresh
            if (joined_ == clients_.size()) {
                storm_s_ = seconds_since(storm_t0_);
                finish();
            }
            return true;
        }
        if (ph_ == phase::ramp) {
            fill_connects();
            check_ramp_done();
        }
        return true;
    }

    void integer(client& c, std::int64_t n) {
        if (c.last >= 0) {
            if (n == c.last + 1) {
            } else if (n <= c.last) {
                ++dups_;
            } else {
                ++gaps_;
                missing_ += static_cast<std::uint64_t>(n - c.last - 1);
            }
        }
        c.last = std::max(c.last, n);
        ++received_;
        if (ph_ == phase::window) ++window_deliveries_;
        if (ph_ != phase::window && ph_ != phase::grace) return;
        // Fan-out: integers first seen in the window, followed until the grace period ends.
        if (base_ < 0) base_ = n;
        if (n < base_) return;
        const auto i = static_cast<std::size_t>(n - base_);
        if (i >= ticks_.size()) {
            if (ph_ != phase::window || i > 1'000'000) return;
            ticks_.resize(i + 1);
        }
        auto& t = ticks_[i];
        if (t.count == 0) {
            if (ph_ != phase::window) return;
            t.first = now_;
            t.in_window = true;
        }
        t.last = now_;
        ++t.count;
        latency_.add(std::chrono::duration<double, std::micro>(now_ - t.first).count());
    }

    // ---- phases ----

    void check_ramp_done() {
        if (ph_ != phase::ramp || joined_ + errors_ < clients_.size()) return;
        ramp_s_ = seconds_since(started_);
        std::fprintf(stderr, "beastio-load: %zu joined, %zu failed, in %.2f s\n", joined_, errors_, ramp_s_);
        if (joined_ == 0) {
            failed_ = true;
            return finish();
        }
        if (o_.mode == "idle") return after(o_.settle_s, [this] {
            idle_after_rss_ = proc_status_kib(o_.server_pid, "VmRSS");
            idle_after_tcp_ = tcp_mem_pages();
            finish();
        });
        if (o_.mode == "storm") return storm_ready();
        ph_ = phase::warmup;
        after(o_.warmup_s, [this] {
            ph_ = phase::window;
            window_t0_ = clock_type::now();
            self0_ = self_cpu();
            server0_ = proc_cpu(o_.server_pid);
            server_run0_ = proc_runtime(o_.server_pid);
            after(o_.window_s, [this] {
                window_len_ = seconds_since(window_t0_);
                self1_ = self_cpu();
                server1_ = proc_cpu(o_.server_pid);
                server_run1_ = proc_runtime(o_.server_pid);
                server_rss_ = proc_status_kib(o_.server_pid, "VmRSS");
                joined_at_end_ = joined_;
                ph_ = phase::grace;
                after(o_.grace_s, [this] { finish(); });
            });
        });
    }

    void storm_ready() {
        // Wait for every client's first integer, so that each has an offset to recover from.
        std::size_t ready = 0;
        for (const auto& c : clients_)
            if (c->last >= 0) ++ready;
        if (ready < joined_) return after(0.05, [this] { storm_ready(); });
        storm_armed_ = true;
        std::printf("storm-ready\n");
        std::fflush(stdout);
        after(o_.storm_limit_s, [this] {
            if (!storm_started_) std::fprintf(stderr, "beastio-load: the server was not restarted\n");
            else std::fprintf(stderr, "beastio-load: %zu of %zu rejoined in time\n", joined_, clients_.size());
            failed_ = true;
            finish();
        });
    }

    template <class F>
    void after(double s, F f) {
        timer_.expires_after(std::chrono::microseconds(static_cast<long long>(s * 1e6)));
        timer_.async_wait([f = std::move(f)](boost::system::error_code ec) {
            if (!ec) f();
        });
    }

    void watchdog() {
        auto t = std::make_shared<net::steady_timer>(ioc_, std::chrono::milliseconds(200));
        t->async_wait([this, t](boost::system::error_code) {
            if (ph_ == phase::done) return;
            if (ph_ == phase::ramp && seconds_since(started_) > o_.ramp_limit_s) {
                std::fprintf(stderr, "beastio-load: ramp limit: %zu of %zu joined\n", joined_, clients_.size());
                ramp_s_ = seconds_since(started_);
                failed_ = true;
                return finish();
            }
            watchdog();
        });
    }

    void finish() {
        ph_ = phase::done;
        timer_.cancel();
        for (auto& c : clients_) close_socket(*c);
        ioc_.stop();
    }

    // ---- the report ----

    void report() {
        histogram spread;
        std::size_t complete = 0, followed = 0;
        for (const auto& t : ticks_) {
            if (!t.in_window) continue;
            ++followed;
            if (t.count < joined_at_end_) continue;
            ++complete;
            spread.add(std::chrono::duration<double, std::micro>(t.last - t.first).count());
        }
        const double self_cpu_s = self1_.total_s() - self0_.total_s();
        const double server_cpu_s = server1_.total_s() - server0_.total_s();
        const double per = window_deliveries_ ? 1e6 / static_cast<double>(window_deliveries_) : 0;
        std::printf("{\"mode\":\"%s\",\"clients\":%zu,\"joined\":%zu,\"errors\":%zu,\"ramp_s\":%.3f,"
                    "\"handshakes_per_s\":%.1f,\"connect_p50_ms\":%.2f,\"connect_p99_ms\":%.2f,"
                    "\"received\":%llu,\"gaps\":%llu,\"missing\":%llu,\"duplicates\":%llu,",
                    o_.mode.c_str(), clients_.size(), joined_, errors_, ramp_s_,
                    ramp_s_ > 0 ? static_cast<double>(joined_) / ramp_s_ : 0.0, connect_us_.percentile(50) / 1e3,
                    connect_us_.percentile(99) / 1e3, static_cast<unsigned long long>(received_),
                    static_cast<unsigned long long>(gaps_), static_cast<unsigned long long>(missing_),
                    static_cast<unsigned long long>(dups_));
        std::printf("\"window_s\":%.3f,\"deliveries\":%llu,\"deliveries_per_s\":%.1f,"
                    "\"latency_p50_ms\":%.3f,\"latency_p99_ms\":%.3f,\"ticks_followed\":%zu,\"ticks_complete\":%zu,"
                    "\"spread_p50_ms\":%.3f,\"spread_p99_ms\":%.3f,",
                    window_len_, static_cast<unsigned long long>(window_deliveries_),
                    window_len_ > 0 ? static_cast<double>(window_deliveries_) / window_len_ : 0.0,
                    latency_.percentile(50) / 1e3, latency_.percentile(99) / 1e3, followed, complete,
                    spread.percentile(50) / 1e3, spread.percentile(99) / 1e3);
        std::printf("\"client_cpu\":%.4f,\"client_user_us\":%.4f,\"client_sys_us\":%.4f,\"client_bound\":%s,"
                    "\"server_cpu\":%.4f,\"server_user_us\":%.4f,\"server_sys_us\":%.4f,\"server_us\":%.4f,"
                    "\"server_run_us\":%.4f,\"server_rss_kib\":%ld,",
                    window_len_ > 0 ? self_cpu_s / window_len_ : 0.0, (self1_.user_s - self0_.user_s) * per,
                    (self1_.sys_s - self0_.sys_s) * per,
                    window_len_ > 0 && self_cpu_s / window_len_ >= 0.9 ? "true" : "false",
                    window_len_ > 0 ? (server_run1_ - server_run0_) / window_len_ : 0.0,
                    (server1_.user_s - server0_.user_s) * per, (server1_.sys_s - server0_.sys_s) * per,
                    server_cpu_s * per, (server_run1_ - server_run0_) * per, server_rss_);
        std::printf("\"idle_rss_before_kib\":%ld,\"idle_rss_after_kib\":%ld,\"idle_tcp_pages_before\":%ld,"
                    "\"idle_tcp_pages_after\":%ld,\"storm_s\":%.3f,\"storm_rejoined\":%zu,\"storm_recovered\":%zu}\n",
                    idle_before_rss_, idle_after_rss_, idle_before_tcp_, idle_after_tcp_, storm_s_, storm_rejoined_,
                    storm_recovered_);
        std::fflush(stdout);
    }

    options o_;
    net::io_context ioc_{1};
    net::steady_timer timer_;
    tcp::endpoint endpoint_;
    std::string request_, pong_;
    ws::mask_key key_{};
    std::vector<char> buf_;
    std::vector<std::unique_ptr<client>> clients_;
    std::size_t next_ = 0, inflight_ = 0, opened_ = 0, joined_ = 0, errors_ = 0, joined_at_end_ = 0;
    bool released_ = false;
    phase ph_ = phase::ramp;
    bool failed_ = false;
    clock_type::time_point started_{}, window_t0_{}, now_{};
    double ramp_s_ = 0, window_len_ = 0;
    std::uint64_t received_ = 0, window_deliveries_ = 0, gaps_ = 0, missing_ = 0, dups_ = 0;
    std::int64_t base_ = -1;
    std::vector<tick_stat> ticks_;
    histogram latency_, connect_us_;
    cpu_sample self0_, self1_, server0_, server1_;
    double server_run0_ = 0, server_run1_ = 0;
    long server_rss_ = 0, idle_before_rss_ = 0, idle_after_rss_ = 0, idle_before_tcp_ = 0, idle_after_tcp_ = 0;
    bool storm_armed_ = false, storm_started_ = false;
    clock_type::time_point storm_t0_{};
    double storm_s_ = 0;
    std::size_t storm_rejoined_ = 0, storm_recovered_ = 0;
};

}  // namespace

int main(int argc, char** argv) {
    try {
        load l(parse_options(argc, argv));
        return l.run();
    } catch (const std::exception& e) {
        std::fprintf(stderr, "beastio-load: %s\n", e.what());
        return 1;
    }
}
