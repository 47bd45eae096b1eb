"""Ctrl+C during a headless run: the first stops after the batch, the second now."""

from __future__ import annotations

import os
import signal
import threading

import pytest

from core.training.interrupt import stop_on_signals


def test_first_signal_sets_cancel_second_ctrl_c_aborts(capsys):
    cancel = threading.Event()
    before = signal.getsignal(signal.SIGINT)
    with stop_on_signals(cancel) as interrupt:
        os.kill(os.getpid(), signal.SIGTERM)
        assert cancel.is_set()
        assert interrupt.exit_code == 143
        with pytest.raises(KeyboardInterrupt):
            os.kill(os.getpid(), signal.SIGINT)
        assert interrupt.exit_code == 143  # the first signal decides
    assert signal.getsignal(signal.SIGINT) is before
    assert "Ctrl+C again to abort at once" in capsys.readouterr().err
