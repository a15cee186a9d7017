#include "PlanFixture.h"

#include <QFile>
#include <cstdio>
#include <cstdlib>

namespace rollout::test {

Plan loadPlan(const QByteArray& yaml)
{
    PlanLoadResult r = PlanLoader::loadBytes(yaml, QStringLiteral("fixture.yaml"));
    if (!r.plan) {
        for (const PlanError& e : r.errors)
            std::fprintf(stderr, "fixture: %s\n", qPrintable(e.toString()));
        std::abort();
    }
    return *r.plan;
}

QByteArray sourceFile(const QString& relativePath)
{
    QFile f(QStringLiteral(ROLLOUT_SOURCE_DIR "/") + relativePath);
    if (!f.open(QIODevice::ReadOnly)) {
        std::fprintf(stderr, "cannot read %s\n", qPrintable(f.fileName()));
        std::abort();
    }
    return f.readAll();
}

} // namespace rollout::test
