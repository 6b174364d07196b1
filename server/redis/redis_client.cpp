#include "server/redis/redis_client.hpp"

#include "server/core/log.hpp"

#include <boost/asio/ssl.hpp>
#include <hiredis/hiredis.h>

#include <algorithm>
#include <deque>
#include <random>
#include <set>

namespace beastio::redis {

using tcp = net::ip::tcp;
using error_code = boost::system::error_code;
using clock = std::chrono::steady_clock;
namespace ssl = net::ssl;

void append_command(std::string& out, const command& c) {
    out += fmt::format("*{}\r\n", c.size());
    for (const auto& a : c) {
        out += fmt::format("${}\r\n", a.size());
        out += a;
        out += "\r\n";
    }
}

namespace {

// What may wait for a slow Redis before new commands fail fast ("redis overloaded").
constexpr std::size_t max_waiting_replies = 100000;
constexpr std::size_t max_unsent_bytes = 64u << 20;

reply convert(const redisReply* r) {
    reply out;
    switch (r->type) {
        case REDIS_REPLY_STRING: out.t = reply::type::string; break;
        case REDIS_REPLY_STATUS: out.t = reply::type::status; break;
        case REDIS_REPLY_ERROR: out.t = reply::type::error; break;
        case REDIS_REPLY_INTEGER:
            out.t = reply::type::integer;
            out.integer = r->integer;
            return out;
        case REDIS_REPLY_ARRAY:
            out.t = reply::type::array;
            out.elements.reserve(r->elements);
            for (std::size_t i = 0; i < r->elements; ++i) out.elements.push_back(convert(r->element[i]));
            return out;
        default: out.t = reply::type::nil; return out;
    }
    out.str.assign(r->str, r->len);
    return out;
}

struct reader_deleter {
    void operator()(redisReader* r) const { redisReaderFree(r); }
};

}  // namespace

struct client::impl : std::enable_shared_from_this<client::impl> {
    impl(net::io_context& ioc, client_options o)
        : opts(std::move(o)), strand(net::make_strand(ioc)), resolver(strand), socket(strand), timer(strand),
          retry_timer(strand), rng(std::random_device{}()) {}

    // ---- state, all on the strand ----
    client_options opts;
    net::strand<net::io_context::executor_type> strand;
    tcp::resolver resolver;
    tcp::socket socket;
    std::unique_ptr<ssl::context> tls_ctx;
    // Shared with the completion handlers of its operations: a connection that is
    // dropped while a TLS read is pending frees the stream only when that read has finished.
    std::shared_ptr<ssl::stream<tcp::socket&>> tls;
    net::steady_timer timer;        // connect deadline, then the keep-alive / reply deadline check
    net::steady_timer retry_timer;  // the backoff
    std::unique_ptr<redisReader, reader_deleter> reader;
    std::array<char, 16 * 1024> in{};
    std::string out_next;  // commands waiting for the write in flight
    std::string out_busy;  // the write in flight
    bool writing = false;
    struct waiter {
        reply_handler handler;
        clock::time_point sent;
    };
    std::deque<waiter> waiting;   // replies expected, in order (command client)
    std::size_t handshake_left = 0;  // replies of AUTH / SELECT / SETNAME still expected
    std::deque<clock::time_point> pings;  // keep-alive PINGs unanswered (subscriber)
    clock::time_point last_io{};
    std::set<std::string> channels, patterns;
    state_handler on_state;
    message_handler on_message;
    std::uint64_t generation = 0;  // one per connection attempt: stale completions are dropped
    unsigned attempt = 0;
    bool connected = false;  // TCP (and TLS) up
    bool ready = false;      // handshake done: commands flow
    bool stopped = false;
    bool started = false;
    std::atomic<bool> up{false};
    std::atomic<std::size_t> outstanding{0};  // waiting.size(), for pending()
    std::atomic<std::size_t> queued{0};       // sent from another thread, not on the strand yet
    std::mt19937_64 rng;

    std::string who() const { return opts.name.empty() ? std::string("redis") : "redis " + opts.name; }

