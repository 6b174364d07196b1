// beastio-floor: the least a server can do to give N websocket clients the
// same integers, the limit the benchmark measures beastio against. It accepts
// websocket-only Socket.IO clients just far enough for them to count as
// connected (the upgrade, the Engine.IO open packet, the CONNECT reply), then
// never reads again. While at least one client is connected it makes one
// integer per tick, frames `42["integer",N]` once, and writes those bytes to
// each socket with one send() call. No queue, no timers per connection, no
// heartbeat: a send that would block or that fails drops that client.
//
//   beastio-floor [--address 127.0.0.1] [--port 3000] [--tick-ms 1000]
#include "protocol/engineio/packet.hpp"
#include "protocol/websocket/frame.hpp"

#include <boost/asio.hpp>
#include <openssl/sha.h>

#include <sys/socket.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace net = boost::asio;
using tcp = net::ip::tcp;
namespace ws = beastio::ws;

namespace {

struct options {
    std::string address = "127.0.0.1";
    unsigned short port = 3000;
    long tick_ms = 1000;
};

std::string accept_key(std::string_view key) {
    const std::string s = std::string(key) + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";
    unsigned char digest[SHA_DIGEST_LENGTH];
    SHA1(reinterpret_cast<const unsigned char*>(s.data()), s.size(), digest);
    return beastio::eio::base64_encode(std::string_view(reinterpret_cast<const char*>(digest), sizeof digest));
}

std::string header_value(std::string_view req, std::string_view name) {
    // Case-insensitive search for "\r\n<name>:".
    for (std::size_t at = req.find("\r\n"); at != std::string_view::npos; at = req.find("\r\n", at + 2)) {
        const auto line = req.substr(at + 2);
        if (line.size() <= name.size() || line[name.size()] != ':') continue;
        bool same = true;
        for (std::size_t i = 0; i < name.size() && same; ++i)
            same = std::tolower(static_cast<unsigned char>(line[i])) == std::tolower(static_cast<unsigned char>(name[i]));
        if (!same) continue;
        auto value = line.substr(name.size() + 1, line.find("\r\n") - name.size() - 1);
        while (!value.empty() && value.front() == ' ') value.remove_prefix(1);
        while (!value.empty() && value.back() == ' ') value.remove_suffix(1);
        return std::string(value);
    }
    return {};
}

class floor_server;

// A connection until it has joined: then only its socket is kept.
struct joining : std::enable_shared_from_this<joining> {
    joining(tcp::socket s, floor_server& f, std::size_t n) : sock(std::move(s)), owner(f), id(n) {}
    void start();
    void read();
    void on_bytes();
    tcp::socket sock;
    floor_server& owner;
    std::size_t id;
    std::string in;
    std::string out;
    bool upgraded = false;
    char buf[2048];
};

class floor_server {
public:
    explicit floor_server(options o)
        : o_(std::move(o)), acceptor_(ioc_, tcp::endpoint(net::ip::make_address(o_.address), o_.port)), timer_(ioc_) {
        acceptor_.set_option(net::socket_base::reuse_address(true));
    }

    void run() {
        std::fprintf(stderr, "beastio-floor: listening on %s:%u, one integer every %ld ms\n", o_.address.c_str(),
                     acceptor_.local_endpoint().port(), o_.tick_ms);
        accept();
        ioc_.run();
    }

    void joined(tcp::socket s) {
        socks_.push_back(std::move(s));
        if (!running_) {
            running_ = true;
            next_ = std::chrono::steady_clock::now() + std::chrono::milliseconds(o_.tick_ms);
            arm();
        }
    }

private:
    void accept() {
        acceptor_.async_accept([this](boost::system::error_code ec, tcp::socket s) {
            if (!ec) {
                s.set_option(tcp::no_delay(true), ec);
                std::make_shared<joining>(std::move(s), *this, ++accepted_)->start();
            }
            accept();
        });
    }

    void arm() {
        timer_.expires_at(next_);
        timer_.async_wait([this](boost::system::error_code ec) {
            if (!ec) tick();
        });
    }

