"""Start CNN Workbench: ``python main.py [PROJECT.cnnwb.json]``."""

from desktop.app import main

if __name__ == "__main__":
    raise SystemExit(main())
