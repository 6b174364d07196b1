// The integers service: one shared producer makes auto-incrementing integers
// only while at least one client listens, and every listener receives the same
// ones, as 42["integer",N] on "/" and as the text frame "N" on the plain stream.
#include "integers/integers.hpp"

#include "protocol/socketio/broadcast.hpp"
#include "server/cluster/cluster_sequence.hpp"
#include "server/cluster/cluster_adapter.hpp"
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

// The integer's two forms, each encoded once for all of this node's recipients.
broadcast_packet integer_packet(std::int64_t n) {
    return broadcast_packet::event(
        [n](std::optional<std::string_view> offset) {
            return std::vector<out_frame>{{make_frame(offset ? sio::encode_int_event_frame("/", "integer", n, *offset)
                                                             : sio::encode_int_event_frame("/", "integer", n)),
                                           false}};
        },
        [n] { return json::value(json::array{"integer", json::value(static_cast<long long>(n))}); });
}

// With --redis: the same service for the whole cluster. The node holding the
// lease (cluster_sequence) ticks; each integer is published by the fenced
// script (the counter, the value on the sequence's channel, the Socket.IO
// broadcast in the adapter's format: a PUBLISH, or an XADD to the stream)
// and, once Redis says it went out, delivered to this node's clients as the
// adapter delivers its own broadcasts (at once with pubsub, in the stream's
// order with streams). Every other node delivers it when the broadcast
// arrives: its Socket.IO clients through the adapter, its plain
// clients from the sequence's channel. While Redis is away nothing is
// published, so no node can go its own way: the integers pause, and resume
// after the last one.
class cluster_producer final : public std::enable_shared_from_this<cluster_producer> {
public:
    cluster_producer(net::io_context& ioc, cluster_adapter& adapter, std::shared_ptr<resumable_hub> plain,
                     std::shared_ptr<cluster_sequence> seq, std::chrono::milliseconds period)
        : adapter_(adapter), plain_(std::move(plain)), seq_(std::move(seq)), strand_(net::make_strand(ioc)),
          timer_(strand_), period_(period) {}

    void start() {
        std::weak_ptr<cluster_producer> weak = shared_from_this();
        seq_->on_role([weak](bool) {
            if (auto self = weak.lock()) net::post(self->strand_, [self] { self->reevaluate(); });
        });
        seq_->on_wake([weak] {
            if (auto self = weak.lock()) net::post(self->strand_, [self] { self->wake(); });
        });
        seq_->on_value([weak](std::int64_t n, bool mine) {
            if (auto self = weak.lock()) net::post(self->strand_, [self, n, mine] { self->seen(n, mine); });
        });
        seq_->start();
    }

    void presence(int delta) {
        seq_->add_listeners(delta);
        if (delta > 0) net::post(strand_, [self = shared_from_this()] { self->wake(); });
    }

    void shutdown() {
        seq_->stop();  // hands the lease over now (the shutdown waits for Redis's answers)
        net::post(strand_, [self = shared_from_this()] {
            self->stopped_ = true;
            self->halt();
        });
    }

private:
    void reevaluate() {
        const bool wanted = !stopped_ && seq_->settled();
        if (wanted && !running_) {
            running_ = true;
            idle_ = false;
            next_ = std::chrono::steady_clock::now();
            log::info("integer producer running for the cluster (next integer {})", seq_->last() + 1);
            arm(next_);
        } else if (!wanted && running_) {
            halt();
        }
    }

    void halt() {
        if (!running_) return;
        running_ = false;
        ++generation_;
        timer_.cancel();
        log::info("integer producer on this node stops at {}", seq_->last());
    }

    // Someone listens again (here, or on another node): an idle leader ticks now.
    void wake() {
        if (!running_ || !idle_ || in_flight_) return;
        idle_ = false;
        next_ = std::chrono::steady_clock::now();
        arm(next_);
    }

    void arm(std::chrono::steady_clock::time_point at) {
        timer_.expires_at(at);
        timer_.async_wait([self = shared_from_this(), gen = generation_](beast::error_code ec) {
            if (!ec) self->tick(gen);
        });
    }

    void tick(std::uint64_t gen) {
        if (!running_ || gen != generation_ || in_flight_) return;
        const std::int64_t n = std::max(seq_->last(), delivered_) + 1;
        in_flight_ = true;
        auto publication = adapter_.publication(json::array{"integer", json::value(static_cast<long long>(n))}, {});
        seq_->publish(n, {std::move(publication)},
                      [self = shared_from_this(), gen, n](cluster_sequence::outcome o, std::int64_t) {
                          net::post(self->strand_, [self, gen, n, o] { self->published(gen, n, o); });
                      });
    }

