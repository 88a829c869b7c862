"""Entry point of the frozen bundle: `slm-desktop` opens the window, `slm-desktop COMMAND` runs headless."""

import sys

from slm_desktop.cli import main

if __name__ == "__main__":
    sys.exit(main())
