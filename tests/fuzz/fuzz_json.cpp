// The JSON parser (RapidJSON SAX into the exact tree) on arbitrary text.
// Properties: never crashes or recurses without bound; what parses
// serializes to JSON that parses back to the same tree, and serializing is
// idempotent from there on; the output is always valid UTF-8 JSON text.
#include "fuzz_check.hpp"
#include "protocol/json.hpp"

using namespace beastio;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    auto v = json::parse(text);
    if (!v) {
        FUZZ_CHECK(!v.error().message.empty());
        return 0;
    }
    const std::string once = json::serialize(*v);
    auto back = json::parse(once);
    FUZZ_CHECK(back.has_value());
    FUZZ_CHECK(*back == *v);
    FUZZ_CHECK(json::serialize(*back) == once);
    return 0;
}
