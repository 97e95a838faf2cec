# Build metadata served by GET /version (contract section 14): version, short git SHA, ISO build time.
# Stamped into a generated source at configure time and refreshed on every build by a custom target,
# so only one tiny file recompiles when the commit changes.
# A build without a git checkout (the container image's build stage) passes the values in:
# -DPORTCULLIS_GIT_SHA=abc1234 -DPORTCULLIS_BUILD_TIME=2025-01-01T00:00:00.000Z; a release pipeline
# may also stamp -DPORTCULLIS_VERSION (default: the project version).
set(PORTCULLIS_VERSION "" CACHE STRING "Version to stamp (empty: the project version)")
set(PORTCULLIS_GIT_SHA "" CACHE STRING "Short git SHA to stamp (empty: ask git)")
set(PORTCULLIS_BUILD_TIME "" CACHE STRING "ISO-8601 UTC build time to stamp (empty: now)")
set(portcullis_stamped_version ${PROJECT_VERSION})
if(NOT PORTCULLIS_VERSION STREQUAL "")
    set(portcullis_stamped_version ${PORTCULLIS_VERSION})
endif()
set(PORTCULLIS_BUILD_INFO_CPP ${CMAKE_BINARY_DIR}/generated/build_info.cpp)
add_custom_target(portcullis_build_info_stamp
    COMMAND ${CMAKE_COMMAND}
        -DOUT=${PORTCULLIS_BUILD_INFO_CPP}
        -DVERSION=${portcullis_stamped_version}
        -DSOURCE_DIR=${PROJECT_SOURCE_DIR}
        -DGIT_SHA=${PORTCULLIS_GIT_SHA}
        -DBUILD_TIME=${PORTCULLIS_BUILD_TIME}
        -P ${PROJECT_SOURCE_DIR}/cmake/StampBuildInfo.cmake
    BYPRODUCTS ${PORTCULLIS_BUILD_INFO_CPP}
    COMMENT "Stamping build metadata"
    VERBATIM)