    void published(std::uint64_t gen, std::int64_t n, cluster_sequence::outcome o) {
        in_flight_ = false;
        using outcome = cluster_sequence::outcome;
        if (o == outcome::published) deliver(n);
        if (!running_ || gen != generation_) return;
        const auto now = std::chrono::steady_clock::now();
        switch (o) {
            case outcome::published:
                // Fixed rate, as the single node's producer: max(fan-out, period), missed slots dropped.
                next_ += period_;
                if (next_ + period_ < now) next_ = now;
                return arm(next_);
            case outcome::behind:  // a higher integer is known: continue after it at once
                next_ = now;
                return arm(now);
            case outcome::idle:  // nobody listens anywhere: wait for a wake-up, checking now and then
                idle_ = true;
                next_ = now + std::max(period_, std::chrono::milliseconds(1000));
                return arm(next_);
            case outcome::failed:  // Redis away: nothing went out; try again next period
                next_ = now + period_;
                return arm(next_);
            case outcome::not_leader: return halt();
        }
    }

    // This node published n (the script said so): its own clients get it, once.
    void deliver(std::int64_t n) {
        if (n <= delivered_) return;
        delivered_ = n;
        adapter_.published(integer_packet(n), {});
        plain_->publish(n, make_frame(std::to_string(n)));
    }

    // The sequence's channel brought n. Another node's: this node's Socket.IO clients get it through the
    // adapter, its plain-stream clients here. Ours: delivered already, unless the publish's reply was lost
    // (the script ran, the answer never came), and then it is delivered now, once.
    void seen(std::int64_t n, bool mine) {
        if (mine) return deliver(n);
        if (n <= delivered_) return;
        delivered_ = n;
        plain_->publish(n, make_frame(std::to_string(n)));
    }

    cluster_adapter& adapter_;
    const std::shared_ptr<resumable_hub> plain_;
    const std::shared_ptr<cluster_sequence> seq_;
    net::strand<net::io_context::executor_type> strand_;
    net::steady_timer timer_;
    const std::chrono::milliseconds period_;
    std::chrono::steady_clock::time_point next_{};
    std::int64_t delivered_ = 0;  // the highest integer this node delivered
    std::uint64_t generation_ = 0;
    bool running_ = false;
    bool idle_ = false;
    bool in_flight_ = false;
    bool stopped_ = false;
};

template <class Producer>
void wire_presence(sio_namespace& root, resumable_hub& plain, const std::shared_ptr<Producer>& producer) {
    std::weak_ptr<Producer> weak = producer;
    root.on_connection([weak](const socket_ptr& s) {
        auto p = weak.lock();
        if (!p) return;
        p->presence(+1);
        s->on_disconnect([weak](const socket_ptr&, std::string_view) {
            if (auto q = weak.lock()) q->presence(-1);
        });
    });
    plain.on_presence([weak](int delta) {
        if (auto p = weak.lock()) p->presence(delta);
    });
}

}  // namespace

void install_integers(server::server_process& srv) {
    // The plain stream keeps integers for the same window as Socket.IO recovery (?after=N).
    auto plain = std::make_shared<resumable_hub>(srv.io().limits().recovery);
    auto& root = srv.io().of("/");
    srv.set_plain_endpoint(plain);
    srv.set_name("integers");
    if (auto* node = srv.cluster()) {
        auto* adapter = dynamic_cast<cluster_adapter*>(&root.adapter());
        if (!adapter) throw std::runtime_error("the integers service with --redis needs a Redis adapter on \"/\"");
        sequence_options so;
        so.name = "integers";
        so.lease = std::chrono::milliseconds(srv.cfg().cluster_lease_ms);
        so.reconnect_max = std::chrono::milliseconds(srv.cfg().redis_reconnect_max_ms);
        auto seq = std::make_shared<cluster_sequence>(srv.io_context(), *node, so);
        auto producer = std::make_shared<cluster_producer>(srv.io_context(), *adapter, plain, seq,
                                                           std::chrono::milliseconds(srv.cfg().tick_ms));
        producer->start();
        wire_presence(root, *plain, producer);
        srv.add_status([seq] { return seq->status_json(); });
        srv.on_shutdown([producer] { producer->shutdown(); });
        return;
    }
    auto producer = std::make_shared<integer_producer>(srv.io_context(), root, plain,
                                                       std::chrono::milliseconds(srv.cfg().tick_ms));
    wire_presence(root, *plain, producer);
    // The server keeps the producer (this handler) as long as it lives.
    srv.on_shutdown([producer] { producer->shutdown(); });
}

}  // namespace beastio::examples
