// Errors as values for the pure protocol layer.
//
// result<T, E> holds either a value or an error_info<E> (an enum code plus a
// human-readable message). It is shaped like std::expected so it can be
// swapped for it once the toolchain has C++23. Nothing in protocol/ throws.
#pragma once

#include <string>
#include <utility>
#include <variant>

namespace beastio {

template <class Code>
struct error_info {
    Code code;
    std::string message;

    friend bool operator==(const error_info&, const error_info&) = default;
};

template <class T, class Code>
class [[nodiscard]] result {
public:
    using value_type = T;
    using error_type = error_info<Code>;

    result(T value) : v_(std::in_place_index<0>, std::move(value)) {}      // NOLINT(implicit)
    result(error_type err) : v_(std::in_place_index<1>, std::move(err)) {}  // NOLINT(implicit)

    bool has_value() const noexcept { return v_.index() == 0; }
    explicit operator bool() const noexcept { return has_value(); }

    T& value() & { return std::get<0>(v_); }
    const T& value() const& { return std::get<0>(v_); }
    T&& value() && { return std::get<0>(std::move(v_)); }
    T& operator*() & { return value(); }
    const T& operator*() const& { return value(); }
    T* operator->() { return &value(); }
    const T* operator->() const { return &value(); }

    const error_type& error() const { return std::get<1>(v_); }

private:
    std::variant<T, error_type> v_;
};

template <class Code>
error_info<Code> make_error(Code code, std::string message) {
    return error_info<Code>{code, std::move(message)};
}

}  // namespace beastio
