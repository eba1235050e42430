# Helpers for building .NET projects from CMake, shared by bindings/swig, tests/dotnet and
# examples/dotnet (which CMake may read before bindings/: include this file, it is idempotent).
# Defines:
#   SSX_DOTNET_AVAILABLE   the binding is built: SSX_BUILD_SWIG on, SWIG and the .NET SDK found
#   ssx_dotnet_command(<var> <verb> <project> [args...])  a full `dotnet <verb>` command line
#   ssx_dotnet_project(<target> <project>)  builds a project that references Ssx.csproj into
#                                           out/dotnet/<name>/, after Ssx.dll
include_guard(GLOBAL)

find_package(SWIG 4.0 QUIET COMPONENTS csharp)
find_program(SSX_DOTNET_EXECUTABLE dotnet)
if(SSX_BUILD_SWIG AND SWIG_FOUND AND SSX_DOTNET_EXECUTABLE)
  set(SSX_DOTNET_AVAILABLE ON CACHE INTERNAL "")
else()
  set(SSX_DOTNET_AVAILABLE OFF CACHE INTERNAL "")
  return()
endif()

if(CMAKE_BUILD_TYPE STREQUAL "Debug")
  set(SSX_DOTNET_CONFIGURATION Debug CACHE INTERNAL "")
else()
  set(SSX_DOTNET_CONFIGURATION Release CACHE INTERNAL "")
endif()

# Every dotnet command runs with the build folder's own NuGet package cache and CLI home (nothing
# from the user's), without telemetry, and leaves no build server or MSBuild node running.
set(SSX_DOTNET_ENV
  DOTNET_CLI_TELEMETRY_OPTOUT=1
  DOTNET_NOLOGO=1
  DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1
  DOTNET_CLI_HOME=${CMAKE_BINARY_DIR}/dotnet/home
  NUGET_PACKAGES=${CMAKE_BINARY_DIR}/dotnet/packages
  MSBUILDDISABLENODEREUSE=1
  DOTNET_CLI_USE_MSBUILD_SERVER=0
  CACHE INTERNAL "")

# dotnet builds share obj/ and out/ folders (every project references Ssx.csproj): run them one at a
# time, whatever the -j of the build.
set_property(GLOBAL APPEND PROPERTY JOB_POOLS ssx_dotnet=1)

function(ssx_dotnet_command var verb project)
  set(${var}
    ${CMAKE_COMMAND} -E env ${SSX_DOTNET_ENV}
    ${SSX_DOTNET_EXECUTABLE} ${verb} ${project}
    -nologo -c ${SSX_DOTNET_CONFIGURATION} -v:minimal -nodeReuse:false
    -p:SsxBuildDir=${CMAKE_BINARY_DIR}/ -p:Version=${PROJECT_VERSION}
    ${ARGN}
    PARENT_SCOPE)
endfunction()

# ssx_dotnet_project(<target> <project.csproj> [DEPENDS files...]): builds the project as
# part of ALL, after Ssx.dll (which it references but does not rebuild); the stamp makes it rebuild
# when its sources change.
function(ssx_dotnet_project target project)
  cmake_parse_arguments(ARG "" "" "DEPENDS" ${ARGN})
  get_filename_component(dir ${project} DIRECTORY)
  file(GLOB_RECURSE sources CONFIGURE_DEPENDS ${dir}/*.cs ${dir}/*.csproj ${dir}/*.props ${dir}/*.config)
  set(stamp ${CMAKE_CURRENT_BINARY_DIR}/${target}.stamp)
  ssx_dotnet_command(build build ${project} -m:1 -p:BuildProjectReferences=false)
  add_custom_command(OUTPUT ${stamp}
    COMMAND ${build}
    COMMAND ${CMAKE_COMMAND} -E touch ${stamp}
    DEPENDS ${sources} ${ARG_DEPENDS} ${SSX_OUT_DIR}/Ssx.dll
    COMMENT "dotnet build ${project}"
    JOB_POOL ssx_dotnet
    VERBATIM)
  add_custom_target(${target} ALL DEPENDS ${stamp})
  add_dependencies(${target} ssx_dotnet)
endfunction()

