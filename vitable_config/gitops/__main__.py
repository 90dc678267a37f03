"""``python -m vitable_config.gitops``: the gitops helpers without CLI registration."""

import sys

from vitable_config.gitops.cli import main

sys.exit(main())
