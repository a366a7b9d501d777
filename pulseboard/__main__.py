"""`python -m pulseboard …`, the same as the `pulseboard` command."""

import sys

from pulseboard.cli import main

sys.exit(main())
