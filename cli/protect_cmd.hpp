// `openrms protect|open|unprotect|inspect|revoke|track` — rights-protected files for one user
// (--as EMAIL, whose RAC and key 'openrms user enroll' wrote), on the embedded license server's
// store (--store). Use licenses are cached in --dir/EMAIL.licenses unless --no-cache.
#pragma once

#include <CLI/CLI.hpp>

namespace openrms::cli {
void add_protect_commands(CLI::App& app);
}
