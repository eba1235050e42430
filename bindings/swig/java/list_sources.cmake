# cmake -P helper: writes the .java files under DIRS (a ;-list) to OUTPUT, one per line, for javac @file.
set(files "")
foreach(dir ${DIRS})
  file(GLOB found ${dir}/*.java)
  list(APPEND files ${found})
endforeach()
list(SORT files)
list(JOIN files "\n" text)
file(WRITE ${OUTPUT} "${text}\n")
