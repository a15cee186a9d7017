#pragma once

namespace rolloutctl {

// SIGINT and SIGTERM end the event loop cleanly (a self-pipe: the handler only write()s), so a
// command stops between two decisions, never in the middle of writing a record. Returns the
// signal that arrived last (0 if none) through lastSignal().
void quitOnSignals();
int lastSignal();

} // namespace rolloutctl
