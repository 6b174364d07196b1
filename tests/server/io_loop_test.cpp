// run_loop: an exception escaping a handler does not end the I/O thread.
#include "server/core/io_loop.hpp"

#include <catch2/catch.hpp>

#include <stdexcept>

using beastio::server::run_loop;
namespace net = boost::asio;

TEST_CASE("run_loop: handlers that throw are logged and the loop goes on until stopped", "[io_loop]") {
    net::io_context ioc;
    int ran = 0;
    net::post(ioc, [] { throw std::runtime_error("a handler bug"); });
    net::post(ioc, [&] {
        ++ran;
        throw 42;  // not even a std::exception
    });
    net::post(ioc, [&] { ++ran; });
    net::post(ioc, [&] {
        ++ran;
        ioc.stop();
    });
    run_loop(ioc);
    CHECK(ran == 3);
}
