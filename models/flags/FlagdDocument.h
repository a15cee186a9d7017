#pragma once

#include "flags/FlagBackend.h"

#include <QByteArray>
#include <QString>
#include <optional>

namespace rollout {

// Why a flagd document could not be read or changed.
struct FlagdError
{
    enum class Kind
    {
        None,
        Syntax,  // not JSON at all: line and column say where
        Shape,   // JSON, but not a flagd flag-definition document (path says where)
        Foreign, // a flag we can read but must not overwrite (targeting someone wrote by hand)
        Request, // the change asked for is itself impossible (percent 130, empty segment name)
    };
    Kind kind = Kind::None;
    QString path; // where in the document: "flags.new-ui.targeting"; empty for syntax errors
    int line = 0; // syntax errors: 1-based line and column (column counts characters)
    int column = 0;
    QString what; // the problem in a few words

    bool isError() const { return kind != Kind::None; }
    // One sentence: "line 3:14: syntax error while parsing object - unexpected '}'; expected string literal",
    // "flags.new-ui: is a string, not an object".
    QString describe() const;
};

// A value or the reason there is none.
template <typename T> struct FlagdOutcome
{
    std::optional<T> value;
    FlagdError error;

    static FlagdOutcome ok(T v) { return FlagdOutcome{std::move(v), {}}; }
    static FlagdOutcome fail(FlagdError e) { return FlagdOutcome{std::nullopt, std::move(e)}; }
    explicit operator bool() const { return value.has_value(); }
};

// Reads and edits an OpenFeature flagd flag-definition file (what a ConfigMap feeding flagd
// holds) as bytes in, value or typed error out. Only boolean flags are understood; percentages
// are `fractional` targeting, held-off segments an `if`/`in` on the `segment` attribute wrapped
// around it. Every other flag and every other key is carried over unchanged in value.
class FlagdDocument final
{
public:
    // What a flag file holds before any flag is written to it.
    static QByteArray emptyDocument();

    // The flag's state as flagd would serve it. A flag that is not in the file reads as
    // exists = false; one whose targeting we did not write reads as exists with a detail saying
    // so (and enabled = false, which means "unknown" there).
    static FlagdOutcome<FlagState> readFlag(const QByteArray& bytes, const QString& key);

    // The document with one flag set to `setting` (sticky on `stickiness` while partial) and
    // everything else kept. Segments held off stay held off. A missing flag is created.
    static FlagdOutcome<QByteArray> withSetting(const QByteArray& bytes, const QString& key,
                                                const FlagSetting& setting, const QString& stickiness);

    // The document with one segment of one flag held off (enabled = false) or following the
    // rollout again (true); the flag's percentage is kept. A missing flag is created, off.
    static FlagdOutcome<QByteArray> withSegment(const QByteArray& bytes, const QString& key,
                                                const QString& segment, bool enabled);

    // 1-based line and column (in characters) of the byte at `offset`, for messages.
    static std::pair<int, int> lineColumn(const QByteArray& bytes, qsizetype offset);
};

} // namespace rollout
