// The compiled parts of Boost.Asio and Boost.Beast (separate compilation keeps every other
// translation unit that includes them light).
#include <boost/asio/impl/src.hpp>
#include <boost/beast/src.hpp>
