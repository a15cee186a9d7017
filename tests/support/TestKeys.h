#pragma once

#include "ledger/Ed25519.h"

namespace rollout::test {

// A test's signing key, the same on every run: derived from a seed that is SHA-256 of `label`.
Ed25519::KeyPair seededKey(const QByteArray& label);

} // namespace rollout::test
