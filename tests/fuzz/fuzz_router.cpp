// The router and the admission checks on arbitrary request lines and headers.
// Properties: never crashes; a WebSocket route is only ever given to paths
// under /_ws/ or /socket.io/; every refusal body is printable text; logs and
// bodies never carry a raw byte of the request; a token value never survives
// redact_target.
#include "fuzz_check.hpp"
#include "server/http/admission.hpp"
#include "server/http/router.hpp"

#include <string>
#include <vector>

using namespace beastio::server;

namespace {

bool printable(std::string_view s) {
    for (char ch : s) {
        const auto c = static_cast<unsigned char>(ch);
        if (c != '\n' && (c < 0x20 || c >= 0x7f)) return false;
    }
    return true;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    beastio::fuzz::pieces in(data, size);
    std::uint8_t control = 0;
    std::string_view method, target, origin, authorization;
    if (!in.next(control, target)) return 0;
    std::uint8_t ignored = 0;
    in.next(ignored, method);
    in.next(ignored, origin);
    in.next(ignored, authorization);

    request_info info;
    static constexpr std::string_view methods[] = {"GET", "HEAD", "POST", "PUT"};
    info.method = (control & 8) ? method : methods[control & 3];
    info.target = target;
    info.upgrade_requested = (control & 16) != 0;
    // As http_session computes them: a valid upgrade always carries Upgrade: websocket.
    info.valid_websocket_upgrade = info.upgrade_requested && (control & 32) != 0;
    const route r = decide(info);
    const auto [path, query] = split_target(target);
    switch (r.kind) {
        case route_kind::plain_stream:
        case route_kind::engineio:
            FUZZ_CHECK(info.upgrade_requested);
            FUZZ_CHECK(path.substr(0, 5) == "/_ws/" || path.substr(0, 11) == "/socket.io/");
            break;
        case route_kind::refuse:
            FUZZ_CHECK(r.status >= 400 && r.status < 600);
            if (r.content_type.rfind("text/plain", 0) == 0) FUZZ_CHECK(printable(r.body));
            break;
        case route_kind::static_file:
            FUZZ_CHECK(info.method == "GET" || info.method == "HEAD");
            break;
        case route_kind::healthcheck:
        case route_kind::client_bundle:
            break;
    }

    const std::vector<std::string> allowed = {"https://app.example"};
    if (auto no = check_origin(allowed, origin)) {
        FUZZ_CHECK(no->status == 403);
        FUZZ_CHECK(printable(no->body));
    }
    if (auto no = check_plain_token("s3cret-token", query, authorization)) {
        FUZZ_CHECK(no->status == 401);
        FUZZ_CHECK(no->body.find("s3cret-token") == std::string::npos);
    }
    FUZZ_CHECK(printable(shown(target)));
    FUZZ_CHECK(shown(target).size() <= 200 + 3);
    const std::string redacted = redact_target(target);
    const beastio::eio::query after = beastio::eio::parse_query(split_target(redacted).second);
    for (const auto& [k, v] : after.params())
        if (k == "token") FUZZ_CHECK(v == "***" || v.empty());  // "token" alone carries no secret
    return 0;
}
