// The library's entry point: one beastio server process. Construct it with a
// config (parse_args reads one from flags), set up namespaces, middleware and
// the plain endpoint, then run() until SIGTERM or SIGINT:
//
//   beastio::server::server_process srv(cfg);
//   srv.io().of("/").on_connection([](const beastio::server::socket_ptr& s) { s->emit("hello"); });
//   return srv.run();
//
// Everything is set up before run(); handlers then run on the I/O threads
// (--threads: one loop per thread), each connection's on its loop's one thread
// (socketio/sio_server.hpp).
#pragma once

#include "server/core/config.hpp"
#include "server/socketio/sio_server.hpp"
#include "server/websocket/plain_endpoint.hpp"

#include <boost/asio/io_context.hpp>

#include <functional>
#include <memory>
#include <string>
#include <string_view>

namespace beastio::server {

class cluster_node;

class server_process {
public:
    // Applies the config (limits, the --auth-token middleware, TLS files);
    // throws std::runtime_error when the TLS certificate or key cannot be used.
    explicit server_process(const config& cfg);
    ~server_process();
    server_process(const server_process&) = delete;
    server_process& operator=(const server_process&) = delete;

    const config& cfg() const;
    // The Socket.IO server: namespaces, middleware, broadcasts.
    sio_server& io();
    // The main I/O loop (its one thread also runs the listener and the producer),
    // for the application's own timers and strands.
    boost::asio::io_context& io_context();
    // What plain WebSocket connections (/_ws/...) get; none by default.
    void set_plain_endpoint(std::shared_ptr<plain_endpoint> e);
    // Runs on SIGTERM / SIGINT before the connections are closed (stop producing).
    void on_shutdown(std::function<void()> f);
    // The application's name for the "listening" log line and /status.
    void set_name(std::string name);
    // With --redis: this node of the cluster (docs/scaling.md); nullptr for a single node.
    cluster_node* cluster();
    // More members for GET /status: a function returning "name":value[,...] (JSON).
    void add_status(std::function<std::string()> members);

    // Binds, listens and serves until SIGTERM or SIGINT; returns the exit code.
    // Throws when the address cannot be bound. Call it once.
    int run();

private:
    struct impl;
    std::unique_ptr<impl> impl_;
};

// A whole main() for a server built on the library: reads the flags of
// docs/usage.md (and the PORT and BEASTIO_AUTH_TOKEN variables), answers
// --help and --version, calls setup, then runs until SIGTERM or SIGINT.
// Returns the exit code: 0, 1 when the server cannot start, 2 for bad flags.
//
//   int main(int argc, char** argv) {
//       return beastio::server::run_main(argc, argv, "my-service", "1.0", [](auto& srv) { ... });
//   }
int run_main(int argc, char** argv, std::string_view program, std::string_view version,
             const std::function<void(server_process&)>& setup);

}  // namespace beastio::server
