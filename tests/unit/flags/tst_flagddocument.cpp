// The flagd flag-definition format: how a file reads as a FlagState, which files are refused
// and with which words, and what a change writes (one flag changed, everything else kept).
#include "flags/FlagdDocument.h"

#include <QTest>
#include <nlohmann/json.hpp>

using namespace rollout;
using Json = nlohmann::ordered_json;

namespace {

Json parsed(const QByteArray& bytes)
{
    return Json::parse(bytes.cbegin(), bytes.cend());
}

QByteArray bytesOf(const Json& j)
{
    const std::string s = j.dump(2);
    return QByteArray(s.data(), qsizetype(s.size()));
}

// A document with one flag `k` whose body is `flag` (JSON text).
QByteArray withFlag(const char* flag)
{
    return QByteArrayLiteral("{\"$schema\":\"https://flagd.dev/schema/v0/flags.json\",\"flags\":{\"k\":") +
           flag + QByteArrayLiteral("}}");
}

// A file as a colleague keeps it: other flags, unusual numbers, keys we do not know.
// Qt 6.4's moc does not understand raw strings: a hash sign or two slashes inside one make it
// lose the test class. The raw strings here avoid both; the URL is an ordinary literal.
const char* kShared = "{\n  \"$schema\": \"https://flagd.dev/schema/v0/flags.json\","
                      R"(
  "metadata": {"owner": "team-search", "version": 7},
  "$evaluators": {"emailWithFaas": {"ends_with": [{"var": "email"}, "@faas.com"]}},
  "flags": {
    "color": {"state": "ENABLED", "variants": {"red": "f00", "blue": "00f"}, "defaultVariant": "red",
              "targeting": {"if": [{"$ref": "emailWithFaas"}, "blue", null]}, "metadata": {"ratio": 0.1, "big": 12345678901234567890}},
    "new-ui": {"state": "ENABLED", "variants": {"on": true, "off": false}, "defaultVariant": "off", "metadata": {"jira": "UI-12"}},
    "legacy": {"state": "DISABLED", "variants": {"yes": true, "no": false}, "defaultVariant": "yes"}
  },
  "x-unknown": [1, 2.5, "é"]
})";

const char* kForeign = R"({"state":"ENABLED","variants":{"on":true,"off":false},"defaultVariant":"off",
    "targeting":{"if":[{"==":[{"var":"email"},"ops@example.com"]},"on","off"]}})";

FlagState read(const QByteArray& bytes, const QString& key)
{
    const auto r = FlagdDocument::readFlag(bytes, key);
    if (!r) qWarning("%s", qPrintable(r.error.describe()));
    return r ? *r.value : FlagState{};
}

} // namespace

