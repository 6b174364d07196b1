// open_static_file over a real temporary directory: index, nested files,
// missing files, and every way out of the root (.., backslash, NUL, symlinks).
#include "server/http/static_files.hpp"

#include <catch2/catch.hpp>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>
#include <unistd.h>

using beastio::server::mime_type;
using beastio::server::open_static_file;
using beastio::server::static_error;
namespace fs = std::filesystem;

namespace {

// A unique directory under the system temp dir, removed with everything in it.
class temp_dir {
public:
    temp_dir() {
        static std::atomic<int> counter{0};
        path_ = fs::temp_directory_path() /
                ("beastio-static-test-" + std::to_string(::getpid()) + "-" + std::to_string(counter++));
        fs::remove_all(path_);
        fs::create_directories(path_);
        path_ = fs::canonical(path_);
    }
    ~temp_dir() {
        std::error_code ec;
        fs::remove_all(path_, ec);
    }
    temp_dir(const temp_dir&) = delete;
    temp_dir& operator=(const temp_dir&) = delete;

    const fs::path& path() const { return path_; }

    void write(const std::string& rel, std::string_view content) const {
        const fs::path p = path_ / rel;
        fs::create_directories(p.parent_path());
        std::ofstream(p, std::ios::binary) << content;
    }

private:
    fs::path path_;
};

// Layout: <tmp>/www is the served root; <tmp>/www-secret and <tmp>/secret.txt are outside it.
struct site {
    temp_dir tmp;
    fs::path root = tmp.path() / "www";

    site() {
        tmp.write("www/index.html", "<h1>hi</h1>");
        tmp.write("www/app.js", "console.log(1)");
        tmp.write("www/css/site.css", "body{}");
        tmp.write("www/img/deep/er/logo.svg", "<svg/>");
        tmp.write("www/docs/index.html", "docs");
        tmp.write("www/a b.txt", "space");
        fs::create_directories(root / "empty");
        tmp.write("secret.txt", "outside");
        tmp.write("www-secret/key.txt", "outside too");
        fs::create_symlink(tmp.path() / "secret.txt", root / "leak.txt");
        fs::create_symlink(tmp.path() / "www-secret", root / "leakdir");
        fs::create_symlink(root / "app.js", root / "alias.js");  // inside: allowed
        fs::create_symlink("../../secret.txt", root / "css" / "rel-leak.css");
    }

    std::string in_root(const std::string& rel) const { return (root / rel).string(); }
};

}  // namespace

TEST_CASE("static files: existing files resolve to their canonical path and mime type", "[static]") {
    site s;
    struct row {
        std::string_view rel;
        bool index;
        std::string file;
        std::string_view type;
    };
    const auto r = GENERATE(values<row>({
        {"/", true, "index.html", "text/html; charset=utf-8"},
        {"", true, "index.html", "text/html; charset=utf-8"},
        {"/index.html", false, "index.html", "text/html; charset=utf-8"},
        {"/app.js", true, "app.js", "text/javascript; charset=utf-8"},
        {"/app.js", false, "app.js", "text/javascript; charset=utf-8"},
        {"//app.js", true, "app.js", "text/javascript; charset=utf-8"},
        {"/./app.js", true, "app.js", "text/javascript; charset=utf-8"},
        {"/css/site.css", true, "css/site.css", "text/css; charset=utf-8"},
        {"/img/deep/er/logo.svg", true, "img/deep/er/logo.svg", "image/svg+xml"},
        {"/docs", true, "docs/index.html", "text/html; charset=utf-8"},
        {"/docs/", true, "docs/index.html", "text/html; charset=utf-8"},
        {"/a b.txt", true, "a b.txt", "text/plain; charset=utf-8"},
        {"/alias.js", true, "app.js", "text/javascript; charset=utf-8"},  // symlink inside the root
    }));
    INFO("rel '" << r.rel << "' index=" << r.index);
    const auto f = open_static_file(s.root.string(), r.rel, r.index);
    REQUIRE(f.has_value());
    CHECK(f->path == s.in_root(r.file));
    CHECK(f->content_type == r.type);
}

TEST_CASE("static files: the root may be given with a trailing slash or through '..'", "[static]") {
    site s;
    const int form = GENERATE(0, 1);
    const std::string root = form == 0 ? s.root.string() + "/" : (s.root / ".." / "www").string();
    INFO("root " << root);
    const auto f = open_static_file(root, "/app.js", true);
    REQUIRE(f.has_value());
    CHECK(f->path == s.in_root("app.js"));
}

