"""The Model page's options pane shows nothing of a layer no longer selected (#25).

Seen under Xvfb: after a preset replaced the model, "Select a layer to edit
its options." stood above the previous layer's name box: the box left the
form but stayed visible where it was drawn.
"""

from __future__ import annotations

from core.spec import LayerSpec
from desktop.widgets.layer_params_form import LayerParamsForm


def test_no_name_box_stays_when_no_layer_is_selected(qtbot):
    form = LayerParamsForm()
    qtbot.addWidget(form)
    form.show()
    form.set_layer(LayerSpec.create("Conv2D", "conv2d_1"))
    assert form.name_edit.isVisible()
    form.set_layer(None)
    assert not form.name_edit.isVisible()
    form.set_layer(LayerSpec.create("Dense", "dense_1"))
    assert form.name_edit.isVisible()
    assert form.name_edit.text() == "dense_1"
