# Strict warnings for our own targets only; third-party headers come in as system includes.
function(portcullis_warnings target)
    target_compile_options(${target} PRIVATE
        -Wall -Wextra -Wpedantic -Wshadow -Wconversion -Wsign-conversion -Werror)
    if(CMAKE_CXX_COMPILER_ID STREQUAL "Clang")
        # The fuzz preset's clang also flags unused private fields and the embedded docs UI's
        # long string literals, which g++ (the compiler of every other preset and of CI) does not:
        # reported, not fatal, so fuzzing is never blocked by them.
        target_compile_options(${target} PRIVATE -Wno-error=unused-private-field
                                                 -Wno-overlength-strings)
    endif()
    if(PORTCULLIS_SANITIZE AND CMAKE_CXX_COMPILER_ID STREQUAL "GNU")
        # GCC 12 reports false maybe-uninitialized (libstdc++) and mismatched-new-delete (Asio
        # coroutine frames) warnings under -fsanitize.
        target_compile_options(${target} PRIVATE -Wno-maybe-uninitialized -Wno-mismatched-new-delete)
    endif()
endfunction()

# One library per src/<module>; its link list is the dependency graph of design section 4.
function(portcullis_module name)
    cmake_parse_arguments(M "" "" "SOURCES;DEPS" ${ARGN})
    add_library(portcullis_${name} STATIC ${M_SOURCES})
    add_library(portcullis::${name} ALIAS portcullis_${name})
    target_include_directories(portcullis_${name} PUBLIC ${PROJECT_SOURCE_DIR}/src)
    target_link_libraries(portcullis_${name} PUBLIC ${M_DEPS})
    portcullis_warnings(portcullis_${name})
endfunction()
