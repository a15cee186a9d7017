#pragma once

#include "ledger/Ed25519.h"

#include <QString>
#include <optional>

namespace rollout {

// This installation's own signing key, so that the big red button never waits for a passphrase:
// made at first use and kept beside the people's keys (`<keys dir>/this-device.devicekey`, 0600
// in a 0700 folder, like an SSH host key: no passphrase). It signs only what lowers exposure or
// reports — a rollback asked for by a person whose key is locked ("rolled back by NAME on DEVICE;
// NAME's signature pending" until they countersign) and the read-backs that follow it.
// LedgerVerifier (DecisionChecks) accepts a device-signed record for nothing else.
class DeviceKey final
{
public:
    static constexpr const char* kFileName = "this-device.devicekey";
    // Reads the key in `directory`, or makes one there when there is none. nullopt with `problem`
    // (naming the file) when it cannot be read or written.
    static std::optional<Ed25519::KeyPair> loadOrCreate(const QString& directory, QString* problem);
};

} // namespace rollout
