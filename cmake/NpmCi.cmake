# `cmake -DPACKAGE_DIR=… -DINSTALL_DIR=… -DNPM=… [-DSTAMP=…] -P NpmCi.cmake`: installs the exact
# packages of PACKAGE_DIR's package-lock.json into INSTALL_DIR/node_modules with `npm ci`, once per
# lock file (a marker records the lock's hash), so builds and test runs reuse the download.
# Install scripts are not run: none of our packages needs one, and they could reach the network.
foreach(var PACKAGE_DIR INSTALL_DIR NPM)
    if(NOT DEFINED ${var})
        message(FATAL_ERROR "NpmCi.cmake: ${var} is not set")
    endif()
endforeach()

file(SHA256 "${PACKAGE_DIR}/package-lock.json" lock_hash)
set(marker "${INSTALL_DIR}/.installed-lock-sha256")
file(MAKE_DIRECTORY "${INSTALL_DIR}")
# Two builds (release and asan) may share the folder.
file(LOCK "${INSTALL_DIR}/.lock" GUARD PROCESS TIMEOUT 900)

set(installed "")
if(EXISTS "${marker}")
    file(READ "${marker}" installed)
endif()
if(NOT installed STREQUAL lock_hash)
    file(REMOVE "${marker}")
    file(COPY_FILE "${PACKAGE_DIR}/package.json" "${INSTALL_DIR}/package.json")
    file(COPY_FILE "${PACKAGE_DIR}/package-lock.json" "${INSTALL_DIR}/package-lock.json")
    message(STATUS "npm ci in ${INSTALL_DIR}")
    execute_process(
        COMMAND "${NPM}" ci --no-audit --no-fund --ignore-scripts --loglevel=error
        WORKING_DIRECTORY "${INSTALL_DIR}"
        RESULT_VARIABLE rc)
    if(NOT rc EQUAL 0)
        message(FATAL_ERROR "npm ci failed in ${INSTALL_DIR} (exit ${rc}); the npm registry must be "
                            "reachable the first time")
    endif()
    file(WRITE "${marker}" "${lock_hash}")
endif()
if(DEFINED STAMP)
    file(TOUCH "${STAMP}")
endif()
