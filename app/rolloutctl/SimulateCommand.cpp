#include "Commands.h"

namespace rolloutctl {
int simulate(const QStringList&) { return Failed; }
}
