# Build metadata served by GET /version (contract section 14): version, short git SHA, ISO build time.
# Stamped into a generated source at configure time and refreshed on every build by a custom target,
# so only one tiny file recompiles when the commit changes.
set(PORTCULLIS_BUILD_INFO_CPP ${CMAKE_BINARY_DIR}/generated/build_info.cpp)
add_custom_target(portcullis_build_info_stamp
    COMMAND ${CMAKE_COMMAND}
        -DOUT=${PORTCULLIS_BUILD_INFO_CPP}
        -DVERSION=${PROJECT_VERSION}
        -DSOURCE_DIR=${PROJECT_SOURCE_DIR}
        -P ${PROJECT_SOURCE_DIR}/cmake/StampBuildInfo.cmake
    BYPRODUCTS ${PORTCULLIS_BUILD_INFO_CPP}
    COMMENT "Stamping build metadata"
    VERBATIM)
