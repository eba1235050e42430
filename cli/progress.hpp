// Progress lines for operations that may take a while (connecting, waiting for peers). Shown on
// stderr only when stderr is a terminal, so pipes and scripts see just the results.
#pragma once

#include <string>

namespace ssx::cli {

void progress(const std::string& message);

}  // namespace ssx::cli
