# Runs PROGRAM with ARGUMENTS (a list) and fails unless it exits with code 2 and prints an error.
execute_process(COMMAND ${PROGRAM} ${ARGUMENTS} RESULT_VARIABLE code ERROR_VARIABLE error)
if(NOT code EQUAL 2)
  message(FATAL_ERROR "expected exit code 2, got '${code}'; stderr: ${error}")
endif()
if(NOT error MATCHES "error")
  message(FATAL_ERROR "expected an error message on stderr, got: ${error}")
endif()
message(STATUS "exit code 2 with: ${error}")
