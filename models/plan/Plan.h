#pragma once

#include "plan/ActionSpec.h"
#include "plan/Condition.h"

#include <QByteArray>
#include <QMap>
#include <QString>
#include <QStringList>
#include <optional>
#include <vector>

namespace rollout {

// Where a value came from in the plan file, for messages. Line and column are 1-based.
struct SourceLocation
{
    int line = 0;
    int column = 0;
};

// ---- connections -------------------------------------------------------------------------

enum class SourceType
{
    Simulator,
    Prometheus,
    JsonHttp,
    JsonLines
};

// A named place metrics come from. Secrets are referenced by environment variable name only.
struct SourceSpec
{
    QString name;
    SourceType type = SourceType::Simulator;
    QString url;         // prometheus, json_http
    QString path;        // json_lines: the log file to tail
    QString tokenEnv;    // bearer token, by environment variable name
    QString usernameEnv; // basic auth user, by environment variable name
    QString passwordEnv; // basic auth password, by environment variable name
    bool tlsVerify = true;
    qint64 timeoutMs = 10000;
    SourceLocation where;
};

enum class BackendType
{
    FlagdFile,
    Unleash,
    HttpAdmin,
    Command
};

// One templated call of a generic HTTP admin API (seed 003). Path and body may use {flag},
// {percent} (a bare number: 25, 12.5), {segment} and {enabled} (true/false). The status call
// also says where its answer holds the flag's state, as JSON pointers that may use {flag}.
struct HttpCall
{
    QString method = QStringLiteral("POST");
    QString path;
    QString body;
    QString enabled;  // status: pointer to the flag's on/off, e.g. /flags/{flag}/enabled
    QString percent;  // status: pointer to the rollout percentage, e.g. /abTesting/rolloutPercentage
    QString segments; // status: pointer to the list of segment names held off (optional)
};

// One command of a `command` backend (seeds 000, 004): a program and its arguments, run without a
// shell. Arguments may use {flag}, {percent}, {segment} and {enabled}, each substituted inside its
// own argument. The status command also says where its standard output (JSON) holds the flag's
// state, as JSON pointers that may use {flag}.
struct CommandCall
{
    QStringList argv; // program first
    QString enabled;  // status: pointer to the flag's on/off
    QString percent;  // status: pointer to the rollout percentage
    QString segments; // status: pointer to the list of segment names held off (optional)
};

// A named flag service.
struct BackendSpec
{
    QString name;
    BackendType type = BackendType::FlagdFile;
    QString url;  // unleash, http_admin
    QString path; // flagd file
    QString tokenEnv;
    QString project = QStringLiteral("default"); // unleash
    QString environment;                         // unleash environment; defaults to the plan's
    QMap<QString, HttpCall> calls;               // http_admin: enable, disable, set_percentage, status
    QMap<QString, CommandCall> commands;         // command: the same operations, as argument vectors
    QMap<QString, QString> env;                  // command: variables added to the inherited environment
    qint64 timeoutMs = 10000;                    // command: deadline of one command
    QMap<QString, HttpOperation> operations;     // http_admin: named admin operations an action step calls
    SourceLocation where;
};

// A fixed state of a flag: on, off or a percentage.
struct FlagSetting
{
    FlagSetting() = default;
    FlagSetting(bool on, double share, QString context = {}, QStringList cohort = {})
        : enabled(on), percent(share), audienceContext(std::move(context)), audience(std::move(cohort))
    {
    }
    bool enabled = false;
    double percent = 0.0; // meaningful when enabled
    // Who the flag is limited to while on (a cohort of roles or segments), where the flag service
    // can say so (Unleash: an IN constraint on `audienceContext`); empty: everyone.
    QString audienceContext; // "role" or "segment"
    QStringList audience;
    QString describe() const;
    bool operator==(const FlagSetting&) const = default;
};

struct FlagSpec
{
    QString key;
    QString backend;
    QString description;
    QString stickiness = QStringLiteral("default"); // attribute hashed for a sticky split, e.g. userId
    // Other environments this flag has a fixed state in (seed 002's per-environment flag sets).
    QMap<QString, FlagSetting> environments;
    SourceLocation where;
};

// ---- metrics -----------------------------------------------------------------------------

enum class BadDirection
{
    High,
    Low,
    Neither
};

struct BaselineSpec
{
    enum class Kind
    {
        None,
        Query,
        Series,
        Captured,
        Fixed
    };
    Kind kind = Kind::None;
    QString query;                 // Query: a second query
    QMap<QString, QString> series; // Series: label matchers picking the baseline series
    double value = 0.0;            // Fixed: a known number, in the metric's unit
};

// How the built-in simulator models a metric, so that any plan can run against it.
struct SimulationHint
{
    QString signal; // error_ratio, latency_quantile, request_rate, memory, cpu, cost, gauge, events
    double quantile = 0.95;
    double mean = 0.0;  // gauge: the value it hovers around
    double noise = 0.0; // gauge: standard deviation
    QString event;      // events: which event type is counted
};

// What a metric measures, for judging with evidence (docs/judgement.md):
// - Rate: a proportion of events over trials (errors over requests, successes over attempts). With
//   counts (raw counters, or the simulator's) the engine weighs how many trials stand behind it.
// - Value: anything else (latency quantiles, memory, CPU): judged on its samples per interval.
enum class MetricKind
{
    Value,
    Rate
};

struct MetricSpec
{
    QString name;
    MetricKind kind = MetricKind::Value;
    QString eventsQuery; // Rate: a raw counter of events per cohort, e.g. sum by (cohort) (app_errors_total)
    QString trialsQuery; // Rate: the raw counter of trials, e.g. sum by (cohort) (app_requests_total)
    bool thresholdOnly =
        false;   // `judge: threshold`: judged on its newest value alone (calibration, comparison)
    QString per; // Rate without counters: the request-rate metric (rps) whose integral
                 // over time estimates the trials (approximate evidence)
    QString source;
    QString query; // PromQL, a JSON pointer, or an event type
    Unit unit = Unit::None;
    BadDirection bad = BadDirection::High;
    qint64 intervalMs = 15000;     // how often it is polled
    QMap<QString, QString> canary; // label matchers picking the canary series
    BaselineSpec baseline;
    SimulationHint simulate;
    QString description;
    SourceLocation where;

