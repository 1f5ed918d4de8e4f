// `openrms server|user|template|license` — the embedded license server from the command line,
// on an SQLite store given by --store (default $OPENRMS_STORE, else
// $XDG_DATA_HOME/openrms/store.db, else ~/.local/share/openrms/store.db). The store's
// key-encryption key is read from --kek-file (default: the store path + ".kek", created with
// mode 0600 by `server init`).
#pragma once

#include <CLI/CLI.hpp>

namespace openrms::cli {
void add_licensing_commands(CLI::App& app);
}
