# The .NET binding: libssx_csharp.so (SWIG), Ssx.dll (dotnet build) and the NuGet package
# (dotnet pack). Included by ../CMakeLists.txt.
set(SSX_CSHARP_SOURCES_DIR ${SSX_SWIG_GENERATED}/csharp/cs)
ssx_swig_wrapper(csharp ssx_csharp ${SSX_CSHARP_SOURCES_DIR} -namespace Ssx.Interop -dllimport ssx_csharp)

include(${CMAKE_CURRENT_LIST_DIR}/SsxDotnet.cmake)
if(NOT SSX_DOTNET_AVAILABLE)
  message(WARNING "ssx: the .NET SDK (dotnet) was not found: Ssx.dll is not built and the .NET suites fail as unavailable")
  return()
endif()

set(SSX_DOTNET_PROJECT ${CMAKE_CURRENT_LIST_DIR}/Ssx.csproj)
file(GLOB SSX_DOTNET_SOURCES CONFIGURE_DEPENDS ${CMAKE_CURRENT_LIST_DIR}/src/*.cs)
set(SSX_DOTNET_INPUTS
  ${SSX_DOTNET_SOURCES}
  ${CMAKE_CURRENT_LIST_DIR}/Ssx.csproj
  ${CMAKE_CURRENT_LIST_DIR}/ssx.build.props
  ${CMAKE_CURRENT_LIST_DIR}/README.md
  ${SSX_SWIG_GENERATED}/csharp/ssx_csharp_wrap.c)

# Ssx.dll in out/ (the native libraries are already there).
ssx_dotnet_command(build build ${SSX_DOTNET_PROJECT} -m:1)
add_custom_command(OUTPUT ${SSX_OUT_DIR}/Ssx.dll
  COMMAND ${build}
  COMMAND ${CMAKE_COMMAND} -E touch ${SSX_OUT_DIR}/Ssx.dll
  DEPENDS ${SSX_DOTNET_INPUTS} ssx_csharp ssx
  COMMENT "dotnet build Ssx.csproj"
  JOB_POOL ssx_dotnet
  VERBATIM)
add_custom_target(ssx_dotnet ALL DEPENDS ${SSX_OUT_DIR}/Ssx.dll)

# The NuGet package: out/nuget/Ssx.<version>.nupkg (managed assembly + runtimes/linux-x64/native/).
set(SSX_NUGET_PACKAGE ${SSX_OUT_DIR}/nuget/Ssx.${PROJECT_VERSION}.nupkg)
ssx_dotnet_command(pack pack ${SSX_DOTNET_PROJECT} --no-build -p:NoBuild=true)
add_custom_command(OUTPUT ${SSX_NUGET_PACKAGE}
  COMMAND ${pack}
  DEPENDS ${SSX_OUT_DIR}/Ssx.dll
  COMMENT "dotnet pack Ssx.csproj"
  JOB_POOL ssx_dotnet
  VERBATIM)
add_custom_target(ssx_nuget ALL DEPENDS ${SSX_NUGET_PACKAGE})
add_dependencies(ssx_nuget ssx_dotnet)
