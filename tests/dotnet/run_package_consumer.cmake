# cmake -P script: proves the Ssx NuGet package works for a real consumer.
#  1. checks the package holds the managed assembly and the native libraries;
#  2. copies Ssx.PackageConsumer into WORK_DIR with a NuGet.config naming only PACKAGE_DIR (the
#     local folder with the package) and the offline folder, and an empty package cache (so the
#     package just built is the one restored, never a cached copy of the same version);
#  3. makes a PKI (the ssx CLI if built, else openssl), builds and runs the consumer.
# Inputs: DOTNET, DOTNET_ENV, CONFIGURATION, SOURCE_DIR, WORK_DIR, PACKAGE_DIR, PACKAGE_VERSION,
#         OFFLINE_SOURCE, SSX_CLI.
cmake_minimum_required(VERSION 3.25)

function(run)
  list(JOIN ARGN " " command_line)
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err TIMEOUT 300)
  message("$ ${command_line}\n${out}${err}")
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "failed (${rc}): ${command_line}")
  endif()
endfunction()

set(package ${PACKAGE_DIR}/Ssx.${PACKAGE_VERSION}.nupkg)
if(NOT EXISTS ${package})
  message(FATAL_ERROR "${package} does not exist; build the ssx_nuget target")
endif()

# 1. The package's contents.
file(REMOVE_RECURSE ${WORK_DIR})
file(MAKE_DIRECTORY ${WORK_DIR}/unpacked)
file(ARCHIVE_EXTRACT INPUT ${package} DESTINATION ${WORK_DIR}/unpacked)
foreach(entry lib/net10.0/Ssx.dll lib/net10.0/Ssx.xml runtimes/linux-x64/native/libssx_csharp.so
              runtimes/linux-x64/native/libssx.so.0 Ssx.nuspec README.md)
  if(NOT EXISTS ${WORK_DIR}/unpacked/${entry})
    message(FATAL_ERROR "the package lacks ${entry}")
  endif()
endforeach()
message("package contents: ok")

# 2. An isolated consumer project.
file(COPY ${SOURCE_DIR}/ DESTINATION ${WORK_DIR}/app)
file(WRITE ${WORK_DIR}/Directory.Build.props "<Project />\n")   # nothing from the ssx tree
file(WRITE ${WORK_DIR}/Directory.Build.targets "<Project />\n")
file(WRITE ${WORK_DIR}/NuGet.config "<?xml version=\"1.0\" encoding=\"utf-8\"?>
<configuration>
  <packageSources>
    <clear />
    <add key=\"ssx-local\" value=\"${PACKAGE_DIR}\" />
    <add key=\"offline\" value=\"${OFFLINE_SOURCE}\" />
  </packageSources>
</configuration>
")
set(env ${DOTNET_ENV})
list(FILTER env EXCLUDE REGEX "^NUGET_PACKAGES=")
list(APPEND env NUGET_PACKAGES=${WORK_DIR}/packages)

# 3. A PKI, then build and run.
set(pki ${WORK_DIR}/pki)
if(EXISTS ${SSX_CLI})
  run(${SSX_CLI} pki init ${pki})
  run(${SSX_CLI} pki issue ${pki} server --dns server.test --ip 127.0.0.1 --uri spiffe://test/server)
  run(${SSX_CLI} pki issue ${pki} client --dns client.test --uri spiffe://test/client)
else()
  file(MAKE_DIRECTORY ${pki})
  run(openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out ${pki}/ca.key)
  run(openssl req -x509 -new -key ${pki}/ca.key -sha256 -days 30 -subj "/CN=ssx package consumer CA"
      -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign -out ${pki}/ca.pem)
  foreach(leaf server client)
    if(leaf STREQUAL server)
      set(san "DNS:server.test,IP:127.0.0.1,URI:spiffe://test/server")
    else()
      set(san "DNS:client.test,URI:spiffe://test/client")
    endif()
    file(WRITE ${pki}/${leaf}.ext "basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth,clientAuth\nsubjectAltName=${san}\n")
    run(openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out ${pki}/${leaf}.key)
    file(CHMOD ${pki}/${leaf}.key PERMISSIONS OWNER_READ OWNER_WRITE)
    run(openssl req -new -key ${pki}/${leaf}.key -subj "/CN=${leaf}" -out ${pki}/${leaf}.csr)
    string(RANDOM LENGTH 16 ALPHABET 0123456789ABCDEF serial)
    run(openssl x509 -req -in ${pki}/${leaf}.csr -CA ${pki}/ca.pem -CAkey ${pki}/ca.key -set_serial 0x7${serial}
        -days 30 -sha256 -extfile ${pki}/${leaf}.ext -out ${pki}/${leaf}.leaf)
    file(READ ${pki}/${leaf}.leaf leaf_pem)
    file(READ ${pki}/ca.pem ca_pem)
    file(WRITE ${pki}/${leaf}.pem "${leaf_pem}${ca_pem}")
  endforeach()
endif()

run(${CMAKE_COMMAND} -E env ${env} ${DOTNET} build ${WORK_DIR}/app/Ssx.PackageConsumer.csproj -nologo -v:minimal
    -c ${CONFIGURATION} -nodeReuse:false -p:SsxPackageVersion=${PACKAGE_VERSION} -o ${WORK_DIR}/bin)
# The native libraries must come from the package (nothing else put them there).
foreach(lib libssx_csharp.so libssx.so.0)
  file(GLOB_RECURSE found ${WORK_DIR}/bin/${lib} ${WORK_DIR}/bin/*/${lib})
  if(NOT found)
    message(FATAL_ERROR "the consumer's output has no ${lib}")
  endif()
endforeach()
run(${CMAKE_COMMAND} -E env ${env} --unset=LD_LIBRARY_PATH ${WORK_DIR}/bin/Ssx.PackageConsumer ${pki})
