// The handshake query parser and the reference server's checks.
// Properties: never crashes; every key and value is a decoding of the input;
// single() agrees with count(); the checks give a result for any request.
#include "fuzz_check.hpp"
#include "protocol/engineio/handshake.hpp"

using namespace beastio;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size == 0) return 0;
    const std::string_view raw(reinterpret_cast<const char*>(data) + 1, size - 1);
    const eio::query q = eio::parse_query(raw);
    for (const auto& [k, v] : q.params()) {
        FUZZ_CHECK(k.size() <= raw.size());
        FUZZ_CHECK(v.size() <= raw.size());
        const auto one = q.single(k);
        FUZZ_CHECK(one.has_value() == (q.count(k) == 1));
    }
    FUZZ_CHECK(eio::percent_decode(raw).size() <= raw.size());
    FUZZ_CHECK(eio::percent_decode(raw, false).size() <= raw.size());

    static constexpr std::string_view methods[] = {"GET", "POST", "HEAD", "OPTIONS"};
    eio::handshake_request hr{methods[data[0] & 3], (data[0] & 4) != 0, &q};
    if (auto err = eio::check_handshake(hr)) {
        FUZZ_CHECK(!eio::message(*err).empty());
        FUZZ_CHECK(eio::error_body(*err, eio::websocket_only_hint).front() == '{');
    } else {
        FUZZ_CHECK(hr.method == "GET" && hr.websocket_upgrade);
        (void)eio::read_handshake(q);
    }
    return 0;
}
