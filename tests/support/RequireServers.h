#pragma once

#include <QTest>

namespace rollout::test {

// True when the real servers must be there: in CI (CI is set) and whenever scripts/test.sh runs
// the tests (it exports ROLLOUT_SERVICES_DIR after starting them). A missing server then fails the
// test: a skip is not a pass.
inline bool serversRequired()
{
    return qEnvironmentVariableIsSet("CI") || qEnvironmentVariableIsSet("ROLLOUT_SERVICES_DIR");
}

} // namespace rollout::test

// In an integration test whose server is missing: fail where the servers are required, skip on a
// developer's bare `ctest` run.
#define ROLLOUT_SKIP_OR_FAIL(message)                                                                        \
    do {                                                                                                     \
        if (rollout::test::serversRequired())                                                                \
            QFAIL(message);                                                                                  \
        else                                                                                                 \
            QSKIP(message);                                                                                  \
    } while (false)
