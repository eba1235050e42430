/* ssx.h must compile on its own as strict C99 (no C++ or GNU extensions leak into the ABI). */
#include "ssx/ssx.h"

int main(void) {
    ssx_security_settings s = SSX_SECURITY_SETTINGS_INIT;
    ssx_query_template t = SSX_QUERY_TEMPLATE_INIT;
    /* The size functions and the macros agree, so bindings can rely on either. */
    if (ssx_security_settings_size() != sizeof s || s.size != sizeof s) return 1;
    if (ssx_query_template_size() != sizeof t || t.size != sizeof t) return 2;
    if (ssx_query_info_size() != sizeof(ssx_query_info)) return 3;
    if (ssx_version()[0] == '\0') return 4;
    return 0;
}