    void tick() {
        ++value_;
        char header[ws::max_header_size];
        const std::string payload = "42[\"integer\"," + std::to_string(value_) + "]";
        std::string frame(header, ws::write_header(header, ws::opcode::text, payload.size()));
        frame += payload;
        for (std::size_t i = 0; i < socks_.size();) {
            const ssize_t n = ::send(socks_[i].native_handle(), frame.data(), frame.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
            if (n == static_cast<ssize_t>(frame.size())) {
                ++i;
                continue;
            }
            // Gone, or not reading: dropped (a partial frame would corrupt its stream anyway).
            if (n >= 0 || errno == EAGAIN) ++dropped_slow_;
            boost::system::error_code ignored;
            socks_[i].close(ignored);
            socks_[i] = std::move(socks_.back());
            socks_.pop_back();
        }
        if (socks_.empty()) {
            running_ = false;
            std::fprintf(stderr, "beastio-floor: idle at %lld (%zu dropped for not reading)\n",
                         static_cast<long long>(value_), dropped_slow_);
            return;
        }
        next_ += std::chrono::milliseconds(o_.tick_ms);
        const auto now = std::chrono::steady_clock::now();
        if (next_ + std::chrono::milliseconds(o_.tick_ms) < now) next_ = now;
        arm();
    }

    options o_;
    net::io_context ioc_{1};
    tcp::acceptor acceptor_;
    net::steady_timer timer_;
    std::vector<tcp::socket> socks_;
    std::size_t accepted_ = 0, dropped_slow_ = 0;
    long long value_ = 0;
    bool running_ = false;
    std::chrono::steady_clock::time_point next_{};
};

void joining::start() { read(); }

void joining::read() {
    sock.async_read_some(net::buffer(buf), [self = shared_from_this()](boost::system::error_code ec, std::size_t n) {
        if (ec) return;
        self->in.append(self->buf, n);
        self->on_bytes();
    });
}

void joining::on_bytes() {
    if (in.size() > 16384) return;  // not a client of ours
    if (!upgraded) {
        const auto end = in.find("\r\n\r\n");
        if (end == std::string::npos) return read();
        const std::string key = header_value(std::string_view(in).substr(0, end + 2), "Sec-WebSocket-Key");
        if (key.empty()) return;
        const std::string sid = "floor-" + std::to_string(id);
        out = "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: " +
              accept_key(key) + "\r\n\r\n" +
              ws::encode_frame(ws::opcode::text, "0{\"sid\":\"" + sid +
                                                     "\",\"upgrades\":[],\"pingInterval\":25000,\"pingTimeout\":20000,"
                                                     "\"maxPayload\":1000000}");
        in.erase(0, end + 4);
        upgraded = true;
        net::async_write(sock, net::buffer(out), [self = shared_from_this()](boost::system::error_code ec, std::size_t) {
            if (!ec) self->on_bytes();
        });
        return;
    }
    // The client's CONNECT: one masked text frame "40" (its payload is not looked at further).
    const auto p = ws::parse_header(in);
    if (p.status == ws::parse_status::invalid) return;
    if (p.status == ws::parse_status::need_more || in.size() - p.h.size < p.h.payload_size) return read();
    out = ws::encode_frame(ws::opcode::text, "40{\"sid\":\"floor-s" + std::to_string(id) + "\"}");
    net::async_write(sock, net::buffer(out), [self = shared_from_this()](boost::system::error_code ec, std::size_t) {
        if (!ec) self->owner.joined(std::move(self->sock));
    });
}

}  // namespace

int main(int argc, char** argv) {
    options o;
    for (int i = 1; i + 1 < argc; i += 2) {
        const std::string_view a = argv[i];
        if (a == "--address") o.address = argv[i + 1];
        else if (a == "--port") o.port = static_cast<unsigned short>(std::atoi(argv[i + 1]));
        else if (a == "--tick-ms") o.tick_ms = std::atol(argv[i + 1]);
        else {
            std::fprintf(stderr, "usage: beastio-floor [--address A] [--port P] [--tick-ms T]\n");
            return 2;
        }
    }
    if (argc % 2 == 0 || o.tick_ms <= 0) {
        std::fprintf(stderr, "usage: beastio-floor [--address A] [--port P] [--tick-ms T]\n");
        return 2;
    }
    try {
        floor_server(o).run();
    } catch (const std::exception& e) {
        std::fprintf(stderr, "beastio-floor: %s\n", e.what());
        return 1;
    }
}
