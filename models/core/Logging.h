#pragma once

#include <QString>

namespace rollout {

// spdlog set up once per process: warnings and worse to stderr (everything with --verbose),
// everything to a rotating file in the XDG state directory ($XDG_STATE_HOME/rollout-console).
class Logging
{
public:
    static void setUp(const QString& program, bool verbose);
    static QString logDirectory();
};

} // namespace rollout
