# The fuzz targets' regression test, built with the normal compilers in the
# release and asan builds (included from tests/CMakeLists.txt): every input
# under tests/fuzz_regressions/<target>/ and fuzz/corpus/<target>/ replayed
# through the target's check.
include(${CMAKE_CURRENT_LIST_DIR}/checks.cmake)

add_executable(trellis_fuzz_regression_tests ${CMAKE_CURRENT_LIST_DIR}/regressions/replay_test.cpp)
target_link_libraries(trellis_fuzz_regression_tests PRIVATE
  trellis_fuzz_checks trellis_fuzz_http_check GTest::gtest GTest::gtest_main)
target_compile_definitions(trellis_fuzz_regression_tests PRIVATE
  TRELLIS_FUZZ_REGRESSIONS_DIR="${PROJECT_SOURCE_DIR}/tests/fuzz_regressions"
  TRELLIS_FUZZ_CORPUS_DIR="${CMAKE_CURRENT_LIST_DIR}/corpus")
gtest_discover_tests(trellis_fuzz_regression_tests TEST_PREFIX "fuzz." DISCOVERY_TIMEOUT 60)