    // ---- connecting ----
    void connect() {
        if (stopped) return;
        const auto gen = ++generation;
        reader.reset(redisReaderCreate());
        timer.expires_after(opts.connect_timeout);
        timer.async_wait([self = shared_from_this(), gen](error_code ec) {
            if (ec || gen != self->generation || self->ready) return;
            self->fail(fmt::format("no connection within {} ms", self->opts.connect_timeout.count()));
        });
        resolver.async_resolve(opts.where.host, std::to_string(opts.where.port),
                               [self = shared_from_this(), gen](error_code ec, tcp::resolver::results_type r) {
                                   if (gen != self->generation) return;
                                   if (ec) return self->fail("cannot resolve " + self->opts.where.host + ": " + ec.message());
                                   net::async_connect(self->socket, r, [self, gen](error_code ec2, const tcp::endpoint&) {
                                       if (gen != self->generation) return;
                                       if (ec2) return self->fail("cannot connect: " + ec2.message());
                                       self->on_tcp(gen);
                                   });
                               });
    }

    void on_tcp(std::uint64_t gen) {
        error_code ignored;
        socket.set_option(tcp::no_delay(true), ignored);
        connected = true;
        if (!opts.where.tls) return handshake();
        if (!tls_ctx) {
            try {
                auto ctx = std::make_unique<ssl::context>(ssl::context::tls_client);
                if (opts.tls_ca_file.empty()) ctx->set_default_verify_paths();
                else ctx->load_verify_file(opts.tls_ca_file);
                ctx->set_verify_mode(ssl::verify_peer);
                tls_ctx = std::move(ctx);
            } catch (const std::exception& e) {
                return fail(fmt::format("TLS set-up failed ({}): {}", opts.tls_ca_file, e.what()));
            }
        }
        tls = std::make_shared<ssl::stream<tcp::socket&>>(socket, *tls_ctx);
        // SNI (SSL_set_tlsext_host_name is a macro with a C cast).
        SSL_ctrl(tls->native_handle(), SSL_CTRL_SET_TLSEXT_HOSTNAME, TLSEXT_NAMETYPE_host_name,
                 const_cast<char*>(opts.where.host.c_str()));
        tls->set_verify_callback(ssl::host_name_verification(opts.where.host));
        tls->async_handshake(ssl::stream_base::client, [self = shared_from_this(), gen, keep = tls](error_code ec) {
            if (gen != self->generation) return;
            if (ec) return self->fail("TLS handshake failed: " + ec.message());
            self->handshake();
        });
    }

    // AUTH, SELECT and CLIENT SETNAME in one write; commands flow once all are answered.
    void handshake() {
        start_reading(generation);
        std::vector<command> hello;
        if (!opts.where.password.empty()) {
            if (opts.where.username.empty()) hello.push_back({"AUTH", opts.where.password});
            else hello.push_back({"AUTH", opts.where.username, opts.where.password});
        }
        if (opts.where.db != 0) hello.push_back({"SELECT", std::to_string(opts.where.db)});
        if (!opts.name.empty()) hello.push_back({"CLIENT", "SETNAME", opts.name});
        if (hello.empty()) return on_ready();
        handshake_left = hello.size();
        for (const auto& c : hello) {
            append_command(out_next, c);
            waiting.push_back({[self = shared_from_this(), what = c[0]](const reply& r) {
                                   if (!self->connected) return;
                                   if (r.is_error()) return self->fail(what + " refused: " + r.str);
                                   if (--self->handshake_left == 0) self->on_ready();
                               },
                               clock::now()});
        }
        flush();
    }

    void on_ready() {
        ready = true;
        attempt = 0;
        last_io = clock::now();
        up = true;
        log::info("{}: connected to {}", who(), opts.where.redacted());
        if (opts.subscriber) {
            if (!channels.empty()) send_now(command_with("SUBSCRIBE", channels));
            if (!patterns.empty()) send_now(command_with("PSUBSCRIBE", patterns));
        }
        arm_check(generation);
        if (on_state) on_state(true, "connected");
    }

    static command command_with(const char* verb, const std::set<std::string>& names) {
        command c{verb};
        c.insert(c.end(), names.begin(), names.end());
        return c;
    }

    // ---- losing the connection ----
    void fail(const std::string& why) {
        if (stopped) return;
        const bool was_ready = ready;
        close_socket();
        auto failed = std::move(waiting);
        waiting.clear();
        outstanding = 0;
        for (auto& w : failed)
            if (w.handler) w.handler(reply::failure("redis connection lost: " + why));
        const auto delay = backoff();
        if (was_ready) {
            log::warn("{}: connection to {} lost ({}); reconnecting in {} ms", who(), opts.where.redacted(), why,
                      delay.count());
            if (on_state) on_state(false, why);
        } else {
            log::warn("{}: cannot connect to {} ({}); retrying in {} ms", who(), opts.where.redacted(), why,
                      delay.count());
            if (attempt == 1 && on_state) on_state(false, why);
        }
        retry_timer.expires_after(delay);
        retry_timer.async_wait([self = shared_from_this()](error_code ec) {
            if (!ec) self->connect();
        });
    }

