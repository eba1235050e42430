#include "ssx/ssx.h"

int header_cxx_b() { return ssx_last_error() == SSX_OK ? 0 : 1; }
