#include "core/Logging.h"

#include <QDir>
#include <QStandardPaths>
#include <spdlog/sinks/rotating_file_sink.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

namespace rollout {

QString Logging::logDirectory()
{
    QString base = qEnvironmentVariable("XDG_STATE_HOME");
    if (base.isEmpty()) base = QDir::homePath() + QStringLiteral("/.local/state");
    return base + QStringLiteral("/rollout-console");
}

void Logging::setUp(const QString& program, bool verbose)
{
    std::vector<spdlog::sink_ptr> sinks;
    auto console = std::make_shared<spdlog::sinks::stderr_color_sink_mt>();
    console->set_level(verbose ? spdlog::level::debug : spdlog::level::warn);
    console->set_pattern("%^%l%$: %v");
    sinks.push_back(console);
    const QString dir = logDirectory();
    if (QDir().mkpath(dir)) {
        try {
            auto file = std::make_shared<spdlog::sinks::rotating_file_sink_mt>(
                (dir + QLatin1Char('/') + program + QStringLiteral(".log")).toStdString(), 5 * 1024 * 1024,
                3);
            file->set_level(spdlog::level::debug);
            sinks.push_back(file);
        } catch (const spdlog::spdlog_ex&) {
            // An unwritable log directory must not stop a rollback; stderr still works.
        }
    }
    auto logger = std::make_shared<spdlog::logger>(program.toStdString(), sinks.begin(), sinks.end());
    logger->set_level(spdlog::level::debug);
    spdlog::set_default_logger(logger);
}

} // namespace rollout