    void close_socket() {
        ++generation;  // every completion of the old connection is now stale
        connected = ready = false;
        up = false;
        writing = false;
        handshake_left = 0;
        out_next.clear();
        out_busy.clear();
        pings.clear();
        error_code ignored;
        resolver.cancel();
        timer.cancel();
        socket.shutdown(tcp::socket::shutdown_both, ignored);
        socket.close(ignored);
        tls.reset();
    }

    std::chrono::milliseconds backoff() {
        // Exponential from reconnect_min, capped, with jitter in [d/2, d]: nodes that lost Redis together
        // do not all come back in the same millisecond.
        const auto cap = std::max(opts.reconnect_max, opts.reconnect_min);
        auto d = opts.reconnect_min;
        for (unsigned i = 0; i < attempt && d < cap; ++i) d *= 2;
        d = std::min(d, cap);
        ++attempt;
        std::uniform_int_distribution<long long> pick(d.count() / 2, std::max<long long>(d.count(), 1));
        return std::chrono::milliseconds(pick(rng));
    }

    // ---- I/O ----
    template <class F>
    void with_stream(F&& f) {
        if (tls) f(*tls);
        else f(socket);
    }

    void start_reading(std::uint64_t gen) {
        with_stream([&](auto& s) {
            s.async_read_some(net::buffer(in), [self = shared_from_this(), gen, keep = tls](error_code ec, std::size_t n) {
                if (gen != self->generation) return;
                if (ec) return self->fail(ec == net::error::eof ? std::string("closed by the server") : ec.message());
                self->on_bytes(n, gen);
            });
        });
    }

    void on_bytes(std::size_t n, std::uint64_t gen) {
        last_io = clock::now();
        if (redisReaderFeed(reader.get(), in.data(), n) != REDIS_OK) return fail("unreadable reply");
        for (;;) {
            void* raw = nullptr;
            if (redisReaderGetReply(reader.get(), &raw) != REDIS_OK) {
                return fail(std::string("protocol error: ") + reader->errstr);
            }
            if (!raw) break;
            const reply r = convert(static_cast<redisReply*>(raw));
            freeReplyObject(raw);
            dispatch(r);
            if (gen != generation) return;  // a handler failed or stopped the connection
        }
        start_reading(gen);
    }

    void dispatch(const reply& r) {
        if (opts.subscriber && ready) {
            if (r.t == reply::type::array && !r.elements.empty()) {
                const auto& kind = r.elements[0].str;
                if (kind == "message" && r.elements.size() == 3) {
                    if (on_message) on_message(r.elements[1].str, r.elements[2].str);
                } else if (kind == "pmessage" && r.elements.size() == 4) {
                    if (on_message) on_message(r.elements[2].str, r.elements[3].str);
                } else if (kind == "pong") {
                    if (!pings.empty()) pings.pop_front();
                }
                return;  // subscribe / unsubscribe confirmations
            }
            // PING with no subscription left is answered as on a command connection.
            if (r.t == reply::type::status && r.str == "PONG") {
                if (!pings.empty()) pings.pop_front();
                return;
            }
            if (r.is_error()) log::warn("{}: {}", who(), r.str);
            return;
        }
        if (waiting.empty()) return fail("a reply nobody asked for");
        auto w = std::move(waiting.front());
        waiting.pop_front();
        outstanding = waiting.size();
        if (w.handler) w.handler(r);
    }

    void send_now(const command& c, reply_handler h = {}, std::chrono::milliseconds allowance = {}) {
        append_command(out_next, c);
        // The deadline check measures from `sent`: a reply allowed longer is counted from later.
        if (!opts.subscriber) waiting.push_back({std::move(h), clock::now() + allowance});
        outstanding = waiting.size();
        flush();
    }

