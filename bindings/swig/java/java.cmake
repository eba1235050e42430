# The Java binding: libssx_java.so (SWIG, JNI) and out/ssx.jar (package org.ssx: the SWIG classes,
# package-private, plus the hand-written API in this folder). Included by ../CMakeLists.txt.
include(${CMAKE_CURRENT_LIST_DIR}/SsxJava.cmake)
if(NOT SSX_JAVA_AVAILABLE)
  return()
endif()

set(java_generated ${SSX_SWIG_GENERATED}/java/src/org/ssx)
ssx_swig_wrapper(java ssx_java ${java_generated} -package org.ssx)
target_include_directories(ssx_java PRIVATE ${SSX_JNI_INCLUDE_DIRS})

# ssx.jar: javac over the generated and the hand-written sources (the generated file names are
# known only after SWIG ran, hence the folder-wide list made at build time).
file(GLOB SSX_JAVA_SOURCES CONFIGURE_DEPENDS ${CMAKE_CURRENT_LIST_DIR}/org/ssx/*.java)
set(classes ${CMAKE_CURRENT_BINARY_DIR}/java-classes)
add_custom_command(OUTPUT ${SSX_JAVA_JAR}
  COMMAND ${CMAKE_COMMAND} -E rm -rf ${classes}
  COMMAND ${CMAKE_COMMAND} -E make_directory ${classes}
  COMMAND ${CMAKE_COMMAND} -DOUTPUT=${classes}/sources.txt "-DDIRS=${java_generated};${CMAKE_CURRENT_LIST_DIR}/org/ssx"
          -P ${CMAKE_CURRENT_LIST_DIR}/list_sources.cmake
  COMMAND ${SSX_JAVAC_EXECUTABLE} --release 17 -Xlint:all,-serial -Werror -encoding UTF-8 -d ${classes} @${classes}/sources.txt
  COMMAND ${SSX_JAR_EXECUTABLE} --create --file ${SSX_JAVA_JAR} -C ${classes} org
  DEPENDS ${SSX_JAVA_SOURCES} ${SSX_SWIG_GENERATED}/java/ssx_java_wrap.c ${CMAKE_CURRENT_LIST_DIR}/list_sources.cmake
  COMMENT "javac + jar: ssx.jar"
  VERBATIM)
add_custom_target(ssx_jar ALL DEPENDS ${SSX_JAVA_JAR})
add_dependencies(ssx_jar ssx_java)
