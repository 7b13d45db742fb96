# The checks behind the fuzz targets (fuzz/checks/), as libraries linked by
# the fuzz targets (fuzz/CMakeLists.txt, clang) and by the regression test
# (fuzz/regressions.cmake, any compiler). Included from both.
include_guard(GLOBAL)

add_library(trellis_fuzz_checks STATIC
  ${CMAKE_CURRENT_LIST_DIR}/checks/crdt_state_checks.cpp
  ${CMAKE_CURRENT_LIST_DIR}/checks/check_crdt_decode.cpp
  ${CMAKE_CURRENT_LIST_DIR}/checks/check_sync_message.cpp
  ${CMAKE_CURRENT_LIST_DIR}/checks/check_crdt_replicas.cpp
  ${CMAKE_CURRENT_LIST_DIR}/checks/check_engineio.cpp
  ${CMAKE_CURRENT_LIST_DIR}/checks/check_socketio.cpp
  ${CMAKE_CURRENT_LIST_DIR}/checks/check_socketio_events.cpp
)
target_include_directories(trellis_fuzz_checks
  PUBLIC ${CMAKE_CURRENT_LIST_DIR}
  # The invariants the unit tests check (view_invariants.hpp) and their
  # model of the seed frontend's store (event_simulation.hpp): one of each.
  PRIVATE ${PROJECT_SOURCE_DIR}/tests)
target_link_libraries(trellis_fuzz_checks PUBLIC trellis::adapters)

# The HTTP check needs the server library (Asio, Beast, SQLite).
add_library(trellis_fuzz_http_check STATIC ${CMAKE_CURRENT_LIST_DIR}/checks/check_http_routes.cpp)
target_link_libraries(trellis_fuzz_http_check PUBLIC trellis_fuzz_checks trellis::server)
