"""``python -m usage_top``: the same as the ``usage-top`` command."""

import sys

from usage_top.startup import main

sys.exit(main())
