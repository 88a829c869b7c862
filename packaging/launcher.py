"""Entry point of the frozen bundle: `slm-desktop` opens the window, `slm-desktop COMMAND` runs headless."""

import multiprocessing
import sys

from slm_desktop.cli import main

if __name__ == "__main__":
    # model-load probes and live translation's decoder run in spawned children: in a frozen app the
    # child re-runs this executable, and freeze_support() turns it into the worker instead of the CLI
    multiprocessing.freeze_support()
    sys.exit(main())