    // Counts come from counters (events + trials queries) or from the built-in simulator.
    bool hasCounterQueries() const { return !eventsQuery.isEmpty() && !trialsQuery.isEmpty(); }
    bool simulatesCounts() const { return simulate.signal == QLatin1String("error_ratio"); }
    // A ratio in percent is 100× a proportion.
    double proportionScale() const { return unit == Unit::Percent ? 100.0 : 1.0; }
};

// A spending budget (plan key `budgets`, seeds 000 and 001): an amount in the unit of the metric
// that measures the spending; conditions compare with it ("cost_per_hour exceeds budget by > 20%").
struct BudgetSpec
{
    QString name;
    QString metric;
    double amount = 0.0; // in the metric's unit
    QString description;
    SourceLocation where;
};

// ---- decisions ---------------------------------------------------------------------------

enum class TriggerKind
{
    Hard,
    Soft
};
// What happens when a trigger's data stays missing for longer than the inconclusive limit.
enum class InconclusivePolicy
{
    Pause,
    Fail
};
// What a trigger does when both cohorts are just as bad (a global incident, not the canary).
enum class GlobalIncidentPolicy
{
    Pause,
    Act
};

// How much evidence a decision needs (plan key `judgement`, docs/judgement.md).
struct JudgementSpec
{
    double confidence = 0.95;        // a success criterion passes at this confidence
    double triggerConfidence = 0.99; // a trigger fires on harm shown at this confidence
    InconclusivePolicy onInconclusive = InconclusivePolicy::Pause;
    GlobalIncidentPolicy globalIncident = GlobalIncidentPolicy::Pause;
    int minTrials = 0; // a criterion never passes on fewer canary trials than this
};
enum class TriggerAction
{
    RollbackPrevious,
    RollbackToZero,
    Pause,
    Alert
};

struct TriggerSpec
{
    QString name;
    Condition when;
    qint64 forMs = 0; // how long `when` must hold before it fires
    TriggerKind kind = TriggerKind::Soft;
    TriggerAction action = TriggerAction::Alert;
    std::optional<Condition> unless; // minimum-traffic guard: while it holds, the trigger cannot fire
    QString severity;                // P0..P3, for incident messages
    QString description;
    bool disabled = false;                            // a phase may switch a plan-wide trigger off
    bool dryRun = false;                              // judged, shown and recorded; never acted on
    std::optional<InconclusivePolicy> onInconclusive; // the plan's judgement.on_inconclusive when unset
    std::optional<double> confidence;                 // the plan's judgement.trigger_confidence when unset
    std::vector<ActionStep> actions; // an ordered list of steps instead of `action` (docs/plan-format.md)
    SourceLocation where;
};

struct CohortSpec
{
    enum class Kind
    {
        All,
        Random,
        Sticky,
        Segments,
        Roles
    };
    Kind kind = Kind::All;
    QString attribute;    // Sticky: what is hashed (userId, sessionId)
    QStringList segments; // Segments: named segments (internal_qa, beta_testers)
    QStringList roles;    // Roles: admin, pm, developer
    QString describe() const;
};

struct ApprovalRequirement
{
    QString role;
    int count = 1;
    bool mandatory = false; // cannot be waived, ever
};

struct PhaseSpec
{
    QString name;
    QString description;
    double traffic = 0.0;             // percent of traffic; 0 = shadow (both paths run, metrics only)
    QMap<QString, FlagSetting> flags; // per-flag settings that differ from `traffic`
    CohortSpec cohort;
    QMap<QString, CohortSpec>
        flagCohorts; // `cohorts`: a flag's own cohort in this phase, instead of `cohort`
    qint64 minDurationMs = 0;
    std::optional<qint64> maxDurationMs;
    std::vector<Condition> success;             // must all hold for min_duration before the phase can be left
    QStringList attest;                         // criteria a person confirms ("No security incidents")
    std::vector<TriggerSpec> triggers;          // overrides by name, or additions
    QString checklist;                          // go/no-go checklist to sign before entering this phase
    std::vector<ApprovalRequirement> approvals; // to enter this phase
    bool autoPromote = false;                   // may be left without a person once the gate is green
    bool optional = false;                      // may be skipped (seed 001's LLM phase)
    SourceLocation where;

