#include "server/cluster/stream_reader.hpp"

#include "server/core/log.hpp"

#include <boost/asio/steady_timer.hpp>

namespace beastio::server {
namespace {

constexpr std::chrono::milliseconds block_time{5000};  // as the Node adapter's blockTimeInMs
constexpr int read_count = 100;                       // entries per XREAD (readCount)

log::throttle reader_malformed_log{std::chrono::seconds(10)};

}  // namespace

stream_reader::stream_reader(boost::asio::io_context& ioc, const cluster_options& options, const std::string& uid)
    : ioc_(ioc), stream_(options.stream) {
    redis::client_options o;
    o.where = options.url;
    o.name = fmt::format("beastio-{}-stream", uid);
    o.connect_timeout = options.connect_timeout;
    o.command_timeout = options.command_timeout;
    o.reconnect_max = options.reconnect_max;
    o.tls_ca_file = options.tls_ca_file;
    client_ = redis::client::create(ioc, std::move(o));
    // On the client's strand, as every reply handler: the loop is never started twice.
    client_->on_state([this](bool up, const std::string&) {
        if (up && !polling_.exchange(true)) begin();
    });
}

stream_reader::~stream_reader() { stop(); }

void stream_reader::start() { client_->start(); }

void stream_reader::stop() {
    stopped_ = true;
    client_->stop();
}

void stream_reader::add(const std::string& nsp, const std::shared_ptr<entry_sink>& sink) {
    std::lock_guard lock(sinks_mu_);
    sinks_[nsp].push_back(sink);
}

void stream_reader::remove(const std::string& nsp, const std::shared_ptr<entry_sink>& sink) {
    std::lock_guard lock(sinks_mu_);
    auto it = sinks_.find(nsp);
    if (it == sinks_.end()) return;
    std::erase(it->second, sink);
    if (it->second.empty()) sinks_.erase(it);
}

// Where to start: once, the stream's last entry (as the Node adapter's "$",
// but a known id, so a socket that connects before any entry has a position).
void stream_reader::begin() {
    if (ready_) return poll();
    client_->send({"XREVRANGE", stream_, "+", "-", "COUNT", "1"}, [this](const redis::reply& r) {
        if (r.is_error()) return retry_later();
        cluster_wire::stream_id last{};
        if (r.t == redis::reply::type::array && !r.elements.empty() && r.elements[0].t == redis::reply::type::array &&
            !r.elements[0].elements.empty()) {
            if (auto id = cluster_wire::parse_stream_id(r.elements[0].elements[0].str)) last = *id;
        }
        {
            std::lock_guard lock(deliver_mu_);
            position_ = last;
        }
        ready_ = true;
        log::debug("cluster: reading stream {} after {}", stream_, last.str());
        poll();
    });
}

void stream_reader::poll() {
    if (stopped_) return;
    const auto from = position().str();
    client_->send({"XREAD", "COUNT", std::to_string(read_count), "BLOCK", std::to_string(block_time.count()), "STREAMS",
                   stream_, from},
                  [this](const redis::reply& r) {
                      if (r.is_error()) return retry_later();
                      on_entries(r);
                      poll();
                  },
                  block_time);
}

// Redis is away (the state handler starts again when it is back), or it refused the read: try again in a while.
void stream_reader::retry_later() {
    if (stopped_) return;
    if (!client_->up()) {
        polling_ = false;
        // It may have come back between the failure and now.
        if (client_->up() && !polling_.exchange(true)) begin();
        return;
    }
    log::warn("cluster: reading stream {} failed; trying again in 1 s", stream_);
    auto timer = std::make_shared<boost::asio::steady_timer>(ioc_, std::chrono::seconds(1));
    timer->async_wait([this, timer](const boost::system::error_code& ec) {
        if (!ec) begin();
    });
}

void stream_reader::on_entries(const redis::reply& r) {
    using t = redis::reply::type;
    if (r.t != t::array || r.elements.empty()) return;  // nil: BLOCK timed out
    const auto& streams = r.elements;
    // Delivered under deliver_mu_: with_position sees a position between two entries, never inside one.
    std::lock_guard lock(deliver_mu_);
    for (const auto& s : streams) {
        if (s.t != t::array || s.elements.size() != 2 || s.elements[1].t != t::array) continue;
        for (const auto& e : s.elements[1].elements) {
            if (e.t != t::array || e.elements.size() != 2) continue;
            const auto id = cluster_wire::parse_stream_id(e.elements[0].str);
            if (!id || *id <= position_) continue;
            position_ = *id;
            ++read_;
            cluster_wire::entry_fields fields;
            const auto& kv = e.elements[1].elements;
            for (std::size_t i = 0; i + 1 < kv.size(); i += 2) fields.emplace_back(kv[i].str, kv[i + 1].str);
            auto m = cluster_wire::decode_entry(fields);
            if (!m) {
                std::uint64_t suppressed = 0;
                if (reader_malformed_log.allow(std::chrono::steady_clock::now(), &suppressed))
                    log::warn("cluster: skipped stream entry {}: {} ({} more not logged)", id->str(), m.error().message,
                              suppressed);
                continue;
            }
            std::vector<std::shared_ptr<entry_sink>> sinks;
            {
                std::lock_guard s_lock(sinks_mu_);
                if (auto it = sinks_.find(m->nsp); it != sinks_.end()) sinks = it->second;
            }
            for (const auto& sink : sinks) sink->deliver(*id, *m);
        }
    }
}

}  // namespace beastio::server
