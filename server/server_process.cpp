#include "server/server_process.hpp"

#include "server/cluster/cluster_node.hpp"
#include "server/cluster/redis_adapter.hpp"
#include "server/cluster/stream_reader.hpp"
#include "server/cluster/streams_adapter.hpp"
#include "server/core/io_loop.hpp"
#include "server/core/log.hpp"
#include "server/core/net.hpp"
#include "server/http/admission.hpp"
#include "server/http/listener.hpp"
#include "server/websocket/context.hpp"

#include <boost/asio/ssl/context.hpp>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <malloc.h>
#include <stdexcept>
#include <sys/resource.h>
#include <thread>
#include <vector>

#ifndef BEASTIO_SOURCE_DIR
#define BEASTIO_SOURCE_DIR "."
#endif

namespace beastio::server {
namespace {

using namespace std::chrono_literals;

std::string absolute_or(const std::string& given, const char* fallback) {
    std::error_code ec;
    const std::string p = given.empty() ? std::string(fallback) : given;
    auto abs = std::filesystem::absolute(p, ec);
    return ec ? p : abs.lexically_normal().string();
}

// Closes every connection, then stops the loop when all are gone or after a
// deadline, so the process exits within 5 s whatever the clients do.
class shutdown_sequence : public std::enable_shared_from_this<shutdown_sequence> {
public:
    shutdown_sequence(net::io_context& ioc, context& ctx) : ioc_(ioc), ctx_(ctx), timer_(ioc) {}

    void start() {
        deadline_ = std::chrono::steady_clock::now() + 4s;
        ctx_.open_connections.close_all(close_cause::server_shutdown);
        poll();
    }

private:
    void poll() {
        const bool busy = ctx_.open_connections.size() > 0 || (ctx_.busy && ctx_.busy());
        if (!busy || std::chrono::steady_clock::now() >= deadline_) {
            if (ctx_.open_connections.size() > 0)
                log::warn("{} connections did not close in time; exiting anyway", ctx_.open_connections.size());
            ioc_.stop();
            return;
        }
        timer_.expires_after(20ms);
        timer_.async_wait([self = shared_from_this()](beast::error_code) { self->poll(); });
    }

