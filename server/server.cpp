#include "server/server.hpp"

#include "server/apps/apps.hpp"
#include "server/context.hpp"
#include "server/listener.hpp"
#include "server/log.hpp"
#include "server/net.hpp"

#include <chrono>
#include <filesystem>
#include <malloc.h>
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
        if (ctx_.open_connections.size() == 0 || std::chrono::steady_clock::now() >= deadline_) {
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

}  // namespace

// Every tick allocates one write operation per connection and frees them all
// right after; with glibc's default 128 KiB trim threshold the heap top goes
// back to the kernel after each tick and is faulted in again on the next one
// (measured: 25-33% of the CPU per delivery, docs/benchmark.md). Keep freed
// memory for reuse instead.
static void tune_allocator() {
    mallopt(M_TRIM_THRESHOLD, 64 * 1024 * 1024);
    mallopt(M_TOP_PAD, 16 * 1024 * 1024);
}

int run(const config& cfg) {
    tune_allocator();
    log::set_level(cfg.log_level);
    context ctx;
    ctx.cfg = cfg;
    ctx.static_dir = absolute_or(cfg.static_dir, BEASTIO_SOURCE_DIR "/clients/browser");
    ctx.client_dist = absolute_or(cfg.client_dist, BEASTIO_SOURCE_DIR "/clients/node_modules/socket.io-client/dist");

    const unsigned threads = cfg.threads == 0 ? 1 : cfg.threads;
    net::io_context ioc(static_cast<int>(threads));

    std::shared_ptr<apps::app> application =
        cfg.app == app_kind::echo ? apps::install_echo(ctx) : apps::install_integers(ioc, ctx);

    // Signals are caught before the listening line, so a supervisor that sends
    // SIGTERM as soon as it sees that line gets a clean shutdown.
    net::signal_set signals(ioc, SIGINT, SIGTERM);

    const tcp::endpoint endpoint(net::ip::make_address(cfg.address), cfg.port);
    auto lst = std::make_shared<listener>(ioc, ctx, endpoint);
    const auto bound = lst->local_endpoint();
    lst->run();
    log::info("listening on {}:{} app={} threads={} ping={}/{}ms max-payload={} send-queue-limit={}",
              bound.address().to_string(), bound.port(), cfg.app == app_kind::echo ? "echo" : "integers", threads,
              cfg.ping_interval_ms, cfg.ping_timeout_ms, cfg.max_payload, cfg.send_queue_limit);

    signals.async_wait([&](beast::error_code ec, int sig) {
        if (ec) return;
        log::info("received {}: closing {} connections", sig == SIGTERM ? "SIGTERM" : "SIGINT",
                  ctx.open_connections.size());
        ctx.shutting_down.store(true);
        lst->stop();
        application->shutdown();
        std::make_shared<shutdown_sequence>(ioc, ctx)->start();
    });

    std::vector<std::thread> pool;
    pool.reserve(threads - 1);
    for (unsigned i = 1; i < threads; ++i) pool.emplace_back([&ioc] { ioc.run(); });
    ioc.run();
    for (auto& t : pool) t.join();
    log::info("stopped");
    return 0;
}

}  // namespace beastio::server
