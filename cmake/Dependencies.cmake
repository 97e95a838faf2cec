# System libraries (Debian 12 packages; see scripts/install-deps.sh).
find_package(Boost 1.81.0 EXACT REQUIRED COMPONENTS json url CONFIG)
find_package(OpenSSL 3 REQUIRED)
find_package(ZLIB REQUIRED)
find_package(CLI11 REQUIRED)
find_package(PkgConfig REQUIRED)
pkg_check_modules(BROTLI REQUIRED IMPORTED_TARGET libbrotlienc libbrotlidec)
find_package(Threads REQUIRED)

# Boost.Asio/Beast are header-only; these settings keep every TU consistent.
add_library(portcullis_boost INTERFACE)
target_link_libraries(portcullis_boost INTERFACE Boost::headers Boost::json Boost::url Threads::Threads)
target_compile_definitions(portcullis_boost INTERFACE
    BOOST_ASIO_NO_DEPRECATED
    BOOST_ASIO_DISABLE_BOOST_COROUTINE)
target_compile_definitions(portcullis_boost INTERFACE
    BOOST_ASIO_SEPARATE_COMPILATION
    BOOST_BEAST_SEPARATE_COMPILATION)
