import sys

from slm_desktop.cli import main

sys.exit(main())
