#include "core/Logging.h"

#include <QDir>
#include <QStandardPaths>
#include <QtGlobal>
#include <chrono>
#include <spdlog/sinks/rotating_file_sink.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

namespace rollout {

namespace {

// Qt's own messages (qWarning, a failed connect, a plugin that cannot load) go where ours go.
void qtToSpdlog(QtMsgType type, const QMessageLogContext& context, const QString& message)
{
    const std::string text =
        context.category && qstrcmp(context.category, "default") != 0
            ? QStringLiteral("%1: %2").arg(QLatin1String(context.category), message).toStdString()
            : message.toStdString();
    switch (type) {
    case QtDebugMsg:
        spdlog::debug("qt: {}", text);
        break;
    case QtInfoMsg:
        spdlog::info("qt: {}", text);
        break;
    case QtWarningMsg:
        spdlog::warn("qt: {}", text);
        break;
    case QtCriticalMsg:
    case QtFatalMsg:
        spdlog::critical("qt: {}", text);
        spdlog::default_logger()->flush();
        break;
    }
}

} // namespace

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
    // Written as it happens: a console killed mid-rollout leaves its log behind.
    logger->flush_on(spdlog::level::info);
    spdlog::set_default_logger(logger);
    spdlog::flush_every(std::chrono::seconds(2));
    qInstallMessageHandler(qtToSpdlog);
}

} // namespace rollout
