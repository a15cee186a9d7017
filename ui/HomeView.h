#pragma once

#include <QWidget>

class QCheckBox;
class QComboBox;
class QLabel;
class QTableView;

namespace rollout {

class RolloutListModel;

// The console's home: every rollout it knows, one row each (environment, phase and traffic,
// status, health, time in phase, what the gate waits for, what waits on you), a "waiting on me"
// filter, and who "me" is. A double click (or Enter) opens the rollout.
class HomeView final : public QWidget
{
    Q_OBJECT
public:
    HomeView(RolloutListModel& model, QWidget* parent = nullptr);

    QString identity() const;
    // The people the known plans name, to choose "me" from; keeps the current choice.
    void setPeople(const QStringList& ids, const QString& current);

Q_SIGNALS:
    void openRequested(const QString& rollout, const QString& planPath);
    void identityChanged(const QString& personId);

private:
    void activate(const QModelIndex& index);
    void updateSummary();

    RolloutListModel& m_model;
    QTableView* m_table;
    QCheckBox* m_waitingOnly;
    QComboBox* m_identity;
    QLabel* m_summary;
};

} // namespace rollout
