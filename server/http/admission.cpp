#include "server/http/admission.hpp"

#include "protocol/engineio/handshake.hpp"

#include <fmt/format.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>

#include <array>

namespace beastio::server {
namespace {

bool iequal(std::string_view a, std::string_view b) {
    if (a.size() != b.size()) return false;
    for (std::size_t i = 0; i < a.size(); ++i) {
        auto lower = [](char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; };
        if (lower(a[i]) != lower(b[i])) return false;
    }
    return true;
}

bool sha256(std::string_view s, std::array<unsigned char, 32>& out) {
    unsigned int len = 0;
    return EVP_Digest(s.data(), s.size(), out.data(), &len, EVP_sha256(), nullptr) == 1 && len == out.size();
}

}  // namespace

bool token_equal(std::string_view expected, std::string_view given) {
    std::array<unsigned char, 32> a{};
    std::array<unsigned char, 32> b{};
    // A digest that cannot be computed is a refusal, never a match.
    if (!sha256(expected, a) || !sha256(given, b)) return false;
    return CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

std::optional<refusal> check_origin(const std::vector<std::string>& allowed, std::optional<std::string_view> origin) {
    if (allowed.empty() || !origin) return std::nullopt;
    for (const auto& a : allowed)
        if (iequal(a, *origin)) return std::nullopt;
    refusal r;
    r.status = 403;
    r.body = fmt::format("origin {} is not allowed to open WebSocket connections here (see --allowed-origins)\n",
                         shown(*origin));
    r.reason = fmt::format("origin {} not allowed", shown(*origin));
    return r;
}

std::optional<refusal> check_plain_token(std::string_view expected, std::string_view query,
                                         std::string_view authorization) {
    if (expected.empty()) return std::nullopt;
    std::optional<std::string> given;
    const eio::query q = eio::parse_query(query);
    if (auto t = q.single("token")) given = std::string(*t);
    constexpr std::string_view bearer = "Bearer ";
    if (!given && authorization.size() > bearer.size() && iequal(authorization.substr(0, bearer.size()), bearer))
        given = std::string(authorization.substr(bearer.size()));
    if (given && token_equal(expected, *given)) return std::nullopt;
    refusal r;
    r.status = 401;
    r.www_authenticate = true;
    r.body = given ? "invalid token\n"
                   : "this server requires a token: add ?token=... to the URL or send Authorization: Bearer ...\n";
    r.reason = given ? "invalid token" : "no token";
    return r;
}

std::string redact_target(std::string_view target) {
    const auto qm = target.find('?');
    if (qm == std::string_view::npos) return std::string(target);
    std::string out(target.substr(0, qm + 1));
    std::string_view rest = target.substr(qm + 1);
    bool first = true;
    while (true) {
        const auto amp = rest.find('&');
        std::string_view pair = rest.substr(0, amp);
        if (!first) out.push_back('&');
        first = false;
        const auto eq = pair.find('=');
        if (eq != std::string_view::npos && eio::percent_decode(pair.substr(0, eq), true) == "token") {
            out.append(pair.substr(0, eq + 1));
            out.append("***");
        } else {
            out.append(pair);
        }
        if (amp == std::string_view::npos) break;
        rest.remove_prefix(amp + 1);
    }
    return out;
}

}  // namespace beastio::server