class TestFlagdDocument final : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void readsFlag_data()
    {
        QTest::addColumn<QByteArray>("doc");
        QTest::addColumn<bool>("exists");
        QTest::addColumn<bool>("enabled");
        QTest::addColumn<double>("percent");
        QTest::addColumn<QString>("stickiness");
        QTest::addColumn<QStringList>("segments");
        QTest::addColumn<QString>("detail");
        const QStringList none;
        const QString noStick;
        QTest::newRow("not in the file") << QByteArrayLiteral("{\"flags\":{}}") << false << false << 0.0
                                         << noStick << none << QStringLiteral("not in the file");
        QTest::newRow("state DISABLED is off even with default on")
            << withFlag(R"({"state":"DISABLED","variants":{"on":true,"off":false},"defaultVariant":"on"})")
            << true << false << 0.0 << noStick << none << QStringLiteral("state DISABLED");
        QTest::newRow("default off, no targeting")
            << withFlag(R"({"state":"ENABLED","variants":{"on":true,"off":false},"defaultVariant":"off"})")
            << true << false << 0.0 << noStick << none << QStringLiteral("serves \"off\"");
        QTest::newRow("default on, no targeting")
            << withFlag(R"({"state":"ENABLED","variants":{"on":true,"off":false},"defaultVariant":"on"})")
            << true << true << 100.0 << noStick << none << QStringLiteral("serves \"on\"");
        QTest::newRow("empty targeting is no targeting")
            << withFlag(
                   R"({"state":"ENABLED","variants":{"on":true,"off":false},"defaultVariant":"on","targeting":{}})")
            << true << true << 100.0 << noStick << none << QStringLiteral("serves \"on\"");
        QTest::newRow("variants named by value, not by name")
            << withFlag(
                   R"({"state":"ENABLED","variants":{"shown":false,"hidden":true},"defaultVariant":"hidden"})")
            << true << true << 100.0 << noStick << none << QStringLiteral("serves \"hidden\"");
        QTest::newRow("fractional 25 sticky on userId")
            << withFlag(
                   R"({"state":"ENABLED","variants":{"on":true,"off":false},"defaultVariant":"off","targeting":
                {"fractional":[{"cat":[{"var":"$flagd.flagKey"},{"var":"userId"}]},["on",25],["off",75]]}})")
            << true << true << 25.0 << QStringLiteral("userId") << none
            << QStringLiteral("fractional on 25 / off 75 by userId");
        QTest::newRow("fractional without bucketing is flagd's default")
            << withFlag(
                   R"({"state":"ENABLED","variants":{"on":true,"off":false},"defaultVariant":"off","targeting":
                {"fractional":[["on",10],["off",90]]}})")
            << true << true << 10.0 << QStringLiteral("default") << none
            << QStringLiteral("fractional on 10 / off 90");
        QTest::newRow("bucketing on a bare var")
            << withFlag(
                   R"({"state":"ENABLED","variants":{"on":true,"off":false},"defaultVariant":"off","targeting":
                {"fractional":[{"var":"sessionId"},["on",50],["off",50]]}})")
            << true << true << 50.0 << QStringLiteral("sessionId") << none
            << QStringLiteral("fractional on 50 / off 50 by sessionId");
        QTest::newRow("weights are relative")
            << withFlag(
                   R"({"state":"ENABLED","variants":{"on":true,"off":false},"defaultVariant":"off","targeting":
                {"fractional":[["on",1],["off",3]]}})")
            << true << true << 25.0 << QStringLiteral("default") << none
            << QStringLiteral("fractional on 1 / off 3");
        QTest::newRow("weights over 100")
            << withFlag(
                   R"({"state":"ENABLED","variants":{"on":true,"off":false},"defaultVariant":"off","targeting":
                {"fractional":[["on",150],["off",50]]}})")
            << true << true << 75.0 << QStringLiteral("default") << none
            << QStringLiteral("fractional on 150 / off 50");
        QTest::newRow("a weight left out counts 1, buckets of one variant add up")
            << withFlag(
                   R"({"state":"ENABLED","variants":{"on":true,"off":false},"defaultVariant":"off","targeting":
                {"fractional":[["on"],["off",2],["off"]]}})")
            << true << true << 25.0 << QStringLiteral("default") << none
            << QStringLiteral("fractional on 1 / off 3");
        QTest::newRow("enabled at 0%")
            << withFlag(
                   R"({"state":"ENABLED","variants":{"on":true,"off":false},"defaultVariant":"off","targeting":
                {"fractional":[["on",0],["off",100]]}})")
            << true << true << 0.0 << QStringLiteral("default") << none
            << QStringLiteral("fractional on 0 / off 100");
        QTest::newRow("segments held off around a split")
            << withFlag(
                   R"({"state":"ENABLED","variants":{"on":true,"off":false},"defaultVariant":"off","targeting":
                {"if":[{"in":[{"var":"segment"},["beta_users","internal"]]},"off",
                       {"fractional":[{"cat":[{"var":"$flagd.flagKey"},{"var":"userId"}]},["on",50],["off",50]]}]}})")
            << true << true << 50.0 << QStringLiteral("userId")
            << QStringList{QStringLiteral("beta_users"), QStringLiteral("internal")}
            << QStringLiteral(
                   "fractional on 50 / off 50 by userId, \"off\" for segment beta_users, internal");
        QTest::newRow("segments held off around on")
            << withFlag(
                   R"({"state":"ENABLED","variants":{"on":true,"off":false},"defaultVariant":"off","targeting":
                {"if":[{"in":[{"var":"segment"},["beta_users"]]},"off","on"]}})")
            << true << true << 100.0 << noStick << QStringList{QStringLiteral("beta_users")}
            << QStringLiteral("serves \"on\", \"off\" for segment beta_users");
        QTest::newRow("someone's own JsonLogic")
            << withFlag(kForeign) << true << false << 0.0 << noStick << none
            << QStringLiteral("unknown: flags.k.targeting: targeting not written by Rollout Console; edit by "
                              "hand or remove it");
        QTest::newRow("an if that only looks like ours")
            << withFlag(
                   R"({"state":"ENABLED","variants":{"on":true,"off":false},"defaultVariant":"off","targeting":
                {"if":[{"in":[{"var":"segment"},["beta_users"]]},"on","off"]}})")
            << true << false << 0.0 << noStick << none
            << QStringLiteral("unknown: flags.k.targeting: targeting not written by Rollout Console; edit by "
                              "hand or remove it");
        QTest::newRow("a fractional bucketing on something else")
            << withFlag(
                   R"({"state":"ENABLED","variants":{"on":true,"off":false},"defaultVariant":"off","targeting":
                {"fractional":[{"cat":[{"var":"a"},{"var":"b"}]},["on",50],["off",50]]}})")
            << true << false << 0.0 << noStick << none
            << QStringLiteral("unknown: flags.k.targeting: targeting not written by Rollout Console; edit by "
                              "hand or remove it");
        QTest::newRow("not a boolean flag")
            << withFlag(R"({"state":"ENABLED","variants":{"red":"f00","blue":"00f"},"defaultVariant":"red"})")
            << true << false << 0.0 << noStick << none
            << QStringLiteral(
                   "unknown: flags.k.variants: not an on/off flag (it needs one true and one false variant); "
                   "Rollout Console only switches boolean flags");
    }

    void readsFlag()
    {
        QFETCH(QByteArray, doc);
        QFETCH(bool, exists);
        QFETCH(bool, enabled);
        QFETCH(double, percent);
        QFETCH(QString, stickiness);
        QFETCH(QStringList, segments);
        QFETCH(QString, detail);
        const auto r = FlagdDocument::readFlag(doc, QStringLiteral("k"));
        QVERIFY2(r, qPrintable(r.error.describe()));
        QCOMPARE(r.value->exists, exists);
        QCOMPARE(r.value->enabled, enabled);
        QCOMPARE(r.value->percent, percent);
        QCOMPARE(r.value->stickiness, stickiness);
        QCOMPARE(r.value->disabledSegments, segments);
        QCOMPARE(r.value->detail, detail);
    }

    void refusesMalformed_data()
    {
        QTest::addColumn<QByteArray>("doc");
        QTest::addColumn<int>("kind");
        QTest::addColumn<QString>("message");
        const int syntax = int(FlagdError::Kind::Syntax);
        const int shape = int(FlagdError::Kind::Shape);
        QTest::newRow("empty file") << QByteArray() << syntax
                                    << QStringLiteral("not valid JSON at line 1:1: the file is empty");
        QTest::newRow("only blanks") << QByteArrayLiteral("\n  \n") << syntax
                                     << QStringLiteral("not valid JSON at line 1:1: the file is empty");
        QTest::newRow("trailing comma on line 3")
            << QByteArrayLiteral("{\n  \"flags\": {\n    \"a\": {},\n  }\n}\n") << syntax
            << QStringLiteral(
                   "not valid JSON at line 4:3: syntax error while parsing object key - unexpected '}'; "
                   "expected string literal");
        QTest::newRow("column counts characters, not bytes")
            << QByteArray("{\"flags\": {\"h\xc3\xa9llo\" x}}") << syntax
            << QString::fromUtf8("not valid JSON at line 1:20: syntax error while parsing object separator - "
                                 "invalid literal; "
                                 "last read: '\"h\xc3\xa9llo\" x'; expected ':'");
        QTest::newRow("cut off") << QByteArrayLiteral("{\"flags\": {\"a\": {\"state\": \"ENAB") << syntax
                                 << QStringLiteral(
                                        "not valid JSON at line 1:32: syntax error while parsing value - "
                                        "invalid string: missing closing quote; last read: '\"ENAB'");
        QTest::newRow("NaN is not JSON")
            << withFlag(
                   R"({"state":"ENABLED","variants":{"on":true,"off":false},"defaultVariant":"off","targeting":
                {"fractional":[["on",NaN],["off",50]]}})")
            << syntax
            << QStringLiteral(
                   "not valid JSON at line 2:38: syntax error while parsing value - invalid literal; "
                   "last read: '\"on\",N'");
        QTest::newRow("an array") << QByteArrayLiteral("[]") << shape
                                  << QStringLiteral("the document is an array, not an object with \"flags\"");
        QTest::newRow("no flags") << QByteArrayLiteral("{\"$schema\":\"x\"}") << shape
                                  << QStringLiteral("flags: missing: a flagd file needs a \"flags\" object");
        QTest::newRow("flags not an object") << QByteArrayLiteral("{\"flags\":[]}") << shape
                                             << QStringLiteral("flags: is an array, not an object");
        QTest::newRow("a flag that is not an object (even another one)")
            << QByteArrayLiteral("{\"flags\":{\"k\":{},\"other\":\"on\"}}") << shape
            << QStringLiteral("flags.other: is a string, not an object");
        QTest::newRow("no state") << withFlag(
                                         R"({"variants":{"on":true,"off":false},"defaultVariant":"off"})")
                                  << shape
                                  << QStringLiteral("flags.k.state: must be \"ENABLED\" or \"DISABLED\"");
        QTest::newRow("default variant not a variant")
            << withFlag(R"({"state":"ENABLED","variants":{"on":true,"off":false},"defaultVariant":"maybe"})")
            << shape << QStringLiteral("flags.k.defaultVariant: \"maybe\" is not one of the variants");
        QTest::newRow("negative weight")
            << withFlag(
                   R"({"state":"ENABLED","variants":{"on":true,"off":false},"defaultVariant":"off","targeting":
                {"fractional":[["on",-5],["off",50]]}})")
            << shape
            << QStringLiteral("flags.k.targeting.fractional[0]: the weight must be a number of 0 or more");
        QTest::newRow("weight beyond double")
            << withFlag(
                   R"({"state":"ENABLED","variants":{"on":true,"off":false},"defaultVariant":"off","targeting":
                {"fractional":[{"var":"userId"},["on",1e999],["off",50]]}})")
            << shape << QStringLiteral("number overflow parsing '1e999'");
        QTest::newRow("weight as text")
            << withFlag(
                   R"({"state":"ENABLED","variants":{"on":true,"off":false},"defaultVariant":"off","targeting":
                {"fractional":[["on","NaN"],["off",50]]}})")
            << shape
            << QStringLiteral("flags.k.targeting.fractional[0]: the weight is a string, not a number");
        QTest::newRow("weights add up to nothing")
            << withFlag(
                   R"({"state":"ENABLED","variants":{"on":true,"off":false},"defaultVariant":"off","targeting":
                {"fractional":[["on",0],["off",0]]}})")
            << shape << QStringLiteral("flags.k.targeting: the weights add up to 0");
        QTest::newRow("bucket naming an unknown variant")
            << withFlag(
                   R"({"state":"ENABLED","variants":{"on":true,"off":false},"defaultVariant":"off","targeting":
                {"fractional":[["on",5],["maybe",95]]}})")
            << shape
            << QStringLiteral("flags.k.targeting.fractional[1]: \"maybe\" is not one of the variants");
        QTest::newRow("too deep") << QByteArray("{\"flags\":{},\"x\":") + QByteArray(300, '[') +
                                         QByteArray(300, ']') + '}'
                                  << shape << QStringLiteral("nested deeper than 200 levels");
    }

    void refusesMalformed()
    {
        QFETCH(QByteArray, doc);
        QFETCH(int, kind);
        QFETCH(QString, message);
        const auto r = FlagdDocument::readFlag(doc, QStringLiteral("k"));
        QVERIFY(!r);
        QCOMPARE(int(r.error.kind), kind);
        QCOMPARE(r.error.describe(), message);
        // A write is refused with the same words, never producing a document.
        const auto w = FlagdDocument::withSetting(doc, QStringLiteral("k"), FlagSetting{true, 10.0},
                                                  QStringLiteral("default"));
        QVERIFY(!w);
        QCOMPARE(w.error.describe(), message);
    }

    // Every cut of a real file (a ConfigMap truncated mid-write) is refused as invalid JSON at a
    // position inside the text, by reads and writes alike.
    void everyTruncationIsASyntaxError()
    {
        const QByteArray full(kShared);
        const int lines = int(full.count('\n')) + 1;
        for (qsizetype n = 0; n < full.size(); ++n) {
            const QByteArray cut = full.left(n);
            const auto r = FlagdDocument::readFlag(cut, QStringLiteral("new-ui"));
            QVERIFY(!r);
            QCOMPARE(int(r.error.kind), int(FlagdError::Kind::Syntax));
            QVERIFY(r.error.line >= 1 && r.error.line <= lines);
            QVERIFY(r.error.column >= 1);
            QVERIFY(
                !FlagdDocument::withSegment(cut, QStringLiteral("new-ui"), QStringLiteral("beta"), false));
        }
        QVERIFY(FlagdDocument::readFlag(full, QStringLiteral("new-ui")));
    }

    void lineColumn()
    {
        const QByteArray text("ab\nc\xc3\xa9"
                              "d\n");
        QCOMPARE(FlagdDocument::lineColumn(text, 0), std::make_pair(1, 1));
        QCOMPARE(FlagdDocument::lineColumn(text, 2), std::make_pair(1, 3));
        QCOMPARE(FlagdDocument::lineColumn(text, 3), std::make_pair(2, 1));
        QCOMPARE(FlagdDocument::lineColumn(text, 6), std::make_pair(2, 3)); // 'd', after a two-byte é
        QCOMPARE(FlagdDocument::lineColumn(text, 99), std::make_pair(3, 1));
    }

    // 0 → 1 → 10 → 25 → 50 → 100 → off on a shared file: each step reads back as asked, and
    // everything that is not this flag keeps its value.
    void roundTrips()
    {
        QByteArray doc(kShared);
        const Json original = parsed(doc);
        const QString key = QStringLiteral("new-ui");
        const std::vector<FlagSetting> walk{{true, 0.0},  {true, 1.0},   {true, 10.0}, {true, 25.0},
                                            {true, 50.0}, {true, 100.0}, {false, 0.0}, {true, 12.5}};
        for (const FlagSetting& s : walk) {
            const auto next = FlagdDocument::withSetting(doc, key, s, QStringLiteral("userId"));
            QVERIFY2(next, qPrintable(next.error.describe()));
            doc = *next.value;
            const FlagState state = read(doc, key);
            QVERIFY2(state.matches(s),
                     qPrintable(s.describe() + QStringLiteral(" read as ") + state.describe()));
            QVERIFY(state.disabledSegments.isEmpty());
            if (s.enabled && s.percent < 100.0) QCOMPARE(state.stickiness, QStringLiteral("userId"));
            const Json now = parsed(doc);
            for (const char* top : {"$schema", "metadata", "$evaluators", "x-unknown"})
                QCOMPARE(bytesOf(now[top]), bytesOf(original[top]));
            QCOMPARE(bytesOf(now["flags"]["color"]), bytesOf(original["flags"]["color"]));
            QCOMPARE(bytesOf(now["flags"]["legacy"]), bytesOf(original["flags"]["legacy"]));
            QCOMPARE(bytesOf(now["flags"]["new-ui"]["metadata"]),
                     bytesOf(original["flags"]["new-ui"]["metadata"]));
            QCOMPARE(bytesOf(now["flags"]["new-ui"]["variants"]),
                     bytesOf(original["flags"]["new-ui"]["variants"]));
            QCOMPARE(now["flags"].size(), std::size_t(3));
            // Keys stay in the file's order: a diff of the ConfigMap shows only what changed.
            QCOMPARE(QString::fromStdString(now.begin().key()), QStringLiteral("$schema"));
            QCOMPARE(QString::fromStdString(now["flags"].begin().key()), QStringLiteral("color"));
        }
    }

    void writesTheDocumentedShape_data()
    {
        QTest::addColumn<bool>("enabled");
        QTest::addColumn<double>("percent");
        QTest::addColumn<QString>("stickiness");
        QTest::addColumn<QByteArray>("flag");
        QTest::newRow("off")
            << false << 0.0 << QStringLiteral("userId")
            << QByteArrayLiteral(
                   R"({"state":"ENABLED","variants":{"on":true,"off":false},"defaultVariant":"off"})");
        QTest::newRow("on")
            << true << 100.0 << QStringLiteral("userId")
            << QByteArrayLiteral(
                   R"({"state":"ENABLED","variants":{"on":true,"off":false},"defaultVariant":"on"})");
        QTest::newRow("25% sticky on userId")
            << true << 25.0 << QStringLiteral("userId")
            << QByteArrayLiteral(
                   R"({"state":"ENABLED","variants":{"on":true,"off":false},"defaultVariant":"off","targeting":)"
                   R"({"fractional":[{"cat":[{"var":"$flagd.flagKey"},{"var":"userId"}]},["on",25],["off",75]]}})");
        QTest::newRow("10% default stickiness")
            << true << 10.0 << QStringLiteral("default")
            << QByteArrayLiteral(
                   R"({"state":"ENABLED","variants":{"on":true,"off":false},"defaultVariant":"off","targeting":)"
                   R"({"fractional":[["on",10],["off",90]]}})");
        QTest::newRow("0.5% in hundredths: flagd wants whole weights")
            << true << 0.5 << QString()
            << QByteArrayLiteral(
                   R"({"state":"ENABLED","variants":{"on":true,"off":false},"defaultVariant":"off","targeting":)"
                   R"({"fractional":[["on",50],["off",9950]]}})");
    }

    void writesTheDocumentedShape()
    {
        QFETCH(bool, enabled);
        QFETCH(double, percent);
        QFETCH(QString, stickiness);
        QFETCH(QByteArray, flag);
        const auto r = FlagdDocument::withSetting(FlagdDocument::emptyDocument(), QStringLiteral("k"),
                                                  FlagSetting{enabled, percent}, stickiness);
        QVERIFY2(r, qPrintable(r.error.describe()));
        QCOMPARE(bytesOf(parsed(*r.value)["flags"]["k"]), bytesOf(parsed(flag)));
        QCOMPARE(bytesOf(parsed(*r.value)["$schema"]),
                 QByteArrayLiteral("\"https://flagd.dev/schema/v0/flags.json\""));
        QVERIFY(r.value->endsWith("}\n"));
        QVERIFY(r.value->contains("\n  \"flags\": {\n")); // pretty-printed for people reading the ConfigMap
    }

    void sameSettingTwiceGivesTheSameBytes()
    {
        const auto once = FlagdDocument::withSetting(QByteArray(kShared), QStringLiteral("new-ui"),
                                                     FlagSetting{true, 25.0}, QStringLiteral("userId"));
        QVERIFY(once);
        const auto twice = FlagdDocument::withSetting(*once.value, QStringLiteral("new-ui"),
                                                      FlagSetting{true, 25.0}, QStringLiteral("userId"));
        QVERIFY(twice);
        QCOMPARE(*twice.value, *once.value);
    }

    void changesStickiness()
    {
        QByteArray doc = FlagdDocument::emptyDocument();
        for (const QString& s :
             {QStringLiteral("userId"), QStringLiteral("sessionId"), QStringLiteral("default")}) {
            const auto r = FlagdDocument::withSetting(doc, QStringLiteral("k"), FlagSetting{true, 30.0}, s);
            QVERIFY(r);
            doc = *r.value;
            QCOMPARE(read(doc, QStringLiteral("k")).stickiness, s);
        }
        QVERIFY(!doc.contains("$flagd.flagKey")); // flagd's own default needs no bucketing expression
    }

    void enablesADisabledFlag()
    {
        const auto r = FlagdDocument::withSetting(QByteArray(kShared), QStringLiteral("legacy"),
                                                  FlagSetting{true, 40.0}, {});
        QVERIFY(r);
        const Json legacy = parsed(*r.value)["flags"]["legacy"];
        QCOMPARE(bytesOf(legacy["state"]), QByteArrayLiteral("\"ENABLED\""));
        QCOMPARE(bytesOf(legacy["targeting"]["fractional"][0]),
                 bytesOf(Json::array({"yes", 40}))); // the flag's own variant names
        QVERIFY(read(*r.value, QStringLiteral("legacy")).matches(FlagSetting{true, 40.0}));
    }

    void createsAMissingFlag()
    {
        const auto r = FlagdDocument::withSetting(QByteArray(kShared), QStringLiteral("brand-new"),
                                                  FlagSetting{true, 5.0}, QStringLiteral("default"));
        QVERIFY(r);
        const Json flag = parsed(*r.value)["flags"]["brand-new"];
        QCOMPARE(bytesOf(flag["variants"]), bytesOf(Json{{"on", true}, {"off", false}}));
        QVERIFY(read(*r.value, QStringLiteral("brand-new")).matches(FlagSetting{true, 5.0}));
        QCOMPARE(bytesOf(parsed(*r.value)["flags"]["color"]),
                 bytesOf(parsed(QByteArray(kShared))["flags"]["color"]));
    }

    void holdsSegmentsOffAndReleasesThem()
    {
        const QString key = QStringLiteral("new-ui");
        const auto start = FlagdDocument::withSetting(QByteArray(kShared), key, FlagSetting{true, 25.0},
                                                      QStringLiteral("userId"));
        QVERIFY(start);
        QByteArray doc = *start.value;
        const auto step = [&](const QString& segment, bool enabled, const QStringList& held) {
            const auto r = FlagdDocument::withSegment(doc, key, segment, enabled);
            if (!r) return r.error.describe();
            doc = *r.value;
            const FlagState s = read(doc, key);
            if (s.disabledSegments != held) return s.describe();
            if (!s.matches(FlagSetting{true, 25.0}) || s.stickiness != QLatin1String("userId"))
                return s.describe();
            return QString();
        };
        const QString beta = QStringLiteral("beta_users");
        const QString qa = QStringLiteral("internal_qa");
        QCOMPARE(step(beta, false, {beta}), QString());
        QCOMPARE(read(doc, key).describe(), QStringLiteral("25% sticky on userId (beta_users held off)"));
        QCOMPARE(step(qa, false, {beta, qa}), QString());
        QCOMPARE(step(beta, false, {beta, qa}), QString()); // holding twice holds once
        QCOMPARE(step(beta, true, {qa}), QString());
        QCOMPARE(step(beta, true, {qa}), QString()); // releasing what is not held is harmless
        QCOMPARE(step(qa, true, {}), QString());
        QCOMPARE(doc, *start.value); // all released: the plain split again, byte for byte
    }

    void segmentsSurviveSettingChanges()
    {
        const QString key = QStringLiteral("new-ui");
        auto r = FlagdDocument::withSegment(QByteArray(kShared), key, QStringLiteral("beta_users"), false);
        QVERIFY(r);
        const QStringList held{QStringLiteral("beta_users")};
        QCOMPARE(read(*r.value, key).disabledSegments, held); // created off, hold kept for when it goes on
        for (const FlagSetting& s :
             {FlagSetting{true, 10.0}, FlagSetting{true, 100.0}, FlagSetting{false, 0.0}}) {
            r = FlagdDocument::withSetting(*r.value, key, s, QStringLiteral("userId"));
            QVERIFY(r);
            const FlagState state = read(*r.value, key);
            QVERIFY2(state.matches(s), qPrintable(state.describe()));
            QCOMPARE(state.disabledSegments, held);
        }
        // Holding a segment on a DISABLED flag leaves it DISABLED: setSegment changes nobody else.
        const auto legacy = FlagdDocument::withSegment(QByteArray(kShared), QStringLiteral("legacy"),
                                                       QStringLiteral("eu"), false);
        QVERIFY(legacy);
        QCOMPARE(bytesOf(parsed(*legacy.value)["flags"]["legacy"]["state"]),
                 QByteArrayLiteral("\"DISABLED\""));
    }

    void keepsAnAuthorsSplitWhenHoldingASegment()
    {
        const QByteArray doc =
            withFlag(R"({"state":"ENABLED","variants":{"on":true,"off":false},"defaultVariant":"off",
            "targeting":{"fractional":[{"var":"userId"},["on",1],["off",3]]}})");
        const auto r = FlagdDocument::withSegment(doc, QStringLiteral("k"), QStringLiteral("beta"), false);
        QVERIFY(r);
        QCOMPARE(
            bytesOf(parsed(*r.value)["flags"]["k"]["targeting"]["if"][2]),
            bytesOf(parsed(QByteArrayLiteral(R"({"fractional":[{"var":"userId"},["on",1],["off",3]]})"))));
    }

    void refusesToOverwriteWhatItDoesNotUnderstand_data()
    {
        QTest::addColumn<QByteArray>("doc");
        QTest::addColumn<QString>("message");
        QTest::newRow("someone's JsonLogic")
            << withFlag(kForeign)
            << QStringLiteral("flags.k.targeting: targeting not written by Rollout Console; "
                              "edit by hand or remove it");
        QTest::newRow("a string flag")
            << withFlag(R"({"state":"ENABLED","variants":{"red":"f00","blue":"00f"},"defaultVariant":"red"})")
            << QStringLiteral(
                   "flags.k.variants: not an on/off flag (it needs one true and one false variant); "
                   "Rollout Console only switches boolean flags");
        QTest::newRow("no default variant")
            << withFlag(R"({"state":"ENABLED","variants":{"on":true,"off":false}})")
            << QStringLiteral("flags.k.defaultVariant: no default variant, so flagd defers to the code's "
                              "default; set one by hand");
    }

    void refusesToOverwriteWhatItDoesNotUnderstand()
    {
        QFETCH(QByteArray, doc);
        QFETCH(QString, message);
        const auto s = FlagdDocument::withSetting(doc, QStringLiteral("k"), FlagSetting{false, 0.0}, {});
        QVERIFY(!s);
        QCOMPARE(int(s.error.kind), int(FlagdError::Kind::Foreign));
        QCOMPARE(s.error.describe(), message);
        const auto g = FlagdDocument::withSegment(doc, QStringLiteral("k"), QStringLiteral("beta"), false);
        QVERIFY(!g);
        QCOMPARE(g.error.describe(), message);
        // Other flags in the same file can still be changed.
        QVERIFY(FlagdDocument::withSetting(doc, QStringLiteral("other"), FlagSetting{true, 10.0}, {}));
    }

    void refusesImpossibleRequests_data()
    {
        QTest::addColumn<double>("percent");
        QTest::addColumn<QString>("message");
        QTest::newRow("over 100") << 130.0
                                  << QStringLiteral("flags.k: a percentage must be 0 to 100, not 130");
        QTest::newRow("negative") << -1.0 << QStringLiteral("flags.k: a percentage must be 0 to 100, not -1");
        QTest::newRow("NaN") << std::nan("")
                             << QStringLiteral("flags.k: a percentage must be 0 to 100, not nan");
    }

    void refusesImpossibleRequests()
    {
        QFETCH(double, percent);
        QFETCH(QString, message);
        const auto r = FlagdDocument::withSetting(FlagdDocument::emptyDocument(), QStringLiteral("k"),
                                                  FlagSetting{true, percent}, {});
        QVERIFY(!r);
        QCOMPARE(int(r.error.kind), int(FlagdError::Kind::Request));
        QCOMPARE(r.error.describe(), message);
        QVERIFY(!FlagdDocument::withSegment(FlagdDocument::emptyDocument(), QStringLiteral("k"), QString(),
                                            false));
        QVERIFY(!FlagdDocument::withSetting(FlagdDocument::emptyDocument(), QString(), FlagSetting{true, 5.0},
                                            {}));
    }
};

QTEST_GUILESS_MAIN(TestFlagdDocument)
#include "tst_flagddocument.moc"