    net::io_context& ioc_;
    context& ctx_;
    net::steady_timer timer_;
    std::chrono::steady_clock::time_point deadline_;
};

// Gives freed heap memory back to the kernel every few seconds. The trim
// threshold (tune_allocator) keeps freed memory between ticks so the fan-out
// does not fault it in again each time; after a burst (hostile clients, a
// crowd that left) this returns what is left over, at the cost of one heap
// walk per interval.
class heap_trimmer : public std::enable_shared_from_this<heap_trimmer> {
public:
    explicit heap_trimmer(net::io_context& ioc) : timer_(ioc) {}
    void start() { arm(); }
    void stop() { timer_.cancel(); }

private:
    void arm() {
        timer_.expires_after(5s);
        timer_.async_wait([self = shared_from_this()](beast::error_code ec) {
            if (ec) return;
            malloc_trim(0);
            self->arm();
        });
    }
    net::steady_timer timer_;
};

}  // namespace

// Every tick allocates one write operation per connection and frees them all
// right after; with glibc's default 128 KiB trim threshold the heap top goes
// back to the kernel after each tick and is faulted in again on the next one
// (measured: 25-33% of the CPU per delivery, docs/benchmarks.md). Keep freed
// memory for reuse instead.
//
// Large blocks (a 1 MB message, a big read buffer) are mapped and unmapped on
// their own, at a fixed threshold: glibc's default threshold rises after the
// first large free, and the heap would then keep what a burst of big messages
// took (docs/reliability.md measures RSS after hostile clients).
static void tune_allocator() {
    mallopt(M_TRIM_THRESHOLD, 64 * 1024 * 1024);
    mallopt(M_TOP_PAD, 16 * 1024 * 1024);
    mallopt(M_MMAP_THRESHOLD, 256 * 1024);
}

// Raises the soft open-file limit to the hard one and returns it.
static std::size_t raise_fd_limit() {
    rlimit lim{};
    if (getrlimit(RLIMIT_NOFILE, &lim) != 0) return 1024;
    if (lim.rlim_cur < lim.rlim_max) {
        rlimit want = lim;
        want.rlim_cur = lim.rlim_max;
        if (setrlimit(RLIMIT_NOFILE, &want) == 0) lim = want;
    }
    return lim.rlim_cur == RLIM_INFINITY ? 1u << 20 : static_cast<std::size_t>(lim.rlim_cur);
}

// The default --max-connections: the open-file limit minus a reserve for the
// listener, log, static files, TLS and HTTP requests in progress (health
// checks keep answering at the WebSocket limit).
static std::size_t default_max_connections(std::size_t fd_limit) {
    const std::size_t reserve = 64 + fd_limit / 50;
    return fd_limit > reserve + 1 ? fd_limit - reserve : 1;
}

static std::unique_ptr<net::ssl::context> make_tls(const config& cfg) {
    if (!cfg.tls()) return nullptr;
    auto ssl = std::make_unique<net::ssl::context>(net::ssl::context::tls_server);
    ssl->set_options(net::ssl::context::default_workarounds | net::ssl::context::no_sslv2 |
                     net::ssl::context::no_sslv3 | net::ssl::context::no_tlsv1 | net::ssl::context::no_tlsv1_1 |
                     net::ssl::context::single_dh_use);
    beast::error_code ec;
    ssl->use_certificate_chain_file(cfg.tls_cert, ec);
    if (ec) throw std::runtime_error(fmt::format("cannot use TLS certificate '{}': {}", cfg.tls_cert, ec.message()));
    ssl->use_private_key_file(cfg.tls_key, net::ssl::context::pem, ec);
    if (ec) throw std::runtime_error(fmt::format("cannot use TLS key '{}': {}", cfg.tls_key, ec.message()));
    return ssl;
}

void run_loop(net::io_context& ioc) {
    for (;;) {
        try {
            ioc.run();
            return;
        } catch (const std::exception& e) {
            log::error("exception escaped to an I/O thread: {} (the thread carries on)", e.what());
        } catch (...) {
            log::error("unknown exception escaped to an I/O thread (the thread carries on)");
        }
    }
}

struct server_process::impl {
    explicit impl(const config& c) : ioc(1) {
        // --threads N: N loops with a thread each; connections are spread over them.
        for (unsigned i = 1; i < (c.threads == 0 ? 1 : c.threads); ++i) loops.push_back(std::make_unique<net::io_context>(1));
    }

