#pragma once

#include <QByteArray>
#include <QJsonObject>
#include <QString>
#include <optional>

namespace rollout {

// One signed decision: a checklist tick, an approval, an advance, a rollback, a flag change…
// The record's fields are serialized once into `body` (canonical JSON: keys sorted, no
// whitespace, UTF-8; docs/ledger-format.md) and the Ed25519 signature covers exactly those
// bytes. Stores keep body and signature as they are, so a verifier never re-serializes: it checks
// the signature over the stored bytes, then reads the fields out of them.
struct LedgerRecord
{
    // 2: the chain runs per (device, rollout), so each rollout's records verify on their own.
    // 1: the chain ran per device through every rollout (still read and verified; never written).
    static constexpr int FormatVersion = 2;
    static constexpr int OldestFormatVersion = 1;

    QString id;             // UUID, lowercase, no braces
    QString rollout;        // the plan's `rollout` name
    QString planHash;       // hex SHA-256 of the exact plan bytes the decision refers to
    QString type;           // the event's name: approval_recorded, phase_advanced, rolled_back, …
    QJsonObject payload;    // what was decided (type-specific)
    QString actor;          // a person's id from the plan's people, or "automation"
    QString role;           // the role the actor acted in
    QString publicKey;      // "ed25519:<base64>" of the signing key
    QString keyId;          // Ed25519::keyId of that key
    qint64 timestampMs = 0; // the signer's clock, ms since the epoch (UTC)
    QString device;         // which console or watch wrote it
    qint64 sequence = 0;    // 1, 2, 3 … of that device in this rollout (v1: of that device)
    QString previous;       // hex SHA-256 of the body of the chain's previous record ("" for its first)
    int version = FormatVersion;

    QByteArray body;      // the signed bytes
    QByteArray signature; // 64 bytes

    // Hex SHA-256 of `body`: what the chain's next record holds in `previous`.
    QString hash() const;
    // The canonical serialization of the fields above (not body or signature).
    QByteArray canonicalBody() const;
    // Reads the fields out of signed bytes. Checks the shape only, never the signature.
    static std::optional<LedgerRecord> fromSigned(const QByteArray& body, const QByteArray& signature,
                                                  QString* problem);
    // Fills publicKey and keyId from `publicKey`, serializes, and signs with `secretKey`.
    void seal(const QByteArray& publicKey, const QByteArray& secretKey);
    // True when `signature` is a valid Ed25519 signature of `body` by the key in `publicKey`.
    bool signatureValid() const;
};

} // namespace rollout
