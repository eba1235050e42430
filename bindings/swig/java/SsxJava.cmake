# The JDK tools for the Java binding, shared by bindings/swig, tests/java and examples/java (which
# CMake may read before bindings/: include this file, it is idempotent). Defines (cache):
#   SSX_JAVA_AVAILABLE   the binding is built: SSX_BUILD_SWIG on, SWIG, javac and jni.h found
#   SSX_JAVA_JAR         out/ssx.jar
#   SSX_JAVA_EXECUTABLE, SSX_JAVAC_EXECUTABLE, SSX_JAR_EXECUTABLE
include_guard(GLOBAL)

find_package(SWIG 4.0 QUIET COMPONENTS java)
find_package(Java 17 COMPONENTS Development)
if(Java_FOUND AND NOT JAVA_HOME AND NOT DEFINED ENV{JAVA_HOME})
  # FindJNI looks for jni.h under JAVA_HOME: without one, use the JDK of the javac found.
  get_filename_component(javac_real ${Java_JAVAC_EXECUTABLE} REALPATH)
  get_filename_component(JAVA_HOME ${javac_real} DIRECTORY)
  get_filename_component(JAVA_HOME ${JAVA_HOME} DIRECTORY)
endif()
# Only the headers and libjvm: a headless JDK has no AWT.
find_package(JNI COMPONENTS JVM)
if(NOT Java_FOUND OR NOT JNI_FOUND)
  set(SSX_JAVA_AVAILABLE OFF CACHE INTERNAL "")
  message(WARNING "ssx: a JDK (javac, jni.h) was not found: the Java binding is not built")
  return()
endif()
if(NOT SSX_BUILD_SWIG OR NOT SWIG_FOUND)
  set(SSX_JAVA_AVAILABLE OFF CACHE INTERNAL "")
  return()
endif()
set(SSX_JAVA_AVAILABLE ON CACHE INTERNAL "")
set(SSX_JNI_INCLUDE_DIRS ${JNI_INCLUDE_DIRS} CACHE INTERNAL "")
set(SSX_JAVA_JAR ${SSX_OUT_DIR}/ssx.jar CACHE INTERNAL "")
set(SSX_JAVA_EXECUTABLE ${Java_JAVA_EXECUTABLE} CACHE INTERNAL "")
set(SSX_JAVAC_EXECUTABLE ${Java_JAVAC_EXECUTABLE} CACHE INTERNAL "")
set(SSX_JAR_EXECUTABLE ${Java_JAR_EXECUTABLE} CACHE INTERNAL "")

