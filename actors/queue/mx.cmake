# actors/queue/mx.cmake: the MX resolver (mx-resolve.c, c-ares), a library of its own so the
# queue sender links it and test/dns tests it alone. Included from actors/queue/CMakeLists.txt.
pkg_check_modules(CARES REQUIRED IMPORTED_TARGET libcares)
add_library(pb_mx STATIC ${CMAKE_CURRENT_LIST_DIR}/mx-resolve.c ${CMAKE_CURRENT_LIST_DIR}/mx-cache.c)
target_include_directories(pb_mx PUBLIC ${CMAKE_CURRENT_LIST_DIR})
target_link_libraries(pb_mx PUBLIC pb_base PRIVATE PkgConfig::CARES)
