# cmake -P script: installs polyleak to a temporary prefix (MODE=installed) or points the
# consumer at the source tree (MODE=subdirectory), then configures, builds and runs the consumer.
file(REMOVE_RECURSE ${WORK_DIR})
file(MAKE_DIRECTORY ${WORK_DIR})

function(run_step)
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE result OUTPUT_VARIABLE output
                  ERROR_VARIABLE output)
  if(NOT result EQUAL 0)
    message(FATAL_ERROR "step failed (${result}): ${ARGN}\n${output}")
  endif()
  set(step_output "${output}" PARENT_SCOPE)
endfunction()

set(project_dir ${CMAKE_CURRENT_LIST_DIR}/project)
if(MODE STREQUAL "installed")
  run_step(${CMAKE_COMMAND} --install ${POLYLEAK_BINARY_DIR} --prefix ${WORK_DIR}/prefix)
  set(configure_args -D CMAKE_PREFIX_PATH=${WORK_DIR}/prefix)
else()
  set(configure_args -D POLYLEAK_SOURCE_DIR=${POLYLEAK_SOURCE_DIR})
endif()

if(MODE STREQUAL "installed" AND CUDA_COMPILER)
  list(APPEND configure_args -D CMAKE_CUDA_COMPILER=${CUDA_COMPILER} -D CONSUMER_CUDA=ON)
endif()

run_step(${CMAKE_COMMAND} -S ${project_dir} -B ${WORK_DIR}/build -D CMAKE_BUILD_TYPE=Release
         -D CMAKE_CXX_COMPILER=${CXX_COMPILER} ${configure_args})
run_step(${CMAKE_COMMAND} --build ${WORK_DIR}/build)
run_step(${WORK_DIR}/build/consumer)
if(NOT step_output MATCHES "consumer ok")
  message(FATAL_ERROR "consumer printed an unexpected result:\n${step_output}")
endif()
message(STATUS "${step_output}")
if(MODE STREQUAL "installed" AND CUDA_COMPILER)
  run_step(${WORK_DIR}/build/consumer_cuda)
  if(NOT step_output MATCHES "consumer cuda ok")
    message(FATAL_ERROR "consumer_cuda printed an unexpected result:\n${step_output}")
  endif()
  message(STATUS "${step_output}")
endif()
