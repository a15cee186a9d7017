#include "report/EvidenceReport.h"

#include "ledger/EventCodec.h"

#include <QDateTime>

namespace rollout {

namespace {

QString utc(qint64 ms)
{
    return ms ? QDateTime::fromMSecsSinceEpoch(ms, Qt::UTC)
                    .toString(QStringLiteral("yyyy-MM-dd HH:mm:ss 'UTC'"))
              : QStringLiteral("—");
}

QString cell(QString s)
{
    return s.replace(QLatin1Char('|'), QStringLiteral("\\|")).replace(QLatin1Char('\n'), QLatin1Char(' '));
}

QString verification(const RecordVerdict& v)
{
    if (v.ok) return QStringLiteral("✓ %1").arg(v.record ? v.record->keyId : QString());
    QStringList why;
    for (const RecordVerdict::Failure& f : v.failures)
        why.append(
            f.tampering == Tampering::None
                ? QStringLiteral("%1: %2").arg(f.check, f.why)
                : QStringLiteral("**TAMPERING (%1)** %2: %3").arg(toString(f.tampering), f.check, f.why));
    // Chain damage around an authentic record is reported, and the record still counts.
    return (countsForGate(v) ? QStringLiteral("✓ counts; ") : QStringLiteral("✗ ")) +
           why.join(QStringLiteral("; "));
}

QString phaseName(const Plan& plan, int phase)
{
    if (phase < 0) return QStringLiteral("zero (all off)");
    if (phase >= int(plan.phases.size())) return QStringLiteral("complete");
    return QStringLiteral("%1. %2 (%3%)")
        .arg(phase + 1)
        .arg(plan.phases[std::size_t(phase)].name)
        .arg(plan.phases[std::size_t(phase)].traffic);
}

} // namespace

QString EvidenceReport::markdown(const Input& in)
{
    static const QString kOverride = QStringLiteral("<span style=\"color:#c0392b\">🟥 **OVERRIDE**</span>");
    const Plan& plan = *in.plan;
    QStringList md;
    int bad = 0, tampered = 0;
    for (const RecordVerdict& v : in.verdicts) {
        bad += !countsForGate(v);
        tampered += !v.tampering().isEmpty();
    }
    md << QStringLiteral("# Evidence pack: %1").arg(plan.rollout) << QString();
    if (!plan.description.isEmpty()) md << plan.description << QString();
    md << QStringLiteral("| | |") << QStringLiteral("| --- | --- |")
       << QStringLiteral("| environment | %1 |").arg(plan.environment)
       << QStringLiteral("| plan | `%1` (sha256 `%2`) |")
              .arg(cell(plan.fileName), QString::fromLatin1(plan.sha256))
       << QStringLiteral("| generated | %1 |").arg(utc(in.generatedAtMs))
       << QStringLiteral("| records | %1, %2 |")
              .arg(in.verdicts.size())
              .arg(bad == 0 ? QStringLiteral("every one verified")
                            : QStringLiteral("**%1 do not verify** (they do not count)").arg(bad));
    if (tampered)
        md << QStringLiteral("| ledger tampering | **%1 record(s) show tampering**: see the ledger below |")
                  .arg(tampered);
    md << QString();

    // Phases: when each was entered and left, from the verified records.
    struct Span
    {
        qint64 from = 0, to = 0;
        QString how;
    };
    QMap<int, QList<Span>> spans;
    auto close = [&](int phase, qint64 at, const QString& how) {
        if (phase < 0 || spans[phase].isEmpty() || spans[phase].last().to) return;
        spans[phase].last().to = at;
        spans[phase].last().how = how;
    };
    for (const RecordVerdict& v : in.verdicts) {
        if (!countsForGate(v)) continue;
        QString problem;
        const auto e = EventCodec::fromRecord(v.record->type, v.record->payload, v.record->actor,
                                              v.record->role, v.record->timestampMs, &problem);
        if (!e) continue;
        if (e->type == EventType::PhaseAdvanced) {
            close(e->fromPhase, e->atMs, QStringLiteral("advanced by %1").arg(e->actor));
            spans[e->toPhase].append(Span{e->atMs, 0, {}});
        } else if (e->type == EventType::RolledBack) {
            close(e->fromPhase, e->atMs,
                  QStringLiteral("**rolled back** by %1%2")
                      .arg(e->actor,
                           e->trigger.isEmpty() ? QString() : QStringLiteral(" (%1)").arg(e->trigger)));
            if (e->toPhase >= 0) spans[e->toPhase].append(Span{e->atMs, 0, {}});
        } else if (e->type == EventType::Completed) {
            close(e->fromPhase, e->atMs, QStringLiteral("completed by %1").arg(e->actor));
        } else if (e->type == EventType::PhaseOverridden) {
            close(e->fromPhase, e->atMs, QStringLiteral("%1 by %2").arg(kOverride, e->actor));
            if (e->toPhase >= 0) spans[e->toPhase].append(Span{e->atMs, 0, {}});
        }
    }
    // Overrides first, in red: a phase set past its gate is the first thing an auditor must see.
    QStringList overrides;
    for (const RecordVerdict& v : in.verdicts) {
        if (!v.record || v.record->type != QLatin1String("phase_overridden")) continue;
        QString problem;
        const auto e = EventCodec::fromRecord(v.record->type, v.record->payload, v.record->actor,
                                              v.record->role, v.record->timestampMs, &problem);
        if (!e) continue;
        overrides << QStringLiteral("- %1 %2: %3 → %4 by %5 (%6): \"%7\" — %8")
                         .arg(kOverride, utc(e->atMs), cell(phaseName(plan, e->fromPhase)),
                              cell(phaseName(plan, e->toPhase)), e->actor, e->role, cell(e->reason),
                              cell(verification(v)));
    }
    if (!overrides.isEmpty())
        md << QStringLiteral("## Overrides: phases set past their gate") << QString() << overrides
           << QString();
    md << QStringLiteral("## Phases") << QString()
       << QStringLiteral("| phase | entered | left | how | minimum |")
       << QStringLiteral("| --- | --- | --- | --- | --- |");
    for (int p = 0; p < int(plan.phases.size()); ++p) {
        const QList<Span> list = spans.value(p);
        if (list.isEmpty())
            md << QStringLiteral("| %1 | not entered | | | %2 min |")
                      .arg(cell(phaseName(plan, p)))
                      .arg(plan.phases[std::size_t(p)].minDurationMs / 60000);
        for (const Span& s : list)
            md << QStringLiteral("| %1 | %2 | %3 | %4 | %5 min |")
                      .arg(cell(phaseName(plan, p)), utc(s.from),
                           s.to ? utc(s.to) : QStringLiteral("(current)"), s.how)
                      .arg(plan.phases[std::size_t(p)].minDurationMs / 60000);
    }
    md << QString();

    auto table = [&](const QString& title, const QStringList& types, const QStringList& header, auto row) {
        md << QStringLiteral("## %1").arg(title) << QString()
           << QStringLiteral("| %1 |").arg(header.join(QStringLiteral(" | ")))
           << QStringLiteral("|%1").arg(QStringLiteral(" --- |").repeated(int(header.size())));
        int n = 0;
        for (const RecordVerdict& v : in.verdicts) {
            if (!v.record || !types.contains(v.record->type)) continue;
            QString problem;
            const auto e = EventCodec::fromRecord(v.record->type, v.record->payload, v.record->actor,
                                                  v.record->role, v.record->timestampMs, &problem);
            if (!e) continue;
            md << QStringLiteral("| %1 |").arg(row(v, *e).join(QStringLiteral(" | ")));
            ++n;
        }
        if (n == 0)
            md << QStringLiteral("| none |%1").arg(QStringLiteral(" |").repeated(int(header.size()) - 1));
        md << QString();
    };
    table(QStringLiteral("Gates: approvals and checklists"),
          {QStringLiteral("approval_recorded"), QStringLiteral("checklist_item_set")},
          {QStringLiteral("time"), QStringLiteral("phase"), QStringLiteral("who"), QStringLiteral("role"),
           QStringLiteral("decision"), QStringLiteral("signature")},
          [&](const RecordVerdict& v, const RolloutEvent& e) {
              const QString decision =
                  e.type == EventType::ApprovalRecorded
                      ? QStringLiteral("%1%2").arg(
                            e.approve ? QStringLiteral("approve") : QStringLiteral("**REJECT**"),
                            e.note.isEmpty() ? QString() : QStringLiteral(": ") + e.note)
                      : QStringLiteral("%1 %2").arg(
                            e.ticked ? QStringLiteral("ticked") : QStringLiteral("unticked"), e.item);
              return QStringList{utc(e.atMs),    cell(phaseName(plan, e.toPhase)),
                                 e.actor,        e.role,
                                 cell(decision), cell(verification(v))};
          });
    table(QStringLiteral("Promotions: the gate each was taken on"),
          {QStringLiteral("phase_advanced"), QStringLiteral("completed"), QStringLiteral("phase_overridden")},
          {QStringLiteral("time"), QStringLiteral("to"), QStringLiteral("by"), QStringLiteral("gate"),
           QStringLiteral("signature")},
          [&](const RecordVerdict& v, const RolloutEvent& e) {
              const QString gate = e.gate.present
                                       ? e.gate.describe()
                                       : QStringLiteral("(not recorded: made before gates were recorded)");
              return QStringList{utc(e.atMs),
                                 cell(e.type == EventType::Completed ? QStringLiteral("complete")
                                                                     : phaseName(plan, e.toPhase)),
                                 e.actor, cell(gate), cell(verification(v))};
          });
    table(QStringLiteral("Triggers, rollbacks and flags"),
          {QStringLiteral("trigger_fired"), QStringLiteral("alert_raised"),
           QStringLiteral("alert_acknowledged"), QStringLiteral("rolled_back"), QStringLiteral("paused"),
           QStringLiteral("flags_verified"), QStringLiteral("flags_not_verified"),
           QStringLiteral("note_added"), QStringLiteral("segment_held"), QStringLiteral("flag_drift")},
          {QStringLiteral("time"), QStringLiteral("what"), QStringLiteral("values"), QStringLiteral("by"),
           QStringLiteral("signature")},
          [&](const RecordVerdict& v, const RolloutEvent& e) {
              QStringList values;
              for (auto it = e.values.begin(); it != e.values.end(); ++it)
                  values.append(QStringLiteral("%1 = %2").arg(it.key()).arg(it.value(), 0, 'g', 4));
              QString what = e.describe();
              if (e.dryRun) what = QStringLiteral("(dry run) ") + what;
              if (e.evidence.present) { // the verdict's numbers: estimate, interval, counts, level
                  const Evidence& x = e.evidence;
                  what += QStringLiteral(" — evidence: %1 at %2% confidence over %3: canary %4 [%5, %6]")
                              .arg(x.method)
                              .arg(x.level * 100.0, 0, 'g', 4)
                              .arg(x.window)
                              .arg(x.canaryEstimate, 0, 'g', 3)
                              .arg(x.canaryLower, 0, 'g', 3)
                              .arg(x.canaryUpper, 0, 'g', 3);
                  if (x.isRate())
                      what += QStringLiteral(" on %1 of %2").arg(x.canaryEvents).arg(x.canaryTrials);
                  if (x.hasBaseline)
                      what += QStringLiteral(", baseline %1 on %2 of %3")
                                  .arg(x.baselineEstimate, 0, 'g', 3)
                                  .arg(x.baselineEvents)
                                  .arg(x.baselineTrials);
                  what += QStringLiteral(", difference %1 [%2, %3]")
                              .arg(x.difference, 0, 'g', 3)
                              .arg(x.differenceLower, 0, 'g', 3)
                              .arg(x.differenceUpper, 0, 'g', 3);
              }
              return QStringList{utc(e.atMs), cell(what), cell(values.join(QStringLiteral(", "))), e.actor,
                                 cell(verification(v))};
          });

    md << QStringLiteral("## Metrics") << QString();
    for (const MetricSpec& m : plan.metrics) {
        md << QStringLiteral("### %1").arg(m.name);
        if (!m.description.isEmpty()) md << m.description;
        if (!m.query.isEmpty()) md << QStringLiteral("`%1`").arg(m.query);
        md << (in.charts.contains(m.name) ? QStringLiteral("![%1](%2)").arg(m.name, in.charts.value(m.name))
                                          : QStringLiteral("(no samples over the rollout)"))
           << QString();
    }
    md << QStringLiteral("## The ledger") << QString()
       << QStringLiteral("`%1` holds every record above as signed (one `{\"body\", \"signature\"}` per "
                         "line). Anyone can check it "
                         "offline: `rolloutctl ledger verify PLAN --from-export %1`, or any Ed25519 library "
                         "over the body bytes "
                         "(docs/ledger-format.md).")
              .arg(in.ledgerFile)
       << QString();
    return md.join(QLatin1Char('\n'));
}

} // namespace rollout
