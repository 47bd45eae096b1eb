"""The Presets menu loads a preset's whole recipe: asked first, undone in one step."""

from __future__ import annotations

from core.presets import named_preset

NAME = "fashion-mnist-strong"


def menu_action(window, name: str):
    menu = next(a.menu() for a in window.menuBar().actions() if a.text() == "&Presets")
    [action] = [a for a in menu.actions() if a.text().endswith(f"({name})")]
    return action


def button(box, text: str):
    [found] = [b for b in box.buttons() if b.text().startswith(text)]
    return found


def settings(window):
    return (
        window.document.spec,
        window.document.dataset,
        window.document.augmentation,
        window.augmentation_page.config,
        window.document.training,
        window.training_page.document.training,
    )


def test_the_presets_menu_loads_the_recipe_as_one_undoable_step(shapes_window):
    window = shapes_window
    before, steps = settings(window), window.undo_stack.count()
    menu_action(window, NAME).trigger()
    question = window.recipe_question
    assert question.isVisible()
    assert "replaces the model, the data (fashion-mnist" in question.text()
    button(question, "Load preset").click()
    recipe = named_preset(NAME).project()
    assert settings(window) == (
        recipe.model,
        recipe.dataset,
        recipe.augmentation,
        recipe.augmentation,
        recipe.training,
        recipe.training,
    )
    assert window.undo_stack.count() == steps + 1
    assert window.is_dirty()
    window.undo_action.trigger()
    assert settings(window) == before
    window.redo_action.trigger()
    assert window.document.training == recipe.training


def test_cancelling_the_question_changes_nothing(shapes_window):
    window = shapes_window
    before, steps = settings(window), window.undo_stack.count()
    menu_action(window, NAME).trigger()
    button(window.recipe_question, "Cancel").click()
    assert settings(window) == before
    assert window.undo_stack.count() == steps


def test_a_version_one_preset_still_loads_its_model_and_offers_its_data(
    shapes_window,
):
    window = shapes_window
    menu_action(window, "cats-vs-dogs-small").trigger()
    assert window.recipe_question is None
    assert window.document.spec == named_preset("cats-vs-dogs-small").spec
    assert window.dataset_offer.isVisible()
    window.dataset_offer.reject()
