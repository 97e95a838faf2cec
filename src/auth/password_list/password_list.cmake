# Embeds the common-password list of AUTH_PASSWORD_BLOCKLIST=builtin (see README.md here) into a
# generated source of the auth library: `npm ci` of this folder's lock file into
# .cache/npm/password-list (once per lock file), then cmake/embed_password_list.mjs writes
# password_list.cpp.
find_program(PORTCULLIS_NPM npm REQUIRED)
find_program(PORTCULLIS_NODE node REQUIRED)

set(_password_list_src ${CMAKE_CURRENT_LIST_DIR})
set(_password_list_npm ${PROJECT_SOURCE_DIR}/.cache/npm/password-list)
set(_passwords_json
    ${_password_list_npm}/node_modules/@zxcvbn-ts/language-common/src/passwords.json)

add_custom_command(
    OUTPUT ${CMAKE_CURRENT_BINARY_DIR}/password_list_npm.stamp
    BYPRODUCTS ${_passwords_json}
    COMMAND ${CMAKE_COMMAND}
        -DPACKAGE_DIR=${_password_list_src}
        -DINSTALL_DIR=${_password_list_npm}
        -DNPM=${PORTCULLIS_NPM}
        -DSTAMP=${CMAKE_CURRENT_BINARY_DIR}/password_list_npm.stamp
        -P ${PROJECT_SOURCE_DIR}/cmake/NpmCi.cmake
    DEPENDS ${_password_list_src}/package.json ${_password_list_src}/package-lock.json
        ${PROJECT_SOURCE_DIR}/cmake/NpmCi.cmake
    COMMENT "Installing @zxcvbn-ts/language-common (npm ci)"
    VERBATIM)

add_custom_command(
    OUTPUT ${CMAKE_CURRENT_BINARY_DIR}/password_list.cpp
    COMMAND ${PORTCULLIS_NODE} ${PROJECT_SOURCE_DIR}/cmake/embed_password_list.mjs
        ${_passwords_json} ${CMAKE_CURRENT_BINARY_DIR}/password_list.cpp
    DEPENDS ${CMAKE_CURRENT_BINARY_DIR}/password_list_npm.stamp ${_passwords_json}
        ${PROJECT_SOURCE_DIR}/cmake/embed_password_list.mjs
    COMMENT "Embedding the common-password list"
    VERBATIM)
