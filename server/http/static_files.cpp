#include "server/http/static_files.hpp"

#include <filesystem>
#include <system_error>

namespace beastio::server {
namespace fs = std::filesystem;

std::string_view mime_type(std::string_view path) {
    const auto dot = path.rfind('.');
    const std::string_view ext = dot == std::string_view::npos ? std::string_view{} : path.substr(dot + 1);
    if (ext == "html" || ext == "htm") return "text/html; charset=utf-8";
    if (ext == "js" || ext == "mjs") return "text/javascript; charset=utf-8";
    if (ext == "css") return "text/css; charset=utf-8";
    if (ext == "json" || ext == "map") return "application/json";
    if (ext == "svg") return "image/svg+xml";
    if (ext == "png") return "image/png";
    if (ext == "jpg" || ext == "jpeg") return "image/jpeg";
    if (ext == "ico") return "image/x-icon";
    if (ext == "txt") return "text/plain; charset=utf-8";
    if (ext == "woff2") return "font/woff2";
    return "application/octet-stream";
}

result<static_file, static_error> open_static_file(const std::string& root, std::string_view rel, bool index_for_dirs) {
    if (root.empty()) return make_error(static_error::not_found, "no directory configured");
    if (rel.find('\0') != std::string_view::npos || rel.find('\\') != std::string_view::npos)
        return make_error(static_error::forbidden, "path contains a NUL or a backslash");
    // Refuse any ".." segment outright, before touching the file system.
    std::size_t start = 0;
    while (start <= rel.size()) {
        const auto end = rel.find('/', start);
        const auto seg = rel.substr(start, end == std::string_view::npos ? std::string_view::npos : end - start);
        if (seg == "..") return make_error(static_error::forbidden, "path contains a '..' segment");
        if (end == std::string_view::npos) break;
        start = end + 1;
    }
    std::error_code ec;
    fs::path base = fs::weakly_canonical(fs::path(root), ec);
    if (ec) return make_error(static_error::not_found, "directory missing");
    if (!base.has_filename()) base = base.parent_path();  // "/srv/www/" -> "/srv/www"
    std::string_view trimmed = rel;
    while (!trimmed.empty() && trimmed.front() == '/') trimmed.remove_prefix(1);
    fs::path candidate = base / fs::path(std::string(trimmed));
    if (index_for_dirs && fs::is_directory(candidate, ec)) candidate /= "index.html";
    const fs::path resolved = fs::weakly_canonical(candidate, ec);
    if (ec) return make_error(static_error::not_found, "no such file");
    // Containment check on the resolved path (symlinks cannot escape).
    auto b = base.begin();
    auto r = resolved.begin();
    for (; b != base.end(); ++b, ++r) {
        if (r == resolved.end() || *b != *r) return make_error(static_error::forbidden, "path escapes the directory");
    }
    if (!fs::is_regular_file(resolved, ec)) return make_error(static_error::not_found, "no such file");
    static_file f;
    f.path = resolved.string();
    f.content_type = std::string(mime_type(f.path));
    return f;
}

}  // namespace beastio::server
