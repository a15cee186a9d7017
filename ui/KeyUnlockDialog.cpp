#include "KeyUnlockDialog.h"

#include "Palette.h"

#include <QDialogButtonBox>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QVBoxLayout>
#include <algorithm>

namespace rollout {

KeyUnlockDialog::KeyUnlockDialog(KeyStore& store, const QString& name, const QString& why, QWidget* parent)
    : QDialog(parent), m_store(store), m_name(name)
{
    setWindowTitle(tr("Unlock signing key — %1").arg(name));
    setObjectName(QStringLiteral("keyUnlockDialog"));
    auto* layout = new QVBoxLayout(this);
    auto* text =
        new QLabel(tr("%1<br>Every decision is signed. Enter the passphrase of the key <b>%2</b> (%3).")
                       .arg(why.toHtmlEscaped(), name.toHtmlEscaped(), store.directory().toHtmlEscaped()),
                   this);
    text->setWordWrap(true);
    layout->addWidget(text);
    m_passphrase = new QLineEdit(this);
    m_passphrase->setObjectName(QStringLiteral("passphrase"));
    m_passphrase->setEchoMode(QLineEdit::Password); // never shown in clear
    m_passphrase->setAccessibleName(tr("Passphrase"));
    layout->addWidget(m_passphrase);
    m_error = new QLabel(this);
    m_error->setObjectName(QStringLiteral("unlockError"));
    m_error->setTextFormat(Qt::PlainText);
    m_error->setWordWrap(true); // a key store's message names the file and says why: often three lines
    m_error->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_error->setStyleSheet(QStringLiteral("color:%1").arg(Palette::bad().name()));
    m_error->hide();
    layout->addWidget(m_error);
    auto* buttons = new QDialogButtonBox(QDialogButtonBox::Ok | QDialogButtonBox::Cancel, this);
    buttons->button(QDialogButtonBox::Ok)->setText(tr("Unlock"));
    layout->addWidget(buttons);
    connect(buttons, &QDialogButtonBox::accepted, this, &KeyUnlockDialog::tryUnlock);
    connect(buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);
    // Wide enough that a wrapped message reads as sentences, not a column of words.
    setMinimumWidth(fontMetrics().averageCharWidth() * 64);
}

// A window does not grow by itself when a word-wrapped label in it gets longer (its layout's
// minimum height is a guess made without the width), so the message would be cut off: grow to
// the height the layout needs at the width the dialog has.
void KeyUnlockDialog::growToFit()
{
    QLayout* l = layout();
    l->activate();
    const int w = std::max(width(), l->totalMinimumSize().width());
    const int h = l->hasHeightForWidth() ? l->totalHeightForWidth(w) : l->totalSizeHint().height();
    if (w > width() || h > height()) resize(w, std::max(h, height()));
}

void KeyUnlockDialog::tryUnlock()
{
    QByteArray passphrase = m_passphrase->text().toUtf8();
    m_passphrase->clear();
    QString problem;
    m_key = m_store.unlock(m_name, passphrase, &problem);
    passphrase.fill('\0');
    if (!m_key) {
        m_error->setText(problem);
        m_error->show();
        growToFit();
        return;
    }
    accept();
}

} // namespace rollout
