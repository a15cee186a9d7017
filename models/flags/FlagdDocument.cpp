#include "flags/FlagdDocument.h"

#include <algorithm>
#include <cmath>
#include <nlohmann/json.hpp>

namespace rollout {

namespace {

// ordered_json keeps keys in file order, so a rewritten file diffs only where it changed.
using Json = nlohmann::ordered_json;

constexpr int kMaxDepth = 200; // dump() recurses: a hostile file must not overflow the stack
const std::string kSegmentAttribute = "segment";
const QString kForeignTargeting =
    QStringLiteral("targeting not written by Rollout Console; edit by hand or remove it");

QString qs(const std::string& s)
{
    return QString::fromStdString(s);
}
std::string ss(const QString& s)
{
    return s.toStdString();
}

QString typeName(const Json& j)
{
    switch (j.type()) {
    case Json::value_t::object:
        return QStringLiteral("an object");
    case Json::value_t::array:
        return QStringLiteral("an array");
    case Json::value_t::string:
        return QStringLiteral("a string");
    case Json::value_t::boolean:
        return QStringLiteral("true/false");
    case Json::value_t::null:
        return QStringLiteral("null");
    case Json::value_t::number_integer:
    case Json::value_t::number_unsigned:
    case Json::value_t::number_float:
        return QStringLiteral("a number");
    default:
        return QStringLiteral("something else");
    }
}

FlagdError shapeError(const QString& path, const QString& what)
{
    return FlagdError{FlagdError::Kind::Shape, path, 0, 0, what};
}

FlagdError foreignError(const QString& path, const QString& what)
{
    return FlagdError{FlagdError::Kind::Foreign, path, 0, 0, what};
}

// A flagd document whose top level has been checked: an object with a "flags" object of objects.
FlagdOutcome<Json> parseDocument(const QByteArray& bytes)
{
    // A truncated ConfigMap is the likely story here; nlohmann would say "unexpected end of input".
    if (bytes.trimmed().isEmpty())
        return FlagdOutcome<Json>::fail(
            FlagdError{FlagdError::Kind::Syntax, {}, 1, 1, QStringLiteral("the file is empty")});
    bool tooDeep = false;
    const Json::parser_callback_t limitDepth = [&tooDeep](int depth, Json::parse_event_t, Json&) {
        if (depth > kMaxDepth) tooDeep = true;
        return depth <= kMaxDepth;
    };
    Json doc;
    try {
        doc = Json::parse(bytes.cbegin(), bytes.cend(), limitDepth, true, false);
    } catch (const Json::parse_error& e) {
        // nlohmann counts bytes read (1-based); we report characters, as an editor shows them.
        const qsizetype offset = e.byte == 0 ? 0 : qsizetype(e.byte - 1);
        const auto [line, column] = FlagdDocument::lineColumn(bytes, offset);
        std::string what = e.what();
        const auto at = what.find(", column ");
        const auto colon = at == std::string::npos ? std::string::npos : what.find(": ", at);
        if (colon != std::string::npos) what = what.substr(colon + 2);
        return FlagdOutcome<Json>::fail(FlagdError{FlagdError::Kind::Syntax, {}, line, column, qs(what)});
    } catch (const std::exception& e) {
        // out_of_range ("number overflow parsing '1e999'") carries no position: name the problem only.
        QString what = QString::fromUtf8(e.what());
        if (what.startsWith(QLatin1Char('['))) what = what.mid(what.indexOf(QLatin1Char(']')) + 1).trimmed();
        return FlagdOutcome<Json>::fail(shapeError({}, what));
    }
    if (tooDeep)
        return FlagdOutcome<Json>::fail(
            shapeError({}, QStringLiteral("nested deeper than %1 levels").arg(kMaxDepth)));
    if (!doc.is_object())
        return FlagdOutcome<Json>::fail(shapeError(
            {}, QStringLiteral("the document is %1, not an object with \"flags\"").arg(typeName(doc))));
    const auto flags = doc.find("flags");
    if (flags == doc.end())
        return FlagdOutcome<Json>::fail(shapeError(
            QStringLiteral("flags"), QStringLiteral("missing: a flagd file needs a \"flags\" object")));
    if (!flags->is_object())
        return FlagdOutcome<Json>::fail(shapeError(
            QStringLiteral("flags"), QStringLiteral("is %1, not an object").arg(typeName(*flags))));
    for (const auto& [key, flag] : flags->items()) {
        if (!flag.is_object())
            return FlagdOutcome<Json>::fail(
                shapeError(QStringLiteral("flags.") + qs(key),
                           QStringLiteral("is %1, not an object").arg(typeName(flag))));
    }
    return FlagdOutcome<Json>::ok(std::move(doc));
}

// What serves the flag once segments are taken care of: one variant, or a fractional split.
struct Core
{
    bool fractional = false;
    bool on = false;       // constant: which variant
    double onWeight = 0.0; // fractional: relative weights
    double offWeight = 0.0;
    QString stickiness; // fractional: the bucketing attribute, "default" when flagd's own
};

// One boolean flag as Rollout Console understands it. `foreign` set means readable but not ours
// to overwrite.
struct BoolFlag
{
    bool disabledState = false;
    std::string onVariant;
    std::string offVariant;
    Core core;
    QStringList heldOff;
    FlagdError foreign; // Kind::Foreign when we must not write over it
};

// The bucketing expression's attribute: {"cat":[{"var":"$flagd.flagKey"},{"var":"userId"}]} or
// {"var":"userId"}; empty when it is something else.
QString bucketingAttribute(const Json& e)
{
    const auto var = [](const Json& v) -> QString {
        if (!v.is_object() || v.size() != 1 || !v.contains("var") || !v["var"].is_string()) return {};
        return qs(v["var"].get<std::string>());
    };
    if (const QString direct = var(e); !direct.isEmpty()) return direct;
    if (!e.is_object() || e.size() != 1 || !e.contains("cat")) return {};
    const Json& parts = e["cat"];
    if (!parts.is_array() || parts.size() != 2 || var(parts[0]) != QLatin1String("$flagd.flagKey")) return {};
    return var(parts[1]);
}

// Interprets `rest` (the targeting below any segment wrapper). Shape errors are for things flagd
// itself would reject; anything merely unfamiliar makes the flag foreign.
FlagdError readCore(const Json& rest, const QString& path, BoolFlag& out)
{
    if (rest.is_string()) {
        const std::string name = rest.get<std::string>();
        if (name != out.onVariant && name != out.offVariant)
            return shapeError(
                path, QStringLiteral("serves \"%1\", which is not one of the variants").arg(qs(name)));
        out.core.on = name == out.onVariant;
        return {};
    }
    if (!rest.is_object() || rest.size() != 1 || !rest.contains("fractional") ||
        !rest["fractional"].is_array()) {
        out.foreign = foreignError(path, kForeignTargeting);
        return {};
    }
    const Json& args = rest["fractional"];
    out.core.fractional = true;
    out.core.stickiness = QStringLiteral("default");
    std::size_t first = 0;
    if (!args.empty() && !args[0].is_array()) {
        const QString attribute = bucketingAttribute(args[0]);
        if (attribute.isEmpty()) {
            out.foreign = foreignError(path, kForeignTargeting);
            return {};
        }
        if (attribute != QLatin1String("targetingKey")) out.core.stickiness = attribute;
        first = 1;
    }
    if (args.size() <= first) return shapeError(path, QStringLiteral("fractional has no buckets"));
    for (std::size_t i = first; i < args.size(); ++i) {
        const Json& bucket = args[i];
        const QString where = QStringLiteral("%1.fractional[%2]").arg(path).arg(i);
        if (!bucket.is_array() || bucket.empty() || bucket.size() > 2 || !bucket[0].is_string())
            return shapeError(where, QStringLiteral("a bucket must be [\"variant\", weight]"));
        const std::string name = bucket[0].get<std::string>();
        if (name != out.onVariant && name != out.offVariant)
            return shapeError(where, QStringLiteral("\"%1\" is not one of the variants").arg(qs(name)));
        double weight = 1.0; // flagd's default when the weight is left out
        if (bucket.size() == 2) {
            if (!bucket[1].is_number())
                return shapeError(where,
                                  QStringLiteral("the weight is %1, not a number").arg(typeName(bucket[1])));
            weight = bucket[1].get<double>();
            if (!std::isfinite(weight) || weight < 0.0)
                return shapeError(where, QStringLiteral("the weight must be a number of 0 or more"));
        }
        (name == out.onVariant ? out.core.onWeight : out.core.offWeight) += weight;
    }
    const double sum = out.core.onWeight + out.core.offWeight;
    if (!(sum > 0.0) || !std::isfinite(sum))
        return shapeError(path, QStringLiteral("the weights add up to %1").arg(sum));
    return {};
}

// Reads flags.<key> (known to be an object) into `out`.
FlagdError readBoolFlag(const Json& flag, const QString& key, BoolFlag& out)
{
    const QString path = QStringLiteral("flags.") + key;
    const auto state = flag.find("state");
    if (state == flag.end() || !state->is_string() || (*state != "ENABLED" && *state != "DISABLED"))
        return shapeError(path + QStringLiteral(".state"),
                          QStringLiteral("must be \"ENABLED\" or \"DISABLED\""));
    out.disabledState = *state == "DISABLED";

    const auto variants = flag.find("variants");
    if (variants == flag.end() || !variants->is_object() || variants->empty())
        return shapeError(path + QStringLiteral(".variants"),
                          QStringLiteral("must be an object naming at least one variant"));
    bool boolean = true;
    for (const auto& [name, value] : variants->items()) {
        if (!value.is_boolean())
            boolean = false;
        else if (value.get<bool>() && out.onVariant.empty())
            out.onVariant = name;
        else if (!value.get<bool>() && out.offVariant.empty())
            out.offVariant = name;
    }
    const auto defaultVariant = flag.find("defaultVariant");
    if (defaultVariant != flag.end() && defaultVariant->is_string() &&
        !variants->contains(defaultVariant->get<std::string>()))
        return shapeError(
            path + QStringLiteral(".defaultVariant"),
            QStringLiteral("\"%1\" is not one of the variants").arg(qs(defaultVariant->get<std::string>())));
    if (!boolean || out.onVariant.empty() || out.offVariant.empty()) {
        out.foreign =
            foreignError(path + QStringLiteral(".variants"),
                         QStringLiteral("not an on/off flag (it needs one true and one false variant); "
                                        "Rollout Console only switches boolean flags"));
        return {};
    }
    if (defaultVariant == flag.end() || !defaultVariant->is_string()) {
        out.foreign = foreignError(
            path + QStringLiteral(".defaultVariant"),
            QStringLiteral("no default variant, so flagd defers to the code's default; set one by hand"));
        return {};
    }

    const auto targeting = flag.find("targeting");
    if (targeting == flag.end() || targeting->is_null() || (targeting->is_object() && targeting->empty())) {
        out.core.on = defaultVariant->get<std::string>() == out.onVariant;
        return {};
    }
    const QString targetingPath = path + QStringLiteral(".targeting");
    // {"if":[{"in":[{"var":"segment"},[...]]}, "<off>", rest]}: our segment wrapper.
    const Json* rest = &*targeting;
    if (targeting->is_object() && targeting->size() == 1 && targeting->contains("if")) {
        const Json& branches = (*targeting)["if"];
        if (branches.is_array() && branches.size() == 3 && branches[1].is_string() &&
            branches[1].get<std::string>() == out.offVariant && branches[0].is_object() &&
            branches[0].size() == 1 && branches[0].contains("in")) {
            const Json& in = branches[0]["in"];
            if (in.is_array() && in.size() == 2 && in[0] == Json{{"var", kSegmentAttribute}} &&
                in[1].is_array()) {
                bool names = true;
                QStringList held;
                for (const Json& s : in[1]) {
                    if (!s.is_string())
                        names = false;
                    else
                        held << qs(s.get<std::string>());
                }
                if (names) {
                    out.heldOff = held;
                    rest = &branches[2];
                }
            }
        }
    }
    return readCore(*rest, targetingPath, out);
}

// A fractional split that serves `percent` percent "on". flagd wants integer weights; weights
// are relative, so a percentage with decimals is written in hundredths.
Json fractional(const BoolFlag& f, double percent, const QString& stickiness)
{
    Json args = Json::array();
    // flagd's own bucketing already is flagKey + targetingKey: "targetingKey" needs no expression.
    if (!stickiness.isEmpty() && stickiness != QLatin1String("default") &&
        stickiness != QLatin1String("targetingKey"))
        args.push_back(
            Json{{"cat", Json::array({Json{{"var", "$flagd.flagKey"}}, Json{{"var", ss(stickiness)}}})}});
    const bool whole = std::abs(percent - std::round(percent)) < 1e-9;
    const qint64 total = whole ? 100 : 10000;
    const qint64 on = whole ? std::llround(percent) : std::llround(percent * 100.0);
    args.push_back(Json::array({f.onVariant, on}));
    args.push_back(Json::array({f.offVariant, total - on}));
    return Json{{"fractional", std::move(args)}};
}

// Writes `f` back into `flag`: only state, defaultVariant and targeting change; every other key
// of the flag (metadata, variants) stays where it was.
void writeBoolFlag(Json& flag, const BoolFlag& f, const Json& core)
{
    flag["state"] = f.disabledState ? "DISABLED" : "ENABLED";
    if (f.heldOff.isEmpty() && core.is_string()) {
        flag["defaultVariant"] = core;
        flag.erase("targeting");
        return;
    }
    flag["defaultVariant"] = f.offVariant;
    if (f.heldOff.isEmpty()) {
        flag["targeting"] = core;
        return;
    }
    Json segments = Json::array();
    for (const QString& s : f.heldOff)
        segments.push_back(ss(s));
    flag["targeting"] =
        Json{{"if", Json::array({Json{{"in", Json::array({Json{{"var", kSegmentAttribute}}, segments})}},
                                 f.offVariant, core})}};
}

Json newFlag()
{
    return Json{
        {"state", "ENABLED"}, {"variants", Json{{"on", true}, {"off", false}}}, {"defaultVariant", "off"}};
}

QByteArray dump(const Json& doc)
{
    const std::string text = doc.dump(2);
    return QByteArray(text.data(), qsizetype(text.size())) + '\n';
}

// Finds (or creates) flags.<key> and reads it for a write: foreign flags are refused here.
FlagdOutcome<BoolFlag> flagForWrite(Json& doc, const QString& key)
{
    if (key.isEmpty())
        return FlagdOutcome<BoolFlag>::fail(FlagdError{FlagdError::Kind::Request, QStringLiteral("flags"), 0,
                                                       0, QStringLiteral("the flag key is empty")});
    Json& flags = doc["flags"];
    if (!flags.contains(ss(key))) flags[ss(key)] = newFlag();
    BoolFlag f;
    if (FlagdError e = readBoolFlag(flags[ss(key)], key, f); e.isError())
        return FlagdOutcome<BoolFlag>::fail(e);
    if (f.foreign.isError()) return FlagdOutcome<BoolFlag>::fail(f.foreign);
    return FlagdOutcome<BoolFlag>::ok(std::move(f));
}

} // namespace

QString FlagdError::describe() const
{
    switch (kind) {
    case Kind::None:
        return {};
    case Kind::Syntax:
        return QStringLiteral("not valid JSON at line %1:%2: %3").arg(line).arg(column).arg(what);
    default:
        return path.isEmpty() ? what : QStringLiteral("%1: %2").arg(path, what);
    }
}

std::pair<int, int> FlagdDocument::lineColumn(const QByteArray& bytes, qsizetype offset)
{
    offset = std::clamp<qsizetype>(offset, 0, bytes.size());
    int line = 1;
    int column = 1;
    for (qsizetype i = 0; i < offset; ++i) {
        const auto c = static_cast<unsigned char>(bytes[i]);
        if (c == '\n') {
            ++line;
            column = 1;
        } else if ((c & 0xC0) != 0x80) { // UTF-8 continuation bytes belong to the character before
            ++column;
        }
    }
    return {line, column};
}

QByteArray FlagdDocument::emptyDocument()
{
    return dump(Json{{"$schema", "https://flagd.dev/schema/v0/flags.json"}, {"flags", Json::object()}});
}

FlagdOutcome<FlagState> FlagdDocument::readFlag(const QByteArray& bytes, const QString& key)
{
    auto parsed = parseDocument(bytes);
    if (!parsed) return FlagdOutcome<FlagState>::fail(parsed.error);
    const Json& flags = (*parsed.value)["flags"];
    FlagState state;
    const auto it = flags.find(ss(key));
    if (key.isEmpty() || it == flags.end()) {
        state.detail = QStringLiteral("not in the file");
        return FlagdOutcome<FlagState>::ok(state);
    }
    BoolFlag f;
    if (FlagdError e = readBoolFlag(*it, key, f); e.isError()) return FlagdOutcome<FlagState>::fail(e);
    state.exists = true;
    if (f.foreign.isError()) {
        // enabled = false here means "not known": a write will refuse, so nothing acts on it.
        state.detail = QStringLiteral("unknown: %1").arg(f.foreign.describe());
        if (f.disabledState) state.detail = QStringLiteral("state DISABLED; ") + state.detail;
        return FlagdOutcome<FlagState>::ok(state);
    }
    state.disabledSegments = f.heldOff;
    if (f.disabledState) {
        state.detail = QStringLiteral("state DISABLED");
    } else if (f.core.fractional) {
        state.enabled = true;
        state.percent = 100.0 * f.core.onWeight / (f.core.onWeight + f.core.offWeight);
        state.stickiness = f.core.stickiness;
        state.detail = QStringLiteral("fractional %1 %2 / %3 %4")
                           .arg(qs(f.onVariant))
                           .arg(f.core.onWeight)
                           .arg(qs(f.offVariant))
                           .arg(f.core.offWeight);
        if (state.stickiness != QLatin1String("default"))
            state.detail += QStringLiteral(" by ") + state.stickiness;
    } else {
        state.enabled = f.core.on;
        state.percent = f.core.on ? 100.0 : 0.0;
        state.detail = QStringLiteral("serves \"%1\"").arg(qs(f.core.on ? f.onVariant : f.offVariant));
    }
    if (!f.heldOff.isEmpty())
        state.detail += QStringLiteral(", \"%1\" for segment %2")
                            .arg(qs(f.offVariant), f.heldOff.join(QStringLiteral(", ")));
    return FlagdOutcome<FlagState>::ok(state);
}

FlagdOutcome<QByteArray> FlagdDocument::withSetting(const QByteArray& bytes, const QString& key,
                                                    const FlagSetting& setting, const QString& stickiness)
{
    if (setting.enabled && !(setting.percent >= 0.0 && setting.percent <= 100.0))
        return FlagdOutcome<QByteArray>::fail(
            FlagdError{FlagdError::Kind::Request, QStringLiteral("flags.") + key, 0, 0,
                       QStringLiteral("a percentage must be 0 to 100, not %1").arg(setting.percent)});
    auto parsed = parseDocument(bytes);
    if (!parsed) return FlagdOutcome<QByteArray>::fail(parsed.error);
    Json& doc = *parsed.value;
    auto f = flagForWrite(doc, key);
    if (!f) return FlagdOutcome<QByteArray>::fail(f.error);
    f.value->disabledState =
        false; // DISABLED hands evaluation to the code's default; we say on or off ourselves
    Json core;
    if (!setting.enabled)
        core = f.value->offVariant;
    else if (setting.percent >= 100.0)
        core = f.value->onVariant;
    else
        core = fractional(*f.value, setting.percent, stickiness);
    try {
        writeBoolFlag(doc["flags"][ss(key)], *f.value, core);
        return FlagdOutcome<QByteArray>::ok(dump(doc));
    } catch (const std::exception& e) {
        return FlagdOutcome<QByteArray>::fail(
            shapeError(QStringLiteral("flags.") + key, QString::fromUtf8(e.what())));
    }
}

FlagdOutcome<QByteArray> FlagdDocument::withSegment(const QByteArray& bytes, const QString& key,
                                                    const QString& segment, bool enabled)
{
    if (segment.isEmpty())
        return FlagdOutcome<QByteArray>::fail(FlagdError{FlagdError::Kind::Request,
                                                         QStringLiteral("flags.") + key, 0, 0,
                                                         QStringLiteral("the segment name is empty")});
    auto parsed = parseDocument(bytes);
    if (!parsed) return FlagdOutcome<QByteArray>::fail(parsed.error);
    Json& doc = *parsed.value;
    auto f = flagForWrite(doc, key);
    if (!f) return FlagdOutcome<QByteArray>::fail(f.error);
    BoolFlag& flag = *f.value;
    if (enabled)
        flag.heldOff.removeAll(segment);
    else if (!flag.heldOff.contains(segment))
        flag.heldOff << segment;
    // The split itself is kept exactly as written: same weights, same bucketing.
    Json core;
    if (flag.core.fractional) {
        const Json& targeting = doc["flags"][ss(key)]["targeting"];
        core =
            targeting.contains("if") ? targeting["if"][2] : targeting; // readBoolFlag vouched for the shape
    } else {
        core = flag.core.on ? flag.onVariant : flag.offVariant;
    }
    try {
        writeBoolFlag(doc["flags"][ss(key)], flag, core);
        return FlagdOutcome<QByteArray>::ok(dump(doc));
    } catch (const std::exception& e) {
        return FlagdOutcome<QByteArray>::fail(
            shapeError(QStringLiteral("flags.") + key, QString::fromUtf8(e.what())));
    }
}

} // namespace rollout
