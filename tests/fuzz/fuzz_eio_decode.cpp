// Engine.IO: decode_text / decode_binary and base64 on arbitrary frames.
// Properties: never crashes; what decodes re-encodes to an equivalent frame;
// base64 round-trips.
#include "fuzz_check.hpp"
#include "protocol/engineio/packet.hpp"

#include <string>

using namespace beastio;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view frame(reinterpret_cast<const char*>(data), size);

    auto text = eio::decode_text(frame);
    if (text) {
        if (text->binary) {
            // "b<base64>": the bytes come back out of the canonical base64 form.
            auto again = eio::decode_text(eio::encode_base64_message(text->data));
            FUZZ_CHECK(again && again->binary && again->data == text->data);
        } else {
            FUZZ_CHECK(eio::encode_text(text->type, text->data) == frame);
        }
    } else {
        FUZZ_CHECK(!text.error().message.empty());
    }

    const eio::packet b = eio::decode_binary(frame);
    FUZZ_CHECK(b.binary && b.data == frame);

    const std::string encoded = eio::base64_encode(frame);
    auto decoded = eio::base64_decode(encoded);
    FUZZ_CHECK(decoded && *decoded == frame);
    (void)eio::base64_decode(frame);  // arbitrary text: a value or an error, nothing else
    return 0;
}
