"""LayerRowDelegate: paints a stack row as icon, name/kind/options, shape, params.

Two text lines on the left (what the layer is, its key options or its error)
and two monospace columns on the right (output shape, parameters), so the eye
can run down the shapes as Keras's summary table lets it.
"""

from __future__ import annotations

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, QRect, QSize, Qt
from PySide6.QtGui import QFont, QFontDatabase, QFontMetrics, QPainter, QPalette
from PySide6.QtWidgets import QStyle, QStyledItemDelegate, QStyleOptionViewItem

from desktop import colours
from desktop.widgets.layer_stack_model import Role

_PAD = 8
_ICON = 24
_SAMPLE_SHAPE = "(None, 256, 256, 512)"
_SAMPLE_PARAMS = "99,999,999"


class LayerRowDelegate(QStyledItemDelegate):
    """Custom painting only; editing happens in the form, not in the list."""

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self._mono = QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont)

    def sizeHint(
        self, option: QStyleOptionViewItem, index: QModelIndex | QPersistentModelIndex
    ) -> QSize:
        height = QFontMetrics(option.font).height()
        return QSize(480, 2 * height + 2 * _PAD + 2)

    def paint(
        self,
        painter: QPainter,
        option: QStyleOptionViewItem,
        index: QModelIndex | QPersistentModelIndex,
    ) -> None:
        opt = QStyleOptionViewItem(option)
        self.initStyleOption(opt, index)
        opt.text = ""
        opt.icon = type(opt.icon)()
        style = opt.widget.style() if opt.widget else None
        if style is not None:  # selection and hover background, focus frame
            style.drawControl(
                QStyle.ControlElement.CE_ItemViewItem, opt, painter, opt.widget
            )

        layer = index.data(Role.LAYER)
        error = index.data(Role.ERROR)
        locked = bool(index.data(Role.LOCKED))
        selected = bool(option.state & QStyle.StateFlag.State_Selected)
        group = (
            QPalette.ColorRole.HighlightedText if selected else QPalette.ColorRole.Text
        )
        text_color = option.palette.color(group)
        muted = text_color if selected else colours.role("muted", option.palette)
        if error and not selected:
            text_color = muted = colours.role("error", option.palette)

        rect = option.rect.adjusted(_PAD, _PAD, -_PAD, -_PAD)
        painter.save()
        icon = index.data(Qt.ItemDataRole.DecorationRole)
        if icon is not None:
            icon_rect = QRect(rect.left(), rect.center().y() - _ICON // 2, _ICON, _ICON)
            icon.paint(painter, icon_rect)

        mono = QFontMetrics(self._mono)
        params_w = mono.horizontalAdvance(_SAMPLE_PARAMS)
        shape_w = mono.horizontalAdvance(_SAMPLE_SHAPE)
        params_rect = QRect(
            rect.right() - params_w, rect.top(), params_w, rect.height()
        )
        shape_rect = QRect(
            params_rect.left() - shape_w - 2 * _PAD, rect.top(), shape_w, rect.height()
        )
        painter.setFont(self._mono)
        painter.setPen(text_color)
        right_mid = Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignRight
        painter.drawText(params_rect, right_mid, index.data(Role.PARAMS))
        painter.setPen(muted if locked or error else text_color)
        painter.drawText(
            shape_rect,
            Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignLeft,
            index.data(Role.SHAPE),
        )

        left = rect.left() + _ICON + _PAD
        text_rect = QRect(
            left, rect.top(), shape_rect.left() - _PAD - left, rect.height() // 2
        )
        bold = QFont(option.font)
        bold.setBold(True)
        painter.setFont(bold)
        painter.setPen(text_color)
        name = layer.name
        painter.drawText(
            text_rect, Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter, name
        )
        name_w = QFontMetrics(bold).horizontalAdvance(name + "  ")
        painter.setFont(option.font)
        painter.setPen(muted)
        kind_rect = text_rect.adjusted(name_w, 0, 0, 0)
        kind = f"{layer.class_name}" + ("  · locked" if locked else "")
        painter.drawText(
            kind_rect, Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter, kind
        )

        second = text_rect.translated(0, rect.height() // 2)
        detail = error or index.data(Role.OPTIONS) or "no options"
        elided = QFontMetrics(option.font).elidedText(
            detail, Qt.TextElideMode.ElideRight, second.width()
        )
        painter.setPen(text_color if error else muted)
        painter.drawText(
            second, Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter, elided
        )
        painter.restore()
