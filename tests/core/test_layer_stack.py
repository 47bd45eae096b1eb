"""LayerStack: primitive edits, fresh names, and the events views rely on."""

from __future__ import annotations

import pytest

from core.layer_stack import LayerStack
from core.presets import preset
from core.spec import HeadSpec, InputSpec


def recorder(stack):
    log = []
    stack.inserted.connect(lambda i: log.append(("inserted", i)))
    stack.removed.connect(lambda i, layer: log.append(("removed", i, layer.name)))
    stack.moved.connect(lambda s, d: log.append(("moved", s, d)))
    stack.replaced.connect(lambda i: log.append(("replaced", i)))
    stack.reset.connect(lambda: log.append(("reset",)))
    return log


def test_edits_emit_events_and_keep_names_unique():
    stack = LayerStack()
    log = recorder(stack)
    stack.insert(0, stack.new_layer("Conv2D"))
    stack.insert(1, stack.new_layer("Conv2D"))
    stack.insert(2, stack.copy_of(0))
    assert [layer.name for layer in stack.layers] == [
        "conv2d_1",
        "conv2d_2",
        "conv2d_3",
    ]
    stack.move(2, 0)
    assert [layer.name for layer in stack.layers] == [
        "conv2d_3",
        "conv2d_1",
        "conv2d_2",
    ]
    stack.replace_layer(1, stack[1].with_options(filters=8))
    removed = stack.remove(0)
    assert removed.name == "conv2d_3"
    assert log == [
        ("inserted", 0),
        ("inserted", 1),
        ("inserted", 2),
        ("moved", 2, 0),
        ("replaced", 1),
        ("removed", 0, "conv2d_3"),
    ]


def test_summary_follows_changes():
    stack = LayerStack(preset("cifar10-simple-cnn"))
    assert stack.summary.total == 122_570
    stack.set_head(HeadSpec(num_classes=2))  # one sigmoid unit: 65 weights
    assert stack.summary.total == 122_570 - 650 + 65
    stack.set_input(InputSpec(34, 34, 3))  # 32 -> 2 conv rows more
    assert stack.summary.layers[1].output_shape == (32, 32, 32)  # conv2d_1
    stack.set_spec(preset("mnist-convnet"))
    assert stack.summary.total == 93_322


def test_duplicate_name_is_refused():
    stack = LayerStack()
    layer = stack.new_layer("Dense")
    stack.insert(0, layer)
    with pytest.raises(ValueError, match="already in the stack"):
        stack.insert(1, layer)