    void flush() {
        if (writing || out_next.empty() || !connected) return;
        writing = true;
        std::swap(out_busy, out_next);
        const auto gen = generation;
        with_stream([&](auto& s) {
            net::async_write(s, net::buffer(out_busy), [self = shared_from_this(), gen, keep = tls](error_code ec, std::size_t) {
                if (gen != self->generation) return;
                if (ec) return self->fail("write failed: " + ec.message());
                self->writing = false;
                self->out_busy.clear();
                self->last_io = clock::now();
                self->flush();
            });
        });
    }

    // Every half keep-alive: a reply overdue ends the connection; quiet for a keep-alive, a PING.
    void arm_check(std::uint64_t gen) {
        const auto every = std::max(std::chrono::milliseconds(50), std::min(opts.keepalive, opts.command_timeout) / 2);
        timer.expires_after(every);
        timer.async_wait([self = shared_from_this(), gen](error_code ec) {
            if (ec || gen != self->generation || !self->ready) return;
            const auto now = clock::now();
            const auto oldest = !self->waiting.empty() ? std::optional(self->waiting.front().sent)
                                : !self->pings.empty() ? std::optional(self->pings.front())
                                                       : std::nullopt;
            if (oldest && now - *oldest > self->opts.command_timeout)
                return self->fail(fmt::format("no reply for {} ms", self->opts.command_timeout.count()));
            if (!oldest && now - self->last_io >= self->opts.keepalive) {
                if (self->opts.subscriber) self->pings.push_back(now);
                self->send_now({"PING"});
            }
            self->arm_check(gen);
        });
    }

    void stop_now() {
        if (stopped) return;
        stopped = true;
        const bool was = ready;
        close_socket();
        retry_timer.cancel();
        auto failed = std::move(waiting);
        waiting.clear();
        outstanding = 0;
        for (auto& w : failed)
            if (w.handler) w.handler(reply::failure("redis client stopped"));
        if (was || started) log::debug("{}: stopped", who());
    }
};

std::shared_ptr<client> client::create(net::io_context& ioc, client_options options) {
    return std::shared_ptr<client>(new client(std::make_shared<impl>(ioc, std::move(options))));
}

client::client(std::shared_ptr<impl> p) : impl_(std::move(p)) {}
client::~client() { stop(); }

void client::on_state(state_handler h) { impl_->on_state = std::move(h); }
void client::on_message(message_handler h) { impl_->on_message = std::move(h); }

void client::start() {
    net::post(impl_->strand, [p = impl_] {
        if (p->started || p->stopped) return;
        p->started = true;
        p->connect();
    });
}

void client::stop() {
    net::post(impl_->strand, [p = impl_] { p->stop_now(); });
}

void client::send(command c, reply_handler h, std::chrono::milliseconds allowance) {
    impl_->queued.fetch_add(1);
    net::post(impl_->strand, [p = impl_, c = std::move(c), h = std::move(h), allowance]() mutable {
        p->queued.fetch_sub(1);
        if (!p->ready || p->opts.subscriber) {
            if (h) h(reply::failure(p->opts.subscriber ? "a subscriber sends no commands" : "redis unavailable"));
            return;
        }
        // A Redis that is slow but not yet declared dead must not make the node grow without bound.
        if (p->waiting.size() >= max_waiting_replies || p->out_next.size() >= max_unsent_bytes) {
            if (h) h(reply::failure("redis overloaded: too many commands waiting"));
            return;
        }
        p->send_now(c, std::move(h), allowance);
    });
}

void client::subscribe(std::string channel) {
    net::post(impl_->strand, [p = impl_, ch = std::move(channel)] {
        if (!p->channels.insert(ch).second) return;
        if (p->ready) p->send_now({"SUBSCRIBE", ch});
    });
}

void client::unsubscribe(std::string channel) {
    net::post(impl_->strand, [p = impl_, ch = std::move(channel)] {
        if (p->channels.erase(ch) == 0) return;
        if (p->ready) p->send_now({"UNSUBSCRIBE", ch});
    });
}

void client::psubscribe(std::string pattern) {
    net::post(impl_->strand, [p = impl_, pat = std::move(pattern)] {
        if (!p->patterns.insert(pat).second) return;
        if (p->ready) p->send_now({"PSUBSCRIBE", pat});
    });
}

bool client::up() const { return impl_->up.load(); }
std::size_t client::pending() const { return impl_->queued.load() + impl_->outstanding.load(); }
const client_options& client::options() const { return impl_->opts; }

}  // namespace beastio::redis