    // Destroyed in reverse: the namespaces (in ctx) and their Redis adapters
    // first, then the cluster node they unsubscribe from, then the main loop
    // its Redis clients post to, and the other loops last: the main loop's
    // pending accept holds a socket of the loop it was meant for.
    std::vector<std::unique_ptr<net::io_context>> loops;  // the other I/O threads' loops
    net::io_context ioc;
    std::unique_ptr<cluster_node> cluster;  // --redis
    context ctx;
    std::size_t fd_limit = 0;
    std::unique_ptr<net::ssl::context> tls;
    std::vector<std::function<void()>> shutdown_handlers;
    bool ran = false;
};

server_process::server_process(const config& cfg) : impl_(std::make_unique<impl>(cfg)) {
    tune_allocator();
    log::set_level(cfg.log_level);
    context& ctx = impl_->ctx;
    ctx.cfg = cfg;
    ctx.static_dir = absolute_or(cfg.static_dir, BEASTIO_SOURCE_DIR "/clients/browser");
    ctx.client_dist = absolute_or(cfg.client_dist, BEASTIO_SOURCE_DIR "/clients/node_modules/socket.io-client/dist");

    impl_->fd_limit = raise_fd_limit();
    ctx.max_connections = cfg.max_connections != 0 ? cfg.max_connections : default_max_connections(impl_->fd_limit);
    sio_limits limits;
    limits.max_pending_acks = cfg.max_pending_acks;
    limits.max_rooms_per_socket = cfg.max_rooms_per_socket;
    limits.max_namespaces = cfg.max_namespaces;
    limits.max_room_name_bytes = cfg.max_room_name_bytes;
    limits.max_dynamic_namespaces = cfg.max_dynamic_namespaces;
    limits.max_dynamic_name_bytes = cfg.max_dynamic_name_bytes;
    limits.recovery.log = {std::chrono::milliseconds(cfg.recovery_window_ms), cfg.recovery_max_packets,
                           static_cast<std::size_t>(cfg.recovery_max_bytes)};
    limits.recovery.max_sessions = cfg.recovery_max_sessions;
    // A replay goes into the new connection's send queue, with its CONNECT reply.
    limits.recovery.max_replay_packets = cfg.send_queue_limit - 1;
    limits.recovery.max_replay_bytes = static_cast<std::size_t>(cfg.send_queue_bytes);
    ctx.io.set_limits(limits);
    if (!cfg.auth_token.empty()) {
        // Every namespace: the CONNECT's auth must carry {"token": <the token>}.
        ctx.io.use([token = cfg.auth_token](const socket_ptr& s, const middleware_next& next) {
            const json::value* given = s->auth().find("token");
            if (given && given->is_string() && token_equal(token, given->as_string())) return next();
            next(connect_error{"not authorized"});
        });
    }
    impl_->tls = make_tls(cfg);
    if (cfg.redis) {
        cluster_options co;
        co.url = *cfg.redis;
        co.key = cfg.redis_key;
        co.connect_timeout = co.command_timeout = std::chrono::milliseconds(cfg.redis_timeout_ms);
        co.reconnect_max = std::chrono::milliseconds(cfg.redis_reconnect_max_ms);
        co.tls_ca_file = cfg.redis_ca_file;
        co.streams = cfg.redis_adapter == "streams";
        co.stream = cfg.redis_key;
        co.stream_maxlen = static_cast<std::size_t>(cfg.redis_stream_maxlen);
        impl_->cluster = std::make_unique<cluster_node>(impl_->ioc, std::move(co));
        cluster_node* node = impl_->cluster.get();
        if (node->options().streams) {
            ctx.io.set_adapter_factory([node](sio_namespace& nsp) -> std::unique_ptr<sio_adapter> {
                return std::make_unique<redis_streams_adapter>(nsp, *node);
            });
            ctx.status_parts.push_back([node] {
                const auto& r = node->stream();
                return fmt::format(R"("adapter":"streams","stream":{{"position":"{}","read":{}}},)", r.position().str(),
                                   r.read()) +
                       node->status_json();
            });
        } else {
            ctx.io.set_adapter_factory([node](sio_namespace& nsp) -> std::unique_ptr<sio_adapter> {
                return std::make_unique<redis_pubsub_adapter>(nsp, *node);
            });
            ctx.status_parts.push_back([node] { return "\"adapter\":\"pubsub\"," + node->status_json(); });
            if (cfg.recovery_window_ms > 0)
                log::warn("--recovery-window-ms with --redis-adapter pubsub: a session is kept by the node it was on "
                          "and recovers only when the client comes back to that node (streams recovers on any node)");
        }
        ctx.busy = [node] { return node->busy(); };
    }
}

server_process::~server_process() = default;

sio_server& server_process::io() { return impl_->ctx.io; }
net::io_context& server_process::io_context() { return impl_->ioc; }
const config& server_process::cfg() const { return impl_->ctx.cfg; }
void server_process::set_plain_endpoint(std::shared_ptr<plain_endpoint> e) { impl_->ctx.plain = std::move(e); }
void server_process::on_shutdown(std::function<void()> f) { impl_->shutdown_handlers.push_back(std::move(f)); }
void server_process::set_name(std::string name) { impl_->ctx.app_name = std::move(name); }
cluster_node* server_process::cluster() { return impl_->cluster.get(); }
void server_process::add_status(std::function<std::string()> members) {
    impl_->ctx.status_parts.push_back(std::move(members));
}

int server_process::run() {
    if (impl_->ran) throw std::logic_error("beastio::server::server_process::run() called twice");
    impl_->ran = true;
    context& ctx = impl_->ctx;
    const config& cfg = ctx.cfg;
    net::io_context& ioc = impl_->ioc;
    const unsigned threads = cfg.threads == 0 ? 1 : cfg.threads;

    // Signals are caught before the listening line, so a supervisor that sends
    // SIGTERM as soon as it sees that line gets a clean shutdown.
    net::signal_set signals(ioc, SIGINT, SIGTERM);

    ctx.loops.assign(1, &ioc);
    for (auto& l : impl_->loops) ctx.loops.push_back(l.get());

    const tcp::endpoint endpoint(net::ip::make_address(cfg.address), cfg.port);
    auto lst = std::make_shared<listener>(ioc, ctx, endpoint, impl_->tls.get());
    const auto bound = lst->local_endpoint();
    lst->run();
    log::info("listening on {}:{} app={} threads={} tls={} auth={} ping={}/{}ms max-payload={} "
              "max-connections={} (open-file limit {}) send-queue={}/{}B rate={}/s",
              bound.address().to_string(), bound.port(), ctx.app_name, threads,
              cfg.tls() ? "on" : "off", cfg.auth_token.empty() ? "off" : "token", cfg.ping_interval_ms,
              cfg.ping_timeout_ms, cfg.max_payload, ctx.max_connections, impl_->fd_limit, cfg.send_queue_limit,
              cfg.send_queue_bytes, cfg.max_messages_per_second);

    auto trimmer = std::make_shared<heap_trimmer>(ioc);
    trimmer->start();
    if (impl_->cluster) impl_->cluster->start();

    signals.async_wait([&](beast::error_code ec, int sig) {
        if (ec) return;
        log::info("received {}: closing {} connections", sig == SIGTERM ? "SIGTERM" : "SIGINT",
                  ctx.open_connections.size());
        ctx.shutting_down.store(true);
        lst->stop();
        for (auto& h : impl_->shutdown_handlers) {
            try {
                h();
            } catch (const std::exception& e) {
                log::error("a shutdown handler threw: {}", e.what());
            } catch (...) {
                log::error("a shutdown handler threw an exception that is not a std::exception");
            }
        }
        trimmer->stop();
        std::make_shared<shutdown_sequence>(ioc, ctx)->start();
    });

    // The main loop (the listener, signals, the producer, Redis, the
    // application's timers, a share of the connections) runs here; each other
    // loop on a thread of its own until the main one is done.
    std::vector<net::executor_work_guard<net::io_context::executor_type>> idle_guards;
    std::vector<std::thread> pool;
    pool.reserve(impl_->loops.size());
    for (auto& l : impl_->loops) {
        idle_guards.emplace_back(l->get_executor());
        pool.emplace_back([&loop = *l] { run_loop(loop); });
    }
    run_loop(ioc);
    idle_guards.clear();
    for (auto& l : impl_->loops) l->stop();
    for (auto& t : pool) t.join();
    log::info("stopped");
    return 0;
}

int run_main(int argc, char** argv, std::string_view program, std::string_view version,
             const std::function<void(server_process&)>& setup) {
    std::vector<std::string> args(argv + 1, argv + argc);
    environment env;
    if (const char* p = std::getenv("PORT")) env.port = std::string(p);
    if (const char* t = std::getenv("BEASTIO_AUTH_TOKEN")) env.auth_token = std::string(t);

    const auto parsed = parse_args(args, env, std::thread::hardware_concurrency());
    switch (parsed.what) {
        case parse_outcome::action::help:
            fmt::print("{}", help_text());
            return 0;
        case parse_outcome::action::version:
            fmt::print("{} {}\n", program, version);
            return 0;
        case parse_outcome::action::error:
            fmt::print(stderr, "{}: {}\n", program, parsed.message);
            return 2;
        case parse_outcome::action::run:
            break;
    }
    try {
        server_process srv(parsed.cfg);
        setup(srv);
        return srv.run();
    } catch (const std::exception& e) {
        fmt::print(stderr, "{}: cannot start: {}\n", program, e.what());
        return 1;
    }
}

}  // namespace beastio::server
