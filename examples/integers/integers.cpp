// The integers service: one shared producer makes auto-incrementing integers
// only while at least one client listens, and every listener receives the same
// ones, as 42["integer",N] on "/" and as the text frame "N" on the plain stream.
#include "integers/integers.hpp"

#include "protocol/socketio/broadcast.hpp"
#include "server/core/log.hpp"
#include "server/core/net.hpp"

#include <atomic>
#include <chrono>
#include <cstdint>
#include <string>

namespace beastio::examples {

using namespace beastio::server;
namespace {

class integer_producer final : public std::enable_shared_from_this<integer_producer> {
public:
    integer_producer(net::io_context& ioc, sio_namespace& root, std::shared_ptr<resumable_hub> plain,
                     std::chrono::milliseconds period)
        : root_(root), plain_(std::move(plain)), strand_(net::make_strand(ioc)), timer_(strand_), period_(period) {}

    // Thread-safe: a listener arrived (+1) or left (-1).
    void presence(int delta) {
        listeners_.fetch_add(delta, std::memory_order_acq_rel);
        net::post(strand_, [self = shared_from_this()] { self->reevaluate(); });
    }

    // Thread-safe: stop producing for good (SIGTERM).
    void shutdown() {
        net::post(strand_, [self = shared_from_this()] {
            self->stopped_ = true;
            self->halt();
        });
    }

private:
    // On the strand: run exactly while someone listens. Posting this after
    // every change (instead of acting on the counter's edge) makes concurrent
    // joins and leaves converge on the right state.
    void reevaluate() {
        const bool wanted = !stopped_ && listeners_.load(std::memory_order_acquire) > 0;
        if (wanted && !running_) {
            running_ = true;
            next_ = std::chrono::steady_clock::now() + period_;
            log::info("integer producer running (next integer {})", value_ + 1);
            arm();
        } else if (!wanted && running_) {
            halt();
        }
    }

    void halt() {
        if (!running_) return;
        running_ = false;
        ++generation_;
        timer_.cancel();
        log::info("integer producer idle at {} (no listener)", value_);
    }

    void arm() {
        timer_.expires_at(next_);
        timer_.async_wait([self = shared_from_this(), gen = generation_](beast::error_code ec) {
            if (ec) return;
            try {
                self->tick(gen);
            } catch (const std::exception& e) {
                // Out of memory in a fan-out, say: the producer must outlive it.
                self->recover(e.what());
            } catch (...) {
                self->recover("an exception that is not a std::exception");
            }
        });
    }

    void recover(std::string_view what) {
        log::error("integer producer: tick {} failed: {}; retrying next period", value_ + 1, what);
        if (!running_) return;
        next_ = std::chrono::steady_clock::now() + period_;
        arm();
    }

    void tick(std::uint64_t gen) {
        if (!running_ || gen != generation_) return;
        const std::int64_t candidate = value_ + 1;
        // Each form is encoded once and the buffer shared by every recipient;
        // with recovery on, the Socket.IO form carries its offset.
        const auto packet = broadcast_packet::event([candidate](std::optional<std::string_view> offset) {
            return std::vector<out_frame>{
                {make_frame(offset ? sio::encode_int_event_frame("/", "integer", candidate, *offset)
                                   : sio::encode_int_event_frame("/", "integer", candidate)),
                 false}};
        });
        const auto sio_sent = root_.publish(packet);
        const auto plain_sent = plain_->publish(candidate, make_frame(std::to_string(candidate)));
        const std::size_t sent = sio_sent.recipients + plain_sent.recipients;
        // Spent once someone has it, or may still get it (kept for recovery).
        if (sent > 0 || sio_sent.stored || plain_sent.stored) value_ = candidate;
        if (sent == 0) {
            // Nobody received it: unless it was kept, the next listener gets the same number (never a skip).
            reevaluate();
            if (!running_) return;
        }
        // Fixed rate. When a fan-out takes longer than the period (many clients,
        // a short period), the next tick starts as soon as this one is done:
        // the cycle becomes max(fan-out, period), never fan-out + period. Slots
        // missed by more than one period are dropped rather than burst.
        next_ += period_;
        const auto now = std::chrono::steady_clock::now();
        if (next_ + period_ < now) next_ = now;
        arm();
    }

    sio_namespace& root_;
    const std::shared_ptr<resumable_hub> plain_;
    net::strand<net::io_context::executor_type> strand_;
    net::steady_timer timer_;
    const std::chrono::milliseconds period_;
    std::atomic<long> listeners_{0};
    std::chrono::steady_clock::time_point next_{};
    std::int64_t value_ = 0;
    std::uint64_t generation_ = 0;
    bool running_ = false;
    bool stopped_ = false;
};

}  // namespace

void install_integers(server::server_process& srv) {
    // The plain stream keeps integers for the same window as Socket.IO recovery (?after=N).
    auto plain = std::make_shared<resumable_hub>(srv.io().limits().recovery);
    auto& root = srv.io().of("/");
    auto producer = std::make_shared<integer_producer>(srv.io_context(), root, plain,
                                                       std::chrono::milliseconds(srv.cfg().tick_ms));
    std::weak_ptr<integer_producer> weak = producer;
    root.on_connection([weak](const socket_ptr& s) {
        auto p = weak.lock();
        if (!p) return;
        p->presence(+1);
        s->on_disconnect([weak](const socket_ptr&, std::string_view) {
            if (auto q = weak.lock()) q->presence(-1);
        });
    });
    plain->on_presence([weak](int delta) {
        if (auto p = weak.lock()) p->presence(delta);
    });
    srv.set_plain_endpoint(plain);
    // The server keeps the producer (this handler) as long as it lives.
    srv.on_shutdown([producer] { producer->shutdown(); });
    srv.set_name("integers");
}

}  // namespace beastio::examples