TEST_CASE("static files: missing things are not_found", "[static]") {
    site s;
    struct row {
        std::string_view rel;
        bool index;
    };
    const auto r = GENERATE(values<row>({
        {"/nope.js", true},
        {"/css/nope.css", true},
        {"/nope/deeper/x.js", true},
        {"/", false},            // a directory without index_for_dirs
        {"/docs", false},
        {"/empty", true},        // a directory without index.html
        {"/empty/", true},
        {"/app.js/x", true},     // a file used as a directory
        {"/...", true},          // not a '..' segment, just a missing name
        {"/a..b", true},
    }));
    INFO("rel '" << r.rel << "' index=" << r.index);
    const auto f = open_static_file(s.root.string(), r.rel, r.index);
    REQUIRE_FALSE(f.has_value());
    CHECK(f.error().code == static_error::not_found);
}

TEST_CASE("static files: no directory configured, or a missing one, is not_found", "[static]") {
    site s;
    {
        const auto f = open_static_file("", "/app.js", true);
        REQUIRE_FALSE(f.has_value());
        CHECK(f.error().code == static_error::not_found);
    }
    {
        const auto f = open_static_file((s.tmp.path() / "missing-root").string(), "/app.js", true);
        REQUIRE_FALSE(f.has_value());
        CHECK(f.error().code == static_error::not_found);
    }
}

TEST_CASE("static files: traversal, backslashes, NULs and escaping symlinks are forbidden", "[static]") {
    site s;
    const std::string_view rel = GENERATE(as<std::string_view>{},
                                          // '..' segments (percent-encoded ones arrive decoded from the router)
                                          "/../etc/passwd", "/a/../../x", "/..", "..", "/../", "/css/..",
                                          "/css/../app.js", "/../www/app.js", "/../secret.txt",
                                          // backslashes
                                          "/..\\secret.txt", "/css\\site.css", "\\",
                                          // NUL bytes
                                          std::string_view("/app.js\0.png", 12), std::string_view("\0", 1),
                                          // symlinks leading outside the root
                                          "/leak.txt", "/leakdir/key.txt", "/css/rel-leak.css");
    INFO("rel '" << std::string(rel) << "'");
    const auto f = open_static_file(s.root.string(), rel, true);
    REQUIRE_FALSE(f.has_value());
    CHECK(f.error().code == static_error::forbidden);
}

TEST_CASE("static files: a sibling directory sharing the root's name prefix is outside", "[static]") {
    site s;
    // <tmp>/www-secret starts with the characters of <tmp>/www: a string prefix
    // check would let it through; the component-wise check must not.
    const auto f = open_static_file(s.root.string(), "/leakdir/key.txt", true);
    REQUIRE_FALSE(f.has_value());
    CHECK(f.error().code == static_error::forbidden);
    CHECK(fs::exists(s.tmp.path() / "www-secret" / "key.txt"));
}

TEST_CASE("mime_type by extension", "[static]") {
    struct row {
        std::string_view path, type;
    };
    const auto r = GENERATE(values<row>({
        {"index.html", "text/html; charset=utf-8"},
        {"old.htm", "text/html; charset=utf-8"},
        {"app.js", "text/javascript; charset=utf-8"},
        {"mod.mjs", "text/javascript; charset=utf-8"},
        {"socket.io.min.js", "text/javascript; charset=utf-8"},
        {"site.css", "text/css; charset=utf-8"},
        {"data.json", "application/json"},
        {"socket.io.esm.min.js.map", "application/json"},
        {"logo.svg", "image/svg+xml"},
        {"a.png", "image/png"},
        {"a.jpg", "image/jpeg"},
        {"a.jpeg", "image/jpeg"},
        {"favicon.ico", "image/x-icon"},
        {"robots.txt", "text/plain; charset=utf-8"},
        {"font.woff2", "font/woff2"},
        {"/srv/www/img/a.png", "image/png"},
        {"archive.tar.gz", "application/octet-stream"},
        {"README", "application/octet-stream"},
        {"", "application/octet-stream"},
        {"trailing.", "application/octet-stream"},
        {"APP.JS", "application/octet-stream"},  // extensions are matched case-sensitively
        {"font.woff", "application/octet-stream"},
    }));
    INFO("path '" << r.path << "'");
    CHECK(mime_type(r.path) == r.type);
}
