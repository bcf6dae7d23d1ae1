# Finds what each polyleak module needs. Used by polyleak's own build and by the installed
# package config, so that both define the same imported targets.
include(CMakeFindDependencyMacro)

# polyleak_find_library(name header library package): an imported target
# polyleak_dependency::<name> for a C library without a usable CMake package (Debian's XGBoost
# package config names a command-line program that its -dev package does not install).
macro(polyleak_find_library name header library package)
  if(NOT TARGET polyleak_dependency::${name})
    find_path(POLYLEAK_${name}_INCLUDE_DIR ${header} PATH_SUFFIXES stb)
    find_library(POLYLEAK_${name}_LIBRARY ${library})
    if(NOT POLYLEAK_${name}_INCLUDE_DIR OR NOT POLYLEAK_${name}_LIBRARY)
      message(FATAL_ERROR "polyleak: ${name} not found (Debian package ${package})")
    endif()
    add_library(polyleak_dependency::${name} UNKNOWN IMPORTED)
    set_target_properties(polyleak_dependency::${name} PROPERTIES
      IMPORTED_LOCATION "${POLYLEAK_${name}_LIBRARY}"
      INTERFACE_INCLUDE_DIRECTORIES "${POLYLEAK_${name}_INCLUDE_DIR}")
  endif()
endmacro()

macro(polyleak_find_dependencies)
  find_dependency(Eigen3 3.4 NO_MODULE)
  find_dependency(OpenMP)
  foreach(polyleak_module_name ${ARGN})
    if(polyleak_module_name STREQUAL "nn")
      find_dependency(nlohmann_json 3.10)
    elseif(polyleak_module_name STREQUAL "data")
      find_dependency(ZLIB)
    elseif(polyleak_module_name STREQUAL "geometry")
      find_dependency(nlohmann_json 3.10)
      polyleak_find_library(glpk glpk.h glpk libglpk-dev)
    elseif(polyleak_module_name STREQUAL "attack")
      find_dependency(nlohmann_json 3.10)
      polyleak_find_library(glpk glpk.h glpk libglpk-dev)
      polyleak_find_library(xgboost xgboost/c_api.h xgboost libxgboost-dev)
    elseif(polyleak_module_name STREQUAL "viz")
      find_dependency(nlohmann_json 3.10)
      polyleak_find_library(glpk glpk.h glpk libglpk-dev)
      polyleak_find_library(stb stb_image_write.h stb libstb-dev)
      find_dependency(GIF)
    elseif(polyleak_module_name STREQUAL "cuda")
      find_dependency(CUDAToolkit)
    endif()
  endforeach()
endmacro()
