// jemalloc's options, read when the allocator starts (release builds link jemalloc; see
// CMakeLists.txt). Memory freed after a burst of connections must go back to the system while
// the process idles (issue #19): background threads purge freed pages on a timer (without them
// purging only happens inside later allocations, so an idle server keeps its peak), and freed
// pages are returned after one second instead of ten. MALLOC_CONF in the environment still
// overrides each option.
extern "C" {
// NOLINTNEXTLINE(readability-identifier-naming): the name jemalloc looks for.
const char* malloc_conf = "background_thread:true,dirty_decay_ms:1000,muzzy_decay_ms:0";
}
