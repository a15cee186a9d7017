// Plan validation: a table of malformed plans (tests/data/plans/malformed/), each with the exact
// position, field and message of its first error and how many errors it reports in all; the
// five seed plans and the demo load; a plan with errors yields no Plan at all.
#include "PlanFixture.h"
#include "plan/PlanLoader.h"

#include <QDir>
#include <QTest>

using namespace rollout;

class TestPlanLoader final : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void malformed_data()
    {
        QTest::addColumn<int>("line");
        QTest::addColumn<int>("column");
        QTest::addColumn<QString>("path");
        QTest::addColumn<QString>("message");
        QTest::addColumn<int>("count");
        QTest::newRow("approval-count-zero")
            << 14 << 88 << QStringLiteral("phases[0].approvals[0].count")
            << QStringLiteral("expected a whole number of approvals, at least 1") << 1;
        QTest::newRow("bad-flag-setting")
            << 15 << 42 << QStringLiteral("phases[1].flags.k")
            << QStringLiteral("expected on, off or a percentage between 0% and 100%, got \"maybe\"") << 1;
        QTest::newRow("bad-for")
            << 12 << 48 << QStringLiteral("triggers[0].for")
            << QStringLiteral("expected a duration such as 30s, 5m, 24h, 7d or 1h30m, got \"five minut") << 1;
        QTest::newRow("bad-notify-event")
            << 21 << 29 << QStringLiteral("notify[0].on")
            << QStringLiteral("unknown event \"exploded\" (expected one of: advanced, alert, rolled_bac")
            << 1;
        QTest::newRow("bad-person-key")
            << 19 << 33 << QStringLiteral("people[0].key")
            << QStringLiteral("expected \"ed25519:\" and the base64 of a 32-byte public key (rolloutctl")
            << 1;
        QTest::newRow("bad-rate")
            << 12 << 40 << QStringLiteral("triggers[0].when")
            << QStringLiteral("expected a rate such as 10%/h or 5MB/h, got \"10%\" in \"latency grows > ")
            << 1;
        QTest::newRow("bad-severity") << 12 << 74 << QStringLiteral("triggers[0].severity")
                                      << QStringLiteral("expected P0, P1, P2 or P3, got \"P9\"") << 1;
        QTest::newRow("baseline-missing")
            << 12 << 26 << QStringLiteral("triggers[0].when")
            << QStringLiteral("\"error_rate > 2x baseline\" compares with a baseline, but metric \"error")
            << 1;
        QTest::newRow("between-reversed")
            << 12 << 50 << QStringLiteral("triggers[0].when")
            << QStringLiteral("the upper bound must be above the lower bound in \"error_rate between 5") << 1;
        QTest::newRow("cohort-two-kinds")
            << 15 << 39 << QStringLiteral("phases[1].cohort")
            << QStringLiteral("a cohort is one of: random, sticky, segments, roles") << 1;
        QTest::newRow("condition-garbage")
            << 14 << 51 << QStringLiteral("phases[0].success[0]")
            << QStringLiteral("expected a comparison (<, <=, >, >=), got \"is\" in \"error_rate is low\"")
            << 1;
        QTest::newRow("condition-trailing")
            << 14 << 56 << QStringLiteral("phases[0].success[0]")
            << QStringLiteral("unexpected \"please\" after the condition in \"error_rate < 1% please\"") << 1;
        QTest::newRow("disable-unknown-trigger")
            << 15 << 49 << QStringLiteral("phases[1].triggers[0].name")
            << QStringLiteral("cannot switch off \"nope\": no plan-wide trigger has that name") << 1;
        QTest::newRow("duplicate-flag")
            << 8 << 11 << QStringLiteral("flags[1].key") << QStringLiteral("flag \"k\" is listed twice") << 1;
        QTest::newRow("duplicate-key")
            << 2 << 1 << QStringLiteral("rollout") << QStringLiteral("duplicate key \"rollout\"") << 1;
        QTest::newRow("duplicate-phase") << 15 << 12 << QStringLiteral("phases[1].name")
                                         << QStringLiteral("phase name \"one\" is used twice") << 1;
        QTest::newRow("duplicate-trigger") << 13 << 12 << QStringLiteral("triggers[1].name")
                                           << QStringLiteral("trigger \"errors\" is defined twice") << 1;
        QTest::newRow("empty-file") << 0 << 0 << QStringLiteral("") << QStringLiteral("the plan is empty")
                                    << 1;
        QTest::newRow("empty-phases")
            << 13 << 9 << QStringLiteral("phases") << QStringLiteral("a plan needs at least one phase") << 1;
        QTest::newRow("flagd-without-path")
            << 5 << 6 << QStringLiteral("backends.f.path")
            << QStringLiteral("a flagd_file backend needs the path of the flag file") << 1;
        QTest::newRow("http-admin-status-without-pointer")
            << 11 << 15 << QStringLiteral("backends.f.calls.status.enabled")
            << QStringLiteral("an http_admin status call needs \"enabled\" or \"percent\": the JSON poin")
            << 1;
        QTest::newRow("interval-too-short")
            << 9 << 63 << QStringLiteral("metrics.error_rate.interval")
            << QStringLiteral("a metric is polled at most once a second") << 1;
        QTest::newRow("invalid-yaml")
            << 15 << 3 << QStringLiteral("") << QStringLiteral("not valid YAML: illegal block entry") << 1;
        QTest::newRow("list-for-map") << 5 << 3 << QStringLiteral("backends")
                                      << QStringLiteral("expected a mapping of names to definitions") << 2;
        QTest::newRow("max-below-min") << 15 << 63 << QStringLiteral("phases[1].max_duration")
                                       << QStringLiteral("max_duration is shorter than min_duration") << 1;
        QTest::newRow("missing-phases") << 1 << 1 << QStringLiteral("phases")
                                        << QStringLiteral("required field \"phases\" is missing") << 1;
        QTest::newRow("missing-rollout") << 1 << 1 << QStringLiteral("rollout")
                                         << QStringLiteral("required field \"rollout\" is missing") << 1;
        QTest::newRow("percent-on-seconds")
            << 12 << 34 << QStringLiteral("triggers[0].when")
            << QStringLiteral("\"5%\" is a percentage but the metric is in s (use a ratio or percent me")
            << 1;
        QTest::newRow("prometheus-without-url") << 3 << 9 << QStringLiteral("sources.prom.url")
                                                << QStringLiteral("a prometheus source needs a url") << 1;
        QTest::newRow("role-nobody-holds")
            << 14 << 77 << QStringLiteral("phases[0].approvals[0].role")
            << QStringLiteral("nobody in people holds the role \"pm\", so this approval could never be ")
            << 1;
        QTest::newRow("soft-trigger-rollback")
            << 12 << 72 << QStringLiteral("triggers[0].action")
            << QStringLiteral("a soft trigger only alerts (a person decides); make it kind: hard to a") << 1;
        QTest::newRow("top-level-list")
            << 1 << 1 << QStringLiteral("") << QStringLiteral("expected a mapping, got a list") << 1;
        QTest::newRow("traffic-goes-down")
            << 15 << 26 << QStringLiteral("phases[1].traffic")
            << QStringLiteral("traffic goes down from 1% (one) to 0.5%; a rollout only moves forward ") << 1;
        QTest::newRow("traffic-not-a-number")
            << 15 << 26 << QStringLiteral("phases[1].traffic")
            << QStringLiteral("expected a percentage such as 10%, got \"lots\"") << 1;
        QTest::newRow("traffic-over-100")
            << 15 << 26 << QStringLiteral("phases[1].traffic")
            << QStringLiteral("a percentage must be between 0% and 100%, got 150%") << 1;
        QTest::newRow("typo-traffic")
            << 15 << 17 << QStringLiteral("phases[1].trafic")
            << QStringLiteral("unknown key \"trafic\"; did you mean \"traffic\"?") << 2;
        QTest::newRow("unknown-action")
            << 12 << 72 << QStringLiteral("triggers[0].action")
            << QStringLiteral("unknown value \"explode\" (expected one of: rollback, rollback_to_zero, ")
            << 1;
        QTest::newRow("unknown-backend") << 7 << 23 << QStringLiteral("flags[0].backend")
                                         << QStringLiteral("unknown backend \"unleash\"") << 1;
        QTest::newRow("unknown-checklist") << 14 << 94 << QStringLiteral("phases[0].checklist")
                                           << QStringLiteral("unknown checklist \"go-no-go\"") << 1;
        QTest::newRow("unknown-environment")
            << 7 << 40 << QStringLiteral("flags[0].environments.qa")
            << QStringLiteral("unknown environment \"qa\" (environments: production)") << 1;
        QTest::newRow("unknown-flag-in-phase") << 15 << 38 << QStringLiteral("phases[1].flags.other")
                                               << QStringLiteral("unknown flag \"other\"") << 1;
        QTest::newRow("unknown-kind")
            << 12 << 58 << QStringLiteral("triggers[0].kind")
            << QStringLiteral("unknown value \"medium\" (expected one of: hard, soft)") << 1;
        QTest::newRow("unknown-metric-in-trigger")
            << 12 << 26 << QStringLiteral("triggers[0].when")
            << QStringLiteral("unknown metric \"err_rate\" in \"err_rate > 5%\"") << 1;
        QTest::newRow("unknown-source-type")
            << 3 << 16 << QStringLiteral("sources.prom.type")
            << QStringLiteral("unknown value \"graphite\" (expected one of: simulator, prometheus, json")
            << 1;
        QTest::newRow("unknown-source") << 9 << 24 << QStringLiteral("metrics.error_rate.source")
                                        << QStringLiteral("unknown source \"graphite\" (sources: prom)") << 1;
        QTest::newRow("unknown-unit")
            << 9 << 46 << QStringLiteral("metrics.error_rate.unit")
            << QStringLiteral("unknown unit \"parsecs\" (expected one of: none, ratio, percent, s, ms, ")
            << 1;
        QTest::newRow("rate-events-without-trials")
            << 9 << 61 << QStringLiteral("metrics.error_rate.trials")
            << QStringLiteral("a rate's counts need both \"events\" and \"trials\"") << 1;
        QTest::newRow("rate-not-a-proportion")
            << 10 << 43 << QStringLiteral("metrics.latency.unit")
            << QStringLiteral("a rate is a proportion: its unit is ratio or percent") << 1;
        QTest::newRow("bad-confidence")
            << 18 << 25 << QStringLiteral("judgement.confidence")
            << QStringLiteral(
                   "expected a confidence level between 50% and 100%, such as 95% or 0.95; got \"150%\"")
            << 1;
        QTest::newRow("bad-on-inconclusive")
            << 12 << 81 << QStringLiteral("triggers[0].on_inconclusive")
            << QStringLiteral("unknown value \"ignore\" (expected one of: pause, fail)") << 1;
        QTest::newRow("bad-criterion-key")
            << 14 << 79 << QStringLiteral("phases[0].success[0].window")
            << QStringLiteral(
                   "unknown key \"window\" (expected one of: when, dry_run, interval, count, failure_limit)")
            << 1;
        QTest::newRow("per-not-a-request-rate")
            << 9 << 58 << QStringLiteral("metrics.error_rate.per")
            << QStringLiteral("\"per\" names the request-rate metric (unit rps)") << 1;
        // Messages that teach (issue 14, item 9) and the new keys' mistakes.
        QTest::newRow("unquoted-url-in-braces")
            << 4 << 78 << QStringLiteral("")
            << QStringLiteral("not valid YAML: unknown token; inside {…} the value "
                              "http://127.0.0.1:9/api/admin/dashboard/metrics?window=5m needs quotes")
            << 1;
        QTest::newRow("for-in-condition")
            << 12 << 42 << QStringLiteral("triggers[0].when")
            << QStringLiteral(
                   "unexpected \"for\" in \"error_rate < 1% for 5m\": \"for\" is a key of the trigger, not "
                   "part of its condition; write \"when: error_rate < 1%\" and \"for: 5m\" beside it")
            << 1;
        QTest::newRow("window-not-a-duration")
            << 12 << 47 << QStringLiteral("triggers[0].when")
            << QStringLiteral("\"fifteen\" is not a duration; a window is written \"over\" and a duration, "
                              "e.g. \"error_rate < 1% over 15m\" in \"error_rate > 5% over fifteen minutes\"")
            << 1;
        QTest::newRow("budget-undeclared")
            << 13 << 26 << QStringLiteral("triggers[0].when")
            << QStringLiteral("\"cost exceeds budget by > 20%\" compares with a budget, but no budget is "
                              "declared for metric \"cost\"")
            << 1;
        QTest::newRow("failure-limit-with-for")
            << 12 << 48 << QStringLiteral("triggers[0].for")
            << QStringLiteral("\"for\" and \"failure_limit\"/\"count\"/\"interval\" are two ways to say how "
                              "long harm must last; use one")
            << 1;
        QTest::newRow("count-within-failure-limit")
            << 14 << 85 << QStringLiteral("phases[0].success[0].count")
            << QStringLiteral("2 measurements with failure_limit 2 can never fail") << 1;
        QTest::newRow("total-on-a-rate")
            << 14 << 40 << QStringLiteral("phases[0].success[0]")
            << QStringLiteral(
                   "\"total\" counts how much a counter went up, but error_rate is a rate (a proportion)")
            << 1;
        QTest::newRow("window-too-short")
            << 14 << 40 << QStringLiteral("phases[0].success[0]")
            << QStringLiteral("a 1m30s window holds fewer than two samples of error_rate (polled every 1m)")
            << 1;
        // Action lists, a flag's own cohort, other environments (issue 14 items 1, 4, 5).
        QTest::newRow("cohort-unknown-flag")
            << 17 << 22 << QStringLiteral("phases[1].cohorts.other")
            << QStringLiteral("unknown flag \"other\": a phase gives its own cohort only to a flag of the "
                              "plan (flags: k)")
            << 1;
        QTest::newRow("cohort-on-flagd")
            << 17 << 18 << QStringLiteral("phases[1].cohorts.k")
            << QStringLiteral(
                   "flag \"k\" lives in flagd_file backend \"f\", which cannot limit a flag to a cohort")
            << 1;
        QTest::newRow("action-unknown-operation")
            << 22 << 40 << QStringLiteral("triggers[0].actions[1].call")
            << QStringLiteral(
                   "backend \"admin\" has no operation \"emergency-stp\" (operations: emergency-stop)")
            << 1;
        QTest::newRow("action-two-kinds")
            << 22 << 33 << QStringLiteral("triggers[0].actions[1]")
            << QStringLiteral("a step does one thing; this one says notify and escalate") << 1;
        QTest::newRow("action-and-actions")
            << 22 << 13 << QStringLiteral("triggers[0].action")
            << QStringLiteral("a trigger has \"action\" or a list of \"actions\", not both") << 1;
        QTest::newRow("action-notify-unknown-webhook")
            << 22 << 34 << QStringLiteral("triggers[0].actions[1].notify")
            << QStringLiteral("\"ONCALL_WEBHOOK\" is not one of the plan's webhooks (notify: TEAM_WEBHOOK)")
            << 1;
        QTest::newRow("rollback-actions-roll-back")
            << 29 << 5 << QStringLiteral("rollback_actions[1]")
            << QStringLiteral(
                   "rollback_actions run after a rollback: they hold a segment off, call, notify or escalate")
            << 1;
        QTest::newRow("environment-on-flagd")
            << 8 << 40 << QStringLiteral("flags[0].environments.staging")
            << QStringLiteral("flag \"k\" lives in flagd_file backend \"f\", which has no environment "
                              "\"staging\" to set")
            << 1;
        QTest::newRow("unleash-without-token")
            << 5 << 6 << QStringLiteral("backends.f.token_env")
            << QStringLiteral("an unleash backend needs token_env: the environment variable holding t") << 1;
    }

    void malformed()
    {
        QFETCH(int, line);
        QFETCH(int, column);
        QFETCH(QString, path);
        QFETCH(QString, message);
        QFETCH(int, count);
        const QString name = QString::fromLatin1(QTest::currentDataTag()) + QStringLiteral(".yaml");
        const PlanLoadResult r = PlanLoader::loadBytes(
            test::sourceFile(QStringLiteral("tests/data/plans/malformed/") + name), name);
        QVERIFY2(!r.plan.has_value(), "a plan with errors must not load, not even in part");
        QVERIFY(!r.errors.isEmpty());
        QStringList all;
        for (const PlanError& e : r.errors)
            all.append(e.toString());
        const PlanError& e = r.errors.first();
        QCOMPARE(e.file, name);
        QCOMPARE(e.line, line);
        QCOMPARE(e.column, column);
        QCOMPARE(e.path, path);
        QVERIFY2(e.message.startsWith(message), qPrintable(e.message));
        QVERIFY2(r.errors.size() == count, qPrintable(all.join(QLatin1Char('\n'))));
    }

    void everyMalformedFileIsInTheTable()
    {
        const QDir dir(QStringLiteral(ROLLOUT_SOURCE_DIR "/tests/data/plans/malformed"));
        QCOMPARE(dir.entryList({QStringLiteral("*.yaml")}).size(), 69);
    }

    void allErrorsAtOnce()
    {
        QByteArray text = test::sourceFile(QStringLiteral("tests/data/plans/valid-base.yaml"));
        text.replace("{name: two, traffic: 10%}", "{name: two, trafic: 10%, min_duration: soon}");
        text.replace("for: 5m", "for: 5 mins");
        text.replace("unit: ratio}", "unit: ratio, intervall: 1s}");
        const PlanLoadResult r = PlanLoader::loadBytes(text, QStringLiteral("many.yaml"));
        QVERIFY(!r.plan);
        QStringList paths;
        for (const PlanError& e : r.errors)
            paths.append(e.path);
        QVERIFY(paths.contains(QStringLiteral("phases[1].trafic")));
        QVERIFY(paths.contains(QStringLiteral("phases[1].min_duration")));
        QVERIFY(paths.contains(QStringLiteral("triggers[0].for")));
        QVERIFY(paths.contains(QStringLiteral("metrics.error_rate.intervall")));
    }

    void validBaseLoadsWithItsHash()
    {
        const QByteArray text = test::sourceFile(QStringLiteral("tests/data/plans/valid-base.yaml"));
        const PlanLoadResult r = PlanLoader::loadBytes(text, QStringLiteral("valid-base.yaml"));
        QVERIFY(r.errors.isEmpty());
        QVERIFY(r.plan);
        QCOMPARE(r.plan->phases.size(), std::size_t(2));
        QCOMPARE(r.plan->sha256.size(), 64);
        QCOMPARE(r.plan->triggers[0].forMs, qint64(300000));
        QCOMPARE(r.plan->triggers[0].when.threshold, 0.05);
        QCOMPARE(r.plan->metrics[1].baseline.value, 0.15);
    }

    void jsonIsAcceptedToo()
    {
        const QByteArray json =
            "{\"rollout\": \"j\", \"sources\": {\"s\": {\"type\": \"simulator\"}},"
            " \"backends\": {\"f\": {\"type\": \"flagd_file\", \"path\": \"f.json\"}},"
            " \"flags\": [{\"key\": \"k\", \"backend\": \"f\"}],"
            " \"metrics\": {\"e\": {\"source\": \"s\", \"unit\": \"ratio\", \"simulate\": {\"signal\": "
            "\"error_ratio\"}}},"
            " \"phases\": [{\"name\": \"a\", \"traffic\": \"5%\", \"success\": [\"e < 1%\"]}]}";
        const PlanLoadResult r = PlanLoader::loadBytes(json, QStringLiteral("plan.json"));
        QVERIFY2(r.plan, r.errors.isEmpty() ? "" : qPrintable(r.errors.first().toString()));
        QCOMPARE(r.plan->phases[0].traffic, 5.0);
    }

    void shippedPlansLoad_data()
    {
        QTest::addColumn<QString>("file");
        for (const char* f :
             {"resources/demo/demo-plan.yaml", "resources/plans/bounded-context-reasoning.yaml",
              "resources/plans/ux-agent-canary.yaml", "resources/plans/protocol-agnostic-chat.yaml",
              "resources/plans/modern-brain-api.yaml", "resources/plans/reptate-modernization.yaml",
              "resources/plans/argo-style-canary.yaml"})
            QTest::newRow(f) << QString::fromLatin1(f);
    }

    void shippedPlansLoad()
    {
        QFETCH(QString, file);
        const PlanLoadResult r = PlanLoader::loadBytes(test::sourceFile(file), file);
        QStringList all;
        for (const PlanError& e : r.errors)
            all.append(e.toString());
        QVERIFY2(r.plan, qPrintable(all.join(QLatin1Char('\n'))));
        QVERIFY(!r.plan->phases.empty());
    }

    void seedNumbersSurvive()
    {
        // Spot checks that the seed translations keep the seeds' numbers.
        const Plan p000 = test::loadPlan(
            test::sourceFile(QStringLiteral("resources/plans/bounded-context-reasoning.yaml")));
        QCOMPARE(p000.phases.size(), std::size_t(5));
        QCOMPARE(p000.phases[1].traffic, 10.0);
        QCOMPARE(p000.phases[1].minDurationMs, qint64(48) * 3600 * 1000);
        QCOMPARE(p000.triggers[0].when.threshold, 0.05);
        QCOMPARE(p000.triggers[0].forMs, qint64(300000));
        QCOMPARE(p000.checklist(QStringLiteral("go-no-go"))->itemCount(), 13);
        const Plan p001 =
            test::loadPlan(test::sourceFile(QStringLiteral("resources/plans/ux-agent-canary.yaml")));
        QVERIFY(p001.phases[4].optional);
        QVERIFY(p001.phases[4].approvals[0].mandatory);
        QCOMPARE(p001.phases[1].cohort.roles, QStringList{QStringLiteral("admin")});
        const Plan p004 =
            test::loadPlan(test::sourceFile(QStringLiteral("resources/plans/reptate-modernization.yaml")));
        QCOMPARE(p004.flags.size(), std::size_t(3));
        QCOMPARE(p004.retryAfterRollbackMs, qint64(7) * 24 * 3600 * 1000);
        QCOMPARE(int(p004.triggers[1].when.kind), int(ConditionKind::RatioToBaseline));
        QCOMPARE(p004.triggers[1].when.threshold, 2.0);
    }

    void forInACriterionTeachesTheMeasurementKeys()
    {
        QByteArray text = test::sourceFile(QStringLiteral("tests/data/plans/valid-base.yaml"));
        text.replace("success: [error_rate < 1%]", "success: [error_rate < 1% for 5m]");
        const PlanLoadResult r = PlanLoader::loadBytes(text, QStringLiteral("c.yaml"));
        QVERIFY(!r.plan);
        QCOMPARE(r.errors.size(), 1);
        QVERIFY2(r.errors.first().message.contains(
                     QStringLiteral("a success criterion must hold for the phase's min_duration")),
                 qPrintable(r.errors.first().message));
        QVERIFY(r.errors.first().message.contains(
            QStringLiteral("{when: error_rate < 1%, interval: …, count: …, failure_limit: …}")));
    }

    void budgetsAndMeasurementsLoad()
    {
        QByteArray text = test::sourceFile(QStringLiteral("tests/data/plans/valid-base.yaml"));
        text.replace("  latency: {source: prom, query: y, unit: s, baseline: {value: 150ms}}",
                     "  latency: {source: prom, query: y, unit: s, baseline: {value: 150ms}}\n"
                     "  cost: {source: prom, query: z, unit: usd}\n"
                     "budgets:\n"
                     "  a: {metric: cost, amount: $50}\n"
                     "  b: {metric: cost, amount: $500}");
        text.replace(
            "{name: errors, when: error_rate > 5%, for: 5m, kind: hard}",
            "{name: errors, when: error_rate > 5%, interval: 1m, count: 10, failure_limit: 3, kind: hard}\n"
            "  - {name: spend, when: cost > 2x budget b, kind: soft}");
        text.replace("success: [error_rate < 1%]",
                     "success: [{when: cost <= budget a over 1h, interval: 30s, count: 3}]");
        const PlanLoadResult r = PlanLoader::loadBytes(text, QStringLiteral("b.yaml"));
        QStringList all;
        for (const PlanError& e : r.errors)
            all.append(e.toString());
        QVERIFY2(r.plan, qPrintable(all.join(QLatin1Char('\n'))));
        QCOMPARE(r.plan->budgets.size(), std::size_t(2));
        QCOMPARE(r.plan->budget(QStringLiteral("b"))->amount, 500.0);
        const TriggerSpec& t = r.plan->triggers[0];
        QVERIFY(t.when.measurement);
        QCOMPARE(t.when.measurement->intervalMs, qint64(60'000));
        QCOMPARE(*t.when.measurement->count, 10);
        QCOMPARE(t.when.measurement->failureLimit, 3);
        QCOMPARE(r.plan->triggers[1].when.threshold, 1000.0);
        const Condition& c = r.plan->phases[0].success[0];
        QCOMPARE(c.threshold, 50.0);
        QCOMPARE(int(c.aggregate), int(Aggregate::Window));
        QCOMPARE(*c.measurement->count, 3);
        QCOMPARE(c.measurement->failureLimit, 0);
        // Two budgets on one metric: a condition must name one.
        text.replace("cost > 2x budget b", "cost > 2x budget");
        const PlanLoadResult ambiguous = PlanLoader::loadBytes(text, QStringLiteral("b.yaml"));
        QVERIFY(!ambiguous.plan);
        QVERIFY2(
            ambiguous.errors.first().message.contains(QStringLiteral("has several budgets (a, b): name one")),
            qPrintable(ambiguous.errors.first().message));
    }

    void seedPlansSayWhatTheyBent()
    {
        const Plan p000 = test::loadPlan(
            test::sourceFile(QStringLiteral("resources/plans/bounded-context-reasoning.yaml")));
        const auto trigger = [](const Plan& p, const char* name) {
            for (const TriggerSpec& t : p.triggers)
                if (t.name == QLatin1String(name)) return t;
            return TriggerSpec{};
        };
        QCOMPARE(trigger(p000, "availability").when.windowMs, qint64(15) * 60'000);
        QCOMPARE(trigger(p000, "over budget").when.budget, QStringLiteral("compute"));
        QVERIFY(qFuzzyCompare(trigger(p000, "over budget").when.threshold, 96.0));
        const Plan p001 =
            test::loadPlan(test::sourceFile(QStringLiteral("resources/plans/ux-agent-canary.yaml")));
        QCOMPARE(int(p001.phases[1].success.back().aggregate), int(Aggregate::Total));
        QCOMPARE(p001.phases[1].success.back().threshold, 5.0);
        QCOMPARE(p001.budget(QStringLiteral("llm"))->amount, 5.0);
        const Plan p002 =
            test::loadPlan(test::sourceFile(QStringLiteral("resources/plans/protocol-agnostic-chat.yaml")));
        QCOMPARE(int(trigger(p002, "complaint spike").when.kind), int(ConditionKind::RatioToHistory));
        QCOMPARE(p002.phases[2].success[0].windowMs, qint64(48) * 3600'000);
        const Plan argo =
            test::loadPlan(test::sourceFile(QStringLiteral("resources/plans/argo-style-canary.yaml")));
        QCOMPARE(argo.phases.size(), std::size_t(5));
        QCOMPARE(argo.phases[1].traffic, 40.0);
        QCOMPARE(argo.triggers[0].when.measurement->failureLimit, 3);
        QCOMPARE(argo.triggers[0].when.measurement->intervalMs, qint64(5) * 60'000);
        QVERIFY(!argo.triggers[0].when.measurement->count);
        QCOMPARE(*argo.phases[0].success[0].measurement->count, 3);
    }

    void missingFileIsAClearError()
    {
        const PlanLoadResult r = PlanLoader::loadFile(QStringLiteral("/nonexistent/plan.yaml"));
        QVERIFY(!r.plan);
        QVERIFY(r.errors.first().toString().startsWith(
            QStringLiteral("/nonexistent/plan.yaml: cannot read the plan")));
    }
};

QTEST_GUILESS_MAIN(TestPlanLoader)
#include "tst_planloader.moc"
