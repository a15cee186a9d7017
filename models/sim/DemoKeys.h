#pragma once

#include "ledger/Ed25519.h"

#include <QString>

namespace rollout {

// The embedded demo's signing keys. Each is derived from a PUBLIC seed (SHA-256 of
// "rollout-console demo key: <person id>"), so the demo signs its records with no set-up and the
// demo plan can carry the matching public keys. Worthless as secrets by design: demo only.
class DemoKeys final
{
public:
    static Ed25519::KeyPair forPerson(const QString& id);
};

} // namespace rollout
