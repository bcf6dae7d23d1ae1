# cmake -P script: fails if any C++ file of the project is not formatted by .clang-format.
file(GLOB_RECURSE files
  ${SOURCE_DIR}/include/*.hpp ${SOURCE_DIR}/tests/*.cpp ${SOURCE_DIR}/tests/*.hpp
  ${SOURCE_DIR}/tests/*.cu ${SOURCE_DIR}/examples/*.cpp
  ${SOURCE_DIR}/examples/*.hpp ${SOURCE_DIR}/bench/*.cpp ${SOURCE_DIR}/bench/*.hpp ${SOURCE_DIR}/bench/*.cu
  ${SOURCE_DIR}/include/*.cuh)
list(FILTER files EXCLUDE REGEX "/build/")
execute_process(COMMAND ${CLANG_FORMAT} --dry-run --Werror ${files}
                RESULT_VARIABLE result ERROR_VARIABLE errors)
if(NOT result EQUAL 0)
  message(FATAL_ERROR "files not formatted with clang-format (run clang-format -i):\n${errors}")
endif()