    bool isShadow() const { return traffic == 0.0 && flags.isEmpty(); }
};

struct ChecklistSection
{
    QString name;
    QStringList items;
};

struct Checklist
{
    QString name;
    std::vector<ChecklistSection> sections;
    int itemCount() const;
};

struct Person
{
    QString id;
    QString name;
    QStringList roles;
    QString publicKey; // "ed25519:<base64>"
};

struct Notification
{
    QString webhookEnv;
    QStringList on; // advanced, alert, rolled_back, rollback_failed
};

// Escalation to a pager (PagerDuty Events API v2, seeds 002, 004): a failed or unverified rollback
// and the triggers of the listed severities page; the incident resolves when the rollout recovers.
struct PagerSpec
{
    QString type = QStringLiteral("pagerduty");
    QString routingKeyEnv; // the variable holding the integration's routing key; never the key
    QString url = QStringLiteral("https://events.pagerduty.com/v2/enqueue");
    QStringList severities = {QStringLiteral("P0"), QStringLiteral("P1")}; // trigger severities that page
    SourceLocation where;
};

// A whole rollout plan, loaded and validated by PlanLoader. A Plan object only exists when the
// whole file was valid: nothing in here is half-loaded.
struct Plan
{
    QString rollout;
    QString description;
    QString environment = QStringLiteral("production");
    QStringList environments; // every environment the plan knows, the rollout one first
    std::vector<SourceSpec> sources;
    std::vector<BackendSpec> backends;
    std::vector<FlagSpec> flags;
    std::vector<MetricSpec> metrics;
    std::vector<BudgetSpec> budgets;
    std::vector<TriggerSpec> triggers;
    std::vector<PhaseSpec> phases;
    std::vector<Checklist> checklists;
    std::vector<Person> people;
    std::vector<Notification> notify;
    std::optional<PagerSpec> pager;
    qint64 retryAfterRollbackMs = 0;
    QStringList overrideRoles; // who may set a phase past its gate (rolloutctl set-phase --override)
    bool autoStart = false;    // `watch` starts the rollout itself once the first gate is green
    qint64 inconclusiveLimitMs = 15 * 60 * 1000; // missing data for longer counts as failing
    qint64 criteriaGraceMs = 60 * 1000;          // a shorter breach does not restart a phase's window
    JudgementSpec judgement;
    std::vector<ActionStep> rollbackActions; // steps run after every rollback, manual or automatic
    QString fileName;
    QByteArray sha256; // hex digest of the exact bytes loaded

    const MetricSpec* metric(const QString& name) const;
    const SourceSpec* source(const QString& name) const;
    const BackendSpec* backend(const QString& name) const;
    const Checklist* checklist(const QString& name) const;
    const BudgetSpec* budget(const QString& name) const;
    // The triggers in force during phase `index` (plan-wide ones with the phase's overrides).
    std::vector<TriggerSpec> triggersFor(int index) const;
    // Every flag's setting during phase `index`; index -1 means before the first phase (all off).
    QMap<QString, FlagSetting> flagSettingsFor(int index) const;
    // The cohort `flag` is rolled out to in phase `index`: its own, else the phase's.
    CohortSpec cohortFor(int index, const QString& flag) const;
    // The fixed settings of every flag that has one in `environment` (seed 002's per-environment sets).
    QMap<QString, FlagSetting> environmentSettings(const QString& environment) const;
};

QString toString(SourceType t);
QString toString(BackendType t);
QString toString(TriggerKind k);
QString toString(TriggerAction a);
QString toString(BadDirection b);

} // namespace rollout
