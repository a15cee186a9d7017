#pragma once

#include "flags/FlagBackend.h"
#include "flags/FlagdDocument.h"

#include <functional>

namespace rollout {

// The embedded default flag service: an OpenFeature flagd flag-definition file on disk (what a
// ConfigMap feeding flagd holds). Changes one flag at a time with a compare-and-replace on the
// file's bytes, so a colleague's edit made meanwhile is kept, writes atomically and durably, and
// reads the file again before calling a change verified. File I/O is small and done in the
// caller's thread; results still arrive queued, like every other backend's.
class FlagdFileBackend final : public FlagBackend
{
    Q_OBJECT
public:
    FlagdFileBackend(QString name, QString path, QObject* parent = nullptr);

    QString describe() const override;
    const QString& path() const { return m_path; }

    void read(const QString& flag, QObject* context, Done done) override;
    void apply(const QString& flag, const FlagSetting& setting, const QString& stickiness, QObject* context,
               Done done) override;
    void setSegment(const QString& flag, const QString& segment, bool enabled, QObject* context,
                    Done done) override;

    // Test seam: runs after the new content is on disk in the temporary file and just before the
    // check that the original is unchanged, with the attempt number (1-based).
    void setBeforeReplaceHook(std::function<void(int attempt)> hook) { m_beforeReplace = std::move(hook); }

    static constexpr int kMaxAttempts = 3;

private:
    using Edit = std::function<FlagdOutcome<QByteArray>(const QByteArray&)>;
    using Check = std::function<QString(const FlagState& before, const FlagState& after)>; // empty = as asked

    FlagResult change(const QString& flag, const Edit& edit, const Check& check) const;
    FlagResult readNow(const QString& flag) const;
    void deliver(QObject* context, Done done, FlagResult result) const;

    QString m_path;
    std::function<void(int)> m_beforeReplace;
};

} // namespace rollout
