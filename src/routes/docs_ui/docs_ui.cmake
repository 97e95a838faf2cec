# Embeds the Swagger UI files of /docs (see README.md here) into a generated source of the routes
# library: `npm ci` of this folder's lock file into .cache/npm/docs-ui (once per lock file), then
# cmake/embed_files.mjs writes docs_ui_files.cpp.
find_program(PORTCULLIS_NPM npm REQUIRED)
find_program(PORTCULLIS_NODE node REQUIRED)

set(_docs_ui_src ${CMAKE_CURRENT_LIST_DIR})
set(_docs_ui_npm ${PROJECT_SOURCE_DIR}/.cache/npm/docs-ui)
set(_dist ${_docs_ui_npm}/node_modules/swagger-ui-dist)
set(_vendor_files
    swagger-ui-bundle.js swagger-ui-standalone-preset.js swagger-ui.css index.css
    favicon-16x16.png favicon-32x32.png)
set(_vendor_paths "")
set(_embed_pairs "")
foreach(_name IN LISTS _vendor_files)
    list(APPEND _vendor_paths ${_dist}/${_name})
    list(APPEND _embed_pairs ${_name}=${_dist}/${_name})
endforeach()
foreach(_name index.html swagger-ui-init.js)
    list(APPEND _embed_pairs ${_name}=${_docs_ui_src}/${_name})
endforeach()

add_custom_command(
    OUTPUT ${CMAKE_CURRENT_BINARY_DIR}/docs_ui_npm.stamp
    BYPRODUCTS ${_vendor_paths}
    COMMAND ${CMAKE_COMMAND}
        -DPACKAGE_DIR=${_docs_ui_src}
        -DINSTALL_DIR=${_docs_ui_npm}
        -DNPM=${PORTCULLIS_NPM}
        -DSTAMP=${CMAKE_CURRENT_BINARY_DIR}/docs_ui_npm.stamp
        -P ${PROJECT_SOURCE_DIR}/cmake/NpmCi.cmake
    DEPENDS ${_docs_ui_src}/package.json ${_docs_ui_src}/package-lock.json
        ${PROJECT_SOURCE_DIR}/cmake/NpmCi.cmake
    COMMENT "Installing swagger-ui-dist (npm ci)"
    VERBATIM)

add_custom_command(
    OUTPUT ${CMAKE_CURRENT_BINARY_DIR}/docs_ui_files.cpp
    COMMAND ${PORTCULLIS_NODE} ${PROJECT_SOURCE_DIR}/cmake/embed_files.mjs
        ${CMAKE_CURRENT_BINARY_DIR}/docs_ui_files.cpp routes/docs_ui_files.hpp portcullis::routes
        docs_ui_files ${_embed_pairs}
    DEPENDS ${CMAKE_CURRENT_BINARY_DIR}/docs_ui_npm.stamp ${_vendor_paths}
        ${_docs_ui_src}/index.html ${_docs_ui_src}/swagger-ui-init.js
        ${PROJECT_SOURCE_DIR}/cmake/embed_files.mjs
    COMMENT "Embedding the Swagger UI files"
    VERBATIM)
