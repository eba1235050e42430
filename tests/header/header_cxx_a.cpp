// ssx.h in C++ from two translation units of one program (catches ODR and linkage problems).
#include "ssx/ssx.h"
#include "ssx/ssx.h"  // include guard

int header_cxx_b();

int main() {
    ssx_security_settings s = SSX_SECURITY_SETTINGS_INIT;
    return (s.size == sizeof s && header_cxx_b() == 0) ? 0 : 1;
}
