#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include <ssx/ssx.h>

int main(void) {
    /* Links, loads, and reports errors through the installed library. */
    int rc = ssx_set_socket_security(-1, NULL);
    if (rc != -1 || ssx_last_error() != SSX_E_BAD_DESCRIPTOR) return 1;
    printf("ssx %s: %s\n", ssx_version(), ssx_error_name(ssx_last_error()));
    return strcmp(ssx_version(), SSX_VERSION_STRING) == 0 ? 0 : 2;
}
