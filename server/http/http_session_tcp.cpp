// http_session over plain TCP, and what both kinds of session share.
#include "server/http/http_session_impl.hpp"

namespace beastio::server {

std::string http_detail::peer_of(const tcp::socket& s) {
    beast::error_code ec;
    const auto ep = s.remote_endpoint(ec);
    if (ec) return "?";
    return fmt::format("{}:{}", ep.address().to_string(), ep.port());
}

log::throttle& http_detail::capacity_log() {
    static log::throttle t(std::chrono::seconds(10));
    return t;
}

template class http_session<beast::tcp_stream>;

}  // namespace beastio::server
