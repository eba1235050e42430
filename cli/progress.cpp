#include "progress.hpp"

#include <unistd.h>

#include <iostream>

namespace ssx::cli {

void progress(const std::string& message) {
    static const bool terminal = ::isatty(STDERR_FILENO) == 1;
    if (terminal) std::cerr << "ssx: " << message << std::endl;
}

}  // namespace ssx::cli
