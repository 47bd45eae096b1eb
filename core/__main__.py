"""``python -m core``: the headless command line (see ``core.cli``)."""

from core.cli import main
from core.process_exit import leave

leave(main())
